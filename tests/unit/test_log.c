/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for log.c: a log sink nobody reads must never block the
 * caller (it drops lines and counts them), client bytes are escaped before
 * they reach a log line, and the access log writes one Combined Log Format
 * line per record.
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
	char			*msg, *back, *p, *nl, prefix[64];
	unsigned long long	 d0, d1, dropped;
	size_t			 got, lines = 0, plen;
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

	log_init(0);
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
	plen = (size_t)snprintf(prefix, sizeof(prefix), "%s: info: ",
	    PACKAGE_NAME);
	for (p = back; p < back + got; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(back + got - p));
		if (nl == NULL)
			fail_msg("%s: line %zu is torn: %zu bytes without a "
			    "newline at the end of the sink", what, lines + 1,
			    (size_t)(back + got - p));
		if ((size_t)(nl - p) != plen + FLOOD_MSG ||
		    memcmp(p, prefix, plen) != 0 ||
		    memcmp(p + plen, msg, FLOOD_MSG) != 0)
			fail_msg("%s: line %zu is %zu bytes, not the %zu of "
			    "\"%s<message>\": %.60s", what, lines + 1,
			    (size_t)(nl - p), plen + FLOOD_MSG, prefix, p);
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
 * Combined Log Format line, client fields escaped, empty Referer and
 * User-Agent shown as "-", an overlong line cut but still one line.
 */
static void
test_log_access_write_clf_line(void **state)
{
	static const char	 line[] = "GET /a\"b\x01 HTTP/1.1";
	static const char	 ref[] = "http://r.example/\\x";
	static const char	 ua[] = "ua\xff\"";
	static const char	 want1[] = "127.0.0.1 - - "
	    "[09/Sep/2001:01:46:40 +0000] \"GET /a\\\"b\\x01 HTTP/1.1\" 200 "
	    "1234 \"http://r.example/\\\\x\" \"ua\\xff\\\"\"\n";
	static const char	 want2[] = "127.0.0.1 - - "
	    "[09/Sep/2001:01:46:40 +0000] \"GET /sleep HTTP/1.1\" 200 5 "
	    "\"-\" \"-\"\n";
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

	assert_int_equal(log_open_access("-"), 0);
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
	log_access_write(&a);
	/* No Referer and no User-Agent (as a /sleep answer must log). */
	a.line = "GET /sleep HTTP/1.1";
	a.line_len = strlen(a.line);
	a.bytes = 5;
	a.referer = a.agent = NULL;
	a.referer_len = a.agent_len = 0;
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
	if (l3len == 0 || l3len > LOG_LINE_MAX || l3[l3len - 1] != '\n' ||
	    memchr(l3, '\n', l3len) != l3 + l3len - 1)
		fail_msg("a 3000-byte request line gave %zu bytes, want one "
		    "line of at most %d ending in a newline", l3len,
		    LOG_LINE_MAX);
	if (strncmp(l3, "127.0.0.1 - - [09/Sep/2001:01:46:40 +0000] \"GET /LL",
	    51) != 0)
		fail_msg("third line starts \"%.60s\"", l3);
	free(back);
	free(longline);
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
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
