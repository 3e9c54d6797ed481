/* sluice: integration tests of the seed's behaviour. */

/*
 * The behaviour that must always hold (DESIGN.md, "the seed"), checked over
 * real sockets against the real binary: GET / answers hello.html, unknown
 * paths answer 404.html (or a built-in page), no arguments serve ./html on
 * 127.0.0.1:7878, the command line accepts and rejects what the spec says,
 * SIGTERM exits 0 with the counters line, and /sleep answers after its
 * delay without holding up other connections on the same worker. One
 * server (--workers 1, --sleep-route 1) serves the site for the group;
 * tests that need other options start their own.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
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

/* The delay given to --sleep-route, and the slack allowed on top of it. */
#define SEED_SLEEP_S		1
#define SEED_SLEEP_SLACK_MS	1000
/* The default listener of the seed. */
#define SEED_DEFAULT_PORT	7878
/* The largest built-in 404 page we call "small". */
#define SEED_BUILTIN_MAX	4096
/* Per-read timeout of these tests. */
#define SEED_TIMEOUT_MS		5000

struct seed {
	struct harness_server	 srv;
	char			 hello[PATH_MAX];
	char			 notfound[PATH_MAX];
};

static int	seed_setup(void **);
static int	seed_teardown(void **);
static void	assert_body_is_file(const struct harness_response *,
		    const char *);
static bool	port_is_free(int);
static void	assert_bad_option(const char *, const char *, const char *);
static void	assert_good_options(const char *, const char *, ...);

/*
 * Start the group's server on the seed's site. Fails the group (cmocka
 * reports it) if the environment or the server is missing.
 */
static int
seed_setup(void **state)
{
	static const char	*args[] = { "--root", NULL, "--workers", "1",
	    "--sleep-route", "1", NULL };
	struct harness_opts	 o;
	struct seed		*s;
	const char		*site;

	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	if ((site = harness_site()) == NULL || harness_bin() == NULL) {
		fprintf(stderr, "test_seed: SLUICE_BIN and SLUICE_SITE must "
		    "be set (run through make check)\n");
		return (-1);
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return (-1);
	snprintf(s->hello, sizeof(s->hello), "%s/hello.html", site);
	snprintf(s->notfound, sizeof(s->notfound), "%s/404.html", site);
	args[1] = site;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&s->srv, &o) == -1) {
		fprintf(stderr, "test_seed: cannot start %s: %s\n",
		    harness_bin(), strerror(errno));
		harness_server_cleanup(&s->srv);
		free(s);
		return (-1);
	}
	harness_watchdog_disarm();
	*state = s;
	return (0);
}

static int
seed_teardown(void **state)
{
	struct seed	*s = *state;
	char		*log;
	int		 st = 0, ret = 0;

	if (s == NULL)
		return (0);
	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	/* The group's server must have survived every test and exit 0. */
	if (harness_server_stop(&s->srv, &st) == -1 ||
	    harness_exit_code(st) != 0) {
		fprintf(stderr, "test_seed: the group's server did not exit 0 "
		    "(status %d), its log:\n", harness_exit_code(st));
		if (harness_log_read(&s->srv, &log, NULL) == 0) {
			fprintf(stderr, "%s", log);
			free(log);
		}
		ret = -1;
	}
	harness_server_cleanup(&s->srv);
	free(s);
	harness_watchdog_disarm();
	return (ret);
}

/* The body of r is exactly the bytes of the file at path. */
static void
assert_body_is_file(const struct harness_response *r, const char *path)
{
	char	*want;
	size_t	 len;

	if (harness_read_file(path, &want, &len) == -1)
		fail_msg("cannot read %s: %s", path, strerror(errno));
	assert_int_equal(r->body_len, len);
	assert_memory_equal(r->body, want, len);
	free(want);
}

/*
 * True if nothing listens on 127.0.0.1:port. SO_REUSEADDR, as a server
 * sets it, so that connections in TIME_WAIT do not count as busy.
 */
static bool
port_is_free(int port)
{
	struct sockaddr_in	sin;
	int			fd, one = 1, r;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return (false);
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
	close(fd);
	return (r == 0);
}

