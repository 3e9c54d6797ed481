/* sluice - ISC licence, see COPYING. */

/*
 * Integration tests of the limits and faults of DESIGN.md: the header,
 * keep-alive and shutdown deadlines, descriptor exhaustion (a low
 * RLIMIT_NOFILE at start-up, and a real EMFILE in accept by lowering the
 * running server's limit with prlimit(2)), SIGTERM draining, and the
 * lingering close that keeps a 413/414/431 intact while the client is still
 * sending.
 *
 * Each test starts its own server on 127.0.0.1 port 0 with second-scale
 * options and a temporary docroot under /tmp, and stops it in the test (to
 * read the exit status and the "counters:" line) or in the teardown.
 * Waiting is poll() with a deadline; the windows over which CPU time or
 * silence is measured use a poll() timeout as their clock.  Every loop is
 * bounded in count and in time, and the watchdog bounds the whole test.
 */

#include "config.h"

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* The body of GET / in every temporary docroot. */
#define HELLO_BODY	"<!DOCTYPE html>\n<title>limits</title>\n" \
			"<p>hello from test_limits</p>\n"
#define NOTFOUND_BODY	"<!DOCTYPE html>\n<p>not found</p>\n"
/* A keep-alive GET /. */
#define REQ_GET_KA	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
/* The head of a request that is never finished. */
#define REQ_PARTIAL	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
/* A trickled head: this prefix, then 'a' for ever. */
#define TRICKLE_PREFIX	"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: "
/* Most bytes kept from a lingering-close response. */
#define LINGER_KEEP	65536
/* Watchdog per test, seconds. */
#define TEST_WATCHDOG_S	30

struct fx {
	struct harness_server	 srv;
	char			 root[256];
	bool			 have_root;
};

/* How a connection ended, as the client saw it. */
enum end_kind {
	END_OPEN,	/* still open at the deadline */
	END_EOF,	/* orderly close (FIN) */
	END_RESET,	/* ECONNRESET or EPIPE */
	END_ERROR	/* another error */
};

static const char *
end_name(enum end_kind k)
{
	switch (k) {
	case END_OPEN:
		return ("still open");
	case END_EOF:
		return ("EOF");
	case END_RESET:
		return ("reset");
	default:
		return ("error");
	}
}

static int
remaining_ms(int64_t deadline)
{
	int64_t	left;

	left = deadline - harness_now_ms();
	if (left < 0)
		return (0);
	if (left > INT32_MAX)
		return (INT32_MAX);
	return ((int)left);
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
fx_setup(void **state)
{
	struct fx	*fx;

	harness_watchdog_arm(TEST_WATCHDOG_S);
	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return (-1);
	if (harness_tmpdir_create(fx->root, sizeof(fx->root), "limits") == -1)
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

/*
 * Start the server on fx->root with the NULL-terminated extra arguments
 * and, if nofile is not 0, that RLIMIT_NOFILE.
 */
static void
fx_start(struct fx *fx, unsigned long nofile, const char *const *extra)
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
	o.nofile = nofile;
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
	if (v < min)
		fail_msg("counter %s=%lld, want >= %lld", name, v, min);
}

/*
 * GET / on a fresh connection within timeout_ms; returns the status (or -1
 * with errno) and the latency in *lat.
 */
static int
probe_get(int port, int timeout_ms, int64_t *lat)
{
	static const char	 req[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n";
	struct harness_response	 r;
	int64_t			 t0;
	int			 st = -1, saved;

	t0 = harness_now_ms();
	if (harness_request(port, req, sizeof(req) - 1, 0, timeout_ms,
	    &r) == 0)
		st = r.status;
	saved = errno;
	*lat = harness_now_ms() - t0;
	if (st == 200 && r.body_len != strlen(HELLO_BODY))
		st = -2;
	harness_response_free(&r);
	errno = saved;
	return (st);
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
		r = poll(pfd, n, remaining_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		break;
	}
	free(pfd);
	return (r);
}

/*
 * Read from fd (made non-blocking) until EOF, a reset, another error or the
 * deadline; keep the first cap bytes in buf.  Returns how it ended; *total
 * is every byte read, *kept what is in buf.
 */
static enum end_kind
read_to_end(int fd, char *buf, size_t cap, size_t *kept, size_t *total,
    int64_t deadline)
{
	struct pollfd	pfd;
	char		scratch[16384];
	ssize_t		r;
	size_t		take;
	int		loops;

	*kept = 0;
	*total = 0;
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (loops = 0; loops < 1000000; loops++) {
		r = recv(fd, scratch, sizeof(scratch), 0);
		if (r > 0) {
			take = (size_t)r;
			if (take > cap - *kept)
				take = cap - *kept;
			memcpy(buf + *kept, scratch, take);
			*kept += take;
			*total += (size_t)r;
			continue;
		}
		if (r == 0)
			return (END_EOF);
		if (errno == ECONNRESET || errno == EPIPE)
			return (END_RESET);
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return (END_ERROR);
		if (harness_now_ms() >= deadline)
			return (END_OPEN);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, remaining_ms(deadline)) == -1 &&
		    errno != EINTR)
			return (END_ERROR);
	}
	return (END_OPEN);
}

