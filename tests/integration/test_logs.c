/* sluice: integration tests of the logs (--access-log, --error-log...). */

/*
 * The real binary over real sockets: each --log-format gives its line for
 * real requests (parsed field by field: status, bytes, a request time
 * that is a number of seconds and sane, a hand-off time on the first
 * request of a connection and "-" or null on the next one of the same
 * keep-alive connection); the request time covers the /sleep wait; the
 * error log goes to a file with the levels --log-level and -v ask for,
 * and SIGUSR1 reopens it after it was moved; syslog:PATH sends RFC 3164
 * datagrams (error lines at daemon.*, access lines at local7.info) to a
 * receiver the test binds; each bad value is refused at start-up naming
 * its option (exit 2); -t checks an error-log file's directory; -T prints
 * the log settings so that they read back.
 *
 * Every test has its own temporary directory under /tmp (mkdtemp, 0755)
 * for its logs and sockets, removed in teardown.  Waits are poll() with a
 * deadline (on a socket, or inotify on the directory), never sleeps.
 */

#include "config.h"

#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Timeout of one-shot runs, of reads, of waits for a log line. */
#define LGS_TIMEOUT_MS		5000
/* Most fields of an access-log line, and most members of a JSON one. */
#define LGS_MAX_FIELDS		16
/* A request time above this (seconds) on loopback means a bad clock. */
#define LGS_SANE_S		5.0
/* --sleep-route of the request-time test, in seconds, and its bound. */
#define LGS_SLEEP		"0.3"
#define LGS_SLEEP_S		0.3
#define LGS_SLEEP_MAX_S		3.0
/* The exit status of a refused command line. */
#define LGS_EXIT_USAGE		2
/* syslog: facility * 8 + severity. */
#define LGS_PRI_WARNING		(3 * 8 + 4)
#define LGS_PRI_INFO		(3 * 8 + 6)
#define LGS_PRI_ACCESS		(23 * 8 + 6)

struct lfx {
	char	dir[256];	/* this test's temporary directory */
};

/* One field of an access line, or one member of a JSON line. */
struct lfield {
	char	 key[32];	/* JSON member name; "" in a CLF line */
	char	 val[2048];	/* as written; a JSON string decoded */
	size_t	 len;		/* of val (a decoded string may hold NUL) */
	char	 kind;		/* 'b' bare, 'q' quoted, 'd' [date]; JSON: */
				/* 's' string, 'n' number, '0' null */
};

static int	lfx_setup(void **);
static int	lfx_teardown(void **);
static void	lgs_path(const struct lfx *, const char *, char *, size_t);
static void	lgs_start(struct harness_server *, const char *, ...);
static void	lgs_stop(struct harness_server *);
static void	lgs_stop_keep(struct harness_server *, char **);
static char	*lgs_read(const char *);
static size_t	lgs_lines(char *, char **, size_t);
static int	lgs_clf(const char *, struct lfield *, int);
static int	lgs_json(const char *, struct lfield *, int);
static const struct lfield *lgs_member(const struct lfield *, int,
		    const char *);
static double	lgs_seconds(const char *, const char *);
static void	lgs_exchange(struct harness_client *, const char *, int,
		    struct harness_response *);
static void	lgs_wait_file(const char *, const char *, const char *);
static int	lgs_bind_dgram(const char *);
static bool	lgs_recv_until(int, const char *, char *, size_t, int);
static void	lgs_check_syslog(const char *, int, pid_t, const char *);

static int
lfx_setup(void **state)
{
	struct lfx	*f;

	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (-1);
	if (harness_tmpdir_create(f->dir, sizeof(f->dir), "logs") == -1) {
		free(f);
		return (-1);
	}
	*state = f;
	return (0);
}

static int
lfx_teardown(void **state)
{
	struct lfx	*f = *state;

	if (f != NULL) {
		(void)harness_rmtree(f->dir);
		free(f);
	}
	harness_watchdog_disarm();
	return (0);
}

/* dir/rel of this test. */
static void
lgs_path(const struct lfx *f, const char *rel, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", f->dir, rel) >= len)
		fail_msg("path %s/%s too long", f->dir, rel);
}

/* Start a server on tests/htdocs with the NULL-terminated arguments. */
static void
lgs_start(struct harness_server *s, const char *first, ...)
{
	const char		*args[HARNESS_MAX_ARGS];
	struct harness_opts	 o;
	const char		*a;
	va_list			 ap;
	size_t			 n = 0;

	args[n++] = "--root";
	args[n++] = harness_htdocs();
	va_start(ap, first);
	for (a = first; a != NULL && n < HARNESS_MAX_ARGS - 1;
	    a = va_arg(ap, const char *))
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(s, &o) == -1)
		fail_msg("cannot start sluice: %s", strerror(errno));
}

