/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests of the worker pool: dispatch to the least-loaded worker,
 * hand-off through the inbox and doorbell, broadcast, stop and join.
 * Seams, not mocks: the workers are real threads serving real
 * connections, given one end of a socketpair each; the test speaks HTTP
 * on the other end.  The feeder's doorbell is an eventfd the test polls,
 * so nothing waits on a sleep.  CI also runs this binary under TSan.
 */

#include "config.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "conf.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "status.h"

#define TEST_WAIT_MS	5000

struct fixture {
	struct conf	 conf;
	struct status	 st;
	struct mime	*mime;
	struct pool	*pool;
	int		 bell;
};

static int
setup(void **state)
{
	struct fixture	*f;
	const char	*root = getenv("SLUICE_HTDOCS");
	char		 err[256];

	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	conf_init(&f->conf);
	f->conf.workers = 2;
	f->conf.cache_entries = 8;
	snprintf(f->conf.root, sizeof(f->conf.root), "%s",
	    root != NULL ? root : "tests/htdocs");
	status_init(&f->st);
	f->mime = mime_create(NULL, 0);
	f->pool = pool_create(&f->conf, f->mime, &f->st, err, sizeof(err));
	if (f->pool == NULL) {
		fprintf(stderr, "pool_create: %s\n", err);
		return -1;
	}
	f->bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	pool_set_notify(f->pool, f->bell);
	/* Every close rings the bell while "accept is paused". */
	atomic_store(&f->st.accept_paused, true);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	pool_broadcast(f->pool, POOL_CTL_CLOSE);
	pool_join(f->pool);
	pool_destroy(f->pool);
	mime_destroy(f->mime);
	close(f->bell);
	free(f);
	return 0;
}

static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until cond(f) holds, woken by the bell; 0, or -1 on time-out. */
static int
wait_for(struct fixture *f, int (*cond)(struct fixture *))
{
	struct pollfd	 pfd = { f->bell, POLLIN, 0 };
	long long	 end = now_ms() + TEST_WAIT_MS;
	uint64_t	 v;

	while (!cond(f)) {
		if (now_ms() >= end)
			return -1;
		(void)poll(&pfd, 1, (int)(end - now_ms()));
		if (read(f->bell, &v, sizeof(v)) == -1)
			v = 0;	/* not rung: the condition is checked again */
	}
	return 0;
}

static int
all_closed(struct fixture *f)
{
	return pool_load(f->pool, 0) == 0 && pool_load(f->pool, 1) == 0;
}

static int
none_running(struct fixture *f)
{
	return pool_running(f->pool) == 0;
}

/* Hand one end of a new socketpair to the pool; return the other end. */
static int
hand_off(struct fixture *f, int *worker)
{
	struct sockaddr_storage	 ss;
	struct timespec		 ts;
	int			 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0, sv), 0);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	atomic_fetch_add(&f->st.c[STATUS_OPEN], 1);
	*worker = pool_dispatch(f->pool, sv[0], (struct sockaddr *)&ss,
	    sizeof(sa_family_t), &ts);
	return sv[1];
}

/* Send a request on fd and read until the response's body is in. */
static void
request(int fd, const char *req, char *buf, size_t cap)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	long long	 end = now_ms() + TEST_WAIT_MS;
	size_t		 len = 0;
	ssize_t		 n;
	char		*body;

	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		buf[len] = '\0';
		body = strstr(buf, "\r\n\r\n");
		if (body != NULL && strstr(buf, "</html>") != NULL)
			return;
		assert_true(now_ms() < end);
		(void)poll(&pfd, 1, 100);
		n = read(fd, buf + len, cap - 1 - len);
		if (n == -1 && errno == EAGAIN)
			continue;
		assert_true(n > 0);
		len += (size_t)n;
	}
}

static void
test_pool_dispatch_least_loaded(void **state)
{
	struct fixture	*f = *state;
	int		 fds[4], w[4], i;

	/* Loads are counted at dispatch, before any worker runs. */
	fds[0] = hand_off(f, &w[0]);
	fds[1] = hand_off(f, &w[1]);
	assert_int_not_equal(w[0], w[1]);
	assert_int_equal(pool_load(f->pool, 0), 1);
	assert_int_equal(pool_load(f->pool, 1), 1);
	/* Equal loads: the next two go one to each (round-robin ties). */
	fds[2] = hand_off(f, &w[2]);
	fds[3] = hand_off(f, &w[3]);
	assert_int_not_equal(w[2], w[3]);
	assert_int_equal(pool_load(f->pool, 0), 2);
	assert_int_equal(pool_load(f->pool, 1), 2);
	pool_flush(f->pool);
	for (i = 0; i < 4; i++)
		close(fds[i]);
	assert_int_equal(wait_for(f, all_closed), 0);
	assert_int_equal(status_get(&f->st, STATUS_OPEN), 0);
}

static void
test_pool_dispatch_prefers_idle_worker(void **state)
{
	struct fixture	*f = *state;
	int		 a, b, c, wa, wb, wc;

	a = hand_off(f, &wa);
	b = hand_off(f, &wb);
	pool_flush(f->pool);
	close(b);
	/* Wait until worker wb has seen its close. */
	while (pool_load(f->pool, (unsigned)wb) != 0) {
		struct pollfd	 pfd = { f->bell, POLLIN, 0 };
		uint64_t	 v;

		assert_int_not_equal(poll(&pfd, 1, TEST_WAIT_MS), 0);
		if (read(f->bell, &v, sizeof(v)) == -1)
			v = 0;	/* not rung: the condition is checked again */
	}
	c = hand_off(f, &wc);
	assert_int_equal(wc, wb);
	pool_flush(f->pool);
	close(a);
	close(c);
	assert_int_equal(wait_for(f, all_closed), 0);
}