/* The status code of a response that starts buf, or -1. */
static int
status_of(const char *buf, size_t len)
{
	int	st;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return (-1);
	if (sscanf(buf + 9, "%3d", &st) != 1)
		return (-1);
	return (st);
}

/*
 * True if buf holds one complete response: a head and as many body bytes
 * as its Content-Length says (or any number without one).
 */
static bool
response_complete(const char *buf, size_t len)
{
	const char	*end, *p;
	size_t		 hlen;
	unsigned long	 cl;

	end = memmem(buf, len, "\r\n\r\n", 4);
	if (end == NULL)
		return (false);
	hlen = (size_t)(end - buf) + 4;
	for (p = buf; p != NULL && p < end; p = memchr(p, '\n', end - p)) {
		if (*p == '\n')
			p++;
		if (strncasecmp(p, "Content-Length:", 15) == 0) {
			cl = strtoul(p + 15, NULL, 10);
			return (len - hlen >= cl);
		}
	}
	return (true);
}

/*
 * --- keep-alive timeout ------------------------------------------------
 */

static void
test_keepalive_timeout_idle_close(void **state)
{
	static const char *const	 args[] = { "--keepalive-timeout", "1",
	    "--header-timeout", "10", NULL };
	struct fx			*fx = *state;
	struct harness_client		 c;
	struct harness_response		 r;
	int64_t				 t0, dt;
	int				 closed;

	fx_start(fx, 0, args);
	assert_int_equal(harness_client_connect(&c, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, REQ_GET_KA, 2000), 0);
	if (harness_client_read_response(&c, &r, 0, 2000) == -1)
		fail_msg("GET / on keep-alive: %s", strerror(errno));
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	t0 = harness_now_ms();
	closed = harness_client_wait_closed(&c, 4000);
	dt = harness_now_ms() - t0;
	if (closed != 1)
		fail_msg("idle keep-alive connection still open %lld ms after "
		    "the response (--keepalive-timeout 1)", (long long)dt);
	if (dt < 800 || dt > 2500)
		fail_msg("idle keep-alive connection closed after %lld ms, "
		    "want 800..2500 ms (--keepalive-timeout 1)",
		    (long long)dt);
	if (c.len != 0)
		fail_msg("%zu unexpected bytes before the keep-alive close",
		    c.len);
	harness_client_close(&c);
	fx_stop_ok(fx);
	assert_counter_min(fx, "keepalive_timeouts", 1);
}

/*
 * --- header deadline -----------------------------------------------------
 */

static void
test_header_timeout_silent_close(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "1",
	    NULL };
	struct fx			*fx = *state;
	struct harness_client		 c;
	int64_t				 t0, dt;
	int				 closed;

	fx_start(fx, 0, args);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_connect(&c, fx->srv.port, 0), 0);
	closed = harness_client_wait_closed(&c, 4000);
	dt = harness_now_ms() - t0;
	if (closed != 1)
		fail_msg("silent connection still open after %lld ms "
		    "(--header-timeout 1)", (long long)dt);
	if (dt < 800 || dt > 2500)
		fail_msg("silent connection closed after %lld ms, want "
		    "800..2500 ms (--header-timeout 1)", (long long)dt);
	if (c.len != 0)
		fail_msg("silent connection got %zu bytes before the close, "
		    "want 0 (no 408 when nothing was received): %.40s",
		    c.len, c.buf);
	harness_client_close(&c);
	fx_stop_ok(fx);
	assert_counter_min(fx, "header_timeouts", 1);
}