/* Stop the server, which must exit 0, and clean up after it. */
static void
lgs_stop(struct harness_server *s)
{
	int	 st;

	assert_int_equal(harness_server_stop(s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(s);
}

/*
 * Stop the server, which must exit 0, and hand back what it wrote to
 * standard error and output (caller frees) before cleaning up.
 */
static void
lgs_stop_keep(struct harness_server *s, char **out)
{
	int	 st;

	assert_int_equal(harness_server_stop(s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	if (harness_log_read(s, out, NULL) == -1)
		fail_msg("cannot read the server's output: %s",
		    strerror(errno));
	harness_server_cleanup(s);
}

/* The whole of a file (caller frees). */
static char *
lgs_read(const char *path)
{
	char	*text;
	size_t	 len;

	if (harness_read_file(path, &text, &len) == -1)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	if (strlen(text) != len)
		fail_msg("%s holds a NUL byte", path);
	return (text);
}

/* Split text into lines in place; each must end in a newline. */
static size_t
lgs_lines(char *text, char **lines, size_t max)
{
	char	*p = text, *nl;
	size_t	 n = 0;

	while (*p != '\0') {
		if ((nl = strchr(p, '\n')) == NULL)
			fail_msg("a log ends in a partial line: \"%s\"", p);
		if (n == max)
			fail_msg("more than %zu lines in a log", max);
		*nl = '\0';
		lines[n++] = p;
		p = nl + 1;
	}
	return (n);
}

/*
 * Split a CLF-style line into fields separated by one space: bare words,
 * "[date]" and quoted strings whose \" and \\ stay escaped.  Returns the
 * number of fields, or -1 if the line does not split so.
 */
static int
lgs_clf(const char *line, struct lfield *f, int max)
{
	const char	*p = line, *e;
	int		 n = 0;

	while (*p != '\0') {
		if (n == max)
			return (-1);
		memset(&f[n], 0, sizeof(f[n]));
		if (*p == '"') {
			for (e = p + 1; *e != '"'; e++) {
				if (*e == '\0')
					return (-1);
				if (*e == '\\' && *++e == '\0')
					return (-1);
			}
			f[n].kind = 'q';
			p++;
		} else if (*p == '[') {
			if ((e = strchr(p, ']')) == NULL)
				return (-1);
			f[n].kind = 'd';
			p++;
		} else {
			e = p + strcspn(p, " ");
			f[n].kind = 'b';
		}
		if ((size_t)(e - p) >= sizeof(f[n].val))
			return (-1);
		memcpy(f[n].val, p, (size_t)(e - p));
		f[n].len = (size_t)(e - p);
		n++;
		p = e + (f[n - 1].kind == 'b' ? 0 : 1);
		if (*p == ' ' && p[1] != '\0' && p[1] != ' ')
			p++;
		else if (*p != '\0')
			return (-1);
	}
	return (n);
}

/*
 * Parse a flat JSON object: string, number and null members.  Strings
 * must be printable ASCII with the escapes JSON allows (sluice writes
 * \", \\ and \u00XX only); they are decoded into val.  Returns the
 * number of members, or -1 if the line is not such an object.
 */
static int
lgs_json(const char *line, struct lfield *f, int max)
{
	const char	*p = line;
	size_t		 o;
	unsigned	 v;
	int		 n = 0, k;

	if (*p++ != '{')
		return (-1);
	for (;;) {
		if (n == max || *p++ != '"')
			return (-1);
		memset(&f[n], 0, sizeof(f[n]));
		k = (int)strcspn(p, "\"");
		if (p[k] != '"' || (size_t)k >= sizeof(f[n].key))
			return (-1);
		memcpy(f[n].key, p, (size_t)k);
		p += k + 1;
		if (*p++ != ':')
			return (-1);
		if (*p == '"') {
			f[n].kind = 's';
			for (p++, o = 0; *p != '"'; o++) {
				if (o + 1 >= sizeof(f[n].val) ||
				    (unsigned char)*p < 0x20 ||
				    (unsigned char)*p > 0x7e)
					return (-1);
				if (*p != '\\') {
					f[n].val[o] = *p++;
					continue;
				}
				p++;
				if (*p == '"' || *p == '\\') {
					f[n].val[o] = *p++;
				} else if (*p == 'u' && strspn(p + 1,
				    "0123456789abcdef") >= 4 &&
				    sscanf(p + 1, "%4x", &v) == 1 &&
				    v < 0x100) {
					f[n].val[o] = (char)v;
					p += 5;
				} else
					return (-1);
			}
			f[n].len = o;
			p++;
		} else if (strncmp(p, "null", 4) == 0) {
			f[n].kind = '0';
			p += 4;
		} else {
			k = (int)strspn(p, "0123456789.-");
			if (k == 0 || (size_t)k >= sizeof(f[n].val))
				return (-1);
			f[n].kind = 'n';
			memcpy(f[n].val, p, (size_t)k);
			f[n].len = (size_t)k;
			p += k;
		}
		n++;
		if (*p == '}')
			return (p[1] == '\0' ? n : -1);
		if (*p++ != ',')
			return (-1);
	}
}

/* The member called key, or a failure. */
static const struct lfield *
lgs_member(const struct lfield *f, int n, const char *key)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (strcmp(f[i].key, key) == 0)
			return (&f[i]);
	fail_msg("no \"%s\" in a JSON line", key);
	return (NULL);
}

/*
 * A duration as sluice writes it, "S.UUUUUU" (seconds, six decimals),
 * checked for shape and sanity; returns it.  `what` names it.
 */
static double
lgs_seconds(const char *s, const char *what)
{
	size_t	 w = strspn(s, "0123456789");
	double	 d;

	if (w == 0 || s[w] != '.' || strspn(s + w + 1, "0123456789") != 6 ||
	    s[w + 7] != '\0')
		fail_msg("%s \"%s\" is not seconds with six decimals", what, s);
	d = strtod(s, NULL);
	if (d < 0 || d > LGS_SANE_S)
		fail_msg("%s %s s: not between 0 and %g", what, s, LGS_SANE_S);
	return (d);
}

/* Send a request on c and read its answer, which must have `status`. */
static void
lgs_exchange(struct harness_client *c, const char *req, int status,
    struct harness_response *r)
{
	if (harness_client_send_str(c, req, LGS_TIMEOUT_MS) == -1)
		fail_msg("send: %s", strerror(errno));
	if (harness_client_read_response(c, r, strncmp(req, "HEAD ", 5) ==
	    0 ? HARNESS_RESP_HEAD : 0, LGS_TIMEOUT_MS) == -1)
		fail_msg("no answer to %.40s: %s", req, strerror(errno));
	if (r->status != status)
		fail_msg("%.40s: status %d, want %d", req, r->status, status);
}

/*
 * Wait (inotify on dir, LGS_TIMEOUT_MS) until the file at path exists
 * and contains str.
 */
static void
lgs_wait_file(const char *dir, const char *path, const char *str)
{
	struct pollfd	 pfd;
	int64_t		 deadline = harness_now_ms() + LGS_TIMEOUT_MS;
	char		 ev[4096], *text;
	size_t		 len;
	bool		 found;
	int		 in;

	if ((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1 ||
	    inotify_add_watch(in, dir, IN_CREATE | IN_MODIFY |
	    IN_CLOSE_WRITE | IN_MOVED_TO) == -1)
		fail_msg("inotify on %s: %s", dir, strerror(errno));
	for (;;) {
		found = false;
		if (harness_read_file(path, &text, &len) == 0) {
			found = strstr(text, str) != NULL;
			free(text);
		}
		if (found)
			break;
		pfd.fd = in;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, harness_remaining_ms(deadline)) != 1) {
			close(in);
			fail_msg("%s: no \"%s\" within %d ms", path, str,
			    LGS_TIMEOUT_MS);
		}
		while (read(in, ev, sizeof(ev)) > 0)
			;
	}
	close(in);
}

/* A datagram socket bound at path, as a syslog daemon's /dev/log. */
static int
lgs_bind_dgram(const char *path)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		fail_msg("socket path %s too long", path);
	memcpy(sun.sun_path, path, strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fail_msg("bind %s: %s", path, strerror(errno));
	return (fd);
}

/*
 * Receive datagrams from fd until one contains `want` (copied into buf,
 * NUL-terminated), within LGS_TIMEOUT_MS.  Each datagram received is
 * appended to all (size alllen) with a newline, for the caller to check
 * the others.  Returns whether it came.
 */
static bool
lgs_recv_until(int fd, const char *want, char *all, size_t alllen,
    int timeout_ms)
{
	struct pollfd	 pfd = { .fd = fd, .events = POLLIN };
	int64_t		 deadline = harness_now_ms() + timeout_ms;
	char		 buf[8192];
	size_t		 have;
	ssize_t		 n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n >= 0) {
			buf[n] = '\0';
			if (memchr(buf, '\n', (size_t)n) != NULL)
				fail_msg("a datagram holds a newline: \"%s\"",
				    buf);
			have = strlen(all);
			snprintf(all + have, alllen - have, "%s\n", buf);
			if (strstr(buf, want) != NULL)
				return (true);
			continue;
		}
		if (errno != EAGAIN)
			fail_msg("recv: %s", strerror(errno));
		if (poll(&pfd, 1, harness_remaining_ms(deadline)) != 1)
			return (false);
	}
}

