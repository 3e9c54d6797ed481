/* sluice: integration tests of SIGHUP reload and --chroot. */

/*
 * SIGHUP reads the configuration file (and the command line) again.  What
 * it changes reaches every worker, connections open before it keep being
 * served, a request in flight finishes, an invalid file changes nothing,
 * what needs a restart is named and the rest applied, and listeners move
 * without losing the ones kept.  Under load, with reloads back to back,
 * no request fails.  The feeder logs "reload N done" once every worker
 * has taken reload N, which is what the tests wait for.
 *
 * --chroot (as root, with --user nobody) serves from inside the chroot.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define RL_LOAD_THREADS		4
#define RL_LOAD_RELOADS		20
#define RL_WATCHDOG_S		60

/* Write the configuration file dir/s.conf from a format. */
static void
rl_conf(const char *dir, const char *fmt, ...)
{
	char	 buf[2048];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	assert_int_equal(harness_write_file(dir, "s.conf", buf, (size_t)n,
	    0644), 0);
}

/* A docroot dir/NAME whose index.html says NAME. */
static void
rl_root(const char *dir, const char *name)
{
	char	 rel[128], body[64];

	assert_int_equal(harness_mkdir(dir, name), 0);
	snprintf(rel, sizeof(rel), "%s/index.html", name);
	snprintf(body, sizeof(body), "%s\n", name);
	assert_int_equal(harness_write_file(dir, rel, body, strlen(body),
	    0644), 0);
}

/* SIGHUP, then wait for "reload N done". */
static void
rl_reload(struct harness_server *s, unsigned n)
{
	char	 want[64];

	snprintf(want, sizeof(want), "reload %u done", n);
	assert_int_equal(harness_server_signal(s, SIGHUP), 0);
	assert_int_equal(harness_server_wait_log(s, want, -1), 0);
}

/* GET path on a fresh connection: its status and body. */
static int
rl_get(int port, const char *path, char *body, size_t len)
{
	struct harness_response	 r;
	int			 status;

	if (harness_get(port, path, &r) == -1) {
		harness_response_free(&r);
		return -1;
	}
	status = r.status;
	snprintf(body, len, "%s", r.body != NULL ? r.body : "");
	harness_response_free(&r);
	return status;
}

/* A free loopback port (nobody else binds meanwhile). */
static int
rl_port(void)
{
	int	 port = harness_free_port();

	assert_true(port > 0);
	return port;
}

static void
rl_start(struct harness_server *s, const char *dir, const char *extra)
{
	char			 conf[512];
	const char		*args[] = { "-c", conf, "--workers", "2",
				    extra, NULL };
	struct harness_opts	 o;

	snprintf(conf, sizeof(conf), "%s/s.conf", dir);
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(s, &o), 0);
}

static void
test_reload_applies_everywhere(void **state)
{
	struct harness_server	 s;
	struct harness_response	 r;
	char			 dir[256], body[256];
	int			 i;

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_root(dir, "b");
	rl_conf(dir, "root %s/a\n", dir);
	rl_start(&s, dir, NULL);
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 200);
	assert_string_equal(body, "a\n");

	rl_conf(dir, "root %s/b\nheader X-Reloaded: yes\nautoindex on\n",
	    dir);
	rl_reload(&s, 1);
	/* Every worker: enough fresh connections to reach both. */
	for (i = 0; i < 8; i++) {
		assert_int_equal(harness_get(s.port, "/", &r), 0);
		assert_int_equal(r.status, 200);
		assert_string_equal(r.body, "b\n");
		assert_non_null(harness_response_header(&r, "X-Reloaded"));
		harness_response_free(&r);
	}
	assert_true(harness_log_contains(&s, "reloaded: serving"));
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