static void
test_header_timeout_partial_408(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "1",
	    NULL };
	struct fx			*fx = *state;
	struct harness_client		 c;
	struct harness_response		 r;
	int64_t				 t0, dt;
	int				 closed;

	fx_start(fx, 0, args);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_connect(&c, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, REQ_PARTIAL, 2000), 0);
	if (harness_client_read_response(&c, &r, 0, 4000) == -1)
		fail_msg("no response to a partial head after %lld ms: %s",
		    (long long)(harness_now_ms() - t0), strerror(errno));
	dt = harness_now_ms() - t0;
	if (r.status != 408)
		fail_msg("partial head answered %d, want 408", r.status);
	harness_response_free(&r);
	if (dt < 800 || dt > 2500)
		fail_msg("408 after %lld ms, want 800..2500 ms "
		    "(--header-timeout 1)", (long long)dt);
	closed = harness_client_wait_closed(&c, 2000);
	if (closed != 1)
		fail_msg("connection still open 2000 ms after the 408");
	harness_client_close(&c);
	fx_stop_ok(fx);
	assert_counter_min(fx, "header_timeouts", 1);
}

static void
test_header_timeout_trickle_not_extended(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "1",
	    NULL };
	static const char		 prefix[] = TRICKLE_PREFIX;
	struct fx			*fx = *state;
	struct pollfd			 pfd;
	char				 buf[4096], ch;
	size_t				 kept, total, sent = 0;
	int64_t				 t0, tcut = -1, next;
	enum end_kind			 end = END_OPEN;
	ssize_t				 r;
	int				 fd, n, loops, st;

	fx_start(fx, 0, args);
	t0 = harness_now_ms();
	fd = harness_connect(fx->srv.port, 0);
	if (fd == -1)
		fail_msg("connect to port %d: %s", fx->srv.port,
		    strerror(errno));
	next = t0;
	/* One byte every 200 ms until the server answers or closes. */
	for (loops = 0; loops < 100 && harness_now_ms() < t0 + 4000;
	    loops++) {
		if (harness_now_ms() >= next) {
			ch = sent < sizeof(prefix) - 1 ? prefix[sent] : 'a';
			r = send(fd, &ch, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r == 1)
				sent++;
			else if (errno == EPIPE || errno == ECONNRESET) {
				tcut = harness_now_ms();
				end = END_RESET;
				break;
			}
			next += 200;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, remaining_ms(next));
		if (n > 0) {
			tcut = harness_now_ms();
			break;
		}
	}
	if (tcut == -1)
		fail_msg("trickled connection (%zu bytes, one per 200 ms) "
		    "still open after %lld ms (--header-timeout 1)", sent,
		    (long long)(harness_now_ms() - t0));
	if (tcut - t0 < 800 || tcut - t0 > 2000)
		fail_msg("trickled connection cut after %lld ms (%zu bytes "
		    "sent), want 800..2000 ms: trickled bytes must not extend "
		    "--header-timeout 1", (long long)(tcut - t0), sent);
	if (end == END_OPEN) {
		end = read_to_end(fd, buf, sizeof(buf), &kept, &total,
		    harness_now_ms() + 2000);
		if (total > 0) {
			st = status_of(buf, kept);
			if (st != 408)
				fail_msg("trickled partial head answered %d, "
				    "want 408 (or a silent close)", st);
		}
		if (end == END_OPEN)
			fail_msg("connection not closed 2000 ms after the "
			    "cut (%zu bytes received)", total);
	}
	close(fd);
	fx_stop_ok(fx);
	assert_counter_min(fx, "header_timeouts", 1);
}

/*
 * --- descriptor exhaustion -----------------------------------------------
 */

#define CAP_CLIENTS	100

