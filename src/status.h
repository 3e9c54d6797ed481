/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_STATUS_H
#define SLUICE_STATUS_H

/*
 * Process-wide counters, shared by the feeder and every worker.  Each is a
 * sequentially consistent atomic, so any thread may bump or read any of them
 * without a lock.  STATUS_OPEN is a gauge (open connections, every state);
 * the rest only grow.
 */

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum status_counter {
	STATUS_OPEN,		/* gauge: connections open now */
	STATUS_ACCEPTED,	/* connections accepted */
	STATUS_REQUESTS,	/* requests answered (any status) */
	STATUS_CAP_PAUSES,	/* accept paused at --max-connections */
	STATUS_FD_PAUSES,	/* accept paused on EMFILE/ENFILE */
	STATUS_HEADER_TIMEOUTS,	/* cut at the header deadline */
	STATUS_KEEPALIVE_TIMEOUTS, /* idle keep-alive connections closed */
	STATUS_SEND_TIMEOUTS,	/* cut after a send stall */
	STATUS_BAD_REQUESTS,	/* 400 */
	STATUS_URI_TOO_LONG,	/* 414 */
	STATUS_HEADERS_TOO_LARGE, /* 431 */
	STATUS_BODY_TOO_LARGE,	/* 413 */
	STATUS_FILE_EMFILE,	/* open() of a file hit EMFILE: 503 */
	STATUS_PROXY_ERRORS,	/* --proxy-protocol: no valid header */
	STATUS_LOG_DROPS,	/* log lines dropped (copied from log.c at exit) */
	STATUS__COUNT
};

struct status {
	_Atomic uint64_t	 c[STATUS__COUNT];
	atomic_bool		 accept_paused;	/* feeder sets; workers read */
};

/* Zero every counter.  Before any thread is started. */
void		 status_init(struct status *);

/* Add one to counter `which`.  Any thread. */
static inline void
status_inc(struct status *st, enum status_counter which)
{
	atomic_fetch_add(&st->c[which], 1);
}

/* Read counter `which`.  Any thread. */
static inline uint64_t
status_get(struct status *st, enum status_counter which)
{
	return atomic_load(&st->c[which]);
}

/* The counter's name as it appears in logs ("header_timeouts"). */
const char	*status_name(enum status_counter);

/*
 * Write "name=value name=value ..." for every counter into buf (always
 * NUL-terminated when len > 0).  Returns the length it wanted, as snprintf.
 * Any thread.
 */
int		 status_format(struct status *, char *buf, size_t len);

#endif /* SLUICE_STATUS_H */
