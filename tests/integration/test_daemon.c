/* sluice: integration tests of -d/--daemon, --pidfile, --user, --group. */

/*
 * sluice -d forks; the command returns 0 only once the daemon serves (its
 * listeners bound, so that a connection made right after it returns is
 * answered), or 1 if the daemon fails while starting, whose error reaches
 * the command's standard error. The daemon leads a session of its own, works
 * in "/", and its standard streams are /dev/null. --pidfile FILE holds
 * "PID\n" while it runs and is removed at exit, also after --user dropped
 * root. Started as root, sluice drops to --user (and --group) once bound,
 * keeps only that one group, refuses -d without --user (exit 2), takes
 * --user root as consent, and warns in the foreground without --user.
 *
 * These tests need root (they skip, saying so, otherwise). The test process
 * is a child subreaper (PR_SET_CHILD_SUBREAPER), so that each daemon, once
 * its parent has exited, becomes our child: we wait for it (pidfd + poll,
 * with a deadline) and read its exit status. A daemon is only ever
 * signalled through a pidfd opened from its pidfile, after checking that it
 * runs $SLUICE_BIN; teardown SIGKILLs and reaps any daemon still running.
 * Every test has its own temporary directory (mkdtemp, 0755, owned by root,
 * under /tmp), where the pidfile and the port file are written.
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
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

/* How long the command may take to return, and a daemon to exit. */
#define DMN_TIMEOUT_MS		5000
/* Watchdog of one test, in seconds (make check must not hang). */
#define DMN_WATCHDOG_S		20
/* Most daemons one test starts. */
#define DMN_MAX			4
/* The ids of user "nobody" and group "nogroup" on Debian. */
#define DMN_NOBODY_ID		65534
/* Names no test host has. */
#define DMN_NO_USER		"sluice-no-such-user"
#define DMN_NO_GROUP		"sluice-no-such-group"
/* The exit status of a refused command line. */
#define DMN_EXIT_USAGE		2

struct dmn {
	pid_t	 pid;		/* 0 once reaped */
	int	 pidfd;		/* -1 if none */
};

struct dfx {
	char		 dir[256];	/* this test's directory, 0755 */
	char		 pidfile[PATH_MAX];
	char		 portfile[PATH_MAX];
	struct dmn	 d[DMN_MAX];
	int		 nd;
};

static int	dfx_setup(void **);
static int	dfx_teardown(void **);
static void	need_root(void);
static int	pidfd_open_(pid_t);
static int	pidfd_signal(int, int);
static void	dmn_path(const struct dfx *, const char *, char *, size_t);
static int	dmn_free_port(void);
static void	dmn_run(struct harness_run *, int64_t *, ...);
static struct dmn *dmn_adopt(struct dfx *, const char *, const char *);
static bool	dmn_running(const struct dmn *);
static int	dmn_wait(struct dmn *, int, int *);
static void	dmn_stop(struct dmn *);
static int	dmn_read_port(const char *);
static void	assert_status_ids(pid_t, const char *, long);
static void	assert_groups(pid_t, long);
static void	assert_link(pid_t, const char *, const char *);
static void	assert_get_ok(int);
static void	assert_detached(pid_t);
static void	assert_no_file(const char *, const char *);
static void	assert_port_closed(int);
static void	assert_start_fails(struct dfx *, int, const char *const *,
		    const char *, const char *);

static int
dfx_setup(void **state)
{
	struct dfx	*f;
	int		 i;

	harness_watchdog_arm(DMN_WATCHDOG_S);
	if (harness_bin() == NULL || harness_htdocs() == NULL) {
		fprintf(stderr, "test_daemon: SLUICE_BIN and SLUICE_HTDOCS "
		    "must be set (run through make check)\n");
		return (-1);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (-1);
	for (i = 0; i < DMN_MAX; i++)
		f->d[i].pidfd = -1;
	if (harness_tmpdir_create(f->dir, sizeof(f->dir), "daemon") == -1) {
		free(f);
		return (-1);
	}
	dmn_path(f, "sluice.pid", f->pidfile, sizeof(f->pidfile));
	dmn_path(f, "sluice.port", f->portfile, sizeof(f->portfile));
	*state = f;
	return (0);
}

/* SIGKILL and reap what is left of our daemons, then remove the directory. */
static int
dfx_teardown(void **state)
{
	struct dfx	*f = *state;
	int		 i, ret = 0;

	if (f != NULL) {
		for (i = 0; i < f->nd; i++) {
			if (f->d[i].pid != 0 && dmn_running(&f->d[i])) {
				fprintf(stderr, "test_daemon: killing leftover "
				    "daemon %ld\n", (long)f->d[i].pid);
				(void)pidfd_signal(f->d[i].pidfd, SIGKILL);
			}
			if (f->d[i].pid != 0)
				(void)dmn_wait(&f->d[i], DMN_TIMEOUT_MS, NULL);
			if (f->d[i].pidfd != -1)
				close(f->d[i].pidfd);
		}
		if (harness_rmtree(f->dir) == -1)
			ret = -1;
		free(f);
	}
	harness_watchdog_disarm();
	return (ret);
}

static void
need_root(void)
{
	if (geteuid() != 0) {
		print_message("test_daemon: not root: cannot test --user, "
		    "--group and -d as root; skipping\n");
		skip();
	}
}

/* pidfd_open(2) and pidfd_send_signal(2) through syscall(2). */
static int
pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
	return ((int)syscall(SYS_pidfd_open, pid, 0));
#else
	(void)pid;
	errno = ENOSYS;
	return (-1);
#endif
}