/*
 * The datagram in `all` that contains body: "<pri>Mmm dd hh:mm:ss
 * sluice[pid]: " then body (its start), the time within a minute of now.
 */
static void
lgs_check_syslog(const char *all, int pri, pid_t pid, const char *body)
{
	char		 head[64], stamp[16];
	const char	*p, *line;
	struct tm	 tm, now;
	time_t		 t = time(NULL);
	size_t		 hl;

	if ((p = strstr(all, body)) == NULL)
		fail_msg("no datagram with \"%s\" in:\n%s", body, all);
	for (line = p; line > all && line[-1] != '\n'; line--)
		;
	hl = (size_t)snprintf(head, sizeof(head), "<%d>", pri);
	if (strncmp(line, head, hl) != 0)
		fail_msg("datagram \"%.120s\": want priority %s", line, head);
	/* RFC 3164: "Mmm dd hh:mm:ss", the day padded with a space. */
	memcpy(stamp, line + hl, 15);
	stamp[15] = '\0';
	memset(&tm, 0, sizeof(tm));
	localtime_r(&t, &now);
	if (line[hl + 15] != ' ' || strptime(stamp, "%b %e %H:%M:%S", &tm) ==
	    NULL || (stamp[4] == '0'))
		fail_msg("datagram \"%.120s\": no RFC 3164 timestamp", line);
	tm.tm_year = now.tm_year;
	tm.tm_isdst = -1;
	if (labs((long)(mktime(&tm) - t)) > 60)
		fail_msg("datagram \"%.120s\": time far from now", line);
	snprintf(head, sizeof(head), "sluice[%ld]: ", (long)pid);
	if (strncmp(line + hl + 16, head, strlen(head)) != 0 ||
	    line + hl + 16 + strlen(head) != p)
		fail_msg("datagram \"%.120s\": want \"%s\" then \"%s\"", line,
		    head, body);
}

/*
 * The default format, combined, for a keep-alive connection's two
 * requests: the Combined Log Format's nine fields, then the request time
 * and the hand-off time, in seconds with six decimals; the hand-off only
 * on the first request, "-" on the second.
 */