static void
test_reload_keeps_connections(void **state)
{
	struct harness_server	 s;
	struct harness_client	 c, slow;
	struct harness_response	 r;
	char			 dir[256];
	const char		*get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_root(dir, "b");
	rl_conf(dir, "root %s/a\nsleep-route 1\n", dir);
	rl_start(&s, dir, NULL);

	assert_int_equal(harness_client_connect(&c, s.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, get, -1), 0);
	assert_int_equal(harness_client_read_response(&c, &r, 0, -1), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "a\n");
	harness_response_free(&r);
	/* A slow request in flight across the reload. */
	assert_int_equal(harness_client_connect(&slow, s.port, 0), 0);
	assert_int_equal(harness_client_send_str(&slow,
	    "GET /sleep HTTP/1.1\r\nHost: x\r\n\r\n", -1), 0);

	rl_conf(dir, "root %s/b\nsleep-route 1\n", dir);
	rl_reload(&s, 1);

	/* The same keep-alive connection, now on the new docroot. */
	assert_int_equal(harness_client_send_str(&c, get, -1), 0);
	assert_int_equal(harness_client_read_response(&c, &r, 0, -1), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "b\n");
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&slow, &r, 0, 5000), 0);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	harness_client_close(&c);
	harness_client_close(&slow);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

static void
test_reload_invalid_changes_nothing(void **state)
{
	struct harness_server	 s;
	char			 dir[256], body[256];

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_conf(dir, "root %s/a\n", dir);
	rl_start(&s, dir, NULL);

	/* A bad line: the whole file is refused, with FILE:LINE. */
	rl_conf(dir, "header X-New: 1\nroot %s/a\nmax-connections lots\n",
	    dir);
	assert_int_equal(harness_server_signal(&s, SIGHUP), 0);
	assert_int_equal(harness_server_wait_log(&s, "still running the "
	    "previous configuration", -1), 0);
	assert_true(harness_log_contains(&s, "s.conf:3: --max-connections"));
	/* A docroot that does not exist. */
	rl_conf(dir, "root %s/missing\n", dir);
	assert_int_equal(harness_server_signal(&s, SIGHUP), 0);
	assert_int_equal(harness_server_wait_log(&s, "missing\": No such",
	    -1), 0);
	/* A file gone altogether. */
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/s.conf", dir);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(harness_server_signal(&s, SIGHUP), 0);
	assert_int_equal(harness_server_wait_log(&s, "--config: cannot read",
	    -1), 0);
	assert_false(harness_log_contains(&s, "reloaded:"));
	/* Still serving what it served (from the open docroot). */
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 200);
	assert_string_equal(body, "a\n");
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