static int
pidfd_signal(int pidfd, int sig)
{
#ifdef SYS_pidfd_send_signal
	return ((int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0));
#else
	(void)pidfd;
	(void)sig;
	errno = ENOSYS;
	return (-1);
#endif
}

/* buf = the test directory / rel. */
static void
dmn_path(const struct dfx *f, const char *rel, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", f->dir, rel) >= len)
		fail_msg("path too long: %s/%s", f->dir, rel);
}

/*
 * A loopback port that was free a moment ago: for the tests that must
 * not depend on --port-file (see test_daemon_port_file_after_drop).
 */
static int
dmn_free_port(void)
{
	int	 port = harness_free_port();

	assert_true(port > 0);
	return (port);
}

/*
 * Run sluice with the NULL-terminated arguments from our directory; it
 * must return within DMN_TIMEOUT_MS. *ms (may be NULL) gets how long it
 * took. Free r afterwards.
 */
static void
dmn_run(struct harness_run *r, int64_t *ms, ...)
{
	const char	*args[HARNESS_MAX_ARGS + 1], *a;
	va_list		 ap;
	int64_t		 t0;
	size_t		 n = 0;

	va_start(ap, ms);
	while ((a = va_arg(ap, const char *)) != NULL && n < HARNESS_MAX_ARGS)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	t0 = harness_now_ms();
	if (harness_run(args, NULL, DMN_TIMEOUT_MS, r) == -1)
		fail_msg("sluice %s ... did not return within %d ms: %s "
		    "(stderr: %s)", n > 0 ? args[0] : "", DMN_TIMEOUT_MS,
		    strerror(errno), r->err != NULL ? r->err : "");
	if (ms != NULL)
		*ms = harness_now_ms() - t0;
}

/*
 * Read the pidfile: exactly "PID\n". Open a pidfd on that process, check
 * that it runs $SLUICE_BIN, and record it for teardown. If it has exited
 * already, fail with its exit status and note (may be NULL).
 */
static struct dmn *
dmn_adopt(struct dfx *f, const char *pidfile, const char *note)
{
	struct dmn	*d;
	char		*text, *end, exe[PATH_MAX], bin[PATH_MAX], link[64];
	size_t		 len;
	ssize_t		 n;
	long		 pid;
	int		 st;

	if (harness_read_file(pidfile, &text, &len) == -1)
		fail_msg("no pidfile %s once sluice -d returned: %s", pidfile,
		    strerror(errno));
	errno = 0;
	pid = strtol(text, &end, 10);
	if (errno != 0 || end == text || pid <= 1 || strcmp(end, "\n") != 0)
		fail_msg("pidfile %s holds \"%s\", want \"PID\\n\"", pidfile,
		    text);
	free(text);
	assert_true(f->nd < DMN_MAX);
	d = &f->d[f->nd];
	if ((d->pidfd = pidfd_open_((pid_t)pid)) == -1)
		fail_msg("pidfile %s: no process %ld: %s", pidfile, pid,
		    strerror(errno));
	d->pid = (pid_t)pid;
	f->nd++;
	/* Ours, and not some other process that took a stale pid. */
	snprintf(link, sizeof(link), "/proc/%ld/exe", pid);
	if ((n = readlink(link, exe, sizeof(exe) - 1)) == -1) {
		if (dmn_wait(d, DMN_TIMEOUT_MS, &st) == 0)
			fail_msg("daemon %ld (from %s) exited with status %d "
			    "right after sluice -d returned 0%s%s", pid,
			    pidfile, harness_exit_code(st), note != NULL ?
			    "; " : "", note != NULL ? note : "");
		fail_msg("daemon %ld (from %s): %s: %s", pid, pidfile, link,
		    strerror(errno));
	}
	exe[n] = '\0';
	assert_non_null(realpath(harness_bin(), bin));
	if (strcmp(exe, bin) != 0) {
		close(d->pidfd);
		d->pidfd = -1;
		d->pid = 0;
		fail_msg("pidfile %s names process %ld running %s, not %s",
		    pidfile, pid, exe, bin);
	}
	return (d);
}