static void
test_logs_combined_keepalive(void **state)
{
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct harness_client	 c;
	struct harness_response	 r1, r2;
	struct lfield		 fl[LGS_MAX_FIELDS];
	struct tm		 tm;
	char			 path[PATH_MAX], *log, *l[4], want[32];
	double			 rt, ht;

	lgs_path(f, "access.log", path, sizeof(path));
	lgs_start(&srv, "--access-log", path, NULL);
	assert_int_equal(harness_client_connect(&c, srv.port, 0), 0);
	lgs_exchange(&c, "GET /hello.html HTTP/1.1\r\nHost: a\r\n"
	    "Referer: http://r.example/\r\nUser-Agent: t/1\r\n\r\n", 200, &r1);
	lgs_exchange(&c, "GET /nope HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n", 404, &r2);
	assert_int_equal(harness_client_wait_closed(&c, LGS_TIMEOUT_MS), 1);
	harness_client_close(&c);
	lgs_stop(&srv);

	log = lgs_read(path);
	assert_int_equal(lgs_lines(log, l, 4), 2);
	print_message("%s\n%s\n", l[0], l[1]);

	if (lgs_clf(l[0], fl, LGS_MAX_FIELDS) != 11)
		fail_msg("not 11 fields: \"%s\"", l[0]);
	assert_string_equal(fl[0].val, "127.0.0.1");
	assert_string_equal(fl[1].val, "-");
	assert_string_equal(fl[2].val, "-");
	assert_int_equal(fl[3].kind, 'd');
	memset(&tm, 0, sizeof(tm));
	if (strptime(fl[3].val, "%d/%b/%Y:%H:%M:%S %z", &tm) == NULL)
		fail_msg("date [%s] is not CLF's", fl[3].val);
	assert_int_equal(fl[4].kind, 'q');
	assert_string_equal(fl[4].val, "GET /hello.html HTTP/1.1");
	assert_string_equal(fl[5].val, "200");
	snprintf(want, sizeof(want), "%zu", r1.body_len);
	assert_string_equal(fl[6].val, want);
	assert_string_equal(fl[7].val, "http://r.example/");
	assert_string_equal(fl[8].val, "t/1");
	rt = lgs_seconds(fl[9].val, "request time");
	ht = lgs_seconds(fl[10].val, "hand-off time");
	print_message("first request: %.6f s, hand-off %.6f s\n", rt, ht);

	if (lgs_clf(l[1], fl, LGS_MAX_FIELDS) != 11)
		fail_msg("not 11 fields: \"%s\"", l[1]);
	assert_string_equal(fl[4].val, "GET /nope HTTP/1.1");
	assert_string_equal(fl[5].val, "404");
	snprintf(want, sizeof(want), "%zu", r2.body_len);
	assert_string_equal(fl[6].val, want);
	assert_string_equal(fl[7].val, "-");
	assert_string_equal(fl[8].val, "-");
	(void)lgs_seconds(fl[9].val, "request time");
	if (strcmp(fl[10].val, "-") != 0)
		fail_msg("the second request of a connection has hand-off "
		    "time \"%s\", want \"-\"", fl[10].val);
	harness_response_free(&r1);
	harness_response_free(&r2);
	free(log);
}

/*
 * --log-format common: exactly the NCSA Common Log Format's seven fields,
 * nothing after; a HEAD (no body byte sent) logs "-" for the bytes.
 */
static void
test_logs_common(void **state)
{
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct harness_client	 c;
	struct harness_response	 r;
	struct lfield		 fl[LGS_MAX_FIELDS];
	char			 path[PATH_MAX], *log, *l[4], want[32];
	size_t			 body;

	lgs_path(f, "access.log", path, sizeof(path));
	lgs_start(&srv, "--access-log", path, "--log-format", "common", NULL);
	assert_int_equal(harness_client_connect(&c, srv.port, 0), 0);
	lgs_exchange(&c, "GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: u\r\n\r\n",
	    200, &r);
	body = r.body_len;
	harness_response_free(&r);
	lgs_exchange(&c, "HEAD / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n", 200, &r);
	harness_response_free(&r);
	harness_client_close(&c);
	lgs_stop(&srv);

	log = lgs_read(path);
	assert_int_equal(lgs_lines(log, l, 4), 2);
	print_message("%s\n%s\n", l[0], l[1]);
	if (lgs_clf(l[0], fl, LGS_MAX_FIELDS) != 7)
		fail_msg("not the 7 fields of CLF: \"%s\"", l[0]);
	assert_string_equal(fl[0].val, "127.0.0.1");
	assert_int_equal(fl[3].kind, 'd');
	assert_string_equal(fl[4].val, "GET / HTTP/1.1");
	assert_string_equal(fl[5].val, "200");
	snprintf(want, sizeof(want), "%zu", body);
	assert_string_equal(fl[6].val, want);
	if (lgs_clf(l[1], fl, LGS_MAX_FIELDS) != 7)
		fail_msg("not the 7 fields of CLF: \"%s\"", l[1]);
	assert_string_equal(fl[4].val, "HEAD / HTTP/1.1");
	assert_string_equal(fl[6].val, "-");
	free(log);
}

/*
 * --log-format json: one valid JSON object per line in plain ASCII, with
 * a User-Agent full of quotes, backslashes, a tab and bytes from 0x80
 * decoding back to the bytes sent; the hand-off time is a number on the
 * first request and null on the second of the connection.
 */
