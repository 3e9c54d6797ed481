/* sluice: integration tests of --proxy-protocol. */

/*
 * With --proxy-protocol every connection must start with a PROXY protocol
 * header (v1 text or v2 binary, HAProxy's proxy-protocol.txt), whose
 * source address then stands for the client in the access log. These
 * tests play the balancer over real sockets against the real binary:
 * each kind of header, a header split byte by byte, a header with
 * pipelined requests behind it in one write, a connection without a
 * header or with a broken one (closed with no HTTP answer, counted and
 * logged), a header that never completes (closed silently at the header
 * deadline), and the same PROXY line to a server without the option (a
 * bad request line: 400). Each test starts its own server on
 * tests/htdocs with an access log in a temporary directory, and reads the
 * log once the server has stopped.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Per-exchange timeout. */
#define PX_TIMEOUT_MS		5000
/* --header-timeout of the servers, and the window a cut must fall in. */
#define PX_HEADER_S		"1"
#define PX_HEADER_MIN_MS	800
#define PX_HEADER_MAX_MS	3000
/* Pacing of a header trickled one byte per segment. */
#define PX_TRICKLE_MS		2
/* A request that closes, and one that keeps the connection. */
#define PX_GET_CLOSE		"GET / HTTP/1.1\r\nHost: h\r\n" \
				"Connection: close\r\n\r\n"
#define PX_GET			"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
#define PX_GET_404		"GET /no-such-file HTTP/1.1\r\nHost: h\r\n\r\n"

/* A string literal and its length, NUL bytes inside included. */
#define S(x)			(x), (sizeof(x) - 1)
#define V2SIG			"\r\n\r\n\0\r\nQUIT\n"

/* One server under test, its access log and the body of "/". */
struct px {
	struct harness_server	 srv;
	char			 logdir[256];
	char			 log_path[300];
	char			*hello;
	size_t			 hello_len;
};

/* A header and the address the access log must show for it. */
struct px_case {
	const char	*name;
	const char	*hdr;
	size_t		 len;
	const char	*addr;		/* NULL: the socket's own, 127.0.0.1 */
};

static int	 px_setup(void **);
static int	 px_teardown(void **);
static void	 px_start(struct px *, bool);
static char	*px_stop_log(struct px *);
static void	 px_assert_log_peers(const char *, const char *, size_t);
static void	 px_exchange(struct px *, const char *, size_t, int);
static void	 px_assert_dropped(struct px *, const char *, size_t);
static void	 px_send_paced(int, const char *, size_t);

#define C(name, hdr, addr)	{ name, hdr, sizeof(hdr) - 1, addr }

static const struct px_case px_cases[] = {
	C("v1 TCP4", "PROXY TCP4 192.0.2.1 192.0.2.11 56324 80\r\n",
	    "192.0.2.1"),
	C("v1 TCP6", "PROXY TCP6 2001:db8::7 2001:db8::1 40000 80\r\n",
	    "2001:db8::7"),
	C("v1 UNKNOWN", "PROXY UNKNOWN\r\n", NULL),
	C("v2 PROXY TCP4", V2SIG "\x21\x11\x00\x0c"
	    "\xc6\x33\x64\x09" "\x7f\x00\x00\x01" "\x30\x39" "\x00\x50",
	    "198.51.100.9"),
	C("v2 PROXY TCP6", V2SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x09"
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01" "\x30\x39" "\x00\x50",
	    "2001:db8::9"),
	C("v2 PROXY TCP4 with a TLV", V2SIG "\x21\x11\x00\x18"
	    "\xcb\x00\x71\x05" "\x7f\x00\x00\x01" "\x30\x39" "\x00\x50"
	    "\x02\x00\x09" "localhost",
	    "203.0.113.5"),
	C("v2 LOCAL", V2SIG "\x20\x00\x00\x00", NULL),
};

static const char *const px_bad[] = {
	"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	"PROXY TCP4 192.0.2.1 192.0.2.11 56324\r\n" PX_GET,
	"PROXY TCP4 192.0.2.01 192.0.2.11 56324 80\r\n" PX_GET,
	"PROXY TCP4 192.0.2.1 192.0.2.11 056324 80\r\n" PX_GET,
	"PROXY TCP6 192.0.2.1 192.0.2.11 1 80\r\n" PX_GET,
	"PROXY TCP4 192.0.2.1 192.0.2.11 1 80\n" PX_GET,
	"PROXY HTTP/1.1\r\n" PX_GET,
};