/* Whether the daemon has not exited yet (its pidfd is not readable). */
static bool
dmn_running(const struct dmn *d)
{
	struct pollfd	 pfd;

	if (d->pid == 0 || d->pidfd == -1)
		return (false);
	pfd.fd = d->pidfd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return (poll(&pfd, 1, 0) == 0);
}

/*
 * Wait up to timeout_ms for the daemon to exit and reap it (it is our
 * child, as we are a subreaper and its parent has exited). Returns 0 with
 * the raw status in *wstatus (may be NULL), or -1 (ETIMEDOUT).
 */
static int
dmn_wait(struct dmn *d, int timeout_ms, int *wstatus)
{
	struct pollfd	 pfd;
	int64_t		 deadline = harness_now_ms() + timeout_ms;
	pid_t		 r;
	int		 st, left;

	if (d->pid == 0) {
		errno = ECHILD;
		return (-1);
	}
	for (;;) {
		do
			r = waitpid(d->pid, &st, WNOHANG);
		while (r == -1 && errno == EINTR);
		if (r == d->pid) {
			d->pid = 0;
			if (wstatus != NULL)
				*wstatus = st;
			return (0);
		}
		if (r == -1)
			return (-1);
		left = (int)(deadline - harness_now_ms());
		if (left <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		pfd.fd = d->pidfd;
		pfd.events = POLLIN;
		(void)poll(&pfd, 1, left);
	}
}

/*
 * SIGTERM: the daemon must exit 0 within DMN_TIMEOUT_MS, after which no
 * /proc entry is left.
 */
static void
dmn_stop(struct dmn *d)
{
	char	 path[64];
	pid_t	 pid = d->pid;
	int64_t	 t0;
	int	 st;

	assert_true(dmn_running(d));
	assert_int_equal(pidfd_signal(d->pidfd, SIGTERM), 0);
	t0 = harness_now_ms();
	if (dmn_wait(d, DMN_TIMEOUT_MS, &st) == -1)
		fail_msg("daemon %ld still runs %d ms after SIGTERM: %s",
		    (long)pid, DMN_TIMEOUT_MS, strerror(errno));
	if (harness_exit_code(st) != 0)
		fail_msg("daemon %ld: exit %d after SIGTERM (%lld ms), want 0",
		    (long)pid, harness_exit_code(st),
		    (long long)(harness_now_ms() - t0));
	snprintf(path, sizeof(path), "/proc/%ld", (long)pid);
	assert_int_equal(access(path, F_OK), -1);
}

/* The port in a --port-file ("PORT\n"), or -1 if there is none yet. */
static int
dmn_read_port(const char *path)
{
	char	*text, *end;
	long	 port;

	if (harness_read_file(path, &text, NULL) == -1)
		return (-1);
	port = strtol(text, &end, 10);
	if (end == text || strcmp(end, "\n") != 0 || port <= 0 ||
	    port > 65535)
		fail_msg("port file %s holds \"%s\", want \"PORT\\n\"", path,
		    text);
	free(text);
	return ((int)port);
}

/* The four ids of "Uid:" or "Gid:" in /proc/PID/status all equal want. */
static void
assert_status_ids(pid_t pid, const char *field, long want)
{
	char	 path[64], *buf, *p, *end;
	long	 v;
	int	 i;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	assert_int_equal(harness_read_file(path, &buf, NULL), 0);
	if ((p = strstr(buf, field)) == NULL)
		fail_msg("no %s in %s", field, path);
	p += strlen(field);
	for (i = 0; i < 4; i++) {
		v = strtol(p, &end, 10);
		if (end == p || v != want) {
			*strchrnul(p, '\n') = '\0';
			fail_msg("daemon %ld: %s%s, want %ld (real, effective, "
			    "saved, fs)", (long)pid, field, p, want);
		}
		p = end;
	}
	free(buf);
}

/* "Groups:" in /proc/PID/status is exactly the one group want. */
static void
assert_groups(pid_t pid, long want)
{
	char	 path[64], *buf, *line, *p, *end;
	long	 v;
	int	 n = 0;
	bool	 ok = true;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	assert_int_equal(harness_read_file(path, &buf, NULL), 0);
	if ((line = strstr(buf, "\nGroups:")) == NULL)
		fail_msg("no Groups: in %s", path);
	line += strlen("\nGroups:");
	*strchrnul(line, '\n') = '\0';
	for (p = line;; p = end) {
		v = strtol(p, &end, 10);
		if (end == p)
			break;
		if (v != want)
			ok = false;
		n++;
	}
	if (!ok || n != 1)
		fail_msg("daemon %ld: supplementary groups \"%s\", want only "
		    "%ld", (long)pid, line, want);
	free(buf);
}

/* readlink(/proc/PID/rel) is want. */
static void
assert_link(pid_t pid, const char *rel, const char *want)
{
	char	 path[64], target[PATH_MAX];
	ssize_t	 n;

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, rel);
	if ((n = readlink(path, target, sizeof(target) - 1)) < 0) {
		fail_msg("readlink %s: %s", path, strerror(errno));
		return;
	}
	target[n] = '\0';
	if (strcmp(target, want) != 0)
		fail_msg("daemon %ld: %s is \"%s\", want \"%s\"", (long)pid,
		    rel, target, want);
}