static void
test_logs_json(void **state)
{
	static const char	 ua[] = "q\"b\\s\tx\x80\xc3\xa9\xff<>";
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct harness_client	 c;
	struct harness_response	 r1, r2;
	struct lfield		 fl[LGS_MAX_FIELDS];
	const struct lfield	*m;
	char			 path[PATH_MAX], req[512], *log, *l[4], *p;
	int			 n;

	lgs_path(f, "access.log", path, sizeof(path));
	lgs_start(&srv, "--access-log", path, "--log-format", "json", NULL);
	assert_int_equal(harness_client_connect(&c, srv.port, 0), 0);
	snprintf(req, sizeof(req), "GET /hello.html?a=\"b\" HTTP/1.1\r\n"
	    "Host: a\r\nUser-Agent: %s\r\n\r\n", ua);
	lgs_exchange(&c, req, 200, &r1);
	lgs_exchange(&c, "GET /nope HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n", 404, &r2);
	harness_client_close(&c);
	lgs_stop(&srv);

	log = lgs_read(path);
	for (p = log; *p != '\0'; p++)
		if (*p != '\n' && ((unsigned char)*p < 0x20 ||
		    (unsigned char)*p > 0x7e))
			fail_msg("byte %#x in the JSON log", (unsigned char)*p);
	assert_int_equal(lgs_lines(log, l, 4), 2);
	print_message("%s\n%s\n", l[0], l[1]);

	if ((n = lgs_json(l[0], fl, LGS_MAX_FIELDS)) != 9)
		fail_msg("not a JSON object of 9 members: \"%s\"", l[0]);
	m = lgs_member(fl, n, "time");
	assert_int_equal(m->kind, 's');
	assert_int_equal(m->len, 20);
	assert_int_equal(m->val[19], 'Z');
	m = lgs_member(fl, n, "remote_addr");
	assert_string_equal(m->val, "127.0.0.1");
	m = lgs_member(fl, n, "request");
	assert_string_equal(m->val, "GET /hello.html?a=\"b\" HTTP/1.1");
	m = lgs_member(fl, n, "status");
	assert_int_equal(m->kind, 'n');
	assert_string_equal(m->val, "200");
	m = lgs_member(fl, n, "bytes");
	assert_int_equal(m->kind, 'n');
	assert_int_equal(strtoull(m->val, NULL, 10), r1.body_len);
	assert_int_equal(lgs_member(fl, n, "referer")->kind, '0');
	m = lgs_member(fl, n, "user_agent");
	assert_int_equal(m->kind, 's');
	assert_int_equal(m->len, sizeof(ua) - 1);
	assert_memory_equal(m->val, ua, sizeof(ua) - 1);
	m = lgs_member(fl, n, "request_time");
	assert_int_equal(m->kind, 'n');
	(void)lgs_seconds(m->val, "request_time");
	m = lgs_member(fl, n, "handoff_time");
	assert_int_equal(m->kind, 'n');
	(void)lgs_seconds(m->val, "handoff_time");

	if ((n = lgs_json(l[1], fl, LGS_MAX_FIELDS)) != 9)
		fail_msg("not a JSON object of 9 members: \"%s\"", l[1]);
	assert_string_equal(lgs_member(fl, n, "status")->val, "404");
	assert_int_equal(lgs_member(fl, n, "user_agent")->kind, '0');
	assert_int_equal(lgs_member(fl, n, "request_time")->kind, 'n');
	if (lgs_member(fl, n, "handoff_time")->kind != '0')
		fail_msg("the second request of a connection has a hand-off "
		    "time: \"%s\"", l[1]);
	harness_response_free(&r1);
	harness_response_free(&r2);
	free(log);
}

/*
 * The request time runs until the answer is ready: a /sleep request
 * (--sleep-route 0.3) logs at least 0.3 s, a plain one on the same
 * connection afterwards far less (its time starts with its own bytes,
 * not at the previous answer or the connection's accept).
 */