static void
test_fd_exhaustion_cap_lowered(void **state)
{
	static const char *const	 args[] = { "--workers", "1",
	    "--header-timeout", "30", "--keepalive-timeout", "30", NULL };
	struct fx			*fx = *state;
	int				 fds[CAP_CLIENTS];
	char				 bufs[CAP_CLIENTS][512];
	size_t				 lens[CAP_CLIENTS];
	bool				 done[CAP_CLIENTS];
	struct pollfd			 pfd[CAP_CLIENTS];
	char				*log, *p;
	unsigned			 from = 0, cap = 0;
	long long			 cpu0, cpu1;
	int64_t				 t0, t1, lat, deadline;
	double				 pct;
	size_t				 i, answered, ok200;
	ssize_t				 r;
	int				 n, loops, st;

	fx_start(fx, 64, args);
	if (harness_server_wait_log(&fx->srv, "--max-connections lowered",
	    2000) == -1)
		fail_msg("no \"--max-connections lowered\" line in the log "
		    "with RLIMIT_NOFILE 64 (%s)", strerror(errno));
	assert_int_equal(harness_log_read(&fx->srv, &log, NULL), 0);
	p = strstr(log, "--max-connections lowered from ");
	assert_non_null(p);
	if (sscanf(p, "--max-connections lowered from %u to %u", &from,
	    &cap) != 2)
		fail_msg("cannot parse the lowered cap: %.120s", p);
	if (strstr(p, "RLIMIT_NOFILE 64") == NULL)
		fail_msg("the lowered-cap line does not name RLIMIT_NOFILE "
		    "64: %.160s", p);
	free(log);
	if (from != 10000 || cap < 1 || cap >= 64)
		fail_msg("--max-connections lowered from %u to %u, want from "
		    "10000 to 1..63 under RLIMIT_NOFILE 64", from, cap);
	if (cap >= CAP_CLIENTS)
		fail_msg("cap %u leaves no connection past it", cap);

	/* More connections than the cap; the rest wait in the backlog. */
	for (i = 0; i < CAP_CLIENTS; i++) {
		fds[i] = harness_connect(fx->srv.port, 0);
		if (fds[i] == -1)
			fail_msg("connect %zu of %d: %s", i, CAP_CLIENTS,
			    strerror(errno));
		lens[i] = 0;
		done[i] = false;
	}

	/* The server's CPU over 2 s with every connection silent. */
	assert_int_equal(harness_proc_cpu_ms(fx->srv.pid, &cpu0), 0);
	t0 = harness_now_ms();
	n = poll_quiet(fds, CAP_CLIENTS, t0 + 2000);
	t1 = harness_now_ms();
	assert_int_equal(harness_proc_cpu_ms(fx->srv.pid, &cpu1), 0);
	if (n != 0)
		fail_msg("%d of %d silent connections got bytes or a close "
		    "within 2 s (--header-timeout 30)", n, CAP_CLIENTS);
	pct = 100.0 * (double)(cpu1 - cpu0) / (double)(t1 - t0);
	print_message("cap %u (RLIMIT_NOFILE 64): server CPU %lld ms over "
	    "%lld ms = %.1f %%\n", cap, cpu1 - cpu0, (long long)(t1 - t0),
	    pct);
	if (pct >= 5.0)
		fail_msg("server used %lld ms CPU over %lld ms (%.1f %%) with "
		    "%d connections at a cap of %u, want < 5 %%",
		    cpu1 - cpu0, (long long)(t1 - t0), pct, CAP_CLIENTS, cap);

	/*
	 * Now every connection asks GET /: those the server holds are
	 * answered, those past the cap (still in the backlog) get nothing.
	 */
	for (i = 0; i < CAP_CLIENTS; i++) {
		if (harness_send_all(fds[i], REQ_GET_KA, strlen(REQ_GET_KA),
		    1000) == -1)
			fail_msg("send on connection %zu: %s", i,
			    strerror(errno));
	}
	deadline = harness_now_ms() + 1500;
	for (loops = 0; loops < 10000; loops++) {
		for (i = 0; i < CAP_CLIENTS; i++) {
			pfd[i].fd = done[i] ? -1 : fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		n = poll(pfd, CAP_CLIENTS, remaining_ms(deadline));
		if (n == 0)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		assert_true(n > 0);
		for (i = 0; i < CAP_CLIENTS; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			r = recv(fds[i], bufs[i] + lens[i],
			    sizeof(bufs[i]) - 1 - lens[i], MSG_DONTWAIT);
			if (r > 0)
				lens[i] += (size_t)r;
			/* EOF, a reset or a full buffer: stop polling it. */
			if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR) || lens[i] == sizeof(bufs[i]) - 1)
				done[i] = true;
		}
	}
	answered = 0;
	ok200 = 0;
	for (i = 0; i < CAP_CLIENTS; i++) {
		if (lens[i] == 0)
			continue;
		answered++;
		st = status_of(bufs[i], lens[i]);
		if (st == 200)
			ok200++;
	}
	print_message("cap %u: %zu of %d connections answered (%zu with "
	    "200)\n", cap, answered, CAP_CLIENTS, ok200);
	if (answered > cap)
		fail_msg("%zu connections answered with a cap of %u: the "
		    "ones past the cap must get nothing", answered, cap);
	if (answered != cap || ok200 != cap)
		fail_msg("%zu connections answered (%zu with 200), want all "
		    "%u under the lowered cap to be served", answered,
		    ok200, cap);

	for (i = 0; i < CAP_CLIENTS; i++) {
		if (fds[i] != -1)
			close(fds[i]);
	}
	st = probe_get(fx->srv.port, 2000, &lat);
	if (st != 200)
		fail_msg("GET / after closing the %d connections: status %d "
		    "(%s) after %lld ms, want 200 within 2000 ms",
		    CAP_CLIENTS, st, strerror(errno), (long long)lat);
	fx_stop_ok(fx);
	assert_counter_min(fx, "cap_pauses", 1);
}