/* GET / answers 200: hello.html of tests/htdocs. */
static void
assert_get_ok(int port)
{
	struct harness_response	 r;

	memset(&r, 0, sizeof(r));
	if (harness_get(port, "/", &r) == -1)
		fail_msg("GET / on port %d right after sluice -d returned: %s",
		    port, strerror(errno));
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
}

/*
 * A new session led by the daemon (not ours), in "/", with its standard
 * streams on /dev/null.
 */
static void
assert_detached(pid_t pid)
{
	pid_t	 sid;

	sid = getsid(pid);
	assert_true(sid != -1);
	if (sid == getsid(0))
		fail_msg("daemon %ld is in our session %ld", (long)pid,
		    (long)sid);
	assert_int_equal(sid, pid);
	assert_link(pid, "cwd", "/");
	assert_link(pid, "fd/0", "/dev/null");
	assert_link(pid, "fd/1", "/dev/null");
	assert_link(pid, "fd/2", "/dev/null");
}

static void
assert_no_file(const char *path, const char *why)
{
	if (access(path, F_OK) == 0)
		fail_msg("%s exists %s", path, why);
	assert_int_equal(errno, ENOENT);
}

/* Nothing listens on 127.0.0.1:port. */
static void
assert_port_closed(int port)
{
	int	 fd;

	if ((fd = harness_connect(port, 0)) != -1) {
		close(fd);
		fail_msg("something listens on port %d", port);
	}
	assert_int_equal(errno, ECONNREFUSED);
}

/*
 * sluice -d --pidfile --listen 127.0.0.1:PORT --root htdocs, then the
 * NULL-terminated extra arguments: the command returns `code` within
 * DMN_TIMEOUT_MS, its stderr has want1 and want2, and no daemon is left
 * (no pidfile, the port is free).
 */
