/* sluice - ISC licence, see COPYING. */

/*
 * Integration tests of concurrency, the reason sluice exists: sleeping
 * requests do not block their worker's loop, the connection past
 * --max-connections waits in the backlog until a slot frees, a thousand idle
 * keep-alive connections cost nothing, and slow clients (trickled heads,
 * stalled readers) are cut on their deadlines while other clients are still
 * served in well under 300 ms.
 *
 * Each test starts its own server on 127.0.0.1 port 0 with second-scale
 * options and a temporary docroot under /tmp.  Waiting is poll() with a
 * deadline; the traffic generators that pace bytes (the trickle) and the
 * samplers (of /proc/net/tcp) use poll() timeouts as their clock.  Every
 * loop is bounded in count and in time, and the watchdog bounds each test.
 */

#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* The body of GET / in every temporary docroot. */
#define HELLO_BODY	"<!DOCTYPE html>\n<title>load</title>\n" \
			"<p>hello from test_load</p>\n"
#define NOTFOUND_BODY	"<!DOCTYPE html>\n<p>not found</p>\n"
/* A keep-alive GET /. */
#define REQ_GET_KA	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define REQ_SLEEP_KA	"GET /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
#define REQ_SLEEP_CLOSE	"GET /sleep HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
			"Connection: close\r\n\r\n"
#define REQ_GET_CLOSE	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" \
			"Connection: close\r\n\r\n"
/* A trickled head: this prefix, then 'a' for ever. */
#define TRICKLE_PREFIX	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: "
/* Latency bound of a GET / while the server is loaded. */
#define FAST_MS		300
/* Watchdog per test, seconds. */
#define TEST_WATCHDOG_S	30

struct fx {
	struct harness_server	 srv;
	char			 root[256];
	bool			 have_root;
};

/* Latencies of the probing GET / requests of one test. */
struct probes {
	int		 n;
	int		 bad;		/* not 200 with the hello body */
	int		 bad_status;	/* status of the first bad one */
	int64_t		 max_ms;
	int64_t		 sum_ms;
};

static int
fx_setup(void **state)
{
	struct fx	*fx;

	harness_watchdog_arm(TEST_WATCHDOG_S);
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return (-1);
	if (harness_tmpdir_create(fx->root, sizeof(fx->root), "load") == -1)
		goto fail;
	fx->have_root = true;
	if (harness_write_file(fx->root, "hello.html", HELLO_BODY,
	    strlen(HELLO_BODY), 0644) == -1)
		goto fail;
	if (harness_write_file(fx->root, "404.html", NOTFOUND_BODY,
	    strlen(NOTFOUND_BODY), 0644) == -1)
		goto fail;
	*state = fx;
	return (0);
 fail:
	if (fx->have_root)
		(void)harness_rmtree(fx->root);
	free(fx);
	return (-1);
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	if (fx != NULL) {
		harness_server_cleanup(&fx->srv);
		if (fx->have_root)
			(void)harness_rmtree(fx->root);
		free(fx);
	}
	harness_watchdog_disarm();
	return (0);
}

