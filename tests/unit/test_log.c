/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for log.c: a log sink nobody reads must never block the
 * caller (it drops lines and counts them), client bytes are escaped before
 * they reach a log line (CLF's \xHH, JSON's \u00XX), each access-log
 * format gives its exact line, syslog datagrams carry an RFC 3164 header
 * with the right priority and survive a restart of the receiver, and an
 * error-log file gets timestamped lines of the levels asked for and is
 * reopened by name.
 *
 * The sinks are real descriptors put in place of standard error or
 * standard output with dup2: a socketpair (what journald gives a service)
 * and a pipe, whose other end nobody reads while the test floods them.  A
 * flood that blocks is caught by alarm(2), whose handler reports on the
 * saved real standard error and exits, so a regression fails the binary
 * within FLOOD_ALARM_S seconds instead of hanging make check.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

#define FLOOD_LINES	10000	/* lines logged into a sink nobody reads */
#define FLOOD_MSG	1000	/* bytes of each message */
#define FLOOD_ALARM_S	10	/* the flood must be over by then */
#define READ_BACK_MAX	(8 * 1024 * 1024) /* most bytes read from a sink */
#define READ_TIMEOUT_MS	2000	/* per poll while reading a sink back */
#define ESC_SENTINEL	0x5a	/* fills buffers to see stray writes */
#define LOG_STAMP_LEN	25	/* "2001-09-09T01:46:40.123Z " */
#define SYSLOG_WAIT_MS	2000	/* for a datagram that must arrive */

/* One escaping case: client bytes and what a log line must show. */
struct esc_case {
	const char	*in;
	size_t		 len;
	const char	*want;	/* hex digits of \xHH in either case */
};

/* A string literal with its length, NUL bytes inside included. */
#define S(x)	(x), (sizeof(x) - 1)

static const struct esc_case	esc_cases[] = {
	{ S(""), "" },
	{ S("plain text ~!"), "plain text ~!" },
	{ S("a\"b"), "a\\\"b" },
	{ S("back\\slash"), "back\\\\slash" },
	{ S("\"\\\""), "\\\"\\\\\\\"" },
	{ S("\t\r\n"), "\\x09\\x0d\\x0a" },
	{ S("\x01\x1f\x7f"), "\\x01\\x1f\\x7f" },
	{ S("a\0b"), "a\\x00b" },
	{ S("\x80\xc3\xa9\xff"), "\\x80\\xc3\\xa9\\xff" },
	{ S("ua\"\x1b[31m\\"), "ua\\\"\\x1b[31m\\\\" },
	{ S(" ~"), " ~" },
};

/* The real standard error while a flood has replaced it, for the alarm. */
static volatile sig_atomic_t	flood_saved_fd = -1;

static void	 flood_alarm(int);
static void	 flood(int, int, const char *);
static size_t	 read_back(int, char *, size_t, bool);
static bool	 stamp_ok(const char *);
static bool	 esc_equal(const char *, const char *, size_t);
static bool	 esc_boundary(const char *, size_t);
static void	 esc_check_truncations(size_t, const char *, size_t);

/* The flood blocked: say so on the real stderr and fail the binary. */
static void
flood_alarm(int sig)
{
	static const char	 msg[] = "test_log: logging blocked for "
	    "10 s on a sink nobody reads (the loop of log_info calls did not "
	    "finish): FAIL\n";
	ssize_t			 n;

	(void)sig;
	if (flood_saved_fd != -1) {
		n = write(flood_saved_fd, msg, sizeof(msg) - 1);
		(void)n;
	}
	_exit(1);
}

/*
 * Whether p starts with an error-log timestamp, "YYYY-MM-DDTHH:MM:SS.mmmZ "
 * (ISO 8601, UTC, milliseconds), within a minute of now.
 */
static bool
stamp_ok(const char *p)
{
	static const char	 shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	struct tm		 tm;
	time_t			 t;
	size_t			 i;

	for (i = 0; i < LOG_STAMP_LEN; i++) {
		if (shape[i] == 'd' ? (p[i] < '0' || p[i] > '9') :
		    p[i] != shape[i])
			return false;
	}
	memset(&tm, 0, sizeof(tm));
	if (strptime(p, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return false;
	t = timegm(&tm);
	return t > time(NULL) - 60 && t <= time(NULL) + 1;
}

/*
 * Read what is buffered in fd (made non-blocking) into buf, at most cap
 * bytes.  With until_eof, wait (READ_TIMEOUT_MS per poll) for EOF; else
 * stop when nothing more is buffered.  Returns the byte count.
 */
static size_t
read_back(int fd, char *buf, size_t cap, bool until_eof)
{
	struct pollfd	 pfd;
	size_t		 got = 0;
	ssize_t		 n;
	int		 loops;

	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (loops = 0; loops < 1000000 && got < cap; loops++) {
		n = read(fd, buf + got, cap - got);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || !until_eof)
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, READ_TIMEOUT_MS) <= 0)
			break;
	}
	return got;
}

