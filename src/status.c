/* sluice - ISC licence, see COPYING. */

/*
 * Counters of every event DESIGN.md asks to count.  They live in one
 * struct of atomics so that workers and the feeder share them without a
 * lock; the log shows them at shutdown, and a status endpoint may later.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "status.h"

static const char *const status_names[STATUS__COUNT] = {
	[STATUS_OPEN] = "open",
	[STATUS_ACCEPTED] = "accepted",
	[STATUS_REQUESTS] = "requests",
	[STATUS_CAP_PAUSES] = "cap_pauses",
	[STATUS_FD_PAUSES] = "fd_pauses",
	[STATUS_HEADER_TIMEOUTS] = "header_timeouts",
	[STATUS_KEEPALIVE_TIMEOUTS] = "keepalive_timeouts",
	[STATUS_SEND_TIMEOUTS] = "send_timeouts",
	[STATUS_BAD_REQUESTS] = "bad_requests",
	[STATUS_URI_TOO_LONG] = "uri_too_long",
	[STATUS_HEADERS_TOO_LARGE] = "headers_too_large",
	[STATUS_BODY_TOO_LARGE] = "body_too_large",
	[STATUS_FILE_EMFILE] = "file_emfile",
	[STATUS_PROXY_ERRORS] = "proxy_errors",
	[STATUS_LOG_DROPS] = "log_drops",
};

void
status_init(struct status *st)
{
	int	 i;

	for (i = 0; i < STATUS__COUNT; i++)
		atomic_init(&st->c[i], 0);
	atomic_init(&st->accept_paused, false);
}

const char *
status_name(enum status_counter which)
{
	if ((int)which < 0 || which >= STATUS__COUNT)
		return "?";
	return status_names[which];
}

int
status_format(struct status *st, char *buf, size_t len)
{
	size_t	 off = 0;
	int	 i, n, total = 0;

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < STATUS__COUNT; i++) {
		n = snprintf(off < len ? buf + off : NULL,
		    off < len ? len - off : 0, "%s%s=%llu",
		    i == 0 ? "" : " ", status_names[i],
		    (unsigned long long)status_get(st, i));
		if (n < 0)
			return -1;
		total += n;
		off = (size_t)total;
	}
	return total;
}