#define EMFILE_CLIENTS	50

static void
test_fd_exhaustion_emfile_accept(void **state)
{
	static const char *const	 args[] = { "--workers", "1",
	    "--max-connections", "1000", "--header-timeout", "30", NULL };
	struct fx			*fx = *state;
	struct rlimit			 low, high;
	int				 fds[EMFILE_CLIENTS];
	long long			 cpu0, cpu1;
	int64_t				 t0, t1, lat;
	double				 pct;
	size_t				 i;
	int				 nfd, nfd_after, st;

	fx_start(fx, 1024, args);
	st = probe_get(fx->srv.port, 2000, &lat);
	if (st != 200)
		fail_msg("warm-up GET /: status %d (%s)", st,
		    strerror(errno));
	nfd = harness_proc_fd_count(fx->srv.pid);
	if (nfd <= 0)
		fail_msg("cannot count the descriptors of pid %ld (%d)",
		    (long)fx->srv.pid, nfd);
	/*
	 * Only the soft limit goes down: raising a hard limit again would
	 * need CAP_SYS_RESOURCE, which the tests neither need nor have.
	 */
	low.rlim_cur = (rlim_t)nfd + 8;
	low.rlim_max = 1024;
	if (prlimit(fx->srv.pid, RLIMIT_NOFILE, &low, NULL) == -1)
		fail_msg("prlimit(%ld, RLIMIT_NOFILE, %d): %s",
		    (long)fx->srv.pid, nfd + 8, strerror(errno));

	for (i = 0; i < EMFILE_CLIENTS; i++) {
		fds[i] = harness_connect(fx->srv.port, 0);
		if (fds[i] == -1)
			fail_msg("connect %zu of %d: %s", i, EMFILE_CLIENTS,
			    strerror(errno));
	}
	/* Any wording first; the wording of the spec is checked last. */
	if (harness_server_wait_log(&fx->srv, "warning: accept paused: ",
	    2000) == -1)
		fail_msg("no \"warning: accept paused: \" in the log 2000 ms "
		    "after %d connects with %d fds open and RLIMIT_NOFILE %d "
		    "(%s)", EMFILE_CLIENTS, nfd, nfd + 8, strerror(errno));

	assert_int_equal(harness_proc_cpu_ms(fx->srv.pid, &cpu0), 0);
	t0 = harness_now_ms();
	/* The server must still run at the end of the window. */
	if (harness_server_wait(&fx->srv, 2000, NULL) == 0)
		fail_msg("server exited while accept hit EMFILE (exit code "
		    "%d)", harness_exit_code(fx->srv.wstatus));
	t1 = harness_now_ms();
	assert_int_equal(harness_proc_cpu_ms(fx->srv.pid, &cpu1), 0);
	pct = 100.0 * (double)(cpu1 - cpu0) / (double)(t1 - t0);
	nfd_after = harness_proc_fd_count(fx->srv.pid);
	print_message("EMFILE (%d fds, limit %d): server CPU %lld ms over "
	    "%lld ms = %.1f %%\n", nfd_after, nfd + 8, cpu1 - cpu0,
	    (long long)(t1 - t0), pct);
	if (pct >= 5.0)
		fail_msg("server used %lld ms CPU over %lld ms (%.1f %%) "
		    "while accept hits EMFILE, want < 5 %% (no busy loop)",
		    cpu1 - cpu0, (long long)(t1 - t0), pct);
	if (nfd_after > nfd + 8)
		fail_msg("server holds %d fds above its limit %d", nfd_after,
		    nfd + 8);

	high.rlim_cur = 1024;
	high.rlim_max = 1024;
	if (prlimit(fx->srv.pid, RLIMIT_NOFILE, &high, NULL) == -1)
		fail_msg("prlimit back to 1024: %s", strerror(errno));
	for (i = 0; i < EMFILE_CLIENTS; i++)
		close(fds[i]);
	st = probe_get(fx->srv.port, 2000, &lat);
	if (st != 200)
		fail_msg("GET / after the limit was raised again: status %d "
		    "(%s) after %lld ms, want 200 within 2000 ms (the retry "
		    "timer must resume accept)", st, strerror(errno),
		    (long long)lat);
	print_message("GET / after EMFILE answered in %lld ms\n",
	    (long long)lat);
	fx_stop_ok(fx);
	assert_counter_min(fx, "fd_pauses", 1);
	if (!harness_log_contains(&fx->srv,
	    "sluice: warning: accept paused: out of file descriptors: "))
		fail_msg("the EMFILE pause is not logged as the spec says "
		    "(\"sluice: warning: accept paused: out of file "
		    "descriptors: ...\")");
}

