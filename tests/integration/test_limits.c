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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
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
		r = poll(pfd, n, harness_remaining_ms(deadline));
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
		if (poll(&pfd, 1, harness_remaining_ms(deadline)) == -1 &&
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
		n = poll(&pfd, 1, harness_remaining_ms(next));
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
		n = poll(pfd, CAP_CLIENTS, harness_remaining_ms(deadline));
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
	if (harness_server_wait_log(&fx->srv, "[warn] accept paused: ",
	    2000) == -1)
		fail_msg("no \"[warn] accept paused: \" in the log 2000 ms "
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
	    "Z [warn] accept paused: out of file descriptors: "))
		fail_msg("the EMFILE pause is not logged as the spec says "
		    "(\"TIMESTAMP [warn] accept paused: out of file "
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
	    harness_remaining_ms(tsig + 3000)) == -1)
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

	if (harness_server_wait(&fx->srv, harness_remaining_ms(tsig + 3000),
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
		if (poll(&pfd, 1, harness_remaining_ms(next < t0 + keep_ms ? next :
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

/*
 * --- regression tests of the review fixes ----------------------------------
 */

/* A file of n bytes whose pattern (seeded by seed) has no short period. */
static char *
make_pattern(size_t n, unsigned seed)
{
	char	*p;
	size_t	 i;

	p = malloc(n);
	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (char)(((i + seed) * 2654435761u) >> 13);
	return (p);
}

/* Let ms milliseconds pass (a poll timeout as the clock), e.g. for a TTL. */
static void
let_time_pass(int ms)
{
	int64_t	deadline = harness_now_ms() + ms;
	int	loops;

	for (loops = 0; loops < 1000 && harness_now_ms() < deadline; loops++)
		(void)poll(NULL, 0, harness_remaining_ms(deadline));
}

/*
 * GET path on a connection of its own with "Connection: close", read the
 * whole response into *r, and wait until the server has closed its end,
 * so that a descriptor count taken afterwards does not see the socket.
 */
static void
get_and_wait_closed(struct fx *fx, const char *path,
    struct harness_response *r)
{
	struct harness_client	c;
	char			req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", path);
	if (harness_client_connect(&c, fx->srv.port, 0) == -1)
		fail_msg("connect to port %d: %s", fx->srv.port,
		    strerror(errno));
	assert_int_equal(harness_client_send_str(&c, req, 2000), 0);
	if (harness_client_read_response(&c, r, 0, 5000) == -1)
		fail_msg("GET %s: no response: %s", path, strerror(errno));
	if (harness_client_wait_closed(&c, 3000) != 1)
		fail_msg("GET %s with Connection: close: still open 3000 ms "
		    "after the response", path);
	harness_client_close(&c);
}

/* The server's open descriptors, failing the test if they cannot be read. */
static int
server_fds(struct fx *fx)
{
	int	n;

	n = harness_proc_fd_count(fx->srv.pid);
	if (n <= 0)
		fail_msg("cannot count the descriptors of pid %ld (%d)",
		    (long)fx->srv.pid, n);
	return (n);
}

/*
 * Fix 1: a /sleep answer's access-log line carries its own request's
 * fields.  With one worker, B's GET /sleep (no User-Agent, no Referer)
 * sleeps while A's request, with both fields, is parsed on the same worker
 * in two pieces (so that it is assembled in A's own input buffer, freed
 * when A closes).
 *
 * How it fails without the fix: conn_sleep_done cleared only the head of
 * the worker's shared parsed request, so B's line was logged with the
 * Referer and User-Agent slices of A, the last request parsed there:
 * "ref-A" "agent-A-xyz", or bytes of A's freed buffer (ASan reports the
 * use-after-free) instead of "-" "-".
 */
static void
test_sleep_access_log_own_fields(void **state)
{
	static const char		 reqb[] = "GET /sleep HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\n\r\n";
	static const char		 reqa1[] = "GET / HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nUser-Agent: agent-A-xyz\r\n";
	static const char		 reqa2[] = "Referer: ref-A\r\n"
	    "Connection: close\r\n\r\n";
	struct fx			*fx = *state;
	struct harness_client		 a, b;
	struct harness_response		 r;
	const char			*args[16];
	char				 path[320], *log, *line, *nl;
	char				*sleep_line = NULL, *a_line = NULL;
	int64_t				 t0, lat;
	int				 fd, nlines = 0;
	size_t				 n = 0;

	snprintf(path, sizeof(path), "%s/access.log", fx->root);
	args[n++] = "--workers";
	args[n++] = "1";
	args[n++] = "--sleep-route";
	args[n++] = "1";
	args[n++] = "--access-log";
	args[n++] = path;
	args[n++] = "--header-timeout";
	args[n++] = "5";
	args[n] = NULL;
	fx_start(fx, 0, args);

	assert_int_equal(harness_client_connect(&b, fx->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&b, reqb, 2000), 0);
	t0 = harness_now_ms();
	fd = b.fd;
	if (poll_quiet(&fd, 1, t0 + 200) != 0)
		fail_msg("GET /sleep answered or closed within 200 ms "
		    "(--sleep-route 1)");

	/* A, while B sleeps: the head in two pieces, 50 ms apart. */
	assert_int_equal(harness_client_connect(&a, fx->srv.port, 0), 0);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_send_str(&a, reqa1, 2000), 0);
	fd = a.fd;
	if (poll_quiet(&fd, 1, harness_now_ms() + 50) != 0)
		fail_msg("half a head (no empty line yet) was answered");
	assert_int_equal(harness_client_send_str(&a, reqa2, 2000), 0);
	if (harness_client_read_response(&a, &r, 0, 2000) == -1)
		fail_msg("GET / with User-Agent while /sleep sleeps: %s",
		    strerror(errno));
	lat = harness_now_ms() - t0;
	if (r.status != 200)
		fail_msg("GET / while /sleep sleeps: status %d, want 200",
		    r.status);
	harness_response_free(&r);
	if (lat >= 800)
		fail_msg("GET / took %lld ms while /sleep slept on the same "
		    "worker, want < 800 ms", (long long)lat);
	assert_int_equal(harness_client_wait_closed(&a, 2000), 1);
	harness_client_close(&a);

	if (harness_client_read_response(&b, &r, 0, 3000) == -1)
		fail_msg("GET /sleep: no answer: %s", strerror(errno));
	if (r.status != 200 || r.body_len != strlen(HELLO_BODY))
		fail_msg("GET /sleep: status %d with %zu body bytes, want 200 "
		    "with %zu", r.status, r.body_len, strlen(HELLO_BODY));
	harness_response_free(&r);
	harness_client_close(&b);
	fx_stop_ok(fx);

	assert_int_equal(harness_read_file(path, &log, NULL), 0);
	for (line = log; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			fail_msg("access log ends in a partial line: %s", line);
		*nl = '\0';
		nlines++;
		if (strstr(line, "\"GET /sleep HTTP/1.1\" 200 ") != NULL)
			sleep_line = line;
		else if (strstr(line, "\"GET / HTTP/1.1\" 200 ") != NULL)
			a_line = line;
	}
	if (nlines != 2 || sleep_line == NULL || a_line == NULL) {
		fail_msg("access log has %d lines (/sleep %s, GET / %s), want "
		    "one of each", nlines, sleep_line != NULL ? "found" :
		    "missing", a_line != NULL ? "found" : "missing");
		return;		/* not reached; for the compiler */
	}
	print_message("/sleep line: %s\n", sleep_line);
	if (strstr(sleep_line, "agent-A-xyz") != NULL ||
	    strstr(sleep_line, "ref-A") != NULL)
		fail_msg("the /sleep line shows the other connection's "
		    "fields: %s", sleep_line);
	/* The two fields are followed by the request and hand-off times. */
	if (strstr(sleep_line, " \"-\" \"-\" ") == NULL)
		fail_msg("the /sleep line (no Referer, no User-Agent) must end "
		    "in \"-\" \"-\" and the times: %s", sleep_line);
	if (strstr(a_line, " \"ref-A\" \"agent-A-xyz\"") == NULL)
		fail_msg("the GET / line lacks \"ref-A\" \"agent-A-xyz\": %s",
		    a_line);
	free(log);
}

/*
 * Send req on a connection of its own, read until the server closes, and
 * check the answer is status want with a head and nothing after it.
 */
static void
head_error_no_body(struct fx *fx, const char *req, size_t len, int want)
{
	char		 buf[4096];
	const char	*end;
	size_t		 kept, total, hlen;
	enum end_kind	 how;
	int		 fd, st;

	fd = harness_connect(fx->srv.port, 0);
	if (fd == -1)
		fail_msg("connect to port %d: %s", fx->srv.port,
		    strerror(errno));
	assert_int_equal(harness_send_all(fd, req, len, 2000), 0);
	how = read_to_end(fd, buf, sizeof(buf) - 1, &kept, &total,
	    harness_now_ms() + 3000);
	close(fd);
	buf[kept] = '\0';
	st = status_of(buf, kept);
	if (st != want)
		fail_msg("\"%.*s\": status %d (%zu bytes, then %s), want %d",
		    (int)strcspn(req, "\r"), req, st, total, end_name(how),
		    want);
	if (how != END_EOF)
		fail_msg("\"%.*s\": %d then %s, want EOF (a closing error)",
		    (int)strcspn(req, "\r"), req, want, end_name(how));
	end = memmem(buf, kept, "\r\n\r\n", 4);
	assert_non_null(end);
	hlen = (size_t)(end - buf) + 4;
	if (total != hlen)
		fail_msg("\"%.*s\": %d to HEAD carried %zu bytes after its "
		    "%zu-byte head, want none: \"%.40s\"",
		    (int)strcspn(req, "\r"), req, want, total - hlen, hlen,
		    buf + hlen);
}

/*
 * Fix 7: 413 refuses a HEAD request without a body: the answer to a HEAD
 * has none (RFC 9110 9.3.2), whatever its status.  A chunked body past
 * --max-body, which can only be seen after the answer, closes the
 * connection instead.
 *
 * How it fails without the fix: conn_error always queued the built-in
 * error page, so the head was followed by ~150 bytes of HTML, which a
 * client reading a HEAD answer takes for the start of the next response.
 */
static void
test_head_413_no_body(void **state)
{
	static const char *const	 args[] = { "--max-body", "10",
	    "--header-timeout", "5", NULL };
	static const char		 h413[] = "HEAD / HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nContent-Length: 100\r\n\r\n";
	static const char		 hchunked[] = "HEAD / HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
	struct fx			*fx = *state;
	char				 req[512];
	int				 n;

	fx_start(fx, 0, args);
	head_error_no_body(fx, h413, sizeof(h413) - 1, 413);
	/* The same, the refused body sent along. */
	n = snprintf(req, sizeof(req), "%s", h413);
	memset(req + n, 'b', 100);
	head_error_no_body(fx, req, (size_t)n + 100, 413);
	/*
	 * 20 chunked bytes against --max-body 10: the answer (200, no body)
	 * went out before the body was read, so the connection closes.
	 */
	n = snprintf(req, sizeof(req), "%s14\r\n%020d\r\n0\r\n\r\n",
	    hchunked, 0);
	head_error_no_body(fx, req, (size_t)n, 200);
	fx_stop_ok(fx);
	assert_counter_min(fx, "body_too_large", 3);
}

#define FD_SMALL_FILES	40
#define FD_SMALL_SIZE	1000	/* well under SERVE_SMALL_MAX (16 KiB) */
#define FD_SLACK	3	/* descriptors allowed to appear meanwhile */

/*
 * Fix 5a: a small file is cached as bytes and its descriptor closed, so
 * serving many different small files does not hold one descriptor each.
 *
 * How it fails without the fix: each of the 40 cache entries (256 per
 * worker fit) kept its open descriptor beside the bytes: the count grows
 * by 40.
 */
static void
test_fd_small_files_not_held(void **state)
{
	static const char *const	 args[] = { "--workers", "1", NULL };
	struct fx			*fx = *state;
	struct harness_response		 r;
	char				 name[32], path[40];
	char				*data[FD_SMALL_FILES];
	int				 i, n0, n1;

	for (i = 0; i < FD_SMALL_FILES; i++) {
		data[i] = make_pattern(FD_SMALL_SIZE, (unsigned)i * 7919);
		snprintf(name, sizeof(name), "f%02d.bin", i);
		assert_int_equal(harness_write_file(fx->root, name, data[i],
		    FD_SMALL_SIZE, 0644), 0);
	}
	fx_start(fx, 0, args);
	/* The first request sets up what any request needs; count after. */
	get_and_wait_closed(fx, "/", &r);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	n0 = server_fds(fx);
	for (i = 0; i < FD_SMALL_FILES; i++) {
		snprintf(path, sizeof(path), "/f%02d.bin", i);
		get_and_wait_closed(fx, path, &r);
		if (r.status != 200 || r.body_len != FD_SMALL_SIZE ||
		    memcmp(r.body, data[i], FD_SMALL_SIZE) != 0)
			fail_msg("%s: status %d, %zu body bytes, want 200 with "
			    "the file's %d", path, r.status, r.body_len,
			    FD_SMALL_SIZE);
		harness_response_free(&r);
	}
	n1 = server_fds(fx);
	print_message("%d small files served: %d descriptors before, %d "
	    "after\n", FD_SMALL_FILES, n0, n1);
	if (n1 > n0 + FD_SLACK)
		fail_msg("serving %d small files (%d bytes each) raised the "
		    "server's descriptors from %d to %d, want at most +%d: "
		    "cached small files must not keep their descriptors",
		    FD_SMALL_FILES, FD_SMALL_SIZE, n0, n1, FD_SLACK);
	for (i = 0; i < FD_SMALL_FILES; i++)
		free(data[i]);
	fx_stop_ok(fx);
}

#define FD_BIG_SIZE	(100 * 1024)	/* served from a descriptor */
#define FD_TTL_WAIT_MS	1200		/* past the 1 s cache lifetime */
#define FD_NEW_MTIME	1000000000	/* 2001-09-09 01:46:40 UTC */
#define FD_NEW_DATE	"Sun, 09 Sep 2001 01:46:40 GMT"

/* GET path, expecting 200 with exactly want[0..len). */
static void
get_expect_body(struct fx *fx, const char *path, const char *want,
    size_t len, const char *when)
{
	struct harness_response	r;

	get_and_wait_closed(fx, path, &r);
	if (r.status != 200 || r.body_len != len)
		fail_msg("%s: GET %s: status %d, %zu body bytes, want 200 with "
		    "%zu", when, path, r.status, r.body_len, len);
	if (memcmp(r.body, want, len) != 0)
		fail_msg("%s: GET %s: the body is not the file's content",
		    when, path);
	harness_response_free(&r);
}

/* Rewrite dir/name in place with data and set its mtime to FD_NEW_MTIME. */
static void
rewrite_file(struct fx *fx, const char *name, const char *data, size_t len)
{
	struct timespec	ts[2];
	char		path[320];

	assert_int_equal(harness_write_file(fx->root, name, data, len, 0644),
	    0);
	snprintf(path, sizeof(path), "%s/%s", fx->root, name);
	ts[0].tv_sec = ts[1].tv_sec = FD_NEW_MTIME;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * Fix 5b: an expired cache entry whose file did not change is kept (the
 * descriptor count does not grow across the cache lifetime), and a file
 * that did change, even to the same size, is seen once the lifetime is
 * over: new bytes for a small file, a new Last-Modified for a large one.
 *
 * How it fails: the descriptor counts cannot tell the fix from the code
 * before it when nothing pins the entry (both end with one descriptor;
 * test_fd_pinned_file_not_reopened is the one that fails without the
 * fix).  This test fails if the fix keeps an entry too eagerly: a
 * comparison that ignores the mtime (same inode, same size here) serves
 * the small file's old bytes and the old Last-Modified.
 */
static void
test_fd_cache_expiry_unchanged_and_changed(void **state)
{
	static const char *const	 args[] = { "--workers", "1", NULL };
	struct fx			*fx = *state;
	struct harness_response		 r;
	char				*big, *big2, *small, *small2;
	const char			*lm;
	int				 n1, n2, n3, n4;

	big = make_pattern(FD_BIG_SIZE, 1);
	big2 = make_pattern(FD_BIG_SIZE, 2);
	small = make_pattern(FD_SMALL_SIZE, 3);
	small2 = make_pattern(FD_SMALL_SIZE, 4);
	assert_int_equal(harness_write_file(fx->root, "big.bin", big,
	    FD_BIG_SIZE, 0644), 0);
	assert_int_equal(harness_write_file(fx->root, "small.bin", small,
	    FD_SMALL_SIZE, 0644), 0);
	fx_start(fx, 0, args);

	get_expect_body(fx, "/small.bin", small, FD_SMALL_SIZE, "first");
	get_expect_body(fx, "/big.bin", big, FD_BIG_SIZE, "first");
	n1 = server_fds(fx);
	let_time_pass(FD_TTL_WAIT_MS);
	get_expect_body(fx, "/big.bin", big, FD_BIG_SIZE, "after 1.2 s");
	n2 = server_fds(fx);
	get_expect_body(fx, "/big.bin", big, FD_BIG_SIZE, "again");
	n3 = server_fds(fx);
	print_message("100 KiB file: %d, %d (1.2 s later), %d descriptors\n",
	    n1, n2, n3);
	if (n2 > n1 || n3 > n2)
		fail_msg("an unchanged 100 KiB file served across the cache "
		    "lifetime: descriptors %d, %d, %d, want no growth", n1,
		    n2, n3);

	/* Same sizes, new bytes, another mtime. */
	rewrite_file(fx, "big.bin", big2, FD_BIG_SIZE);
	rewrite_file(fx, "small.bin", small2, FD_SMALL_SIZE);
	let_time_pass(FD_TTL_WAIT_MS);
	get_expect_body(fx, "/small.bin", small2, FD_SMALL_SIZE,
	    "1.2 s after a same-size rewrite");
	get_and_wait_closed(fx, "/big.bin", &r);
	if (r.status != 200 || r.body_len != FD_BIG_SIZE ||
	    memcmp(r.body, big2, FD_BIG_SIZE) != 0)
		fail_msg("1.2 s after a same-size rewrite: GET /big.bin: "
		    "status %d, %zu bytes, want 200 with the new content",
		    r.status, r.body_len);
	lm = harness_response_header(&r, "Last-Modified");
	if (lm == NULL || strcmp(lm, FD_NEW_DATE) != 0)
		fail_msg("1.2 s after the rewrite: Last-Modified \"%s\", want "
		    "\"%s\" (the new mtime)", lm != NULL ? lm : "(none)",
		    FD_NEW_DATE);
	harness_response_free(&r);
	n4 = server_fds(fx);
	if (n4 > n3)
		fail_msg("the replaced entry's descriptor stayed open: %d "
		    "descriptors, %d before the rewrite", n4, n3);
	free(big);
	free(big2);
	free(small);
	free(small2);
	fx_stop_ok(fx);
}

#define FD_PIN_SIZE	(16 * 1024 * 1024) /* > the largest send buffer */
#define FD_PIN_RCVBUF	4096

/*
 * Fix 5b, the case that fails without it: a slow download pins the cache
 * entry of a large file (its response still sends from the descriptor)
 * past the cache lifetime, and the same, unchanged file is requested
 * again.  The entry is kept: no second descriptor.  The file is larger
 * than any send buffer can take (tcp_wmem's 4 MiB maximum), so the slow
 * download cannot have finished while nobody reads it.
 *
 * How it fails without the fix: the expired entry was unlinked (its pin
 * kept it and its descriptor alive) and the file opened again into a new
 * entry: one descriptor more than before, for as long as the download
 * lasts, and one more every second with a steady request rate.
 */
static void
test_fd_pinned_file_not_reopened(void **state)
{
	static const char *const	 args[] = { "--workers", "1",
	    "--send-timeout", "20", NULL };
	static const char		 req[] = "GET /pin.bin HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n";
	struct fx			*fx = *state;
	struct harness_client		 slow;
	struct harness_response		 r;
	struct pollfd			 pfd;
	char				*pin;
	int				 n1, n2, n3;

	pin = make_pattern(FD_PIN_SIZE, 5);
	assert_int_equal(harness_write_file(fx->root, "pin.bin", pin,
	    FD_PIN_SIZE, 0644), 0);
	fx_start(fx, 0, args);

	assert_int_equal(harness_client_connect(&slow, fx->srv.port,
	    FD_PIN_RCVBUF), 0);
	assert_int_equal(harness_client_send_str(&slow, req, 2000), 0);
	pfd.fd = slow.fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 2000) != 1)
		fail_msg("the slow download did not start within 2000 ms");
	n1 = server_fds(fx);
	let_time_pass(FD_TTL_WAIT_MS);
	get_expect_body(fx, "/pin.bin", pin, FD_PIN_SIZE,
	    "1.2 s into a slow download");
	n2 = server_fds(fx);
	let_time_pass(FD_TTL_WAIT_MS);
	get_expect_body(fx, "/pin.bin", pin, FD_PIN_SIZE,
	    "2.4 s into a slow download");
	n3 = server_fds(fx);
	print_message("pinned 16 MiB file: %d descriptors during the slow "
	    "download, %d and %d after two more downloads past the cache "
	    "lifetime\n", n1, n2, n3);
	if (n2 > n1 || n3 > n1)
		fail_msg("an unchanged file pinned by a slow download was "
		    "opened again past the cache lifetime: descriptors %d, "
		    "then %d, %d, want no growth", n1, n2, n3);

	/* The pinned download still completes, byte-exact. */
	if (harness_client_read_response(&slow, &r, 0, 10000) == -1)
		fail_msg("the slow download did not complete: %s",
		    strerror(errno));
	if (r.status != 200 || r.body_len != FD_PIN_SIZE ||
	    memcmp(r.body, pin, FD_PIN_SIZE) != 0)
		fail_msg("the slow download: status %d, %zu bytes, want 200 "
		    "with the file's %d", r.status, r.body_len, FD_PIN_SIZE);
	harness_response_free(&r);
	harness_client_close(&slow);
	free(pin);
	fx_stop_ok(fx);
}

#define LINGER_OK_SIZE	(200 * 1024)
#define LINGER_JUNK	(64 * 1024)
#define LINGER_RUNS	5

/*
 * Fix 6: a non-error answer that closes ("Connection: close") while the
 * client's bytes behind the request are still unread lingers too: the
 * whole 200 KiB body arrives byte-exact, then EOF.
 *
 * How it fails without the fix: only error answers lingered; this one
 * was closed at once over unread input, so the kernel sent a reset that
 * discarded what the send buffer still held: the client sees ECONNRESET
 * and, most runs, a truncated body.
 */
static void
test_lingering_200_close_with_unread_input(void **state)
{
	static const char *const	 args[] = { "--header-timeout", "5",
	    NULL };
	static const char		 head[] = "GET /big HTTP/1.1\r\n"
	    "Host: a\r\nConnection: close\r\n\r\n";
	struct fx			*fx = *state;
	char				*big, *req, *buf, *cl;
	const char			*end;
	size_t				 kept, total, hlen, cap;
	enum end_kind			 how;
	int				 run, fd, st;

	big = make_pattern(LINGER_OK_SIZE, 6);
	assert_int_equal(harness_write_file(fx->root, "big", big,
	    LINGER_OK_SIZE, 0644), 0);
	fx_start(fx, 0, args);
	req = malloc(sizeof(head) - 1 + LINGER_JUNK);
	assert_non_null(req);
	memcpy(req, head, sizeof(head) - 1);
	memset(req + sizeof(head) - 1, 'J', LINGER_JUNK);
	cap = LINGER_OK_SIZE + 4096;
	buf = malloc(cap + 1);
	assert_non_null(buf);

	for (run = 0; run < LINGER_RUNS; run++) {
		fd = harness_connect(fx->srv.port, 0);
		if (fd == -1)
			fail_msg("connect to port %d: %s", fx->srv.port,
			    strerror(errno));
		if (harness_send_all(fd, req, sizeof(head) - 1 + LINGER_JUNK,
		    3000) == -1)
			fail_msg("run %d: sending the request and %d junk "
			    "bytes: %s", run + 1, LINGER_JUNK,
			    strerror(errno));
		how = read_to_end(fd, buf, cap, &kept, &total,
		    harness_now_ms() + 5000);
		close(fd);
		buf[kept] = '\0';
		st = status_of(buf, kept);
		end = memmem(buf, kept, "\r\n\r\n", 4);
		if (st != 200 || end == NULL)
			fail_msg("run %d: status %d, %zu bytes, then %s, want "
			    "200", run + 1, st, total, end_name(how));
		hlen = (size_t)(end - buf) + 4;
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl == NULL || cl > end || strtoul(cl + 17, NULL, 10) !=
		    LINGER_OK_SIZE)
			fail_msg("run %d: no Content-Length %d in the head",
			    run + 1, LINGER_OK_SIZE);
		if (total != hlen + LINGER_OK_SIZE)
			fail_msg("run %d: %zu body bytes, then %s, want %d "
			    "then EOF", run + 1, total - hlen, end_name(how),
			    LINGER_OK_SIZE);
		if (memcmp(buf + hlen, big, LINGER_OK_SIZE) != 0)
			fail_msg("run %d: the body differs from the file",
			    run + 1);
		if (how != END_EOF)
			fail_msg("run %d: the whole body, then %s, want EOF "
			    "(a lingering close, not a reset)", run + 1,
			    end_name(how));
	}
	print_message("%d runs: %d-byte body then EOF, with %d unread bytes "
	    "behind the request\n", LINGER_RUNS, LINGER_OK_SIZE, LINGER_JUNK);
	free(buf);
	free(req);
	free(big);
	fx_stop_ok(fx);
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
		cmocka_unit_test_setup_teardown(
		    test_sleep_access_log_own_fields, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_head_413_no_body, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fd_small_files_not_held, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fd_cache_expiry_unchanged_and_changed, fx_setup,
		    fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_fd_pinned_file_not_reopened, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    test_lingering_200_close_with_unread_input, fx_setup,
		    fx_teardown),
	};

	harness_raise_nofile();
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