static void
test_seed_get_root_hello(void **state)
{
	struct seed		*s = *state;
	struct harness_response	 r;

	assert_int_equal(harness_get(s->srv.port, "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_body_is_file(&r, s->hello);
	harness_response_free(&r);
}

static void
test_seed_unknown_path_404_page(void **state)
{
	struct seed		*s = *state;
	struct harness_response	 r;

	assert_int_equal(harness_get(s->srv.port, "/no/such/page.html", &r),
	    0);
	assert_int_equal(r.status, 404);
	assert_body_is_file(&r, s->notfound);
	harness_response_free(&r);
}

static void
test_seed_404_builtin_page(void **state)
{
	static const char	 hello[] = "<p>only hello</p>\n";
	const char		*args[] = { "--root", NULL, NULL };
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 r;
	const char		*ct;
	char			 root[256];
	int			 st;

	assert_int_equal(harness_tmpdir_create(root, sizeof(root), "root"),
	    0);
	assert_int_equal(harness_write_file(root, "hello.html", hello,
	    sizeof(hello) - 1, 0644), 0);
	args[1] = root;
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&srv, &o), 0);

	assert_int_equal(harness_get(srv.port, "/missing.html", &r), 0);
	assert_int_equal(r.status, 404);
	assert_true(r.body_len > 0);
	assert_true(r.body_len < SEED_BUILTIN_MAX);
	assert_non_null(strstr(r.body, "404"));
	ct = harness_response_header(&r, "Content-Type");
	assert_non_null(ct);
	assert_int_equal(strncmp(ct, "text/html", 9), 0);
	harness_response_free(&r);

	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
	assert_int_equal(harness_rmtree(root), 0);
}

/*
 * No arguments at all: ./html on 127.0.0.1:7878. The port is fixed, so the
 * test says visibly that it is skipped when something else holds it.
 */