static int
px_setup(void **state)
{
	struct px	*p;
	char		 path[PATH_MAX];

	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	if (harness_bin() == NULL || harness_htdocs() == NULL) {
		fprintf(stderr, "SLUICE_BIN and SLUICE_HTDOCS must be set\n");
		return -1;
	}
	p = calloc(1, sizeof(*p));
	assert_non_null(p);
	snprintf(path, sizeof(path), "%s/hello.html", harness_htdocs());
	assert_int_equal(harness_read_file(path, &p->hello, &p->hello_len),
	    0);
	assert_int_equal(harness_tmpdir_create(p->logdir, sizeof(p->logdir),
	    "pxlog"), 0);
	snprintf(p->log_path, sizeof(p->log_path), "%s/access.log",
	    p->logdir);
	*state = p;
	return 0;
}

static int
px_teardown(void **state)
{
	struct px	*p = *state;

	harness_server_cleanup(&p->srv);
	(void)harness_rmtree(p->logdir);
	free(p->hello);
	free(p);
	harness_watchdog_disarm();
	return 0;
}

/* Start a server on tests/htdocs, with --proxy-protocol if proxy. */
static void
px_start(struct px *p, bool proxy)
{
	const char		*args[] = { "--access-log", p->log_path,
	    "--header-timeout", PX_HEADER_S, "--workers", "2", "--root",
	    harness_htdocs(), proxy ? "--proxy-protocol" : NULL, NULL };
	struct harness_opts	 o;

	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&p->srv, &o), 0);
}

/* Stop the server (it must exit 0) and return its access log. */
static char *
px_stop_log(struct px *p)
{
	char	*log;
	size_t	 len;
	int	 st;

	assert_int_equal(harness_server_stop(&p->srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	assert_int_equal(harness_read_file(p->log_path, &log, &len), 0);
	assert_int_equal(strlen(log), len);
	return log;
}

/* The access log has n lines, each for client addr. */
static void
px_assert_log_peers(const char *log, const char *addr, size_t n)
{
	const char	*p = log, *nl;
	size_t		 i, alen = strlen(addr);

	for (i = 0; i < n; i++) {
		if ((nl = strchr(p, '\n')) == NULL)
			fail_msg("access log has %zu lines, want %zu:\n%s", i,
			    n, log);
		if (strncmp(p, addr, alen) != 0 || p[alen] != ' ')
			fail_msg("access log line %zu is not from %s:\n%s",
			    i + 1, addr, log);
		p = nl + 1;
	}
	if (*p != '\0')
		fail_msg("access log has more than %zu lines:\n%s", n, log);
}

/*
 * Send hdr (and a closing GET of "/" after it) and read the answer:
 * 200 with hello.html. paced: one byte per segment, header and request.
 */
static void
px_exchange(struct px *p, const char *hdr, size_t len, int paced)
{
	struct harness_client	 c;
	struct harness_response	 r;
	char			*buf;
	size_t			 n = len + sizeof(PX_GET_CLOSE) - 1;

	buf = malloc(n);
	assert_non_null(buf);
	memcpy(buf, hdr, len);
	memcpy(buf + len, PX_GET_CLOSE, sizeof(PX_GET_CLOSE) - 1);
	assert_int_equal(harness_client_connect(&c, p->srv.port, 0), 0);
	if (paced)
		px_send_paced(c.fd, buf, n);
	else
		assert_int_equal(harness_client_send(&c, buf, n,
		    PX_TIMEOUT_MS), 0);
	free(buf);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    PX_TIMEOUT_MS), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, p->hello_len);
	assert_memory_equal(r.body, p->hello, p->hello_len);
	harness_response_free(&r);
	harness_client_close(&c);
}

/*
 * Send bytes that are not a valid PROXY header: the server closes the
 * connection without a byte of answer, well before the header deadline.
 */
static void
px_assert_dropped(struct px *p, const char *bytes, size_t len)
{
	struct harness_client	 c;
	int64_t			 t0;

	assert_int_equal(harness_client_connect(&c, p->srv.port, 0), 0);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_send(&c, bytes, len, PX_TIMEOUT_MS),
	    0);
	assert_int_equal(harness_client_wait_closed(&c, PX_TIMEOUT_MS), 1);
	if (c.len != 0)
		fail_msg("answered %zu bytes to a bad header: %.*s", c.len,
		    (int)c.len, c.buf);
	if (harness_now_ms() - t0 >= PX_HEADER_MIN_MS)
		fail_msg("a bad header was dropped only after %lld ms",
		    (long long)(harness_now_ms() - t0));
	harness_client_close(&c);
}