static void
test_reload_restart_required(void **state)
{
	struct harness_server	 s;
	struct harness_response	 r;
	char			 dir[256];

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_conf(dir, "root %s/a\n", dir);
	rl_start(&s, dir, NULL);
	/* The command line's --workers 2 wins over the file: change both. */
	rl_conf(dir, "root %s/a\npidfile %s/p.pid\nchroot %s\n"
	    "header X-Applied: 1\n", dir, dir, dir);
	rl_reload(&s, 1);
	assert_true(harness_log_contains(&s, "restart required to change "
	    "chroot, pidfile; applying the rest"));
	assert_int_equal(harness_get(s.port, "/", &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(harness_response_header(&r, "X-Applied"));
	harness_response_free(&r);
	/* Not written: the pidfile was not changed. */
	assert_int_equal(access(dir, F_OK), 0);
	{
		char p[300];

		snprintf(p, sizeof(p), "%s/p.pid", dir);
		assert_int_equal(access(p, F_OK), -1);
	}
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

static void
test_reload_moves_listeners(void **state)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	struct harness_client	 c;
	struct harness_response	 r;
	char			 dir[256], conf[300], body[256], want[64];
	const char		*args[] = { "-c", conf, NULL };
	const char		*get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	int			 p1 = rl_port(), p2, p3;

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	snprintf(conf, sizeof(conf), "%s/s.conf", dir);
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\n", dir, p1);
	memset(&o, 0, sizeof(o));
	o.args = args;
	o.bare = true;
	assert_int_equal(harness_server_start(&s, &o), 0);
	snprintf(want, sizeof(want), "listening on 127.0.0.1:%d", p1);
	assert_int_equal(harness_server_wait_log(&s, want, -1), 0);
	assert_int_equal(harness_client_connect(&c, p1, 0), 0);

	/* p1 kept, p2 added. */
	p2 = rl_port();
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\nlisten 127.0.0.1:%d\n",
	    dir, p1, p2);
	rl_reload(&s, 1);
	assert_int_equal(rl_get(p1, "/", body, sizeof(body)), 200);
	assert_int_equal(rl_get(p2, "/", body, sizeof(body)), 200);
	/* p1 dropped, p3 added: p1 refuses, its open connection lives. */
	p3 = rl_port();
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\nlisten 127.0.0.1:%d\n",
	    dir, p2, p3);
	rl_reload(&s, 2);
	snprintf(want, sizeof(want), "no longer listening on 127.0.0.1:%d",
	    p1);
	assert_true(harness_log_contains(&s, want));
	assert_int_equal(rl_get(p2, "/", body, sizeof(body)), 200);
	assert_int_equal(rl_get(p3, "/", body, sizeof(body)), 200);
	assert_int_equal(harness_connect(p1, 0), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_int_equal(harness_client_send_str(&c, get, -1), 0);
	assert_int_equal(harness_client_read_response(&c, &r, 0, -1), 0);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	harness_client_close(&c);
	/* Only an address that cannot be bound: the listeners stay. */
	rl_conf(dir, "root %s/a\nlisten 192.0.2.1:%d\n", dir, p1);
	rl_reload(&s, 3);
	assert_true(harness_log_contains(&s, "the listeners are unchanged"));
	assert_int_equal(rl_get(p2, "/", body, sizeof(body)), 200);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

/* The number of lines of dir/name. */
static unsigned
rl_lines(const char *dir, const char *name)
{
	char	 path[300], *buf, *p;
	size_t	 len;
	unsigned n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(harness_read_file(path, &buf, &len), 0);
	for (p = buf; p < buf + len; p++)
		if (*p == '\n')
			n++;
	free(buf);
	return n;
}

/*
 * The logs in a reload: the access log moves to another file and takes
 * another format at once; a move to syslog needs a restart.
 */
static void
test_reload_logs(void **state)
{
	struct harness_server	 s;
	char			 dir[256], path[300], body[64], *buf;
	size_t			 len;

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_conf(dir, "root %s/a\naccess-log %s/one.log\n", dir, dir);
	rl_start(&s, dir, NULL);
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 200);
	rl_conf(dir, "root %s/a\naccess-log %s/two.log\nlog-format json\n",
	    dir, dir);
	rl_reload(&s, 1);
	assert_int_equal(rl_get(s.port, "/?after", body, sizeof(body)), 200);
	rl_conf(dir, "root %s/a\naccess-log syslog\n", dir);
	rl_reload(&s, 2);
	assert_true(harness_log_contains(&s, "restart required to change "
	    "--access-log"));
	assert_int_equal(rl_get(s.port, "/?third", body, sizeof(body)), 200);
	assert_int_equal(harness_server_stop(&s, NULL), 0);

	snprintf(path, sizeof(path), "%s/one.log", dir);
	assert_int_equal(harness_read_file(path, &buf, &len), 0);
	assert_non_null(strstr(buf, "\"GET / HTTP/1.1\" 200"));
	assert_null(strstr(buf, "after"));
	free(buf);
	snprintf(path, sizeof(path), "%s/two.log", dir);
	assert_int_equal(harness_read_file(path, &buf, &len), 0);
	/* JSON from the reload on, and still this file after the refusal. */
	assert_true(buf[0] == '{');
	assert_non_null(strstr(buf, "/?after"));
	assert_non_null(strstr(buf, "/?third"));
	free(buf);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

/*
 * Started as root with --user nobody: log files in a directory nobody
 * owns are handed to it (so that SIGUSR1 can reopen them after the drop,
 * before logrotate ever created one), the others are left alone; and the
 * pidfile is world-readable whatever the umask.
 */
static void
test_drop_hands_over_logs(void **state)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	struct stat		 sb;
	struct passwd		*pw;
	char			 dir[256], logs[300], acc[320], elog[320];
	char			 other[320], pid[320], body[64], *buf;
	const char		*args[] = { "--user", "nobody", "--access-log",
				    acc, "--error-log", elog, "--pidfile", pid,
				    "-r", dir, NULL };
	const char		*args2[] = { "--user", "nobody", "--access-log",
				    other, "-r", dir, NULL };

	if (geteuid() != 0) {
		print_message("skipped: needs root to drop privileges\n");
		skip();
	}
	assert_non_null(pw = getpwnam("nobody"));
	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	assert_int_equal(harness_mkdir(dir, "logs"), 0);
	snprintf(logs, sizeof(logs), "%s/logs", dir);
	assert_int_equal(chown(logs, pw->pw_uid, pw->pw_gid), 0);
	snprintf(acc, sizeof(acc), "%s/access.log", logs);
	snprintf(elog, sizeof(elog), "%s/error.log", logs);
	snprintf(pid, sizeof(pid), "%s/sluice.pid", logs);
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&s, &o), 0);
	/* Answered: the workers run, so the drop is done. */
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 403);
	assert_int_equal(stat(acc, &sb), 0);
	assert_int_equal(sb.st_uid, pw->pw_uid);
	assert_int_equal(stat(elog, &sb), 0);
	assert_int_equal(sb.st_uid, pw->pw_uid);
	assert_int_equal(stat(pid, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	/* USR1 without a rotation: reopened as nobody, in place. */
	assert_int_equal(harness_server_signal(&s, SIGUSR1), 0);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	assert_int_equal(harness_read_file(elog, &buf, NULL), 0);
	assert_non_null(strstr(buf, "SIGUSR1: logs reopened"));
	assert_null(strstr(buf, "cannot reopen"));
	free(buf);
	harness_server_cleanup(&s);

	/* A log in root's directory stays root's. */
	memset(&s, 0, sizeof(s));
	snprintf(other, sizeof(other), "%s/access.log", dir);
	o.args = args2;
	assert_int_equal(harness_server_start(&s, &o), 0);
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 403);
	assert_int_equal(stat(other, &sb), 0);
	assert_int_equal(sb.st_uid, 0);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

/* After the drop to --user, a port below 1024 needs a restart. */
static void
test_reload_privileged_port_after_drop(void **state)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	char			 dir[256], conf[300], body[64];
	const char		*args[] = { "-c", conf, "--user", "nobody",
				    NULL };
	int			 p1 = rl_port();

	if (geteuid() != 0) {
		print_message("skipped: needs root to drop privileges\n");
		skip();
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	snprintf(conf, sizeof(conf), "%s/s.conf", dir);
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\n", dir, p1);
	memset(&o, 0, sizeof(o));
	o.args = args;
	o.bare = true;
	assert_int_equal(harness_server_start(&s, &o), 0);
	assert_int_equal(harness_server_wait_log(&s, "running as nobody", -1),
	    0);
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\nlisten 127.0.0.1:981\n",
	    dir, p1);
	rl_reload(&s, 1);
	assert_true(harness_log_contains(&s, "--listen 127.0.0.1:981: cannot "
	    "bind: Permission denied"));
	assert_true(harness_log_contains(&s, "restart required"));
	assert_int_equal(rl_get(p1, "/", body, sizeof(body)), 200);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

/*
 * The same address written another way is the same listener: kept, not
 * closed and bound again (which its own socket would refuse).
 */
static void
test_reload_respelled_listener(void **state)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	char			 dir[256], conf[300], body[64], want[64];
	const char		*args[] = { "-c", conf, NULL };
	int			 p1 = rl_port(), p2 = rl_port();

	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	snprintf(conf, sizeof(conf), "%s/s.conf", dir);
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\nlisten 127.0.0.1:%d\n",
	    dir, p1, p2);
	memset(&o, 0, sizeof(o));
	o.args = args;
	o.bare = true;
	assert_int_equal(harness_server_start(&s, &o), 0);
	snprintf(want, sizeof(want), "listening on 127.0.0.1:%d", p2);
	assert_int_equal(harness_server_wait_log(&s, want, -1), 0);
	/* p2 again, written with a leading zero. */
	rl_conf(dir, "root %s/a\nlisten 127.0.0.1:%d\nlisten 127.0.0.1:0%d\n",
	    dir, p1, p2);
	rl_reload(&s, 1);
	assert_int_equal(rl_get(p1, "/", body, sizeof(body)), 200);
	assert_int_equal(rl_get(p2, "/", body, sizeof(body)), 200);
	assert_false(harness_log_contains(&s, "no longer listening"));
	assert_false(harness_log_contains(&s, "cannot bind"));
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