/*
 * Put sink in place of standard error, log_init(0), and log FLOOD_LINES
 * messages of FLOOD_MSG bytes while nobody reads peer (the other end of
 * the sink).  Then restore standard error and check: the loop finished
 * (else the alarm fails the binary), some lines were dropped and counted,
 * the sink's shared open file description did not become non-blocking
 * (the parent's copy of stderr must keep its flags), and what did reach
 * the sink is whole lines only, as many as were not dropped.
 *
 * How it fails without the fix: log_init treated a socket like a pipe,
 * reopening it through /proc/self/fd, which a socket refuses (ENXIO); it
 * then wrote to the blocking descriptor 2, so the loop blocks once the
 * socket buffer is full and the alarm fires.  A fix that set O_NONBLOCK
 * on descriptor 2 itself fails the flags check; one that wrote partial
 * lines fails the whole-lines check.
 */
static void
flood(int sink, int peer, const char *what)
{
	struct sigaction	 sa, old_sa;
	char			*msg, *back, *p, *nl;
	unsigned long long	 d0, d1, dropped;
	size_t			 got, lines = 0, plen = LOG_STAMP_LEN + 7;
	int64_t			 ms;
	struct timespec		 t0, t1;
	int			 saved, flags0, flags1, i;

	assert_non_null(msg = malloc(FLOOD_MSG + 1));
	for (i = 0; i < FLOOD_MSG; i++)
		msg[i] = (char)('a' + i % 26);
	msg[FLOOD_MSG] = '\0';

	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(sink, STDERR_FILENO) == STDERR_FILENO);
	flood_saved_fd = saved;
	flags0 = fcntl(STDERR_FILENO, F_GETFL);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = flood_alarm;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, &old_sa);
	alarm(FLOOD_ALARM_S);

	log_init(LOG_LEVEL_INFO);
	flags1 = fcntl(STDERR_FILENO, F_GETFL);
	d0 = log_dropped();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < FLOOD_LINES; i++)
		log_info("%s", msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	d1 = log_dropped();
	log_close();

	alarm(0);
	(void)sigaction(SIGALRM, &old_sa, NULL);
	(void)dup2(saved, STDERR_FILENO);
	close(saved);
	flood_saved_fd = -1;

	ms = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	dropped = d1 - d0;
	print_message("%s: %d lines of %d bytes in %lld ms, %llu dropped\n",
	    what, FLOOD_LINES, FLOOD_MSG, (long long)ms, dropped);
	if (flags0 != flags1)
		fail_msg("%s: log_init changed the flags of descriptor 2 from "
		    "%#x to %#x (the shared open file description must keep "
		    "its flags)", what, (unsigned)flags0, (unsigned)flags1);
	if (dropped == 0)
		fail_msg("%s: %d lines of %d bytes into a sink nobody reads, "
		    "log_dropped() grew by 0, want > 0", what, FLOOD_LINES,
		    FLOOD_MSG);
	if (dropped >= FLOOD_LINES)
		fail_msg("%s: all %d lines dropped: nothing reached the sink",
		    what, FLOOD_LINES);

	/* What reached the sink: whole lines, none torn. */
	assert_non_null(back = malloc(READ_BACK_MAX));
	got = read_back(peer, back, READ_BACK_MAX, false);
	for (p = back; p < back + got; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(back + got - p));
		if (nl == NULL)
			fail_msg("%s: line %zu is torn: %zu bytes without a "
			    "newline at the end of the sink", what, lines + 1,
			    (size_t)(back + got - p));
		if ((size_t)(nl - p) != plen + FLOOD_MSG || !stamp_ok(p) ||
		    memcmp(p + LOG_STAMP_LEN, "[info] ", 7) != 0 ||
		    memcmp(p + plen, msg, FLOOD_MSG) != 0)
			fail_msg("%s: line %zu is %zu bytes, not the %zu of "
			    "\"TIMESTAMP [info] <message>\": %.60s", what,
			    lines + 1, (size_t)(nl - p), plen + FLOOD_MSG, p);
		lines++;
	}
	if (lines + dropped != FLOOD_LINES)
		fail_msg("%s: %zu lines in the sink + %llu dropped != %d "
		    "logged", what, lines, dropped, FLOOD_LINES);
	free(back);
	free(msg);
}

/* journald's stream: standard error is a socket that nobody reads. */
static void
test_log_info_socket_sink_never_blocks(void **state)
{
	int	sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	flood(sv[0], sv[1], "socket");
	close(sv[0]);
	close(sv[1]);
}

/* A pipe whose read end is never read while the loop runs. */
static void
test_log_info_pipe_sink_never_blocks(void **state)
{
	int	p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	flood(p[1], p[0], "pipe");
	close(p[0]);
	close(p[1]);
}

/*
 * Whether got (NUL-terminated) equals want's first n bytes, the hex digits
 * of a \xHH escape compared in either case.
 */
static bool
esc_equal(const char *got, const char *want, size_t n)
{
	size_t	 i = 0;

	if (strlen(got) != n)
		return false;
	while (i < n) {
		if (want[i] == '\\' && i + 3 < n && want[i + 1] == 'x') {
			if (memcmp(got + i, want + i, 2) != 0 ||
			    strncasecmp(got + i + 2, want + i + 2, 2) != 0)
				return false;
			i += 4;
		} else if (want[i] == '\\' && i + 1 < n) {
			if (memcmp(got + i, want + i, 2) != 0)
				return false;
			i += 2;
		} else {
			if (got[i] != want[i])
				return false;
			i++;
		}
	}
	return true;
}