static void
test_seed_no_args_serves_html_on_7878(void **state)
{
	struct seed		*s = *state;
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 r;
	char			 cwd[256], html[300];
	int			 st;

	if (!port_is_free(SEED_DEFAULT_PORT)) {
		print_message("test_seed: 127.0.0.1:%d is busy, skipping the "
		    "no-argument start\n", SEED_DEFAULT_PORT);
		skip();
	}
	assert_int_equal(harness_tmpdir_create(cwd, sizeof(cwd), "cwd"), 0);
	snprintf(html, sizeof(html), "%s/html", cwd);
	assert_int_equal(harness_copy_tree(harness_site(), html), 0);
	memset(&o, 0, sizeof(o));
	o.bare = true;
	o.cwd = cwd;
	assert_int_equal(harness_server_start(&srv, &o), 0);
	if (harness_server_wait_log(&srv, "listening on", SEED_TIMEOUT_MS)
	    == -1) {
		harness_server_cleanup(&srv);
		(void)harness_rmtree(cwd);
		fail_msg("no \"listening on\" line in the log: %s",
		    strerror(errno));
	}
	assert_true(harness_log_contains(&srv, "127.0.0.1:7878"));

	assert_int_equal(harness_get(SEED_DEFAULT_PORT, "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_body_is_file(&r, s->hello);
	harness_response_free(&r);
	assert_int_equal(harness_get(SEED_DEFAULT_PORT, "/nothing-here", &r),
	    0);
	assert_int_equal(r.status, 404);
	assert_body_is_file(&r, s->notfound);
	harness_response_free(&r);

	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
	assert_int_equal(harness_rmtree(cwd), 0);
}

static void
test_seed_version_exit0(void **state)
{
	static const char	*longopt[] = { "--version", NULL };
	static const char	*shortopt[] = { "-V", NULL };
	struct harness_run	 run;

	assert_int_equal(harness_run(longopt, NULL, SEED_TIMEOUT_MS, &run), 0);
	assert_int_equal(run.code, 0);
	assert_non_null(strstr(run.out, "sluice 0.1.0"));
	harness_run_free(&run);

	assert_int_equal(harness_run(shortopt, NULL, SEED_TIMEOUT_MS, &run),
	    0);
	assert_int_equal(run.code, 0);
	assert_non_null(strstr(run.out, "sluice 0.1.0"));
	harness_run_free(&run);
}

static void
test_seed_help_exit0(void **state)
{
	static const char	*longopt[] = { "--help", NULL };
	static const char	*shortopt[] = { "-h", NULL };
	static const char	*want[] = { "--listen", "--root", "--workers",
	    "--max-connections", "--header-timeout", "--keepalive-timeout",
	    "--send-timeout", "--shutdown-timeout", "--backlog",
	    "--max-body", "--sleep-route", "--port-file", "--access-log",
	    "--version", "--help", NULL };
	struct harness_run	 run;
	size_t			 i;

	assert_int_equal(harness_run(longopt, NULL, SEED_TIMEOUT_MS, &run), 0);
	assert_int_equal(run.code, 0);
	for (i = 0; want[i] != NULL; i++) {
		if (strstr(run.out, want[i]) == NULL)
			fail_msg("--help does not mention %s", want[i]);
	}
	harness_run_free(&run);

	assert_int_equal(harness_run(shortopt, NULL, SEED_TIMEOUT_MS, &run),
	    0);
	assert_int_equal(run.code, 0);
	assert_non_null(strstr(run.out, "--listen"));
	harness_run_free(&run);
}

/*
 * Run sluice with "opt value" (value may be NULL) and a harmless listener,
 * so that a wrongly accepted value starts no server on the default port;
 * it must exit 2 with a message on stderr naming the option and the value.
 */
static void
assert_bad_option(const char *opt, const char *value, const char *name)
{
	const char		*args[8];
	struct harness_run	 run;
	size_t			 n = 0;
	int			 r;

	args[n++] = opt;
	if (value != NULL)
		args[n++] = value;
	if (strcmp(opt, "--listen") != 0) {
		args[n++] = "--listen";
		args[n++] = "127.0.0.1:0";
	}
	args[n++] = "--root";
	args[n++] = harness_site();
	args[n] = NULL;
	r = harness_run(args, NULL, SEED_TIMEOUT_MS, &run);
	if (r == -1) {
		harness_run_free(&run);
		fail_msg("sluice %s %s did not exit: %s", opt,
		    value != NULL ? value : "", strerror(errno));
	}
	if (run.code != 2)
		fail_msg("sluice %s %s: exit %d, want 2 (stderr: %s)", opt,
		    value != NULL ? value : "", run.code, run.err);
	if (strstr(run.err, name) == NULL)
		fail_msg("sluice %s %s: stderr does not name %s: %s", opt,
		    value != NULL ? value : "", name, run.err);
	if (value != NULL && strstr(run.err, value) == NULL)
		fail_msg("sluice %s %s: stderr does not show the value: %s",
		    opt, value, run.err);
	harness_run_free(&run);
}

static void
test_seed_badopt_workers_zero(void **state)
{
	assert_bad_option("--workers", "0", "workers");
}

static void
test_seed_badopt_workers_abc(void **state)
{
	assert_bad_option("--workers", "abc", "workers");
}

static void
test_seed_badopt_workers_too_many(void **state)
{
	assert_bad_option("--workers", "1025", "workers");
}

static void
test_seed_badopt_listen_nonsense(void **state)
{
	assert_bad_option("--listen", "nonsense", "listen");
}

static void
test_seed_badopt_max_body_negative(void **state)
{
	assert_bad_option("--max-body", "-1", "max-body");
}

static void
test_seed_badopt_header_timeout_x(void **state)
{
	assert_bad_option("--header-timeout", "x", "header-timeout");
}

static void
test_seed_badopt_max_connections_zero(void **state)
{
	assert_bad_option("--max-connections", "0", "max-connections");
}

static void
test_seed_badopt_backlog_too_big(void **state)
{
	assert_bad_option("--backlog", "65536", "backlog");
}

static void
test_seed_badopt_sleep_route_too_long(void **state)
{
	assert_bad_option("--sleep-route", "3601", "sleep-route");
}

static void
test_seed_badopt_unknown_option(void **state)
{
	assert_bad_option("--no-such-option", NULL, "no-such-option");
}

/*
 * --header refuses the fields that frame the message or the connection
 * (sluice writes those itself: a second Content-Length or Connection would
 * desynchronise the client), in any case, and a DEL byte in the value.
 */
static void
test_seed_badopt_header_content_length(void **state)
{
	assert_bad_option("--header", "Content-Length: 5", "--header");
}

static void
test_seed_badopt_header_transfer_encoding(void **state)
{
	assert_bad_option("--header", "transfer-encoding: chunked",
	    "--header");
}

static void
test_seed_badopt_header_connection(void **state)
{
	assert_bad_option("--header", "Connection: close", "--header");
}

static void
test_seed_badopt_header_del(void **state)
{
	assert_bad_option("--header", "X-Del: a\x7f" "b", "--header");
}

/*
 * --error-page refuses a path that climbs or could be decoded into one:
 * it is confined like a request, so such a page could never be served.
 */
static void
test_seed_badopt_error_page_dotdot(void **state)
{
	assert_bad_option("--error-page", "404=../x.html", "--error-page");
}

static void
test_seed_badopt_error_page_inner_dotdot(void **state)
{
	assert_bad_option("--error-page", "404=a/../../x", "--error-page");
}

static void
test_seed_badopt_error_page_escaped_dotdot(void **state)
{
	assert_bad_option("--error-page", "404=%2e%2e/x", "--error-page");
}

/*
 * Start a server on root with the given extra options (NULL-terminated,
 * at most 6), and check that it serves: GET /missing.html is 404 with
 * the body nf and a field "X-Good: yes".  Stops it (exit 0).
 */
static void
assert_good_options(const char *root, const char *nf, ...)
{
	const char		*args[12];
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 r;
	const char		*a, *v;
	va_list			 ap;
	size_t			 n = 0;
	int			 st;

	args[n++] = "--root";
	args[n++] = root;
	va_start(ap, nf);
	while ((a = va_arg(ap, const char *)) != NULL && n < 10)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&srv, &o) == -1) {
		harness_server_cleanup(&srv);
		fail_msg("sluice %s %s ...: did not start: %s", args[2],
		    args[3] != NULL ? args[3] : "", strerror(errno));
	}
	assert_int_equal(harness_get(srv.port, "/missing.html", &r), 0);
	assert_int_equal(r.status, 404);
	assert_int_equal(r.body_len, strlen(nf));
	assert_memory_equal(r.body, nf, strlen(nf));
	v = harness_response_header(&r, "X-Good");
	assert_non_null(v);
	assert_string_equal(v, "yes");
	/* Sluice's own framing is still the only one. */
	assert_int_equal(harness_response_header_count(&r, "Content-Length"),
	    1);
	harness_response_free(&r);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
}