/*
 * --- SIGTERM -----------------------------------------------------------
 */

static void
test_sigterm_drain_inflight(void **state)
{
	static const char *const	 args[] = { "--sleep-route", "2",
	    "--keepalive-timeout", "30", "--shutdown-timeout", "10", NULL };
	static const char		 sleepreq[] = "GET /sleep HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n";
	struct fx			*fx = *state;
	struct harness_client		 idle, slow, late;
	struct harness_response		 r;
	int64_t				 t0, tsig, dt;
	int				 fds[2], closed, wst = 0, late_fd;
	int				 late_err = 0;

	fx_start(fx, 0, args);
	assert_int_equal(harness_client_connect(&idle, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&idle, REQ_GET_KA, 2000),
	    0);
	if (harness_client_read_response(&idle, &r, 0, 2000) == -1)
		fail_msg("GET / on the idle connection: %s", strerror(errno));
	assert_int_equal(r.status, 200);
	harness_response_free(&r);

	assert_int_equal(harness_client_connect(&slow, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&slow, sleepreq, 2000), 0);
	t0 = harness_now_ms();
	fds[0] = idle.fd;
	fds[1] = slow.fd;
	if (poll_quiet(fds, 2, t0 + 300) != 0)
		fail_msg("bytes or a close within 300 ms of GET /sleep "
		    "(--sleep-route 2)");

	assert_int_equal(harness_server_signal(&fx->srv, SIGTERM), 0);
	tsig = harness_now_ms();

	/* The idle keep-alive connection is closed promptly. */
	closed = harness_client_wait_closed(&idle, 1000);
	dt = harness_now_ms() - tsig;
	if (closed != 1)
		fail_msg("idle keep-alive connection still open %lld ms after "
		    "SIGTERM", (long long)dt);
	if (dt > 500)
		fail_msg("idle keep-alive connection closed %lld ms after "
		    "SIGTERM, want < 500 ms", (long long)dt);
	print_message("SIGTERM: idle connection closed after %lld ms\n",
	    (long long)dt);

	/* The server has seen the signal: a new connection is not served. */
	harness_client_attach(&late, -1);
	late_fd = harness_connect(fx->srv.port, 0);
	if (late_fd == -1)
		late_err = errno;
	else {
		harness_client_attach(&late, late_fd);
		(void)harness_client_send_str(&late, REQ_GET_KA, 1000);
	}

	/* The in-flight /sleep still gets its whole response. */
	if (harness_client_read_response(&slow, &r, 0,
	    remaining_ms(tsig + 3000)) == -1)
		fail_msg("in-flight GET /sleep lost after SIGTERM: %s after "
		    "%lld ms", strerror(errno),
		    (long long)(harness_now_ms() - t0));
	if (r.status != 200 || r.body_len != strlen(HELLO_BODY))
		fail_msg("in-flight GET /sleep after SIGTERM: status %d, %zu "
		    "body bytes, want 200 with %zu", r.status, r.body_len,
		    strlen(HELLO_BODY));
	harness_response_free(&r);
	print_message("SIGTERM: /sleep answered %lld ms after the request\n",
	    (long long)(harness_now_ms() - t0));

	if (harness_server_wait(&fx->srv, remaining_ms(tsig + 3000),
	    &wst) == -1)
		fail_msg("server still running %lld ms after SIGTERM with "
		    "its last response sent",
		    (long long)(harness_now_ms() - tsig));
	dt = harness_now_ms() - tsig;
	print_message("SIGTERM: exit after %lld ms\n", (long long)dt);
	if (harness_exit_code(wst) != 0)
		fail_msg("exit code %d after SIGTERM, want 0",
		    harness_exit_code(wst));

	print_message("SIGTERM: a new connect %s\n", late_fd == -1 ?
	    strerror(late_err) : "succeeded (backlog)");
	if (late_fd == -1) {
		if (late_err != ECONNREFUSED)
			fail_msg("connect after SIGTERM: %s, want refused or "
			    "unanswered", strerror(late_err));
	} else {
		(void)harness_client_wait_closed(&late, 1000);
		if (late.len != 0)
			fail_msg("connection made after SIGTERM got %zu "
			    "bytes, want none: %.40s", late.len, late.buf);
	}
	harness_client_close(&late);
	harness_client_close(&slow);
	harness_client_close(&idle);
}