/* Start the server on fx->root with the NULL-terminated extra arguments. */
static void
fx_start(struct fx *fx, const char *const *extra)
{
	struct harness_opts	 o;
	const char		*argv[HARNESS_MAX_ARGS];
	size_t			 n = 0, i;

	argv[n++] = "--root";
	argv[n++] = fx->root;
	for (i = 0; extra != NULL && extra[i] != NULL; i++) {
		assert_true(n < HARNESS_MAX_ARGS - 1);
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.args = argv;
	if (harness_server_start(&fx->srv, &o) == -1) {
		fail_msg("server did not start: %s (exit code %d)",
		    strerror(errno), fx->srv.reaped ?
		    harness_exit_code(fx->srv.wstatus) : -1);
	}
	assert_true(fx->srv.port > 0);
}

/* SIGTERM the server and assert that it exits 0 by itself. */
static void
fx_stop_ok(struct fx *fx)
{
	int	st = 0, r;

	r = harness_server_stop(&fx->srv, &st);
	if (r != 0)
		fail_msg("server needed SIGKILL after SIGTERM (%s)",
		    strerror(errno));
	if (harness_exit_code(st) != 0)
		fail_msg("server exit code %d, want 0",
		    harness_exit_code(st));
}

/* Assert that counter name in the exit log is at least min. */
static void
assert_counter_min(struct fx *fx, const char *name, long long min)
{
	long long	v = -1;

	if (harness_log_counter(&fx->srv, name, &v) == -1)
		fail_msg("no counter %s in the log (%s)", name,
		    strerror(errno));
	print_message("counter %s=%lld\n", name, v);
	if (v < min)
		fail_msg("counter %s=%lld, want >= %lld", name, v, min);
}

/*
 * GET / on a fresh connection within timeout_ms; returns the status (-2 if
 * the body is not the hello page, -1 with errno on failure) and the latency
 * in *lat.
 */
static int
probe_get(int port, int timeout_ms, int64_t *lat)
{
	struct harness_response	 r;
	int64_t			 t0;
	int			 st = -1, saved;

	t0 = harness_now_ms();
	if (harness_request(port, REQ_GET_CLOSE, strlen(REQ_GET_CLOSE), 0,
	    timeout_ms, &r) == 0)
		st = r.status;
	saved = errno;
	*lat = harness_now_ms() - t0;
	if (st == 200 && (r.body_len != strlen(HELLO_BODY) ||
	    memcmp(r.body, HELLO_BODY, r.body_len) != 0))
		st = -2;
	harness_response_free(&r);
	errno = saved;
	return (st);
}

/* Probe once and record the result in p. */
static void
probes_add(struct probes *p, int port)
{
	int64_t	lat;
	int	st;

	st = probe_get(port, 1000, &lat);
	if (st != 200) {
		if (p->bad == 0)
			p->bad_status = st;
		p->bad++;
	}
	p->n++;
	p->sum_ms += lat;
	if (lat > p->max_ms)
		p->max_ms = lat;
}

/* Assert that at least min probes were made, all fast and all 200. */
static void
probes_check(const struct probes *p, int min, const char *what)
{
	print_message("%s: %d probes GET /, max %lld ms, mean %lld ms\n",
	    what, p->n, (long long)p->max_ms,
	    (long long)(p->n > 0 ? p->sum_ms / p->n : 0));
	if (p->n < min)
		fail_msg("%s: only %d probes GET /, want >= %d", what, p->n,
		    min);
	if (p->bad != 0)
		fail_msg("%s: %d of %d probes GET / failed (first: status "
		    "%d)", what, p->bad, p->n, p->bad_status);
	if (p->max_ms >= FAST_MS)
		fail_msg("%s: slowest probe GET / took %lld ms, want < %d ms",
		    what, (long long)p->max_ms, FAST_MS);
}

/*
 * Wait until deadline while none of the n descriptors becomes readable
 * (data, EOF, reset).  Returns how many did, 0 if all stayed silent.
 */
static int
poll_quiet(const int *fds, size_t n, int64_t deadline)
{
	struct pollfd	*pfd;
	size_t		 i;
	int		 r, loops;

	if ((pfd = calloc(n == 0 ? 1 : n, sizeof(*pfd))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		pfd[i].fd = fds[i];
		pfd[i].events = POLLIN;
	}
	r = 0;
	for (loops = 0; loops < 1000; loops++) {
		r = poll(pfd, n, harness_remaining_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		break;
	}
	free(pfd);
	return (r);
}

/*
 * --- sleeping requests do not block the loop -----------------------------
 */

#define SLEEPERS	8

static void
test_sleep_concurrent_eight(void **state)
{
	static const char *const	 args[] = { "--workers", "1",
	    "--sleep-route", "2", NULL };
	struct fx			*fx = *state;
	struct harness_client		 c[SLEEPERS];
	struct harness_response		 r;
	int				 fds[SLEEPERS], i, st;
	int64_t				 t0, t, tmin = INT64_MAX, tmax = 0, lat;

	fx_start(fx, args);
	t0 = harness_now_ms();
	for (i = 0; i < SLEEPERS; i++) {
		if (harness_client_connect(&c[i], fx->srv.port, 0) == -1)
			fail_msg("connect %d: %s", i, strerror(errno));
		assert_int_equal(harness_client_send_str(&c[i],
		    REQ_SLEEP_KA, 1000), 0);
		fds[i] = c[i].fd;
	}
	if (poll_quiet(fds, SLEEPERS, t0 + 500) != 0)
		fail_msg("a /sleep connection got bytes or a close within "
		    "500 ms (--sleep-route 2)");

	/* The worker's loop is free while its 8 connections sleep. */
	st = probe_get(fx->srv.port, 2000, &lat);
	print_message("GET / at %lld ms, during 8 /sleep: %d in %lld ms\n",
	    (long long)(harness_now_ms() - t0), st, (long long)lat);
	if (st != 200)
		fail_msg("GET / during 8 /sleep on 1 worker: status %d (%s)",
		    st, strerror(errno));
	if (lat >= FAST_MS)
		fail_msg("GET / during 8 /sleep on 1 worker took %lld ms, "
		    "want < %d ms", (long long)lat, FAST_MS);

	for (i = 0; i < SLEEPERS; i++) {
		if (harness_client_read_response(&c[i], &r, 0,
		    harness_remaining_ms(t0 + 5000)) == -1)
			fail_msg("/sleep %d: no response after %lld ms: %s",
			    i, (long long)(harness_now_ms() - t0),
			    strerror(errno));
		t = harness_now_ms() - t0;
		if (r.status != 200 || r.body_len != strlen(HELLO_BODY))
			fail_msg("/sleep %d: status %d with %zu body bytes, "
			    "want 200 with %zu", i, r.status, r.body_len,
			    strlen(HELLO_BODY));
		harness_response_free(&r);
		if (t < tmin)
			tmin = t;
		if (t > tmax)
			tmax = t;
		harness_client_close(&c[i]);
	}
	print_message("8 x /sleep 2 s on 1 worker: first done at %lld ms, "
	    "last at %lld ms\n", (long long)tmin, (long long)tmax);
	if (tmin < 1800)
		fail_msg("a /sleep (2 s) was answered after %lld ms",
		    (long long)tmin);
	if (tmax >= 3500)
		fail_msg("8 concurrent /sleep (2 s) on 1 worker took %lld ms, "
		    "want < 3500 ms", (long long)tmax);
	fx_stop_ok(fx);
}

/*
 * --- the connection cap holds the rest in the backlog --------------------
 */

static void
test_cap_backlog_third_waits(void **state)
{
	static const char *const	 args[] = { "--workers", "1",
	    "--max-connections", "2", "--sleep-route", "2", NULL };
	struct fx			*fx = *state;
	struct harness_client		 a, b, c;
	struct harness_response		 r;
	int64_t				 t0, ta, tb, tc;
	int				 fd;

	fx_start(fx, args);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_connect(&a, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&a, REQ_SLEEP_CLOSE, 1000),
	    0);
	assert_int_equal(harness_client_connect(&b, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&b, REQ_SLEEP_CLOSE, 1000),
	    0);
	/* The handshake completes in the kernel's backlog. */
	if (harness_client_connect(&c, fx->srv.port, 0) == -1)
		fail_msg("third connect at the cap failed: %s (it should "
		    "wait in the backlog)", strerror(errno));
	assert_int_equal(harness_client_send_str(&c, REQ_GET_CLOSE, 1000), 0);

	fd = c.fd;
	if (poll_quiet(&fd, 1, t0 + 1500) != 0)
		fail_msg("third connection got bytes or a close after %lld "
		    "ms, while two /sleep held --max-connections 2",
		    (long long)(harness_now_ms() - t0));

	if (harness_client_read_response(&a, &r, 0,
	    harness_remaining_ms(t0 + 4000)) == -1)
		fail_msg("first /sleep: %s", strerror(errno));
	ta = harness_now_ms() - t0;
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	if (harness_client_read_response(&c, &r, 0,
	    harness_remaining_ms(t0 + 5000)) == -1)
		fail_msg("third connection: no response %lld ms after the "
		    "start: %s", (long long)(harness_now_ms() - t0),
		    strerror(errno));
	tc = harness_now_ms() - t0;
	if (r.status != 200)
		fail_msg("third connection: status %d, want 200", r.status);
	harness_response_free(&r);
	if (harness_client_read_response(&b, &r, 0,
	    harness_remaining_ms(t0 + 5000)) == -1)
		fail_msg("second /sleep: %s", strerror(errno));
	tb = harness_now_ms() - t0;
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	print_message("cap 2: /sleep done at %lld and %lld ms, the third "
	    "connection's GET / at %lld ms\n", (long long)ta, (long long)tb,
	    (long long)tc);
	if (tc < 1800)
		fail_msg("third connection answered after %lld ms, before a "
		    "/sleep (2 s) freed a slot under --max-connections 2",
		    (long long)tc);
	if (tc >= 3000)
		fail_msg("third connection answered after %lld ms, want < "
		    "3000 ms (one slot frees at ~2000 ms)", (long long)tc);
	harness_client_close(&a);
	harness_client_close(&b);
	harness_client_close(&c);
	fx_stop_ok(fx);
	if (!harness_log_contains(&fx->srv, "accept paused: "))
		fail_msg("no \"accept paused: N connections open\" line in "
		    "the log");
	assert_counter_min(fx, "cap_pauses", 1);
}

/*
 * --- idle keep-alive connections are cheap -------------------------------
 */

#define IDLE_CONNS	1000

static void
test_idle_keepalive_thousand(void **state)
{
	static const char *const	 args[] = { "--keepalive-timeout", "30",
	    NULL };
	struct fx			*fx = *state;
	struct harness_client		*c;
	struct harness_response		 r;
	struct probes			 pr;
	int				*fds;
	int64_t				 t0, tready;
	int				 i, n, k;

	fx_start(fx, args);
	c = calloc(IDLE_CONNS, sizeof(*c));
	fds = calloc(IDLE_CONNS, sizeof(*fds));
	assert_non_null(c);
	assert_non_null(fds);
	t0 = harness_now_ms();
	for (i = 0; i < IDLE_CONNS; i++) {
		if (harness_client_connect(&c[i], fx->srv.port, 0) == -1)
			fail_msg("connect %d of %d: %s", i, IDLE_CONNS,
			    strerror(errno));
		if (harness_client_send_str(&c[i], REQ_GET_KA, 1000) == -1)
			fail_msg("send %d of %d: %s", i, IDLE_CONNS,
			    strerror(errno));
		fds[i] = c[i].fd;
	}
	for (i = 0; i < IDLE_CONNS; i++) {
		if (harness_client_read_response(&c[i], &r, 0,
		    harness_remaining_ms(t0 + 10000)) == -1)
			fail_msg("keep-alive connection %d of %d: no response "
			    "after %lld ms: %s", i, IDLE_CONNS,
			    (long long)(harness_now_ms() - t0),
			    strerror(errno));
		if (r.status != 200)
			fail_msg("keep-alive connection %d of %d: status %d",
			    i, IDLE_CONNS, r.status);
		harness_response_free(&r);
	}
	tready = harness_now_ms();
	print_message("%d keep-alive connections served in %lld ms\n",
	    IDLE_CONNS, (long long)(tready - t0));

	memset(&pr, 0, sizeof(pr));
	/* Probe a few times while they idle, checking them in between. */
	for (k = 0; k < 5; k++) {
		n = poll_quiet(fds, IDLE_CONNS, harness_now_ms() + 200);
		if (n != 0)
			fail_msg("%d of %d idle keep-alive connections got "
			    "bytes or a close %lld ms after their response "
			    "(--keepalive-timeout 30)", n, IDLE_CONNS,
			    (long long)(harness_now_ms() - tready));
		probes_add(&pr, fx->srv.port);
	}
	n = poll_quiet(fds, IDLE_CONNS, harness_now_ms() + 200);
	if (n != 0)
		fail_msg("%d of %d idle keep-alive connections closed",
		    n, IDLE_CONNS);
	probes_check(&pr, 5, "1000 idle keep-alive connections");

	/* They are still usable. */
	for (i = 0; i < IDLE_CONNS; i += 111) {
		assert_int_equal(harness_client_send_str(&c[i], REQ_GET_KA,
		    1000), 0);
		if (harness_client_read_response(&c[i], &r, 0, 2000) == -1)
			fail_msg("second GET / on idle connection %d: %s", i,
			    strerror(errno));
		assert_int_equal(r.status, 200);
		harness_response_free(&r);
	}
	for (i = 0; i < IDLE_CONNS; i++)
		harness_client_close(&c[i]);
	free(c);
	free(fds);
	fx_stop_ok(fx);
}

/*
 * --- trickled heads are cut at the header deadline -----------------------
 */

#define TRICKLERS	200

struct trickler {
	int		 fd;
	size_t		 sent;
	int64_t		 t_conn;
	int64_t		 t_cut;		/* first byte, EOF or reset; -1 */
	bool		 ended;		/* EOF or reset seen */
	bool		 got408;
	char		 first[16];
	size_t		 nfirst;
};

static void
trickler_cut(struct trickler *t, int64_t now)
{
	if (t->t_cut < 0)
		t->t_cut = now;
}

static void
test_trickle_header_two_hundred(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "2",
	    NULL };
	static const char		 prefix[] = TRICKLE_PREFIX;
	struct fx			*fx = *state;
	struct trickler			*t;
	struct pollfd			*pfd;
	size_t				*map;
	struct probes			 pr;
	char				 ch, buf[4096];
	int64_t				 tstart, now, next_tick, next_probe;
	int64_t				 dt, dmin = INT64_MAX, dmax = 0, wake;
	ssize_t				 r;
	size_t				 i, np, take;
	int				 loops, open, n, n408 = 0;

	fx_start(fx, args);
	t = calloc(TRICKLERS, sizeof(*t));
	pfd = calloc(TRICKLERS, sizeof(*pfd));
	map = calloc(TRICKLERS, sizeof(*map));
	assert_non_null(t);
	assert_non_null(pfd);
	assert_non_null(map);
	memset(&pr, 0, sizeof(pr));

	tstart = harness_now_ms();
	for (i = 0; i < TRICKLERS; i++) {
		t[i].fd = harness_connect(fx->srv.port, 0);
		if (t[i].fd == -1)
			fail_msg("connect %zu of %d: %s", i, TRICKLERS,
			    strerror(errno));
		t[i].t_conn = harness_now_ms();
		t[i].t_cut = -1;
	}
	next_tick = harness_now_ms();
	next_probe = tstart + 100;
	for (loops = 0; loops < 100000; loops++) {
		now = harness_now_ms();
		open = 0;
		for (i = 0; i < TRICKLERS; i++) {
			if (!t[i].ended)
				open++;
		}
		if (now >= tstart + 6000 || (open == 0 && now >= tstart +
		    3000))
			break;
		if (now >= next_tick) {
			/* One more byte of a head that never ends. */
			for (i = 0; i < TRICKLERS; i++) {
				if (t[i].ended || t[i].t_cut >= 0)
					continue;
				ch = t[i].sent < sizeof(prefix) - 1 ?
				    prefix[t[i].sent] : 'a';
				r = send(t[i].fd, &ch, 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
				if (r == 1)
					t[i].sent++;
				else if (errno == EPIPE ||
				    errno == ECONNRESET) {
					trickler_cut(&t[i], now);
					t[i].ended = true;
				}
			}
			next_tick += 100;
			if (next_tick <= now)
				next_tick = now + 100;
		}
		if (now >= next_probe && now < tstart + 3000) {
			probes_add(&pr, fx->srv.port);
			next_probe += 200;
			if (next_probe < harness_now_ms())
				next_probe = harness_now_ms() + 1;
		}
		np = 0;
		for (i = 0; i < TRICKLERS; i++) {
			if (t[i].ended)
				continue;
			pfd[np].fd = t[i].fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			map[np++] = i;
		}
		wake = next_tick;
		if (next_probe < wake && next_probe < tstart + 3000)
			wake = next_probe;
		if (wake > tstart + 6000)
			wake = tstart + 6000;
		n = poll(pfd, np, harness_remaining_ms(wake));
		if (n <= 0)
			continue;
		now = harness_now_ms();
		for (i = 0; i < np; i++) {
			struct trickler	*tr = &t[map[i]];

			if (pfd[i].revents == 0)
				continue;
			r = recv(tr->fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0) {
				trickler_cut(tr, now);
				take = (size_t)r;
				if (take > sizeof(tr->first) - 1 - tr->nfirst)
					take = sizeof(tr->first) - 1 -
					    tr->nfirst;
				memcpy(tr->first + tr->nfirst, buf, take);
				tr->nfirst += take;
			} else if (r == 0 || (errno != EAGAIN &&
			    errno != EINTR)) {
				trickler_cut(tr, now);
				tr->ended = true;
			}
		}
	}

	for (i = 0; i < TRICKLERS; i++) {
		if (t[i].t_cut < 0)
			fail_msg("trickler %zu (%zu bytes, one per 100 ms) "
			    "still open %lld ms after its connect "
			    "(--header-timeout 2)", i, t[i].sent,
			    (long long)(harness_now_ms() - t[i].t_conn));
		dt = t[i].t_cut - t[i].t_conn;
		if (dt < dmin)
			dmin = dt;
		if (dt > dmax)
			dmax = dt;
		if (strncmp(t[i].first, "HTTP/1.1 408", 12) == 0)
			n408++;
	}
	print_message("200 tricklers cut %lld..%lld ms after connect, %d "
	    "with a 408\n", (long long)dmin, (long long)dmax, n408);
	for (i = 0; i < TRICKLERS; i++) {
		dt = t[i].t_cut - t[i].t_conn;
		if (dt < 1800 || dt > 3500)
			fail_msg("trickler %zu cut %lld ms after its connect "
			    "(%zu bytes sent), want 1800..3500 ms "
			    "(--header-timeout 2)", i, (long long)dt,
			    t[i].sent);
		if (!t[i].ended)
			fail_msg("trickler %zu answered but not closed by "
			    "%lld ms", i, (long long)(harness_now_ms() -
			    t[i].t_conn));
	}
	probes_check(&pr, 10, "200 tricklers");
	for (i = 0; i < TRICKLERS; i++)
		close(t[i].fd);
	free(t);
	free(pfd);
	free(map);
	fx_stop_ok(fx);
	assert_counter_min(fx, "header_timeouts", TRICKLERS);
}

/*
 * --- stalled readers are cut at the send timeout -------------------------
 */

#define STALLERS	8
#define BIG_SIZE	(32u * 1024 * 1024)

/*
 * Look up the server's end of the connections from 127.0.0.1:cport[i] to
 * the server's port sport in /proc/net/tcp, in one pass over the table
 * (it holds every socket of the machine, and tests run side by side).
 * open[i] is 1 if a descriptor still holds it (inode != 0), 0 if it is
 * orphaned (closed by the server, data still queued) or gone.  Returns
 * 0, or -1 if the table cannot be read.
 */
static int
server_side_open(int sport, const int *cport, int n, int *open)
{
	FILE		*f;
	char		 line[512];
	unsigned	 lport, rport, st;
	unsigned long	 inode;
	int		 i;

	for (i = 0; i < n; i++)
		open[i] = 0;
	if ((f = fopen("/proc/net/tcp", "r")) == NULL)
		return (-1);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, " %*d: %*x:%x %*x:%x %x %*x:%*x %*x:%*x %*x "
		    "%*u %*d %lu", &lport, &rport, &st, &inode) != 4)
			continue;
		if ((int)lport != sport)
			continue;
		for (i = 0; i < n; i++)
			if ((int)rport == cport[i])
				open[i] = inode != 0 ? 1 : 0;
	}
	fclose(f);
	return (0);
}