/*
 * Whether offset n of the escaped string s falls between two escape units
 * ("c", "\\c" or "\xHH"), i.e. a truncation there splits no escape.
 */
static bool
esc_boundary(const char *s, size_t n)
{
	size_t	 i = 0;

	while (i < n)
		i += s[i] != '\\' ? 1 : s[i + 1] == 'x' ? 4 : 2;
	return i == n;
}

/* Quotes, backslashes, control bytes and bytes >= 0x80 are escaped. */
static void
test_log_escape_table(void **state)
{
	char	 buf[256];
	size_t	 i, r;

	(void)state;
	for (i = 0; i < sizeof(esc_cases) / sizeof(esc_cases[0]); i++) {
		memset(buf, ESC_SENTINEL, sizeof(buf));
		r = log_escape(buf, sizeof(buf), esc_cases[i].in,
		    esc_cases[i].len);
		if (memchr(buf, '\0', sizeof(buf)) == NULL)
			fail_msg("case %zu: result not NUL-terminated", i);
		if (!esc_equal(buf, esc_cases[i].want,
		    strlen(esc_cases[i].want)))
			fail_msg("case %zu: escaped to \"%s\", want \"%s\"", i,
			    buf, esc_cases[i].want);
		if (r != strlen(buf))
			fail_msg("case %zu: returned %zu, strlen %zu", i, r,
			    strlen(buf));
	}
}

/* Every byte value: exactly 0x20..0x7e but '"' and '\' pass through. */
static void
test_log_escape_every_byte(void **state)
{
	char		 in[1], out[8], want[8];
	unsigned	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			snprintf(want, sizeof(want), "\\x%02x", c);
		else
			snprintf(want, sizeof(want), "%c", c);
		assert_int_equal(log_escape(out, sizeof(out), in, 1),
		    strlen(want));
		if (!esc_equal(out, want, strlen(want)))
			fail_msg("byte %#04x escaped to \"%s\", want \"%s\"", c,
			    out, want);
	}
}

/*
 * Escape in[0..len) into every dstlen from 0 to the full size (and one
 * more): the result is NUL-terminated inside dst, a prefix of the full
 * escaping that splits no escape, and nothing is written at or past
 * dst[dstlen].  With dstlen 0 nothing is written at all.
 */
static void
esc_check_truncations(size_t ci, const char *in, size_t len)
{
	char	 full[1100], buf[1200];
	size_t	 dl, r, need, flen, k;

	flen = log_escape(full, sizeof(full), in, len);
	assert_true(flen < sizeof(full) - 1);
	need = flen + 1;
	for (dl = 0; dl <= need + 1; dl++) {
		memset(buf, ESC_SENTINEL, sizeof(buf));
		r = log_escape(buf, dl, in, len);
		for (k = dl; k < sizeof(buf); k++) {
			if ((unsigned char)buf[k] != ESC_SENTINEL)
				fail_msg("case %zu, dstlen %zu: byte %zu "
				    "written, past the buffer", ci, dl, k);
		}
		if (dl == 0) {
			assert_int_equal(r, 0);
			continue;
		}
		if (r >= dl || buf[r] != '\0' || strlen(buf) != r)
			fail_msg("case %zu, dstlen %zu: returned %zu, not a "
			    "NUL-terminated string inside dst", ci, dl, r);
		if (memcmp(buf, full, r) != 0)
			fail_msg("case %zu, dstlen %zu: \"%s\" is not a prefix "
			    "of \"%s\"", ci, dl, buf, full);
		if (!esc_boundary(full, r))
			fail_msg("case %zu, dstlen %zu: \"%s\" ends in the "
			    "middle of an escape", ci, dl, buf);
		if (dl >= need && r != flen)
			fail_msg("case %zu, dstlen %zu >= %zu: %zu bytes, want "
			    "all %zu", ci, dl, need, r, flen);
		if (dl < need && r == flen)
			fail_msg("case %zu, dstlen %zu < %zu: all %zu bytes "
			    "fit?", ci, dl, need, r);
	}
}

/* Truncation, for every table case and for all 256 byte values. */
static void
test_log_escape_truncation_every_dstlen(void **state)
{
	const size_t	 ncases = sizeof(esc_cases) / sizeof(esc_cases[0]);
	char		 all[256];
	size_t		 ci;

	(void)state;
	for (ci = 0; ci < sizeof(all); ci++)
		all[ci] = (char)ci;
	for (ci = 0; ci < ncases; ci++)
		esc_check_truncations(ci, esc_cases[ci].in, esc_cases[ci].len);
	esc_check_truncations(ncases, all, sizeof(all));
}

/*
 * log_open_access("-") on a pipe as standard output: each record is one
 * line in the default (combined) format, client fields escaped, empty
 * Referer and User-Agent shown as "-", the request and hand-off times
 * last, an overlong line cut but still one line.
 */