struct rl_load {
	int		 port;
	bool		 keepalive;
	atomic_bool	*stop;
	unsigned	 ok, failed;
	char		 why[256];
};

/* One client: requests until told to stop; every answer must be whole. */
static void *
rl_load_main(void *arg)
{
	struct rl_load		*l = arg;
	struct harness_client	 c;
	struct harness_response	 r;
	const char		*ka = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	bool			 open = false;

	while (!atomic_load(l->stop) && l->failed == 0) {
		if (!l->keepalive) {
			if (harness_get(l->port, "/", &r) == -1) {
				snprintf(l->why, sizeof(l->why), "get: %s",
				    strerror(errno));
				l->failed++;
			} else if (r.status != 200 || (strcmp(r.body, "a\n") !=
			    0 && strcmp(r.body, "b\n") != 0)) {
				snprintf(l->why, sizeof(l->why), "status %d "
				    "body %.20s", r.status, r.body);
				l->failed++;
			} else
				l->ok++;
			harness_response_free(&r);
			continue;
		}
		if (!open) {
			if (harness_client_connect(&c, l->port, 0) == -1) {
				snprintf(l->why, sizeof(l->why), "connect: %s",
				    strerror(errno));
				l->failed++;
				break;
			}
			open = true;
		}
		if (harness_client_send_str(&c, ka, -1) == -1 ||
		    harness_client_read_response(&c, &r, 0, -1) == -1) {
			snprintf(l->why, sizeof(l->why), "keep-alive: %s",
			    strerror(errno));
			l->failed++;
		} else if (r.status != 200 || (strcmp(r.body, "a\n") != 0 &&
		    strcmp(r.body, "b\n") != 0)) {
			snprintf(l->why, sizeof(l->why), "status %d", r.status);
			l->failed++;
		} else
			l->ok++;
		harness_response_free(&r);
	}
	if (open)
		harness_client_close(&c);
	return NULL;
}