static void
test_logs_request_time_covers_sleep(void **state)
{
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct harness_client	 c;
	struct harness_response	 r;
	struct lfield		 fl[LGS_MAX_FIELDS];
	char			 path[PATH_MAX], *log, *l[4];
	double			 slept, plain;

	lgs_path(f, "access.log", path, sizeof(path));
	lgs_start(&srv, "--access-log", path, "--sleep-route", LGS_SLEEP,
	    NULL);
	assert_int_equal(harness_client_connect(&c, srv.port, 0), 0);
	lgs_exchange(&c, "GET /sleep HTTP/1.1\r\nHost: a\r\n\r\n", 200, &r);
	harness_response_free(&r);
	lgs_exchange(&c, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n", 200, &r);
	harness_response_free(&r);
	harness_client_close(&c);
	lgs_stop(&srv);

	log = lgs_read(path);
	assert_int_equal(lgs_lines(log, l, 4), 2);
	assert_int_equal(lgs_clf(l[0], fl, LGS_MAX_FIELDS), 11);
	assert_string_equal(fl[4].val, "GET /sleep HTTP/1.1");
	slept = lgs_seconds(fl[9].val, "request time");
	assert_int_equal(lgs_clf(l[1], fl, LGS_MAX_FIELDS), 11);
	plain = lgs_seconds(fl[9].val, "request time");
	print_message("/sleep %s s: %.6f s; then GET /: %.6f s\n", LGS_SLEEP,
	    slept, plain);
	if (slept < LGS_SLEEP_S || slept > LGS_SLEEP_MAX_S)
		fail_msg("/sleep with --sleep-route %s logged %.6f s, want "
		    "%.1f to %.1f", LGS_SLEEP, slept, LGS_SLEEP_S,
		    LGS_SLEEP_MAX_S);
	if (plain >= LGS_SLEEP_S)
		fail_msg("GET / after /sleep logged %.6f s: its time did not "
		    "start with its own bytes", plain);
	free(log);
}

/*
 * --error-log FILE: lines "YYYY-MM-DDTHH:MM:SS.mmmZ [level] message" of
 * the levels asked for, none on standard error.  --log-level warn keeps
 * info out; -v on top of it lets info in but not debug; debug lets debug
 * in.
 */
static void
test_logs_error_file_levels(void **state)
{
	static const char *const levels[][3] = {
		/* --log-level, -v or NULL, ... */
		{ "warn", NULL },
		{ "warn", "-v" },
		{ "debug", NULL },
	};
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct tm		 tm;
	char			 path[PATH_MAX], name[32], *log, *l[64], *out;
	const char		*p;
	size_t			 i, k, n;
	bool			 info, debug, listening;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		snprintf(name, sizeof(name), "error%zu.log", i);
		lgs_path(f, name, path, sizeof(path));
		lgs_start(&srv, "--error-log", path, "--log-level",
		    levels[i][0], levels[i][1], NULL);
		lgs_stop_keep(&srv, &out);
		log = lgs_read(path);
		listening = strstr(log, "] listening on 127.0.0.1:") != NULL &&
		    strstr(log, "] counters: ") != NULL;
		n = lgs_lines(log, l, 64);
		info = debug = false;
		for (k = 0; k < n; k++) {
			memset(&tm, 0, sizeof(tm));
			p = strptime(l[k], "%Y-%m-%dT%H:%M:%S", &tm);
			if (p == NULL || strspn(p, ".0123456789") != 4 ||
			    strncmp(p + 4, "Z [", 3) != 0)
				fail_msg("%s: line \"%s\" does not start with "
				    "an ISO 8601 UTC time", name, l[k]);
			p += 7;
			if (strncmp(p, "info] ", 6) == 0)
				info = true;
			else if (strncmp(p, "debug] ", 7) == 0)
				debug = true;
			else if (strncmp(p, "warn] ", 6) != 0)
				fail_msg("%s: line \"%s\": unknown level",
				    name, l[k]);
		}
		print_message("--log-level %s %s: %zu lines, info %d, debug "
		    "%d\n", levels[i][0], levels[i][1] != NULL ?
		    levels[i][1] : "", n, info, debug);
		if (info != (i > 0) || debug != (i == 2))
			fail_msg("--log-level %s %s: info lines %s, debug "
			    "lines %s", levels[i][0], levels[i][1] != NULL ?
			    levels[i][1] : "", info ? "present" : "absent",
			    debug ? "present" : "absent");
		if (i > 0 && !listening)
			fail_msg("%s: no listening or counters line", name);
		if (strstr(out, "listening on") != NULL ||
		    strstr(out, "counters:") != NULL)
			fail_msg("with --error-log, standard error still got "
			    "the log: %s", out);
		free(out);
		free(log);
	}
}

/*
 * SIGUSR1 reopens the error-log file by name, as logrotate expects: the
 * moved file keeps the earlier lines, a new file of the old name gets
 * the later ones.
 */
static void
test_logs_usr1_reopens_error_log(void **state)
{
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct stat		 sb;
	char			 path[PATH_MAX], moved[PATH_MAX], *log;

	lgs_path(f, "error.log", path, sizeof(path));
	lgs_path(f, "error.log.1", moved, sizeof(moved));
	lgs_start(&srv, "--error-log", path, NULL);
	lgs_wait_file(f->dir, path, "] listening on ");
	assert_int_equal(stat(path, &sb), 0);
	if ((sb.st_mode & 0777) & ~0640)
		fail_msg("error log created with mode %#o, want 0640 or less",
		    (unsigned)(sb.st_mode & 0777));
	assert_int_equal(rename(path, moved), 0);
	assert_int_equal(harness_server_signal(&srv, SIGUSR1), 0);
	lgs_wait_file(f->dir, path, "[info] SIGUSR1: logs reopened");
	lgs_stop(&srv);

	log = lgs_read(moved);
	assert_non_null(strstr(log, "] listening on "));
	assert_null(strstr(log, "logs reopened"));
	assert_null(strstr(log, "] counters: "));
	free(log);
	log = lgs_read(path);
	assert_null(strstr(log, "] listening on "));
	assert_non_null(strstr(log, "] counters: "));
	free(log);
}

/*
 * syslog:PATH for both logs: a datagram receiver the test binds gets the
 * error lines at daemon.info (<30>) and the access line at local7.info
 * (<190>), each "<PRI>Mmm dd hh:mm:ss sluice[PID]: message" without a
 * newline, PID the server's.  A warning (SIGUSR1 cannot reopen a moved
 * away access-log directory) comes at daemon.warning (<28>).
 */