static void
test_shutdown_deadline_cuts_sleep(void **state)
{
	static const char *const	 args[] = { "--sleep-route", "5",
	    "--shutdown-timeout", "1", NULL };
	static const char		 sleepreq[] = "GET /sleep HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n";
	struct fx			*fx = *state;
	struct harness_client		 slow;
	int64_t				 t0, tsig, dt;
	int				 fd, wst = 0, closed;

	fx_start(fx, 0, args);
	assert_int_equal(harness_client_connect(&slow, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&slow, sleepreq, 2000), 0);
	t0 = harness_now_ms();
	fd = slow.fd;
	if (poll_quiet(&fd, 1, t0 + 300) != 0)
		fail_msg("bytes or a close within 300 ms of GET /sleep "
		    "(--sleep-route 5)");
	assert_int_equal(harness_server_signal(&fx->srv, SIGTERM), 0);
	tsig = harness_now_ms();
	if (harness_server_wait(&fx->srv, 4000, &wst) == -1)
		fail_msg("server still running 4000 ms after SIGTERM with "
		    "--shutdown-timeout 1");
	dt = harness_now_ms() - tsig;
	print_message("shutdown deadline: exit %lld ms after SIGTERM\n",
	    (long long)dt);
	if (dt < 800 || dt > 2500)
		fail_msg("server exited %lld ms after SIGTERM, want 800..2500 "
		    "ms (--shutdown-timeout 1, a 5 s /sleep in flight)",
		    (long long)dt);
	if (harness_exit_code(wst) != 0)
		fail_msg("exit code %d after the shutdown deadline, want 0",
		    harness_exit_code(wst));
	closed = harness_client_wait_closed(&slow, 1000);
	if (closed != 1)
		fail_msg("sleeping connection still open after the server "
		    "exited");
	if (status_of(slow.buf == NULL ? "" : slow.buf, slow.len) == 200)
		fail_msg("a 5 s /sleep was answered 200 after %lld ms, "
		    "before its time", (long long)(harness_now_ms() - t0));
	harness_client_close(&slow);
}

/*
 * --- lingering close -----------------------------------------------------
 *
 * The client sends an oversized request in one go (so the server has
 * unread input when it decides), keeps sending for keep_ms more, then
 * shuts down its side.  A server that closes at once with unread input
 * resets the connection; one that lingers sends its response, a FIN, and
 * reads the rest.  The client must get the whole response, then EOF.
 */