static void
test_reload_under_load(void **state)
{
	struct harness_server	 s;
	struct rl_load		 l[RL_LOAD_THREADS];
	pthread_t		 t[RL_LOAD_THREADS];
	atomic_bool		 stop = false;
	char			 dir[256], from[300], to[300];
	unsigned		 i, ok = 0, failed = 0, lines, n;

	harness_watchdog_arm(RL_WATCHDOG_S);
	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "a");
	rl_root(dir, "b");
	rl_conf(dir, "root %s/a\naccess-log %s/access.log\n", dir, dir);
	rl_start(&s, dir, NULL);
	for (i = 0; i < RL_LOAD_THREADS; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].port = s.port;
		l[i].keepalive = i % 2 == 0;
		l[i].stop = &stop;
		assert_int_equal(pthread_create(&t[i], NULL, rl_load_main,
		    &l[i]), 0);
	}
	for (i = 1; i <= RL_LOAD_RELOADS; i++) {
		rl_conf(dir, "root %s/%s\nkeepalive-timeout %u\n"
		    "access-log %s/access.log\n", dir, i % 2 ? "b" : "a",
		    30 + i, dir);
		if (i % 5 == 0) {
			/* logrotate's move, then USR1, under the same load. */
			snprintf(from, sizeof(from), "%s/access.log", dir);
			snprintf(to, sizeof(to), "%s/access.log.%u", dir, i);
			assert_int_equal(rename(from, to), 0);
			assert_int_equal(harness_server_signal(&s, SIGUSR1),
			    0);
		}
		rl_reload(&s, i);
	}
	atomic_store(&stop, true);
	for (i = 0; i < RL_LOAD_THREADS; i++) {
		pthread_join(t[i], NULL);
		ok += l[i].ok;
		failed += l[i].failed;
		if (l[i].failed != 0)
			print_message("client %u: %s\n", i, l[i].why);
	}
	print_message("%u requests during %d reloads, %u failed\n", ok,
	    RL_LOAD_RELOADS, failed);
	assert_int_equal(failed, 0);
	assert_true(ok >= RL_LOAD_THREADS);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	/* Every request answered was logged once, across the rotations. */
	lines = rl_lines(dir, "access.log");
	for (i = 5; i <= RL_LOAD_RELOADS; i += 5) {
		snprintf(to, sizeof(to), "access.log.%u", i);
		n = rl_lines(dir, to);
		assert_true(n > 0);
		lines += n;
	}
	print_message("%u access-log lines\n", lines);
	assert_int_equal(lines, ok);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