static void
test_log_access_write_clf_line(void **state)
{
	static const char	 line[] = "GET /a\"b\x01 HTTP/1.1";
	static const char	 ref[] = "http://r.example/\\x";
	static const char	 ua[] = "ua\xff\"";
	static const char	 want1[] = "127.0.0.1 - - "
	    "[09/Sep/2001:01:46:40 +0000] \"GET /a\\\"b\\x01 HTTP/1.1\" 200 "
	    "1234 \"http://r.example/\\\\x\" \"ua\\xff\\\"\" 1.234567 "
	    "0.000089\n";
	static const char	 want2[] = "127.0.0.1 - - "
	    "[09/Sep/2001:01:46:40 +0000] \"GET /sleep HTTP/1.1\" 200 5 "
	    "\"-\" \"-\" 0.000000 -\n";
	struct log_access	 a;
	char			*longline, *back, *l3;
	size_t			 got, l3len;
	int			 p[2], saved;

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	assert_non_null(longline = malloc(3000));
	memset(longline, 'L', 3000);
	memcpy(longline, "GET /", 5);

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fflush(stdout);
	assert_true((saved = dup(STDOUT_FILENO)) != -1);
	assert_true(dup2(p[1], STDOUT_FILENO) == STDOUT_FILENO);
	close(p[1]);

	assert_int_equal(log_open_access("-", LOG_FORMAT_COMBINED), 0);
	assert_true(log_access_enabled());
	memset(&a, 0, sizeof(a));
	a.peer = "127.0.0.1";
	a.when = 1000000000;
	a.line = line;
	a.line_len = sizeof(line) - 1;
	a.status = 200;
	a.bytes = 1234;
	a.referer = ref;
	a.referer_len = sizeof(ref) - 1;
	a.agent = ua;
	a.agent_len = sizeof(ua) - 1;
	a.request_us = 1234567;
	a.handoff_us = 89;
	log_access_write(&a);
	/* No Referer and no User-Agent (as a /sleep answer must log). */
	a.line = "GET /sleep HTTP/1.1";
	a.line_len = strlen(a.line);
	a.bytes = 5;
	a.referer = a.agent = NULL;
	a.referer_len = a.agent_len = 0;
	a.request_us = 0;
	a.handoff_us = -1;
	log_access_write(&a);
	a.line = longline;
	a.line_len = 3000;
	log_access_write(&a);
	log_close();
	assert_false(log_access_enabled());

	/* The last write end goes with the real stdout back: EOF. */
	(void)dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_non_null(back = malloc(65536));
	got = read_back(p[0], back, 65535, true);
	close(p[0]);
	back[got] = '\0';

	if (strncmp(back, want1, sizeof(want1) - 1) != 0)
		fail_msg("first line\n%.*s\nwant\n%s", (int)strcspn(back, "\n"),
		    back, want1);
	if (strncmp(back + sizeof(want1) - 1, want2, sizeof(want2) - 1) != 0)
		fail_msg("second line\n%s\nwant\n%s", back + sizeof(want1) - 1,
		    want2);
	l3 = back + sizeof(want1) - 1 + sizeof(want2) - 1;
	l3len = got - (size_t)(l3 - back);
	if (l3len == 0 || l3len > LOG_ACCESS_MAX || l3[l3len - 1] != '\n' ||
	    memchr(l3, '\n', l3len) != l3 + l3len - 1)
		fail_msg("a 3000-byte request line gave %zu bytes, want one "
		    "line of at most %d ending in a newline", l3len,
		    LOG_ACCESS_MAX);
	if (strncmp(l3, "127.0.0.1 - - [09/Sep/2001:01:46:40 +0000] \"GET /LL",
	    51) != 0)
		fail_msg("third line starts \"%.60s\"", l3);
	free(back);
	free(longline);
}

/* A record with every field, as the formatter tests use it. */
static void
fmt_record(struct log_access *a, const char *ua, size_t ualen)
{
	memset(a, 0, sizeof(*a));
	a->peer = "::1";
	a->when = 1000000000;
	a->line = "GET /x?q=1 HTTP/1.1";
	a->line_len = strlen(a->line);
	a->status = 404;
	a->bytes = 0;
	a->referer = "http://r/";
	a->referer_len = 9;
	a->agent = ua;
	a->agent_len = ualen;
	a->request_us = 2000001;
	a->handoff_us = 0;
}

/*
 * --log-format common is the NCSA Common Log Format exactly: host, ident
 * and authuser ("-"), [date] in local time with its offset, the quoted
 * request, status, and the body bytes with "-" for none; nothing after.
 */
static void
test_log_access_format_common(void **state)
{
	struct log_access	 a;
	char			 buf[LOG_ACCESS_MAX];
	size_t			 n;

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	fmt_record(&a, "ua", 2);
	n = log_access_format(buf, sizeof(buf), LOG_FORMAT_COMMON, &a);
	assert_string_equal(buf, "::1 - - [09/Sep/2001:01:46:40 +0000] "
	    "\"GET /x?q=1 HTTP/1.1\" 404 -");
	assert_int_equal(n, strlen(buf));
	a.bytes = 18446744073709551615ULL;
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_COMMON, &a);
	assert_string_equal(buf, "::1 - - [09/Sep/2001:01:46:40 +0000] "
	    "\"GET /x?q=1 HTTP/1.1\" 404 18446744073709551615");
	/* The offset follows the time zone (Apache's and nginx's habit). */
	assert_int_equal(setenv("TZ", "XXX-02", 1), 0);
	tzset();
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_COMMON, &a);
	assert_non_null(strstr(buf, "[09/Sep/2001:03:46:40 +0200]"));
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
}