/* Send one byte per segment (TCP_NODELAY), a few ms apart. */
static void
px_send_paced(int fd, const char *buf, size_t len)
{
	size_t	 i;
	int	 one = 1;

	assert_int_equal(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
	    sizeof(one)), 0);
	for (i = 0; i < len; i++) {
		assert_int_equal(harness_send_all(fd, buf + i, 1,
		    PX_TIMEOUT_MS), 0);
		(void)poll(NULL, 0, PX_TRICKLE_MS);
	}
}

/*
 * Each kind of header is accepted, the request behind it answered, and
 * the access log names the header's source address (or, for v1 UNKNOWN
 * and v2 LOCAL, the connection's own peer).
 */
static void
test_proxy_headers_logged(void **state)
{
	struct px	*p = *state;
	char		*log;
	size_t		 i;

	for (i = 0; i < sizeof(px_cases) / sizeof(px_cases[0]); i++) {
		/* The first time there is no log yet. */
		assert_true(truncate(p->log_path, 0) == 0 || errno == ENOENT);
		px_start(p, true);
		px_exchange(p, px_cases[i].hdr, px_cases[i].len, 0);
		log = px_stop_log(p);
		px_assert_log_peers(log, px_cases[i].addr != NULL ?
		    px_cases[i].addr : "127.0.0.1", 1);
		free(log);
		harness_server_cleanup(&p->srv);
	}
}

/* A header (v1, then v2) and its request split one byte per segment. */
static void
test_proxy_header_trickled(void **state)
{
	struct px	*p = *state;
	char		*log;

	px_start(p, true);
	px_exchange(p, S("PROXY TCP4 192.0.2.1 192.0.2.11 56324 80\r\n"), 1);
	px_exchange(p, S(V2SIG "\x21\x11\x00\x0c"
	    "\xc6\x33\x64\x09" "\x7f\x00\x00\x01" "\x30\x39" "\x00\x50"), 1);
	log = px_stop_log(p);
	assert_non_null(strstr(log, "192.0.2.1 - - ["));
	assert_non_null(strstr(log, "\n198.51.100.9 - - ["));
	free(log);
}

/*
 * The header and three pipelined requests in one write: all three are
 * answered in order, and logged for the header's address.
 */
static void
test_proxy_header_pipelined(void **state)
{
	static const char	 batch[] =
	    "PROXY TCP6 2001:db8::7 2001:db8::1 40000 80\r\n"
	    PX_GET PX_GET_404 PX_GET_CLOSE;
	static const int	 want[] = { 200, 404, 200 };
	struct px		*p = *state;
	struct harness_client	 c;
	struct harness_response	 r;
	char			*log;
	size_t			 i;

	px_start(p, true);
	assert_int_equal(harness_client_connect(&c, p->srv.port, 0), 0);
	assert_int_equal(harness_client_send(&c, S(batch), PX_TIMEOUT_MS), 0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(harness_client_read_response(&c, &r, 0,
		    PX_TIMEOUT_MS), 0);
		assert_int_equal(r.status, want[i]);
		if (want[i] == 200)
			assert_memory_equal(r.body, p->hello, p->hello_len);
		harness_response_free(&r);
	}
	assert_int_equal(harness_client_wait_closed(&c, PX_TIMEOUT_MS), 1);
	assert_int_equal(c.len, 0);
	harness_client_close(&c);
	log = px_stop_log(p);
	px_assert_log_peers(log, "2001:db8::7", 3);
	free(log);
}

/*
 * No header (a plain request) or a broken one: closed with no answer,
 * nothing in the access log, each counted and logged with the peer.
 */
static void
test_proxy_bad_header_dropped(void **state)
{
	struct px	*p = *state;
	char		*log;
	long long	 v;
	size_t		 i, n = sizeof(px_bad) / sizeof(px_bad[0]);

	px_start(p, true);
	for (i = 0; i < n; i++)
		px_assert_dropped(p, px_bad[i], strlen(px_bad[i]));
	/* A good header still works on the same server. */
	px_exchange(p, S("PROXY TCP4 192.0.2.1 192.0.2.11 56324 80\r\n"), 0);
	log = px_stop_log(p);
	px_assert_log_peers(log, "192.0.2.1", 1);
	free(log);
	assert_int_equal(harness_log_counter(&p->srv, "proxy_errors", &v), 0);
	assert_int_equal(v, (long long)n);
	assert_true(harness_log_contains(&p->srv,
	    "127.0.0.1: broken PROXY protocol header (no PROXY protocol "
	    "header), closing"));
}