static void
assert_start_fails(struct dfx *f, int code, const char *const *extra,
    const char *want1, const char *want2)
{
	const char		*args[HARNESS_MAX_ARGS + 1];
	struct harness_run	 r;
	char			 listen[32];
	int64_t			 t0, ms;
	size_t			 n = 0, i;
	int			 port = dmn_free_port();

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	args[n++] = "-d";
	args[n++] = "--pidfile";
	args[n++] = f->pidfile;
	args[n++] = "--listen";
	args[n++] = listen;
	args[n++] = "--root";
	args[n++] = harness_htdocs();
	for (i = 0; extra[i] != NULL && n < HARNESS_MAX_ARGS; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	t0 = harness_now_ms();
	if (harness_run(args, NULL, DMN_TIMEOUT_MS, &r) == -1)
		fail_msg("sluice -d %s %s did not return within %d ms: %s",
		    extra[0], extra[1] != NULL ? extra[1] : "", DMN_TIMEOUT_MS,
		    strerror(errno));
	ms = harness_now_ms() - t0;
	if (r.code != code)
		fail_msg("sluice -d %s %s: exit %d, want %d (stderr: %s)",
		    extra[0], extra[1] != NULL ? extra[1] : "", r.code, code,
		    r.err);
	if (ms >= DMN_TIMEOUT_MS)
		fail_msg("sluice -d took %lld ms to fail", (long long)ms);
	if (strstr(r.err, want1) == NULL || strstr(r.err, want2) == NULL)
		fail_msg("stderr does not name \"%s\" and \"%s\": %s", want1,
		    want2, r.err);
	harness_run_free(&r);
	/* Nothing of the daemon may outlive the command's "exit 1". */
	assert_no_file(f->pidfile, "once sluice -d has exited 1");
	assert_port_closed(port);
}

/*
 * A run directory owned by nobody, as systemd's RuntimeDirectory= makes
 * one: the pidfile of a daemon that drops to nobody goes there, since
 * removing a file needs write access to its directory (sluice.8 says the
 * pidfile's directory must be writable by --user).
 */
static void
dmn_rundir_pidfile(struct dfx *f, char *out, size_t len)
{
	char	 dir[PATH_MAX];

	dmn_path(f, "run", dir, sizeof(dir));
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(chown(dir, DMN_NOBODY_ID, DMN_NOBODY_ID), 0);
	assert_true((size_t)snprintf(out, len, "%s/sluice.pid", dir) < len);
}

/*
 * The whole life of a daemon that drops to nobody, as an administrator
 * starts it: port 0 and --port-file, which must name the bound port once
 * the command has returned.  The port file's directory is root's (0755),
 * like /run: it is written before the drop.
 */
static void
test_daemon_port_file_after_drop(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	struct dmn		*d;
	char			 note[PATH_MAX + 64];
	int64_t			 ms;
	int			 port;

	need_root();
	dmn_rundir_pidfile(f, f->pidfile, sizeof(f->pidfile));
	dmn_run(&r, &ms, "-d", "--user", "nobody", "--pidfile", f->pidfile,
	    "--port-file", f->portfile, "--listen", "127.0.0.1:0", "--root",
	    harness_htdocs(), NULL);
	if (r.code != 0)
		fail_msg("sluice -d: exit %d, want 0 (stderr: %s)", r.code,
		    r.err);
	harness_run_free(&r);
	/* Right away: the port file is how we learn the port. */
	port = dmn_read_port(f->portfile);
	snprintf(note, sizeof(note), "port file %s: %s", f->portfile,
	    port == -1 ? strerror(errno) : "written");
	d = dmn_adopt(f, f->pidfile, note);
	if (port == -1)
		fail_msg("no port file %s once sluice -d --user nobody "
		    "returned 0; the daemon %s", f->portfile,
		    dmn_running(d) ? "still runs" : "has exited");
	assert_get_ok(port);
	assert_status_ids(d->pid, "\nUid:", DMN_NOBODY_ID);
	assert_status_ids(d->pid, "\nGid:", DMN_NOBODY_ID);
	assert_groups(d->pid, DMN_NOBODY_ID);
	assert_detached(d->pid);
	dmn_stop(d);
	assert_no_file(f->pidfile, "after the daemon exited");
}

/*
 * The same without --port-file (a port chosen beforehand), so that the
 * rest is checked whatever becomes of the port file: the command returns
 * 0 only once the port answers, the daemon runs as nobody:nogroup with no
 * other group, detached, exits 0 on SIGTERM and removes its pidfile.
 */
static void
test_daemon_drop_to_nobody(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	struct dmn		*d;
	char			 listen[32];
	int64_t			 ms;
	int			 port;

	need_root();
	dmn_rundir_pidfile(f, f->pidfile, sizeof(f->pidfile));
	port = dmn_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	dmn_run(&r, &ms, "-d", "--user", "nobody", "--pidfile", f->pidfile,
	    "--listen", listen, "--root", harness_htdocs(), NULL);
	if (r.code != 0)
		fail_msg("sluice -d: exit %d, want 0 (stderr: %s)", r.code,
		    r.err);
	harness_run_free(&r);
	/* Right away: no retry, the listener must already be bound. */
	assert_get_ok(port);
	d = dmn_adopt(f, f->pidfile, NULL);
	assert_true(dmn_running(d));
	assert_status_ids(d->pid, "\nUid:", DMN_NOBODY_ID);
	assert_status_ids(d->pid, "\nGid:", DMN_NOBODY_ID);
	assert_groups(d->pid, DMN_NOBODY_ID);
	assert_detached(d->pid);
	assert_get_ok(port);
	dmn_stop(d);
	assert_port_closed(port);
	assert_no_file(f->pidfile, "after the daemon, dropped to nobody, "
	    "exited on SIGTERM");
}

/*
 * --user root: explicit consent, no drop; here the port file is written
 * by root and must be there when the command returns, and the pidfile is
 * removed at exit.
 */
static void
test_daemon_user_root(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	struct dmn		*d;
	int			 port;

	need_root();
	dmn_run(&r, NULL, "-d", "--user", "root", "--pidfile", f->pidfile,
	    "--port-file", f->portfile, "--listen", "127.0.0.1:0", "--root",
	    harness_htdocs(), NULL);
	if (r.code != 0)
		fail_msg("sluice -d --user root: exit %d, want 0 (stderr: %s)",
		    r.code, r.err);
	harness_run_free(&r);
	d = dmn_adopt(f, f->pidfile, NULL);
	if ((port = dmn_read_port(f->portfile)) == -1)
		fail_msg("no port file %s once sluice -d --user root returned "
		    "0: %s", f->portfile, strerror(errno));
	assert_get_ok(port);
	assert_status_ids(d->pid, "\nUid:", 0);
	assert_status_ids(d->pid, "\nGid:", 0);
	assert_detached(d->pid);
	dmn_stop(d);
	assert_port_closed(port);
	assert_no_file(f->pidfile, "after the daemon (root) exited");
}

/*
 * --group GROUP replaces the user's group, everywhere: gid and the only
 * supplementary group. nogroup is nobody's own group on Debian, so a
 * second daemon takes "users" (or any group that is neither nobody's nor
 * root's) to show that the option is not ignored.
 */
static void
test_daemon_group(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	struct group		*gr;
	struct dmn		*d;
	const char		*other = NULL;
	char			 listen[32], pidfile2[PATH_MAX], name[64];
	long			 gid2 = -1;
	int			 port;

	need_root();
	port = dmn_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	dmn_run(&r, NULL, "-d", "--user", "nobody", "--group", "nogroup",
	    "--pidfile", f->pidfile, "--listen", listen, "--root",
	    harness_htdocs(), NULL);
	if (r.code != 0)
		fail_msg("sluice -d --group nogroup: exit %d, want 0 "
		    "(stderr: %s)", r.code, r.err);
	harness_run_free(&r);
	assert_get_ok(port);
	d = dmn_adopt(f, f->pidfile, NULL);
	assert_status_ids(d->pid, "\nUid:", DMN_NOBODY_ID);
	assert_status_ids(d->pid, "\nGid:", DMN_NOBODY_ID);
	assert_groups(d->pid, DMN_NOBODY_ID);
	dmn_stop(d);

	if ((gr = getgrnam("users")) != NULL && gr->gr_gid != 0 &&
	    gr->gr_gid != DMN_NOBODY_ID)
		other = "users";
	else if ((gr = getgrnam("daemon")) != NULL && gr->gr_gid != 0 &&
	    gr->gr_gid != DMN_NOBODY_ID)
		other = "daemon";
	if (other == NULL) {
		print_message("test_daemon: no group \"users\" or \"daemon\": "
		    "only --group nogroup was checked\n");
		return;
	}
	snprintf(name, sizeof(name), "%s", other);
	gid2 = (long)gr->gr_gid;
	dmn_path(f, "other.pid", pidfile2, sizeof(pidfile2));
	port = dmn_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	dmn_run(&r, NULL, "-d", "--user", "nobody", "--group", name,
	    "--pidfile", pidfile2, "--listen", listen, "--root",
	    harness_htdocs(), NULL);
	if (r.code != 0)
		fail_msg("sluice -d --group %s: exit %d, want 0 (stderr: %s)",
		    name, r.code, r.err);
	harness_run_free(&r);
	assert_get_ok(port);
	d = dmn_adopt(f, pidfile2, NULL);
	assert_status_ids(d->pid, "\nUid:", DMN_NOBODY_ID);
	assert_status_ids(d->pid, "\nGid:", gid2);
	assert_groups(d->pid, gid2);
	dmn_stop(d);
}

/*
 * As root, -d without --user is refused before anything is started: exit
 * 2, a message naming --daemon and --user, no pidfile, no port file, no
 * listener.
 */
static void
test_daemon_refused_without_user(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	char			 listen[32];
	int			 port;

	need_root();
	port = dmn_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	dmn_run(&r, NULL, "-d", "--pidfile", f->pidfile, "--port-file",
	    f->portfile, "--listen", listen, "--root", harness_htdocs(), NULL);
	if (r.code != DMN_EXIT_USAGE)
		fail_msg("sluice -d as root without --user: exit %d, want %d "
		    "(stderr: %s)", r.code, DMN_EXIT_USAGE, r.err);
	if (strstr(r.err, "--daemon") == NULL ||
	    strstr(r.err, "--user") == NULL)
		fail_msg("the refusal does not name --daemon and --user: %s",
		    r.err);
	harness_run_free(&r);
	assert_no_file(f->pidfile, "after the refusal");
	assert_no_file(f->portfile, "after the refusal");
	assert_port_closed(port);
}

/*
 * In the foreground, root without --user is served with a warning; with
 * --user root there is no warning.
 */
static void
test_foreground_root_warns(void **state)
{
	const char		*plain[] = { "--root", NULL, NULL };
	const char		*consent[] = { "--root", NULL, "--user",
				    "root", NULL };
	struct harness_server	 srv;
	struct harness_opts	 o;
	int			 st;

	(void)state;
	need_root();
	plain[1] = harness_htdocs();
	consent[1] = harness_htdocs();
	memset(&o, 0, sizeof(o));
	o.args = plain;
	assert_int_equal(harness_server_start(&srv, &o), 0);
	assert_get_ok(srv.port);
	assert_int_equal(harness_server_wait_log(&srv, "running as root",
	    DMN_TIMEOUT_MS), 0);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);

	o.args = consent;
	assert_int_equal(harness_server_start(&srv, &o), 0);
	assert_get_ok(srv.port);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	if (harness_log_contains(&srv, "running as root"))
		fail_msg("--user root still warns \"running as root\"");
	harness_server_cleanup(&srv);
}