/*
 * What the refusals above must not catch: a field that merely contains a
 * framing name, a value with a tab, and an error page under a directory,
 * with or without a leading '/'.
 */
static void
test_seed_goodopt_header_error_page(void **state)
{
	static const char	 nf[] = "<p>configured not found</p>\n";
	char			 root[256];

	assert_int_equal(harness_tmpdir_create(root, sizeof(root), "good"),
	    0);
	assert_int_equal(harness_write_file(root, "errors/nf.html", nf,
	    sizeof(nf) - 1, 0644), 0);
	assert_good_options(root, nf, "--header", "X-Good: yes",
	    "--header", "X-Connection-Id: a\tb",
	    "--error-page", "404=errors/nf.html", NULL);
	assert_good_options(root, nf, "--header", "X-Good: yes",
	    "--header", "Content-Lengthy: 5",
	    "--error-page", "404=/errors/nf.html", NULL);
	assert_int_equal(harness_rmtree(root), 0);
}

/*
 * SIGTERM: exit status 0, and the counters line at exit counts what the
 * test did (one connection, two requests) with nothing left open.
 */
static void
test_seed_sigterm_exit0_counters(void **state)
{
	const char		*args[] = { "--root", NULL, NULL };
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_client	 c;
	struct harness_response	 r;
	char			 want[64];
	long long		 v;
	int			 st;

	args[1] = harness_site();
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&srv, &o), 0);
	snprintf(want, sizeof(want), "listening on 127.0.0.1:%d", srv.port);
	assert_true(harness_log_contains(&srv, want));

	assert_int_equal(harness_client_connect(&c, srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, "GET / HTTP/1.1\r\n"
	    "Host: a\r\n\r\nGET /nope HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n", SEED_TIMEOUT_MS), 0);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    SEED_TIMEOUT_MS), 0);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    SEED_TIMEOUT_MS), 0);
	assert_int_equal(r.status, 404);
	harness_response_free(&r);
	assert_int_equal(harness_client_wait_closed(&c, SEED_TIMEOUT_MS), 1);
	harness_client_close(&c);

	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	assert_true(harness_log_contains(&srv, "Z [info] counters: "));
	assert_int_equal(harness_log_counter(&srv, "open", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(harness_log_counter(&srv, "accepted", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(harness_log_counter(&srv, "requests", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(harness_log_counter(&srv, "header_timeouts", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(harness_log_counter(&srv, "log_drops", &v), 0);
	harness_server_cleanup(&srv);
}

/* /sleep answers exactly like / after the delay: no sooner, not much later. */
static void
test_seed_sleep_route_delay(void **state)
{
	struct seed		*s = *state;
	struct harness_response	 r;
	int64_t			 t0, dt;

	t0 = harness_now_ms();
	assert_int_equal(harness_get(s->srv.port, "/sleep", &r), 0);
	dt = harness_now_ms() - t0;
	assert_int_equal(r.status, 200);
	assert_body_is_file(&r, s->hello);
	harness_response_free(&r);
	if (dt < SEED_SLEEP_S * 1000 ||
	    dt >= SEED_SLEEP_S * 1000 + SEED_SLEEP_SLACK_MS)
		fail_msg("/sleep took %lld ms, want [%d, %d)", (long long)dt,
		    SEED_SLEEP_S * 1000, SEED_SLEEP_S * 1000 +
		    SEED_SLEEP_SLACK_MS);
}

/*
 * While /sleep waits on its timer, the only worker (--workers 1) keeps
 * serving other connections: GET / on a second connection answers well
 * before the sleeper does.
 */
static void
test_seed_sleep_route_does_not_block(void **state)
{
	struct seed		*s = *state;
	struct harness_client	 sleeper;
	struct harness_response	 r;
	int64_t			 t0, dt;

	assert_int_equal(harness_client_connect(&sleeper, s->srv.port, 0), 0);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_send_str(&sleeper, "GET /sleep "
	    "HTTP/1.1\r\nHost: a\r\n\r\n", SEED_TIMEOUT_MS), 0);
	assert_int_equal(harness_get(s->srv.port, "/", &r), 0);
	dt = harness_now_ms() - t0;
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	if (dt >= SEED_SLEEP_S * 1000 / 2)
		fail_msg("GET / took %lld ms while /sleep was pending",
		    (long long)dt);
	assert_int_equal(harness_client_read_response(&sleeper, &r, 0,
	    SEED_TIMEOUT_MS), 0);
	dt = harness_now_ms() - t0;
	assert_int_equal(r.status, 200);
	assert_body_is_file(&r, s->hello);
	assert_true(dt >= SEED_SLEEP_S * 1000);
	harness_response_free(&r);
	harness_client_close(&sleeper);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, harness_watchdog_setup, \
	    harness_watchdog_teardown)
		T(test_seed_get_root_hello),
		T(test_seed_unknown_path_404_page),
		T(test_seed_404_builtin_page),
		T(test_seed_no_args_serves_html_on_7878),
		T(test_seed_version_exit0),
		T(test_seed_help_exit0),
		T(test_seed_badopt_workers_zero),
		T(test_seed_badopt_workers_abc),
		T(test_seed_badopt_workers_too_many),
		T(test_seed_badopt_listen_nonsense),
		T(test_seed_badopt_max_body_negative),
		T(test_seed_badopt_header_timeout_x),
		T(test_seed_badopt_max_connections_zero),
		T(test_seed_badopt_backlog_too_big),
		T(test_seed_badopt_sleep_route_too_long),
		T(test_seed_badopt_unknown_option),
		T(test_seed_badopt_header_content_length),
		T(test_seed_badopt_header_transfer_encoding),
		T(test_seed_badopt_header_connection),
		T(test_seed_badopt_header_del),
		T(test_seed_badopt_error_page_dotdot),
		T(test_seed_badopt_error_page_inner_dotdot),
		T(test_seed_badopt_error_page_escaped_dotdot),
		T(test_seed_goodopt_header_error_page),
		T(test_seed_sigterm_exit0_counters),
		T(test_seed_sleep_route_delay),
		T(test_seed_sleep_route_does_not_block),
#undef T
	};

	return (cmocka_run_group_tests(tests, seed_setup, seed_teardown));
}