/*
 * combined: the Combined Log Format, then the request time and the
 * hand-off time in seconds with six decimals; "-" for a time not known
 * (a hand-off on a later request of the connection).
 */
static void
test_log_access_format_combined(void **state)
{
	struct log_access	 a;
	char			 buf[LOG_ACCESS_MAX];

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	fmt_record(&a, "a\tb", 3);
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_COMBINED, &a);
	assert_string_equal(buf, "::1 - - [09/Sep/2001:01:46:40 +0000] "
	    "\"GET /x?q=1 HTTP/1.1\" 404 - \"http://r/\" \"a\\x09b\" "
	    "2.000001 0.000000");
	a.handoff_us = -1;
	a.request_us = 999999;
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_COMBINED, &a);
	assert_string_equal(buf, "::1 - - [09/Sep/2001:01:46:40 +0000] "
	    "\"GET /x?q=1 HTTP/1.1\" 404 - \"http://r/\" \"a\\x09b\" "
	    "0.999999 -");
	/* A short buffer cuts the line, NUL-terminated inside it. */
	memset(buf, ESC_SENTINEL, sizeof(buf));
	assert_int_equal(log_access_format(buf, 10, LOG_FORMAT_COMBINED, &a),
	    9);
	assert_string_equal(buf, "::1 - - [");
	assert_int_equal((unsigned char)buf[10], ESC_SENTINEL);
}

/*
 * Decode the JSON string that starts at *pp (just after its opening
 * quote) into out, checking that it holds only printable ASCII and the
 * escapes JSON allows; leave *pp after the closing quote.  Returns the
 * decoded length (a \u00XX gives the byte XX), or -1 if invalid.
 */
static ssize_t
json_string(const char **pp, char *out, size_t cap)
{
	const char	*p = *pp;
	size_t		 o = 0;
	unsigned	 v;

	for (;;) {
		if (o >= cap)
			return -1;
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return -1;
		if (*p != '\\') {
			out[o++] = *p++;
			continue;
		}
		p++;
		if (*p == '"' || *p == '\\' || *p == '/')
			out[o++] = *p++;
		else if (*p == 'u') {
			if (sscanf(p + 1, "%4x", &v) != 1 || strspn(p + 1,
			    "0123456789abcdefABCDEF") < 4 || v > 0xff)
				return -1;
			out[o++] = (char)v;
			p += 5;
		} else if (strchr("bfnrt", *p) != NULL && *p != '\0')
			return -1;	/* allowed, but we never write them */
		else
			return -1;
	}
	*pp = p + 1;
	return (ssize_t)o;
}

/*
 * json: one object per line, every field present, client strings
 * escaped so that the line is valid JSON in plain ASCII whatever the
 * bytes, absent fields null, times as numbers of seconds.
 */
static void
test_log_access_format_json(void **state)
{
	static const char	 nasty[] = "q\"b\\s\x01\x1f\x7f\x80\xc3\xa9\xff"
	    "\n\r\t</script>\0end";
	struct log_access	 a;
	char			 buf[LOG_ACCESS_MAX], dec[256], want[512];
	const char		*p;
	ssize_t			 n;
	int			 c;

	(void)state;
	fmt_record(&a, nasty, sizeof(nasty) - 1);
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_JSON, &a);
	snprintf(want, sizeof(want), "{\"time\":\"2001-09-09T01:46:40Z\","
	    "\"remote_addr\":\"::1\",\"request\":\"GET /x?q=1 HTTP/1.1\","
	    "\"status\":404,\"bytes\":0,\"referer\":\"http://r/\","
	    "\"user_agent\":\"q\\\"b\\\\s\\u0001\\u001f\\u007f\\u0080"
	    "\\u00c3\\u00a9\\u00ff\\u000a\\u000d\\u0009</script>\\u0000end\","
	    "\"request_time\":2.000001,\"handoff_time\":0.000000}");
	assert_string_equal(buf, want);
	/* The user agent decodes back to the very bytes sent. */
	p = strstr(buf, "\"user_agent\":\"") + 14;
	n = json_string(&p, dec, sizeof(dec));
	assert_int_equal(n, sizeof(nasty) - 1);
	assert_memory_equal(dec, nasty, sizeof(nasty) - 1);

	a.referer = a.agent = NULL;
	a.referer_len = a.agent_len = 0;
	a.handoff_us = -1;
	a.bytes = 7;
	(void)log_access_format(buf, sizeof(buf), LOG_FORMAT_JSON, &a);
	assert_non_null(strstr(buf, ",\"bytes\":7,\"referer\":null,"
	    "\"user_agent\":null,\"request_time\":2.000001,"
	    "\"handoff_time\":null}"));

	/* Every byte value in every field stays valid, and fits. */
	for (c = 0; c < 256; c++)
		dec[c] = (char)c;
	a.agent = a.referer = a.line = dec;
	a.agent_len = a.referer_len = a.line_len = 256;
	memset(buf, ESC_SENTINEL, sizeof(buf));
	n = (ssize_t)log_access_format(buf, sizeof(buf), LOG_FORMAT_JSON, &a);
	assert_true(n > 0 && (size_t)n < sizeof(buf) && buf[n] == '\0');
	assert_int_equal(buf[n - 1], '}');
	for (p = buf; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			fail_msg("byte %#x in a JSON line", (unsigned char)*p);
	p = strstr(buf, "\"request\":\"") + 11;
	assert_int_equal(json_string(&p, want, sizeof(want)), 256);
	assert_memory_equal(want, dec, 256);
}