/* An unknown --user: exit 1 naming --user, with -d and in the foreground. */
static void
test_daemon_unknown_user(void **state)
{
	const char		*extra[] = { "--user", DMN_NO_USER, NULL };
	struct dfx		*f = *state;
	struct harness_run	 r;

	need_root();
	assert_start_fails(f, 1, extra, "--user", DMN_NO_USER);
	dmn_run(&r, NULL, "--user", DMN_NO_USER, "--listen", "127.0.0.1:0",
	    "--root", harness_htdocs(), NULL);
	if (r.code != 1 || strstr(r.err, "--user") == NULL)
		fail_msg("sluice --user %s: exit %d, want 1 naming --user "
		    "(stderr: %s)", DMN_NO_USER, r.code, r.err);
	harness_run_free(&r);
}

/* An unknown --group: exit 1 naming --group, with -d and in the foreground. */
static void
test_daemon_unknown_group(void **state)
{
	const char		*extra[] = { "--user", "nobody", "--group",
				    DMN_NO_GROUP, NULL };
	struct dfx		*f = *state;
	struct harness_run	 r;

	need_root();
	assert_start_fails(f, 1, extra, "--group", DMN_NO_GROUP);
	dmn_run(&r, NULL, "--user", "nobody", "--group", DMN_NO_GROUP,
	    "--listen", "127.0.0.1:0", "--root", harness_htdocs(), NULL);
	if (r.code != 1 || strstr(r.err, "--group") == NULL)
		fail_msg("sluice --group %s: exit %d, want 1 naming --group "
		    "(stderr: %s)", DMN_NO_GROUP, r.code, r.err);
	harness_run_free(&r);
}