static void
linger_case(struct fx *fx, const char *req, size_t len, int want,
    int keep_ms)
{
	struct pollfd	 pfd;
	char		*buf, more[1024];
	size_t		 kept, total, extra = 0;
	int64_t		 t0, next;
	enum end_kind	 end;
	ssize_t		 w;
	int		 fd, st, loops, send_err = 0;

	fd = harness_connect(fx->srv.port, 0);
	if (fd == -1)
		fail_msg("connect to port %d: %s", fx->srv.port,
		    strerror(errno));
	t0 = harness_now_ms();
	if (harness_send_all(fd, req, len, 2000) == -1)
		send_err = errno;
	memset(more, 'a', sizeof(more));
	next = t0;
	for (loops = 0; send_err == 0 && loops < 1000 &&
	    harness_now_ms() < t0 + keep_ms; loops++) {
		if (harness_now_ms() >= next) {
			w = send(fd, more, sizeof(more),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w > 0)
				extra += (size_t)w;
			else if (errno != EAGAIN && errno != EWOULDBLOCK)
				send_err = errno;
			next += 20;
		}
		/* Only an error or a hang-up ends this wait early. */
		pfd.fd = fd;
		pfd.events = 0;
		if (poll(&pfd, 1, remaining_ms(next < t0 + keep_ms ? next :
		    t0 + keep_ms)) > 0)
			break;
	}
	(void)shutdown(fd, SHUT_WR);
	buf = malloc(LINGER_KEEP);
	assert_non_null(buf);
	end = read_to_end(fd, buf, LINGER_KEEP, &kept, &total,
	    harness_now_ms() + 3000);
	close(fd);
	st = status_of(buf, kept);
	print_message("lingering %d: sent %zu + %zu bytes (send error: %s), "
	    "got status %d, %zu bytes, then %s\n", want, len, extra,
	    send_err == 0 ? "none" : strerror(send_err), st, total,
	    end_name(end));
	if (st != want)
		fail_msg("status %d (%zu bytes received, then %s), want %d "
		    "after sending %zu + %zu bytes", st, total, end_name(end),
		    want, len, extra);
	if (!response_complete(buf, kept))
		fail_msg("the %d response is truncated: %zu bytes, then %s",
		    want, total, end_name(end));
	if (end != END_EOF)
		fail_msg("the %d response ended with %s, not EOF: the server "
		    "did not linger (shutdown, drain) before closing", want,
		    end_name(end));
	free(buf);
}

static void
test_lingering_431_head_64k(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "5",
	    NULL };
	struct fx			*fx = *state;
	char				*req, *p;
	size_t				 cap = 70000, i, n;

	fx_start(fx, 0, args);
	req = malloc(cap);
	assert_non_null(req);
	p = req;
	p += sprintf(p, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n");
	/* 16 fields of 4 KiB: too many bytes, not too many fields. */
	for (i = 0; i < 16; i++) {
		p += sprintf(p, "X-Fill-%02zu: ", i);
		memset(p, 'a', 4100);
		p += 4100;
		p += sprintf(p, "\r\n");
	}
	p += sprintf(p, "\r\n");
	n = (size_t)(p - req);
	assert_true(n > 65536 && n < cap);
	linger_case(fx, req, n, 431, 0);
	free(req);
	fx_stop_ok(fx);
	assert_counter_min(fx, "headers_too_large", 1);
}

static void
test_lingering_414_line_16k(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "5",
	    NULL };
	struct fx			*fx = *state;
	char				*req, *p;
	size_t				 cap = 70000, n;

	fx_start(fx, 0, args);
	req = malloc(cap);
	assert_non_null(req);
	p = req;
	p += sprintf(p, "GET /");
	memset(p, 'a', 16384);
	p += 16384;
	p += sprintf(p, " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Fill: ");
	/* More input behind the line, so that some is left unread. */
	memset(p, 'b', 40000);
	p += 40000;
	p += sprintf(p, "\r\n\r\n");
	n = (size_t)(p - req);
	assert_true(n < cap);
	linger_case(fx, req, n, 414, 200);
	free(req);
	fx_stop_ok(fx);
	assert_counter_min(fx, "uri_too_long", 1);
}

static void
test_lingering_413_body_keeps_sending(void **state)
{
	static const char *const	 args[] = { "--max-body", "1k",
	    "--header-timeout", "5", NULL };
	static const char		 head[] = "GET / HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Length: 10485760\r\n\r\n";
	struct fx			*fx = *state;
	char				*req;
	size_t				 n;

	fx_start(fx, 0, args);
	n = sizeof(head) - 1 + 65536;
	req = malloc(n);
	assert_non_null(req);
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'c', 65536);
	linger_case(fx, req, n, 413, 200);
	free(req);
	fx_stop_ok(fx);
	assert_counter_min(fx, "body_too_large", 1);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_keepalive_timeout_idle_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_header_timeout_silent_close, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_header_timeout_partial_408, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_header_timeout_trickle_not_extended, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fd_exhaustion_cap_lowered, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fd_exhaustion_emfile_accept, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_sigterm_drain_inflight, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_shutdown_deadline_cuts_sleep, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lingering_431_head_64k, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lingering_414_line_16k, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lingering_413_body_keeps_sending, fx_setup,
		    fx_teardown),
	};

	raise_nofile();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