static void
test_chroot_confines(void **state)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	struct harness_run	 run;
	char			 dir[256], root[300], link[64], got[300];
	char			 body[256];
	const char		*args[] = { "--chroot", dir, "--user", "nobody",
				    "-r", root, NULL };
	const char		*noroot[] = { "--chroot", "/tmp", NULL };
	ssize_t			 n;

	/* Without --user: refused, whoever runs it. */
	assert_int_equal(harness_run(noroot, NULL, -1, &run), 0);
	assert_int_equal(run.code, 2);
	assert_non_null(strstr(run.err, "--chroot needs"));
	harness_run_free(&run);
	if (geteuid() != 0) {
		print_message("skipped: --chroot needs root\n");
		skip();
	}
	memset(&s, 0, sizeof(s));
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "rl"), 0);
	rl_root(dir, "www");
	snprintf(root, sizeof(root), "%s/www", dir);
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&s, &o), 0);
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 200);
	assert_string_equal(body, "www\n");
	snprintf(link, sizeof(link), "/proc/%d/root", (int)s.pid);
	n = readlink(link, got, sizeof(got) - 1);
	assert_true(n > 0);
	got[n] = '\0';
	assert_string_equal(got, dir);
	assert_true(harness_log_contains(&s, "running as nobody in"));
	/* What it breaks: a reload, refused with the reason. */
	assert_int_equal(harness_server_signal(&s, SIGHUP), 0);
	assert_int_equal(harness_server_wait_log(&s, "restart it to apply a "
	    "new configuration", -1), 0);
	assert_int_equal(rl_get(s.port, "/", body, sizeof(body)), 200);
	assert_int_equal(harness_server_stop(&s, NULL), 0);
	harness_server_cleanup(&s);
	harness_rmtree(dir);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, harness_watchdog_setup, \
		    harness_watchdog_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reload_applies_everywhere),
		T(test_reload_keeps_connections),
		T(test_reload_invalid_changes_nothing),
		T(test_reload_restart_required),
		T(test_reload_moves_listeners),
		T(test_reload_logs),
		T(test_reload_respelled_listener),
		T(test_reload_privileged_port_after_drop),
		T(test_drop_hands_over_logs),
		T(test_reload_under_load),
		T(test_chroot_confines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