static void
test_logs_syslog_path(void **state)
{
	struct lfx		*f = *state;
	struct harness_server	 srv;
	struct harness_response	 r;
	char			 sock[PATH_MAX], dest[PATH_MAX + 8];
	char			 sub[PATH_MAX], alog[PATH_MAX], gone[PATH_MAX];
	char			*all;
	pid_t			 pid;
	int			 fd, st;

	lgs_path(f, "log.sock", sock, sizeof(sock));
	snprintf(dest, sizeof(dest), "syslog:%s", sock);
	fd = lgs_bind_dgram(sock);
	assert_non_null(all = calloc(1, 65536));

	lgs_start(&srv, "--error-log", dest, "--access-log", dest, NULL);
	pid = srv.pid;
	assert_int_equal(harness_get(srv.port, "/hello.html", &r), 0);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	if (!lgs_recv_until(fd, "\"GET /hello.html HTTP/1.1\" 200 ", all,
	    65536, LGS_TIMEOUT_MS))
		fail_msg("no access line on the syslog socket; got:\n%s", all);
	assert_int_equal(harness_server_signal(&srv, SIGTERM), 0);
	if (!lgs_recv_until(fd, "] counters: ", all, 65536, LGS_TIMEOUT_MS))
		fail_msg("no counters line on the syslog socket; got:\n%s",
		    all);
	/* Stopping already: a second SIGTERM could find it past its loop. */
	assert_int_equal(harness_server_wait(&srv, LGS_TIMEOUT_MS, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
	print_message("%s", all);
	lgs_check_syslog(all, LGS_PRI_INFO, pid, "[info] listening on "
	    "127.0.0.1:");
	lgs_check_syslog(all, LGS_PRI_ACCESS, pid, "127.0.0.1 - - [");
	lgs_check_syslog(all, LGS_PRI_INFO, pid, "[info] counters: ");
	if (strstr(all, "\"GET /hello.html HTTP/1.1\" 200 ") < strstr(all,
	    "127.0.0.1 - - ["))
		fail_msg("the access line is not the one with the request");

	/* A warning: the access log's directory moved away, then USR1. */
	all[0] = '\0';
	lgs_path(f, "sub", sub, sizeof(sub));
	lgs_path(f, "sub/access.log", alog, sizeof(alog));
	lgs_path(f, "gone", gone, sizeof(gone));
	assert_int_equal(mkdir(sub, 0755), 0);
	lgs_start(&srv, "--error-log", dest, "--access-log", alog, NULL);
	pid = srv.pid;
	if (!lgs_recv_until(fd, "] listening on ", all, 65536,
	    LGS_TIMEOUT_MS))
		fail_msg("no listening line on the syslog socket; got:\n%s",
		    all);
	assert_int_equal(rename(sub, gone), 0);
	assert_int_equal(harness_server_signal(&srv, SIGUSR1), 0);
	if (!lgs_recv_until(fd, "cannot reopen the access log", all, 65536,
	    LGS_TIMEOUT_MS))
		fail_msg("no warning on the syslog socket; got:\n%s", all);
	lgs_stop(&srv);
	lgs_check_syslog(all, LGS_PRI_WARNING, pid, "[warn] SIGUSR1: cannot "
	    "reopen the access log");
	close(fd);
	free(all);
}

/*
 * A bad value of each log option is refused at start-up, exit 2, with
 * one line naming the option and the value; from a file with FILE:LINE.
 * A file that cannot be opened stops the start with exit 1, naming
 * --error-log; a start-up failure once the error log is a file is told
 * there and on standard error.
 */
static void
test_logs_bad_values(void **state)
{
	static const char *const bad[][3] = {
		{ "--error-log", "", NULL },
		{ "--error-log", "-", NULL },
		{ "--error-log", "syslog:", NULL },
		{ "--error-log", "syslog:dev/log", NULL },
		/* Longer than a socket address holds (108 bytes). */
		{ "--error-log", "syslog:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", NULL },
		{ "--access-log", "syslog:relative", NULL },
		{ "--access-log", "", NULL },
		/* Not a file called stderr: the access log's stream is -. */
		{ "--access-log", "stderr", NULL },
		{ "--log-format", "apache", NULL },
		{ "--log-format", "JSON", NULL },
		{ "--log-level", "error", NULL },
		{ "--log-level", "", NULL },
	};
	struct lfx		*f = *state;
	struct harness_run	 r;
	const char		*args[10];
	char			 conf[PATH_MAX], missing[PATH_MAX], *log;
	size_t			 i;
	int			 fd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		args[0] = bad[i][0];
		args[1] = bad[i][1];
		args[2] = "-t";
		args[3] = NULL;
		assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r),
		    0);
		if (r.code != LGS_EXIT_USAGE || strstr(r.err, bad[i][0]) ==
		    NULL || strstr(r.err, "invalid value") == NULL ||
		    strchr(r.err, '\n') != r.err + r.err_len - 1)
			fail_msg("%s \"%s\": exit %d, stderr \"%s\"; want 2 "
			    "and one line naming the option", bad[i][0],
			    bad[i][1], r.code, r.err);
		harness_run_free(&r);
	}

	/* The same from a configuration file. */
	lgs_path(f, "bad.conf", conf, sizeof(conf));
	assert_true((fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) != -1);
	assert_int_equal(write(fd, "log-level info\nerror-log syslog:x\n", 34),
	    34);
	close(fd);
	args[0] = "-c";
	args[1] = conf;
	args[2] = "-t";
	args[3] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r), 0);
	if (r.code != LGS_EXIT_USAGE || strstr(r.err, ":2: --error-log: "
	    "invalid value \"syslog:x\"") == NULL)
		fail_msg("bad error-log line in a file: exit %d, \"%s\"",
		    r.code, r.err);
	harness_run_free(&r);

	/* An error-log file in a missing directory: a start-up failure. */
	lgs_path(f, "missing/error.log", missing, sizeof(missing));
	args[0] = "--error-log";
	args[1] = missing;
	args[2] = "--listen";
	args[3] = "127.0.0.1:0";
	args[4] = "--root";
	args[5] = harness_htdocs();
	args[6] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r), 0);
	if (r.code != 1 || strstr(r.err, "--error-log") == NULL ||
	    strstr(r.err, missing) == NULL)
		fail_msg("--error-log %s: exit %d, stderr \"%s\"; want 1 and "
		    "a message naming the option and the file", missing,
		    r.code, r.err);
	harness_run_free(&r);

	/*
	 * A start-up failure once the error log is a file: the reason is
	 * in the file and, for whoever started sluice, on standard error.
	 */
	lgs_path(f, "error.log", conf, sizeof(conf));
	args[0] = "--error-log";
	args[1] = conf;
	args[6] = "--access-log";
	args[7] = missing;
	args[8] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r), 0);
	if (r.code != 1 || strstr(r.err, "[fatal] --access-log: cannot open") ==
	    NULL)
		fail_msg("--access-log %s with --error-log FILE: exit %d, "
		    "stderr \"%s\"; want 1 and the reason", missing, r.code,
		    r.err);
	harness_run_free(&r);
	log = lgs_read(conf);
	if (strstr(log, "[fatal] --access-log: cannot open") == NULL)
		fail_msg("the error-log file lacks the fatal line: %s", log);
	free(log);
}