/* Every byte alone: what it must become inside a JSON string. */
/* The directory a log is created in, as -t and the drop look at it. */
static void
test_log_dirname(void **state)
{
	char	 dir[64];

	log_dirname("/var/log/sluice/access.log", dir, sizeof(dir));
	assert_string_equal(dir, "/var/log/sluice");
	log_dirname("/access.log", dir, sizeof(dir));
	assert_string_equal(dir, "/");
	log_dirname("access.log", dir, sizeof(dir));
	assert_string_equal(dir, ".");
	log_dirname("logs/a.log", dir, sizeof(dir));
	assert_string_equal(dir, "logs");
}

static void
test_log_escape_json_every_byte(void **state)
{
	char		 in[1], out[16], want[16];
	unsigned	 c;

	(void)state;
	for (c = 0; c < 256; c++) {
		in[0] = (char)c;
		if (c == '"' || c == '\\')
			snprintf(want, sizeof(want), "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			snprintf(want, sizeof(want), "\\u%04x", c);
		else
			snprintf(want, sizeof(want), "%c", c);
		assert_int_equal(log_escape_json(out, sizeof(out), in, 1),
		    strlen(want));
		if (strcmp(out, want) != 0)
			fail_msg("byte %#04x escaped to \"%s\", want \"%s\"", c,
			    out, want);
	}
}

/*
 * A JSON escaping cut short at every destination size is a prefix of the
 * whole that splits no escape (so a cut field is still a valid string)
 * and writes nothing past the buffer.
 */
static void
test_log_escape_json_truncation(void **state)
{
	char	 in[256], full[2048], buf[2048];
	size_t	 flen, dl, r, i, k;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (char)(255 - i);
	flen = log_escape_json(full, sizeof(full), in, sizeof(in));
	assert_true(flen < sizeof(full) - 1);
	for (dl = 0; dl <= flen + 2; dl++) {
		memset(buf, ESC_SENTINEL, sizeof(buf));
		r = log_escape_json(buf, dl, in, sizeof(in));
		for (k = dl; k < sizeof(buf); k++)
			if ((unsigned char)buf[k] != ESC_SENTINEL)
				fail_msg("dstlen %zu: byte %zu written", dl, k);
		if (dl == 0) {
			assert_int_equal(r, 0);
			continue;
		}
		if (r >= dl || buf[r] != '\0' || memcmp(buf, full, r) != 0)
			fail_msg("dstlen %zu: %zu bytes, not a prefix", dl, r);
		/* Units: "\\u00XX" (6), "\\c" (2), or one byte. */
		for (i = 0; i < r; )
			i += buf[i] != '\\' ? 1 : buf[i + 1] == 'u' ? 6 : 2;
		if (i != r)
			fail_msg("dstlen %zu: cut inside an escape", dl);
	}
}

/*
 * The RFC 3164 header: <PRI> (facility * 8 + severity), the local time as
 * "Mmm dd hh:mm:ss" with the day padded by a space, the tag with the pid.
 */
static void
test_log_syslog_header(void **state)
{
	char	 buf[128];

	(void)state;
	assert_int_equal(setenv("TZ", "UTC", 1), 0);
	tzset();
	assert_int_equal(log_syslog_header(buf, sizeof(buf),
	    LOG_FACILITY_ERROR, 4, 1000000000, 42), 32);
	assert_string_equal(buf, "<28>Sep  9 01:46:40 sluice[42]: ");
	(void)log_syslog_header(buf, sizeof(buf), LOG_FACILITY_ACCESS, 6,
	    1000000000 + 86400 * 3, 7);
	assert_string_equal(buf, "<190>Sep 12 01:46:40 sluice[7]: ");
	(void)log_syslog_header(buf, sizeof(buf), LOG_FACILITY_ERROR, 7, 0,
	    1);
	assert_string_equal(buf, "<31>Jan  1 00:00:00 sluice[1]: ");
	assert_int_equal(log_syslog_header(buf, 5, 3, 3, 0, 1), 4);
	assert_string_equal(buf, "<27>");
}

/* A datagram socket bound at dir/name, as a syslog daemon's /dev/log. */
static int
syslog_bind(const char *dir, const char *name, char *path, size_t len)
{
	struct sockaddr_un	 sun;
	int			 fd;

	snprintf(path, len, "%s/%s", dir, name);
	assert_true((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) != -1);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_true(strlen(path) < sizeof(sun.sun_path));
	memcpy(sun.sun_path, path, strlen(path));
	(void)unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/*
 * Receive one datagram from fd within SYSLOG_WAIT_MS into buf (NUL-
 * terminated); returns its length, or -1 if none came.
 */
static ssize_t
syslog_recv(int fd, char *buf, size_t cap, int wait_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	ssize_t		 n;

	if (poll(&pfd, 1, wait_ms) != 1)
		return -1;
	n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/*
 * Check a datagram: "<PRI>Mmm dd hh:mm:ss sluice[PID]: " then body, no
 * newline at the end.
 */
static void
syslog_check(const char *got, int pri, const char *body)
{
	char	 head[64];
	size_t	 hl;

	hl = (size_t)snprintf(head, sizeof(head), "<%d>", pri);
	if (strncmp(got, head, hl) != 0)
		fail_msg("datagram \"%s\": want priority <%d>", got, pri);
	/* "Sep  9 01:46:40 " */
	if (strlen(got) < hl + 16 || got[hl + 3] != ' ' || got[hl + 6] != ' ' ||
	    got[hl + 9] != ':' || got[hl + 12] != ':' || got[hl + 15] != ' ')
		fail_msg("datagram \"%s\": no RFC 3164 timestamp", got);
	snprintf(head, sizeof(head), "sluice[%ld]: ", (long)getpid());
	if (strncmp(got + hl + 16, head, strlen(head)) != 0)
		fail_msg("datagram \"%s\": want tag \"%s\"", got, head);
	if (strcmp(got + hl + 16 + strlen(head), body) != 0)
		fail_msg("datagram \"%s\": want message \"%s\"", got, body);
}

/*
 * syslog:PATH: error lines at facility daemon with their level's
 * severity, access lines at local7.info, each one datagram.  A daemon
 * that restarts (a new socket at the same path) gets the next line, the
 * socket being connected again; one that never reads costs dropped and
 * counted lines, never a blocked caller.
 */
static void
test_log_syslog_socket(void **state)
{
	struct sigaction	 sa, old_sa;
	struct log_access	 a;
	char			 dir[] = "/tmp/sluice-test-log.XXXXXX";
	char			 path[256], dest[300];
	char			 buf[LOG_ACCESS_MAX + 256];
	unsigned long long	 d0;
	int			 fd, i;

	(void)state;
	assert_non_null(mkdtemp(dir));
	fd = syslog_bind(dir, "log", path, sizeof(path));
	snprintf(dest, sizeof(dest), "syslog:%s", path);
	assert_true(log_dest_is_syslog(dest, NULL));
	log_init(LOG_LEVEL_INFO);
	assert_int_equal(log_open_error(dest), 0);
	assert_int_equal(log_open_access(dest, LOG_FORMAT_COMMON), 0);

	log_warnx("one %d", 1);
	assert_true(syslog_recv(fd, buf, sizeof(buf), SYSLOG_WAIT_MS) > 0);
	syslog_check(buf, 3 * 8 + 4, "[warn] one 1");
	errno = ENOENT;
	log_warn("two");
	assert_true(syslog_recv(fd, buf, sizeof(buf), SYSLOG_WAIT_MS) > 0);
	syslog_check(buf, 3 * 8 + 4, "[warn] two: No such file or directory");
	log_debug("not at info");
	log_info("three");
	assert_true(syslog_recv(fd, buf, sizeof(buf), SYSLOG_WAIT_MS) > 0);
	syslog_check(buf, 3 * 8 + 6, "[info] three");
	memset(&a, 0, sizeof(a));
	a.peer = "10.0.0.1";
	a.when = time(NULL);
	a.line = "GET / HTTP/1.0";
	a.line_len = 14;
	a.status = 200;
	a.bytes = 3;
	log_access_write(&a);
	assert_true(syslog_recv(fd, buf, sizeof(buf), SYSLOG_WAIT_MS) > 0);
	if (strncmp(buf, "<190>", 5) != 0 || strstr(buf, ": 10.0.0.1 - - [") ==
	    NULL || strcmp(buf + strlen(buf) - 22,
	    "\"GET / HTTP/1.0\" 200 3") != 0)
		fail_msg("access datagram \"%s\"", buf);

	/* The daemon restarts: a new socket where the old one was. */
	close(fd);
	fd = syslog_bind(dir, "log", path, sizeof(path));
	log_warnx("after restart");
	assert_true(syslog_recv(fd, buf, sizeof(buf), SYSLOG_WAIT_MS) > 0);
	syslog_check(buf, 3 * 8 + 4, "[warn] after restart");

	/* Nobody reads: lines are dropped, the loop ends (or the alarm). */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = flood_alarm;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, &old_sa);
	flood_saved_fd = STDERR_FILENO;
	alarm(FLOOD_ALARM_S);
	d0 = log_dropped();
	for (i = 0; i < FLOOD_LINES; i++)
		log_info("flood %d", i);
	alarm(0);
	(void)sigaction(SIGALRM, &old_sa, NULL);
	flood_saved_fd = -1;
	if (log_dropped() == d0)
		fail_msg("%d lines to a syslog socket nobody reads: none "
		    "dropped", FLOOD_LINES);
	print_message("syslog flood: %llu of %d dropped\n",
	    log_dropped() - d0, FLOOD_LINES);
	log_close();
	close(fd);
	(void)unlink(path);
	(void)rmdir(dir);
}

/*
 * An error-log file: each line "TIMESTAMP [level] message", only the
 * levels asked for; SIGUSR1's log_reopen makes a moved file be replaced
 * by a new one of the same name.
 */
static void
test_log_error_file_levels_reopen(void **state)
{
	char		 dir[] = "/tmp/sluice-test-log.XXXXXX";
	char		 path[256], moved[300], *back, *l[8], *p;
	size_t		 n = 0, i;
	struct stat	 sb;
	ssize_t		 got;
	mode_t		 um;
	int		 fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/error.log", dir);
	snprintf(moved, sizeof(moved), "%s.1", path);
	log_init(LOG_LEVEL_DEBUG);
	assert_int_equal(log_open_error(path), 0);
	assert_int_equal(stat(path, &sb), 0);
	um = umask(0);
	(void)umask(um);
	assert_int_equal(sb.st_mode & 0777, 0640 & ~um);
	log_warnx("w");
	log_info("i %s", "x");
	log_debug("d");
	log_trace("t");
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(log_reopen(), 0);
	log_info("after");
	log_close();

	assert_non_null(back = malloc(65536));
	assert_true((fd = open(moved, O_RDONLY | O_CLOEXEC)) != -1);
	got = read(fd, back, 65535);
	close(fd);
	assert_true(got > 0);
	back[got] = '\0';
	for (p = back; *p != '\0' && n < 8; p = strchr(p, '\n') + 1) {
		l[n++] = p;
		assert_non_null(strchr(p, '\n'));
	}
	assert_int_equal(n, 3);
	for (i = 0; i < n; i++)
		if (!stamp_ok(l[i]))
			fail_msg("line \"%.40s\": no timestamp", l[i]);
	assert_int_equal(strncmp(l[0] + LOG_STAMP_LEN, "[warn] w\n", 9), 0);
	assert_int_equal(strncmp(l[1] + LOG_STAMP_LEN, "[info] i x\n", 11), 0);
	assert_int_equal(strncmp(l[2] + LOG_STAMP_LEN, "[debug] d\n", 10), 0);
	assert_true((fd = open(path, O_RDONLY | O_CLOEXEC)) != -1);
	got = read(fd, back, 65535);
	close(fd);
	assert_true(got > 0);
	back[got] = '\0';
	assert_true(stamp_ok(back));
	assert_string_equal(back + LOG_STAMP_LEN, "[info] after\n");
	free(back);
	(void)unlink(path);
	(void)unlink(moved);
	(void)rmdir(dir);
}

/*
 * Standard error that is journald's stream ($JOURNAL_STREAM names its
 * device and inode): each line starts with its priority, "<N>", and
 * carries no timestamp (the journal has its own), so that the journal
 * records each message's level.
 */
static void
test_log_journal_stream_prefix(void **state)
{
	struct stat	 sb;
	char		 env[64], back[4096];
	size_t		 got;
	int		 sv[2], saved;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
	    sv), 0);
	assert_int_equal(fstat(sv[0], &sb), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)sb.st_dev,
	    (unsigned long long)sb.st_ino);
	assert_int_equal(setenv("JOURNAL_STREAM", env, 1), 0);
	fflush(stderr);
	assert_true((saved = dup(STDERR_FILENO)) != -1);
	assert_true(dup2(sv[0], STDERR_FILENO) == STDERR_FILENO);
	log_init(LOG_LEVEL_DEBUG);
	log_warnx("w");
	log_info("i");
	log_debug("d");
	log_close();
	(void)dup2(saved, STDERR_FILENO);
	close(saved);
	assert_int_equal(unsetenv("JOURNAL_STREAM"), 0);
	close(sv[0]);
	got = read_back(sv[1], back, sizeof(back) - 1, true);
	close(sv[1]);
	back[got] = '\0';
	assert_string_equal(back, "<4>[warn] w\n<6>[info] i\n<7>[debug] d\n");
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_log_info_socket_sink_never_blocks),
		cmocka_unit_test(test_log_info_pipe_sink_never_blocks),
		cmocka_unit_test(test_log_escape_table),
		cmocka_unit_test(test_log_escape_every_byte),
		cmocka_unit_test(test_log_escape_truncation_every_dstlen),
		cmocka_unit_test(test_log_access_write_clf_line),
		cmocka_unit_test(test_log_access_format_common),
		cmocka_unit_test(test_log_access_format_combined),
		cmocka_unit_test(test_log_access_format_json),
		cmocka_unit_test(test_log_dirname),
		cmocka_unit_test(test_log_escape_json_every_byte),
		cmocka_unit_test(test_log_escape_json_truncation),
		cmocka_unit_test(test_log_syslog_header),
		cmocka_unit_test(test_log_syslog_socket),
		cmocka_unit_test(test_log_error_file_levels_reopen),
		cmocka_unit_test(test_log_journal_stream_prefix),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