/*
 * A connection that sends nothing, or only part of a header, is closed
 * at the header deadline (1 s) without an answer: no 408, since no HTTP
 * was spoken.
 */
static void
test_proxy_header_timeout(void **state)
{
	static const char	*partial[] = { "", "PROXY TCP4 192.0",
	    V2SIG "\x21\x11\x00\x0c" "\xc6\x33" };
	static const size_t	 plen[] = { 0, 16, 18 };
	struct px		*p = *state;
	struct harness_client	 c;
	int64_t			 t0, dt;
	size_t			 i;

	px_start(p, true);
	for (i = 0; i < 3; i++) {
		assert_int_equal(harness_client_connect(&c, p->srv.port, 0),
		    0);
		t0 = harness_now_ms();
		if (plen[i] > 0)
			assert_int_equal(harness_client_send(&c, partial[i],
			    plen[i], PX_TIMEOUT_MS), 0);
		assert_int_equal(harness_client_wait_closed(&c,
		    PX_TIMEOUT_MS), 1);
		dt = harness_now_ms() - t0;
		if (dt < PX_HEADER_MIN_MS || dt > PX_HEADER_MAX_MS)
			fail_msg("case %zu: closed after %lld ms, want "
			    "%d..%d", i, (long long)dt, PX_HEADER_MIN_MS,
			    PX_HEADER_MAX_MS);
		if (c.len != 0)
			fail_msg("case %zu: answered %.*s", i, (int)c.len,
			    c.buf);
		harness_client_close(&c);
	}
	free(px_stop_log(p));
}

/* Without --proxy-protocol a PROXY line is a bad request line: 400. */
static void
test_proxy_off_is_bad_request(void **state)
{
	struct px		*p = *state;
	struct harness_response	 r;
	char			*log;

	px_start(p, false);
	assert_int_equal(harness_request(p->srv.port,
	    S("PROXY TCP4 192.0.2.1 192.0.2.11 56324 80\r\n" PX_GET_CLOSE), 0,
	    PX_TIMEOUT_MS, &r), 0);
	assert_int_equal(r.status, 400);
	harness_response_free(&r);
	log = px_stop_log(p);
	px_assert_log_peers(log, "127.0.0.1", 1);
	free(log);
}

/* The option is a flag on the command line, "proxy-protocol" in a file. */
static void
test_proxy_option(void **state)
{
	struct px		*p = *state;
	struct harness_run	 r;
	char			 conf[300];
	const char		*cmd[] = { "--proxy-protocol", "-T", NULL };
	const char		*file[] = { "-c", conf, "-T", NULL };
	const char		*off[] = { "-T", NULL };

	assert_int_equal(harness_run(cmd, NULL, PX_TIMEOUT_MS, &r), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "\nproxy-protocol on\n"));
	harness_run_free(&r);

	assert_int_equal(harness_run(off, NULL, PX_TIMEOUT_MS, &r), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "\nproxy-protocol off\n"));
	harness_run_free(&r);

	snprintf(conf, sizeof(conf), "%s/sluice.conf", p->logdir);
	assert_int_equal(harness_write_file(p->logdir, "sluice.conf",
	    S("proxy-protocol\n"), 0644), 0);
	assert_int_equal(harness_run(file, NULL, PX_TIMEOUT_MS, &r), 0);
	assert_int_equal(r.code, 0);
	assert_non_null(strstr(r.out, "\nproxy-protocol on\n"));
	harness_run_free(&r);

	assert_int_equal(harness_write_file(p->logdir, "sluice.conf",
	    S("proxy-protocol maybe\n"), 0644), 0);
	assert_int_equal(harness_run(file, NULL, PX_TIMEOUT_MS, &r), 0);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, "proxy-protocol"));
	harness_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f)	cmocka_unit_test_setup_teardown(f, px_setup, px_teardown)
		T(test_proxy_headers_logged),
		T(test_proxy_header_trickled),
		T(test_proxy_header_pipelined),
		T(test_proxy_bad_header_dropped),
		T(test_proxy_header_timeout),
		T(test_proxy_off_is_bad_request),
		T(test_proxy_option),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