static void
test_send_stall_small_rcvbuf(void **state)
{
	static const char *const	 args[] = { "--send-timeout", "2",
	    NULL };
	static const char		 req[] = "GET /big.bin HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n";
	struct fx			*fx = *state;
	struct sockaddr_in		 sin;
	socklen_t			 sl;
	struct probes			 pr;
	struct pollfd			 pfd;
	char				*big, scratch[65536];
	int				 fd[STALLERS], cport[STALLERS];
	int				 held[STALLERS];
	bool				 seen[STALLERS];
	int64_t				 t_cut[STALLERS], t_sent[STALLERS];
	int64_t				 t_req, now, next;
	int64_t				 dmin = INT64_MAX, dmax = 0, dt;
	size_t				 total;
	ssize_t				 r;
	int				 i, loops, cut, o, end_err;

	big = malloc(BIG_SIZE);
	assert_non_null(big);
	for (i = 0; i < (int)(BIG_SIZE / 64); i++)
		memset(big + (size_t)i * 64, 'A' + i % 26, 64);
	assert_int_equal(harness_write_file(fx->root, "big.bin", big,
	    BIG_SIZE, 0644), 0);
	free(big);
	fx_start(fx, args);
	memset(&pr, 0, sizeof(pr));

	for (i = 0; i < STALLERS; i++) {
		fd[i] = harness_connect(fx->srv.port, 4096);
		if (fd[i] == -1)
			fail_msg("connect %d of %d: %s", i, STALLERS,
			    strerror(errno));
		sl = sizeof(sin);
		assert_int_equal(getsockname(fd[i], (struct sockaddr *)&sin,
		    &sl), 0);
		cport[i] = ntohs(sin.sin_port);
		assert_int_equal(harness_send_all(fd[i], req, sizeof(req) - 1,
		    1000), 0);
		t_sent[i] = harness_now_ms();
		seen[i] = false;
		t_cut[i] = -1;
	}
	t_req = harness_now_ms();

	/*
	 * Sample the server's end of each connection every 100 ms (it is
	 * cut when no descriptor holds it any more) and probe GET / every
	 * 200 ms meanwhile.
	 */
	next = t_req;
	for (loops = 0; loops < 200; loops++) {
		now = harness_now_ms();
		cut = 0;
		assert_int_equal(server_side_open(fx->srv.port, cport,
		    STALLERS, held), 0);
		for (i = 0; i < STALLERS; i++) {
			if (t_cut[i] >= 0) {
				cut++;
				continue;
			}
			o = held[i];
			if (o == 1)
				seen[i] = true;
			else if (seen[i]) {
				t_cut[i] = now;
				cut++;
			}
		}
		if (cut == STALLERS || now >= t_req + 6000)
			break;
		if (loops % 2 == 1)
			probes_add(&pr, fx->srv.port);
		next += 100;
		/* The sampling clock; the server must not exit meanwhile. */
		if (harness_server_wait(&fx->srv, harness_remaining_ms(next),
		    NULL) == 0)
			fail_msg("server exited during the send stall (exit "
			    "code %d)", harness_exit_code(fx->srv.wstatus));
	}
	for (i = 0; i < STALLERS; i++) {
		if (!seen[i])
			fail_msg("stalled reader %d: the server never held "
			    "its connection", i);
		if (t_cut[i] < 0)
			fail_msg("stalled reader %d still held by the server "
			    "%lld ms after its request (--send-timeout 2)", i,
			    (long long)(harness_now_ms() - t_req));
		dt = t_cut[i] - t_sent[i];
		if (dt < dmin)
			dmin = dt;
		if (dt > dmax)
			dmax = dt;
	}
	print_message("8 stalled readers cut %lld..%lld ms after their "
	    "request\n", (long long)dmin, (long long)dmax);
	if (dmin < 1800 || dmax > 3500)
		fail_msg("stalled readers cut %lld..%lld ms after the stall, "
		    "want 1800..3500 ms (--send-timeout 2)", (long long)dmin,
		    (long long)dmax);
	probes_check(&pr, 8, "8 stalled readers");

	/* What is left for them is far less than the file, then the end. */
	for (i = 0; i < STALLERS; i++) {
		total = 0;
		end_err = -1;
		(void)fcntl(fd[i], F_SETFL, fcntl(fd[i], F_GETFL) |
		    O_NONBLOCK);
		for (loops = 0; loops < 100000; loops++) {
			r = recv(fd[i], scratch, sizeof(scratch), 0);
			if (r > 0) {
				total += (size_t)r;
				continue;
			}
			if (r == 0) {
				end_err = 0;
				break;
			}
			if (errno != EAGAIN && errno != EINTR) {
				end_err = errno;
				break;
			}
			pfd.fd = fd[i];
			pfd.events = POLLIN;
			if (poll(&pfd, 1, 3000) == 0)
				break;
		}
		print_message("stalled reader %d: %zu bytes left, then %s\n",
		    i, total, end_err == 0 ? "EOF" : end_err == -1 ?
		    "nothing (still open)" : strerror(end_err));
		if (end_err != 0 && end_err != ECONNRESET)
			fail_msg("stalled reader %d: after %zu bytes the "
			    "connection %s, want EOF or a reset", i, total,
			    end_err == -1 ? "stayed open for 3000 ms" :
			    strerror(end_err));
		if (total >= BIG_SIZE / 2)
			fail_msg("stalled reader %d got %zu of %u bytes after "
			    "the cut", i, total, BIG_SIZE);
		close(fd[i]);
	}
	fx_stop_ok(fx);
	assert_counter_min(fx, "send_timeouts", STALLERS);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_sleep_concurrent_eight, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_cap_backlog_third_waits, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_idle_keepalive_thousand, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_trickle_header_two_hundred, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_send_stall_small_rcvbuf, fx_setup, fx_teardown),
	};

	harness_raise_nofile();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