/*
 * The daemon fails while starting (a --root that does not exist): the
 * command exits 1 within DMN_TIMEOUT_MS and its stderr has the daemon's
 * error, naming --root and the directory.
 */
static void
test_daemon_start_failure(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	char			 missing[PATH_MAX], listen[32];
	int64_t			 ms;
	int			 port;

	need_root();
	dmn_path(f, "no-such-root", missing, sizeof(missing));
	port = dmn_free_port();
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	dmn_run(&r, &ms, "-d", "--user", "nobody", "--pidfile", f->pidfile,
	    "--listen", listen, "--root", missing, NULL);
	if (r.code != 1)
		fail_msg("sluice -d --root %s: exit %d, want 1 (stderr: %s)",
		    missing, r.code, r.err);
	if (ms >= DMN_TIMEOUT_MS)
		fail_msg("sluice -d took %lld ms to fail", (long long)ms);
	if (strstr(r.err, "--root") == NULL || strstr(r.err, missing) == NULL)
		fail_msg("stderr does not name --root and %s: %s", missing,
		    r.err);
	harness_run_free(&r);
	/* Nothing of the daemon may outlive the command's "exit 1". */
	assert_no_file(f->pidfile, "once sluice -d has exited 1");
	assert_port_closed(port);
}

/*
 * The same failure with --error-log FILE: the daemon's log is not the
 * command's stderr, so the command prints the reason itself, and the
 * file has it too.
 */
static void
test_daemon_start_failure_error_log(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	char			 missing[PATH_MAX], elog[PATH_MAX], *buf;
	int64_t			 ms;

	need_root();
	dmn_path(f, "no-such-root", missing, sizeof(missing));
	dmn_path(f, "error.log", elog, sizeof(elog));
	dmn_run(&r, &ms, "-d", "--user", "nobody", "--pidfile", f->pidfile,
	    "--listen", "127.0.0.1:0", "--root", missing, "--error-log", elog,
	    NULL);
	if (r.code != 1)
		fail_msg("sluice -d --error-log: exit %d, want 1 (stderr: %s)",
		    r.code, r.err);
	if (strstr(r.err, "--root") == NULL || strstr(r.err, missing) == NULL)
		fail_msg("stderr does not name --root and %s: %s", missing,
		    r.err);
	harness_run_free(&r);
	assert_int_equal(harness_read_file(elog, &buf, NULL), 0);
	assert_non_null(strstr(buf, missing));
	free(buf);
	assert_no_file(f->pidfile, "after a failed start");
}

/*
 * The daemon exits while starting without a word to its parent (a fatal
 * error: an access log in a missing directory): the command still exits
 * 1, with the error on its stderr.
 */
static void
test_daemon_start_fatal(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	char			 alog[PATH_MAX];
	int64_t			 ms;

	need_root();
	dmn_path(f, "no-such-dir/access.log", alog, sizeof(alog));
	dmn_run(&r, &ms, "-d", "--user", "nobody", "--pidfile", f->pidfile,
	    "--listen", "127.0.0.1:0", "--root", harness_htdocs(),
	    "--access-log", alog, NULL);
	if (r.code != 1)
		fail_msg("sluice -d --access-log %s: exit %d, want 1 "
		    "(stderr: %s)", alog, r.code, r.err);
	if (ms >= DMN_TIMEOUT_MS)
		fail_msg("sluice -d took %lld ms to fail", (long long)ms);
	if (strstr(r.err, "--access-log") == NULL)
		fail_msg("stderr does not name --access-log: %s", r.err);
	harness_run_free(&r);
	assert_no_file(f->pidfile, "after a failed start");
}