/*
 * -t checks that an error-log file's directory can be written in, as it
 * does for the access log; stderr and syslog need no check.
 */
static void
test_logs_check_error_log_dir(void **state)
{
	struct lfx		*f = *state;
	struct harness_run	 r;
	const char		*args[6];
	char			 missing[PATH_MAX], dir[PATH_MAX], ok[PATH_MAX];
	const char		*good[] = { "stderr", "syslog",
	    "syslog:/nonexistent/log", ok };
	size_t			 i;

	lgs_path(f, "missing", dir, sizeof(dir));
	lgs_path(f, "missing/error.log", missing, sizeof(missing));
	lgs_path(f, "error.log", ok, sizeof(ok));
	args[0] = "-t";
	args[1] = "--root";
	args[2] = harness_htdocs();
	args[3] = "--error-log";
	args[4] = missing;
	args[5] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r), 0);
	if (r.code != LGS_EXIT_USAGE || strstr(r.err, "--error-log") == NULL ||
	    strstr(r.err, dir) == NULL)
		fail_msg("-t --error-log %s: exit %d, stderr \"%s\"", missing,
		    r.code, r.err);
	harness_run_free(&r);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		args[4] = good[i];
		assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r),
		    0);
		if (r.code != 0 || strstr(r.out, "is valid") == NULL)
			fail_msg("-t --error-log %s: exit %d, stderr \"%s\"",
			    good[i], r.code, r.err);
		harness_run_free(&r);
	}
	/* -t creates nothing. */
	assert_int_equal(access(ok, F_OK), -1);
}

/*
 * -T prints the log settings, defaults included, as a file that -c reads
 * back to the same output.
 */
static void
test_logs_print_config_reads_back(void **state)
{
	struct lfx		*f = *state;
	struct harness_run	 r1, r2, r3;
	const char		*args[16];
	char			 conf[PATH_MAX];
	int			 fd;

	args[0] = "-T";
	args[1] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r1), 0);
	assert_int_equal(r1.code, 0);
	if (strstr(r1.out, "\nerror-log stderr\n") == NULL ||
	    strstr(r1.out, "\nlog-format combined\n") == NULL ||
	    strstr(r1.out, "\nlog-level info\n") == NULL)
		fail_msg("-T does not show the log defaults:\n%s", r1.out);
	harness_run_free(&r1);

	args[1] = "--error-log";
	args[2] = "syslog:/run/x.sock";
	args[3] = "--access-log";
	args[4] = "syslog";
	args[5] = "--log-format";
	args[6] = "json";
	args[7] = "--log-level";
	args[8] = "warn";
	args[9] = "-v";
	args[10] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r1), 0);
	assert_int_equal(r1.code, 0);
	if (strstr(r1.out, "\nerror-log syslog:/run/x.sock\n") == NULL ||
	    strstr(r1.out, "\naccess-log syslog\n") == NULL ||
	    strstr(r1.out, "\nlog-format json\n") == NULL ||
	    strstr(r1.out, "\nlog-level warn\n") == NULL ||
	    strstr(r1.out, "\nverbose 1\n") == NULL)
		fail_msg("-T does not show the log settings:\n%s", r1.out);
	lgs_path(f, "printed.conf", conf, sizeof(conf));
	assert_true((fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) != -1);
	assert_int_equal(write(fd, r1.out, r1.out_len), (ssize_t)r1.out_len);
	close(fd);
	args[1] = "-c";
	args[2] = conf;
	args[3] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r2), 0);
	assert_int_equal(r2.code, 0);
	if (strcmp(r1.out, r2.out) != 0)
		fail_msg("-T read back differs:\n%s\nvs\n%s", r1.out, r2.out);
	/* And it is a valid configuration. */
	args[0] = "-t";
	args[3] = "--root";
	args[4] = harness_htdocs();
	args[5] = NULL;
	assert_int_equal(harness_run(args, NULL, LGS_TIMEOUT_MS, &r3), 0);
	if (r3.code != 0)
		fail_msg("-t -c of -T's output: exit %d, %s", r3.code, r3.err);
	harness_run_free(&r1);
	harness_run_free(&r2);
	harness_run_free(&r3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, lfx_setup, lfx_teardown)
		T(test_logs_combined_keepalive),
		T(test_logs_common),
		T(test_logs_json),
		T(test_logs_request_time_covers_sleep),
		T(test_logs_error_file_levels),
		T(test_logs_usr1_reopens_error_log),
		T(test_logs_syslog_path),
		T(test_logs_bad_values),
		T(test_logs_check_error_log_dir),
		T(test_logs_print_config_reads_back),
#undef T
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