static void
test_pool_serves_handed_off_socket(void **state)
{
	struct fixture	*f = *state;
	char		 buf[8192];
	int		 fd, w;

	fd = hand_off(f, &w);
	pool_flush(f->pool);
	request(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", buf, sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	/* Keep-alive: a second request on the same socket. */
	memset(buf, 0, sizeof(buf));
	request(fd, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n", buf,
	    sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 404 Not Found\r\n", 24);
	assert_int_equal(pool_load(f->pool, (unsigned)w), 1);
	close(fd);
	assert_int_equal(wait_for(f, all_closed), 0);
	assert_true(status_get(&f->st, STATUS_REQUESTS) >= 2);
}

static void
test_pool_broadcast_drain_stops_and_joins(void **state)
{
	struct fixture	*f = *state;
	char		 buf[8192];
	int		 fd, w;

	assert_int_equal(pool_start(f->pool, buf, sizeof(buf)), 0);
	fd = hand_off(f, &w);
	pool_flush(f->pool);
	request(fd, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", buf, sizeof(buf));
	/* The connection is idle now: draining closes it, then stops. */
	pool_broadcast(f->pool, POOL_CTL_DRAIN);
	assert_int_equal(wait_for(f, none_running), 0);
	assert_int_equal(pool_load(f->pool, (unsigned)w), 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 0);	/* EOF */
	close(fd);
	pool_join(f->pool);
	assert_int_equal(pool_running(f->pool), 0);
}

static int
reload_taken(struct fixture *f)
{
	return !pool_reloading(f->pool);
}

/*
 * A reload reaches both workers through their inboxes: while it is
 * pending the old configuration counts as used, a second one is refused,
 * and once taken the new docroot answers on a connection opened before
 * (its worker switched between two requests) and the old is unused.
 */
static void
test_pool_reload_switches_workers(void **state)
{
	struct fixture	*f = *state;
	struct conf	*next;
	char		 buf[8192];
	int		 fd, w;

	fd = hand_off(f, &w);
	pool_flush(f->pool);
	request(fd, "GET /hello.html HTTP/1.1\r\nHost: t\r\n\r\n", buf,
	    sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 200 OK\r\n", 17);
	assert_non_null(next = malloc(sizeof(*next)));
	memcpy(next, &f->conf, sizeof(*next));
	/* A docroot without hello.html. */
	assert_true(strlen(f->conf.root) + 4 < sizeof(next->root));
	memcpy(next->root + strlen(f->conf.root), "/sub", 5);
	assert_true(pool_uses(f->pool, &f->conf));
	assert_false(pool_uses(f->pool, next));
	assert_int_equal(pool_reload(f->pool, next), 0);
	assert_true(pool_uses(f->pool, next));
	assert_int_equal(wait_for(f, reload_taken), 0);
	assert_int_equal(pool_reload_failures(f->pool), 0);
	assert_false(pool_uses(f->pool, &f->conf));
	assert_true(pool_uses(f->pool, next));
	memset(buf, 0, sizeof(buf));
	request(fd, "GET /hello.html HTTP/1.1\r\nHost: t\r\n\r\n", buf,
	    sizeof(buf));
	assert_memory_equal(buf, "HTTP/1.1 404 Not Found\r\n", 24);
	close(fd);
	assert_int_equal(wait_for(f, all_closed), 0);
	/* Back, so that teardown frees nothing in use. */
	assert_int_equal(pool_reload(f->pool, &f->conf), 0);
	assert_int_equal(wait_for(f, reload_taken), 0);
	assert_false(pool_uses(f->pool, next));
	free(next);
}

/*
 * A configuration a worker cannot take (its docroot is gone): each keeps
 * its own, counts the failure, and the old one is still in use.
 */
static void
test_pool_reload_failure_keeps_old(void **state)
{
	struct fixture	*f = *state;
	struct conf	*next;

	assert_non_null(next = malloc(sizeof(*next)));
	memcpy(next, &f->conf, sizeof(*next));
	snprintf(next->root, sizeof(next->root), "/nonexistent/sluice-test");
	assert_int_equal(pool_reload(f->pool, next), 0);
	assert_int_equal(wait_for(f, reload_taken), 0);
	assert_int_equal(pool_reload_failures(f->pool), 2);
	assert_true(pool_uses(f->pool, &f->conf));
	assert_false(pool_uses(f->pool, next));
	free(next);
}

static int
start_pool(void **state)
{
	struct fixture	*f;
	char		 err[256];

	if (setup(state) == -1)
		return -1;
	f = *state;
	return pool_start(f->pool, err, sizeof(err));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_pool_dispatch_least_loaded, start_pool, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_dispatch_prefers_idle_worker, start_pool,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_serves_handed_off_socket, start_pool, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_broadcast_drain_stops_and_joins, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_reload_switches_workers, start_pool, teardown),
		cmocka_unit_test_setup_teardown(
		    test_pool_reload_failure_keeps_old, start_pool, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	log_init(-1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