/*
 * SIGUSR1 reopens the access log by name, as logrotate expects: after
 * the file is moved away and the signal sent, the next request's line
 * goes to a new file of the old name and the moved file keeps only the
 * earlier lines.  Without the reopen both lines land in the moved file.
 */
static void
test_usr1_reopens_access_log(void **state)
{
	struct dfx		*f = *state;
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 r;
	char			 log[PATH_MAX], moved[PATH_MAX + 8];
	char			*text;
	size_t			 len;
	int			 st;
	const char		*args[] = { "--access-log", log, "--root",
	    harness_htdocs(), NULL };

	dmn_path(f, "access.log", log, sizeof(log));
	snprintf(moved, sizeof(moved), "%s.1", log);
	memset(&o, 0, sizeof(o));
	o.args = args;
	assert_int_equal(harness_server_start(&srv, &o), 0);
	assert_int_equal(harness_get(srv.port, "/before", &r), 0);
	harness_response_free(&r);
	assert_int_equal(rename(log, moved), 0);
	assert_int_equal(harness_server_signal(&srv, SIGUSR1), 0);
	assert_int_equal(harness_server_wait_log(&srv, "logs reopened",
	    5000), 0);
	assert_int_equal(harness_get(srv.port, "/after", &r), 0);
	harness_response_free(&r);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	harness_server_cleanup(&srv);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	assert_int_equal(harness_read_file(moved, &text, &len), 0);
	assert_non_null(strstr(text, "GET /before "));
	assert_null(strstr(text, "GET /after "));
	free(text);
	assert_int_equal(harness_read_file(log, &text, &len), 0);
	assert_non_null(strstr(text, "GET /after "));
	assert_null(strstr(text, "GET /before "));
	free(text);
}

/*
 * A daemon started without a root serves ./html of the directory it was
 * started from; after SIGHUP it still does (not the installed default
 * site: the daemon works from "/", where there is no ./html).
 */
static void
test_daemon_reload_keeps_default_root(void **state)
{
	struct dfx		*f = *state;
	struct harness_run	 r;
	struct harness_response	 resp;
	struct dmn		*d;
	char			 elog[PATH_MAX], *text = NULL;
	const char		*args[] = { "-d", "--user", "root", "--pidfile",
				    f->pidfile, "--port-file", f->portfile,
				    "--listen", "127.0.0.1:0", "--error-log",
				    elog, NULL };
	int64_t			 end;
	int			 port;

	need_root();
	dmn_path(f, "error.log", elog, sizeof(elog));
	assert_int_equal(harness_mkdir(f->dir, "html"), 0);
	assert_int_equal(harness_write_file(f->dir, "html/index.html",
	    "mine\n", 5, 0644), 0);
	if (harness_run(args, f->dir, DMN_TIMEOUT_MS, &r) == -1 ||
	    r.code != 0)
		fail_msg("sluice -d from %s: exit %d (stderr: %s)", f->dir,
		    r.code, r.err != NULL ? r.err : "");
	harness_run_free(&r);
	d = dmn_adopt(f, f->pidfile, NULL);
	assert_true((port = dmn_read_port(f->portfile)) > 0);
	assert_int_equal(harness_get(port, "/", &resp), 0);
	assert_string_equal(resp.body, "mine\n");
	harness_response_free(&resp);
	assert_int_equal(pidfd_signal(d->pidfd, SIGHUP), 0);
	/* The reload is done once its line is in the log; bounded. */
	end = harness_now_ms() + DMN_TIMEOUT_MS;
	for (;;) {
		free(text);
		text = NULL;
		if (harness_read_file(elog, &text, NULL) == 0 &&
		    strstr(text, "reload 1 done") != NULL)
			break;
		if (harness_now_ms() >= end)
			fail_msg("no \"reload 1 done\" in %s: %s", elog,
			    text != NULL ? text : "");
		(void)poll(NULL, 0, 20);
	}
	free(text);
	assert_int_equal(harness_get(port, "/", &resp), 0);
	assert_string_equal(resp.body, "mine\n");
	harness_response_free(&resp);
	dmn_stop(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, dfx_setup, dfx_teardown)
		T(test_daemon_port_file_after_drop),
		T(test_daemon_drop_to_nobody),
		T(test_daemon_user_root),
		T(test_daemon_group),
		T(test_daemon_refused_without_user),
		T(test_foreground_root_warns),
		T(test_daemon_unknown_user),
		T(test_daemon_unknown_group),
		T(test_daemon_start_failure),
		T(test_daemon_start_failure_error_log),
		T(test_daemon_start_fatal),
		T(test_usr1_reopens_access_log),
		T(test_daemon_reload_keeps_default_root),
#undef T
	};

	/* Orphaned daemons become our children: we reap them. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("test_daemon: PR_SET_CHILD_SUBREAPER");
		return (1);
	}
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
