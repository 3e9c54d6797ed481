/* sluice: integration test harness. */

/*
 * The harness starts the real daemon as a child process and talks to it the
 * way a client would. Synchronisation never sleeps: the bound port arrives
 * through a pipe the child inherits as fd 3 (the server opens
 * /proc/self/fd/3 for --port-file), the exit of a child is awaited on a
 * pidfd, log lines on inotify, socket data on poll, each with a deadline.
 * The contract of every function is in harness.h; the watchdog keeps the
 * PIDs of live children in a small table so that its signal handler can
 * kill them before the test binary exits. The child side of fork() only
 * makes async-signal-safe calls, so a test may have other threads running.
 */

#include "config.h"

#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/* The descriptor number of the port pipe in the child. */
#define HARNESS_PORT_FD		3
/* Highest descriptor closed one by one when close_range is missing. */
#define HARNESS_CLOSE_MAX	65536
/* Read chunk of the client and file helpers. */
#define HARNESS_CHUNK		65536

/*
 * PIDs of children not yet reaped, for the watchdog's signal handler only:
 * the one place in the tests where a signal needs shared state.
 */
static volatile sig_atomic_t	harness_children[HARNESS_MAX_CHILDREN];
static volatile sig_atomic_t	harness_watchdog_secs;

static void	harness_child_add(pid_t);
static void	harness_child_del(pid_t);
static void	harness_watchdog_cb(int);
static int	harness_timeout(int);
static int	harness_remaining(int64_t);
static int	harness_pidfd_open(pid_t);
static int	harness_reap(pid_t, int, int *);
static int	harness_spawn(char **, const char *, int, int, int,
		    const struct harness_opts *, uid_t, gid_t, pid_t *);
static bool	harness_has_listen(const char *const *);
static int	harness_read_fd(int, char **, size_t *);
static int	harness_mkparents(const char *);
static int	harness_rmtree_cb(const char *, const struct stat *, int,
		    struct FTW *);
static int	harness_client_fill(struct harness_client *, int64_t);
static void	harness_client_consume(struct harness_client *, size_t);
static int	harness_parse_head(struct harness_response *, const char *,
		    size_t);
static char	*harness_memmem_crlf2(const char *, size_t);

const char *
harness_bin(void)
{
	const char	*v = getenv("SLUICE_BIN");

	return (v != NULL && *v != '\0' ? v : NULL);
}

const char *
harness_site(void)
{
	const char	*v = getenv("SLUICE_SITE");

	return (v != NULL && *v != '\0' ? v : NULL);
}

const char *
harness_htdocs(void)
{
	const char	*v = getenv("SLUICE_HTDOCS");

	return (v != NULL && *v != '\0' ? v : NULL);
}

int64_t
harness_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/*
 * A negative or zero timeout means the default, so that callers can pass -1
 * without knowing the constant.
 */
static int
harness_timeout(int timeout_ms)
{
	return (timeout_ms > 0 ? timeout_ms : HARNESS_TIMEOUT_MS);
}

/* Milliseconds left until deadline, never negative, for poll(). */
static int
harness_remaining(int64_t deadline)
{
	int64_t	left = deadline - harness_now_ms();

	if (left < 0)
		return (0);
	if (left > INT_MAX)
		return (INT_MAX);
	return ((int)left);
}

/*
 * The table is scanned linearly; it holds a handful of entries. A full
 * table only means the watchdog cannot kill that child, which
 * PR_SET_PDEATHSIG covers anyway.
 */
/*
 * At exit, SIGKILL what is left: a test that failed half-way leaves its
 * server running, and PR_SET_PDEATHSIG does not survive the server's own
 * drop to --user (the kernel clears it on a change of credentials).
 */
static void
harness_children_atexit(void)
{
	int	i;

	for (i = 0; i < HARNESS_MAX_CHILDREN; i++) {
		if (harness_children[i] > 0) {
			kill(harness_children[i], SIGKILL);
			(void)waitpid(harness_children[i], NULL, 0);
			harness_children[i] = 0;
		}
	}
}

static void
harness_child_add(pid_t pid)
{
	static bool	 registered;
	int		 i;

	if (!registered) {
		registered = true;
		(void)atexit(harness_children_atexit);
	}
	for (i = 0; i < HARNESS_MAX_CHILDREN; i++) {
		if (harness_children[i] == 0) {
			harness_children[i] = pid;
			return;
		}
	}
}

static void
harness_child_del(pid_t pid)
{
	int	i;

	for (i = 0; i < HARNESS_MAX_CHILDREN; i++) {
		if (harness_children[i] == pid)
			harness_children[i] = 0;
	}
}

/*
 * Async-signal-safe: kill, write and _exit only. The message cannot use
 * printf, so the number of seconds is formatted by hand.
 */
static void
harness_watchdog_cb(int sig)
{
	static const char	 pre[] =
	    "harness: watchdog: test still running after ";
	static const char	 post[] = " s, killing it\n";
	char			 num[16], *p;
	unsigned int		 n;
	int			 i;

	(void)sig;
	for (i = 0; i < HARNESS_MAX_CHILDREN; i++) {
		if (harness_children[i] > 0)
			kill(harness_children[i], SIGKILL);
	}
	n = (unsigned int)harness_watchdog_secs;
	p = num + sizeof(num);
	do {
		*--p = '0' + n % 10;
		n /= 10;
	} while (n != 0 && p > num);
	(void)!write(STDERR_FILENO, pre, sizeof(pre) - 1);
	(void)!write(STDERR_FILENO, p, num + sizeof(num) - p);
	(void)!write(STDERR_FILENO, post, sizeof(post) - 1);
	_exit(HARNESS_WATCHDOG_EXIT);
}

void
harness_watchdog_arm(unsigned int seconds)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = harness_watchdog_cb;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	harness_watchdog_secs = seconds;
	alarm(seconds);
}

void
harness_watchdog_disarm(void)
{
	alarm(0);
}

int
harness_watchdog_setup(void **state)
{
	(void)state;
	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	return (0);
}

int
harness_watchdog_teardown(void **state)
{
	(void)state;
	harness_watchdog_disarm();
	return (0);
}

/* pidfd_open through syscall(2): older libcs lack the wrapper. */
static int
harness_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return ((int)syscall(SYS_pidfd_open, pid, 0));
#else
	errno = ENOSYS;
	return (-1);
#endif
}

/*
 * Wait up to timeout_ms for pid to exit and reap it. A pidfd makes the wait
 * a poll(); on kernels without one, fall back to WNOHANG checks on a short
 * poll() timer, which is a bounded wait and never the synchronisation
 * itself. Returns 0 with *wstatus, or -1 with ETIMEDOUT.
 */
static int
harness_reap(pid_t pid, int timeout_ms, int *wstatus)
{
	struct pollfd	pfd;
	int64_t		deadline = harness_now_ms() + timeout_ms;
	pid_t		r;
	int		pidfd, st, ret = -1;

	pidfd = harness_pidfd_open(pid);
	for (;;) {
		do
			r = waitpid(pid, &st, WNOHANG);
		while (r == -1 && errno == EINTR);
		if (r == pid) {
			*wstatus = st;
			harness_child_del(pid);
			ret = 0;
			break;
		}
		if (r == -1)
			break;
		if (harness_remaining(deadline) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (pidfd != -1) {
			pfd.fd = pidfd;
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, harness_remaining(deadline));
		} else
			(void)poll(NULL, 0, 10);
	}
	if (pidfd != -1) {
		st = errno;
		close(pidfd);
		errno = st;
	}
	return (ret);
}

/* True if args already choose a listener ("-l", "-lADDR", "--listen"). */
static bool
harness_has_listen(const char *const *args)
{
	size_t	i;

	if (args == NULL)
		return (false);
	for (i = 0; args[i] != NULL; i++) {
		if (strncmp(args[i], "-l", 2) == 0 ||
		    strcmp(args[i], "--listen") == 0 ||
		    strncmp(args[i], "--listen=", 9) == 0)
			return (true);
	}
	return (false);
}

/*
 * Fork and exec argv[0]. In the child, only async-signal-safe calls: the
 * parent prepared argv, the user's ids and every path beforehand. portfd is
 * moved to HARNESS_PORT_FD (or -1 for none); outfd and errfd become stdout
 * and stderr. The child learns of an exec failure only through its exit
 * status 127 and a line in its log.
 */
static int
harness_spawn(char **argv, const char *cwd, int portfd, int outfd, int errfd,
    const struct harness_opts *opts, uid_t uid, gid_t gid, pid_t *pidp)
{
	static const char	 msg[] =
	    "harness: child set-up or exec failed\n";
	struct rlimit		 rl;
	sigset_t		 all;
	pid_t			 parent = getpid(), pid;
	int			 nullfd, fd = HARNESS_PORT_FD;

	pid = fork();
	if (pid == -1)
		return (-1);
	if (pid > 0) {
		harness_child_add(pid);
		*pidp = pid;
		return (0);
	}

	/* Child. */
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGALRM, SIG_DFL);
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd == -1 || dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(outfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
		goto fail;
	if (portfd != -1) {
		if (portfd == HARNESS_PORT_FD) {
			if (fcntl(portfd, F_SETFD, 0) == -1)
				goto fail;
		} else if (dup2(portfd, HARNESS_PORT_FD) == -1)
			goto fail;
		fd = HARNESS_PORT_FD + 1;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, (unsigned int)fd, ~0U, 0) == -1)
#endif
	{
		for (; fd < HARNESS_CLOSE_MAX; fd++)
			(void)close(fd);
	}
	if (cwd != NULL && chdir(cwd) == -1)
		goto fail;
	if (opts != NULL && opts->nofile != 0) {
		rl.rlim_cur = rl.rlim_max = (rlim_t)opts->nofile;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			goto fail;
	}
	if (opts != NULL && opts->as_nobody) {
		if (portfd != -1 && fchown(HARNESS_PORT_FD, uid, gid) == -1)
			goto fail;
		if (setgroups(0, NULL) == -1 || setgid(gid) == -1 ||
		    setuid(uid) == -1)
			goto fail;
	}
	/* After the id change, which clears the parent-death signal. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() != parent)
		goto fail;
	execv(argv[0], argv);
 fail:
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(127);
}

int
harness_server_start(struct harness_server *s, const struct harness_opts *o)
{
	static const struct harness_opts	 none;
	const char	*argv[HARNESS_MAX_ARGS + 8];
	struct passwd	*pw;
	struct pollfd	 pfd;
	char		 buf[64], *end;
	const char	*bin;
	size_t		 n = 0, i, got = 0;
	ssize_t		 r;
	int64_t		 deadline;
	uid_t		 uid = 0;
	gid_t		 gid = 0;
	long		 port;
	int		 p[2] = { -1, -1 }, logfd = -1, st, saved;

	if (o == NULL)
		o = &none;
	memset(s, 0, sizeof(*s));
	if ((bin = harness_bin()) == NULL) {
		errno = ENOENT;
		return (-1);
	}
	if (o->as_nobody) {
		if (geteuid() != 0) {
			errno = EPERM;
			return (-1);
		}
		if ((pw = getpwnam("nobody")) == NULL) {
			errno = ENOENT;
			return (-1);
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}

	argv[n++] = bin;
	for (i = 0; o->args != NULL && o->args[i] != NULL; i++) {
		if (n >= HARNESS_MAX_ARGS) {
			errno = E2BIG;
			return (-1);
		}
		argv[n++] = o->args[i];
	}
	if (!o->bare) {
		if (!harness_has_listen(o->args)) {
			argv[n++] = "--listen";
			argv[n++] = "127.0.0.1:0";
		}
		argv[n++] = "--port-file";
		argv[n++] = "/proc/self/fd/3";
	}
	argv[n] = NULL;

	if (harness_tmpdir_create(s->dir, sizeof(s->dir), "srv") == -1)
		return (-1);
	snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
	logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644);
	if (logfd == -1)
		goto fail;
	if (!o->bare && pipe2(p, O_CLOEXEC) == -1)
		goto fail;
	if (harness_spawn((char **)argv, o->cwd, p[1], logfd, logfd, o, uid,
	    gid, &s->pid) == -1)
		goto fail;
	close(logfd);
	logfd = -1;
	if (o->bare)
		return (0);
	close(p[1]);
	p[1] = -1;

	/* Read "PORT\n"; EOF means the child exited (or closed fd 3). */
	deadline = harness_now_ms() + harness_timeout(o->timeout_ms);
	for (;;) {
		pfd.fd = p[0];
		pfd.events = POLLIN;
		r = poll(&pfd, 1, harness_remaining(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail_kill;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail_kill;
		}
		r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail_kill;
		if (r == 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		if (memchr(buf, '\n', got) != NULL || got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	errno = 0;
	port = got > 0 ? strtol(buf, &end, 10) : 0;
	if (got == 0 || errno != 0 || end == buf || port <= 0 ||
	    port > 65535 || (*end != '\n' && *end != '\0')) {
		/* No port: wait for its exit so that the status is known. */
		if (harness_reap(s->pid, harness_remaining(deadline), &st)
		    == 0) {
			s->wstatus = st;
			s->reaped = true;
			s->pid = 0;
			errno = ECHILD;
			goto fail;
		}
		errno = got == 0 ? ETIMEDOUT : EPROTO;
		goto fail_kill;
	}
	s->port = (int)port;
	close(p[0]);
	return (0);

 fail_kill:
	saved = errno;
	kill(s->pid, SIGKILL);
	if (harness_reap(s->pid, HARNESS_TIMEOUT_MS, &st) == 0) {
		s->wstatus = st;
		s->reaped = true;
		s->pid = 0;
	}
	errno = saved;
 fail:
	saved = errno;
	if (logfd != -1)
		close(logfd);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	errno = saved;
	return (-1);
}

int
harness_server_signal(struct harness_server *s, int sig)
{
	if (s->reaped || s->pid <= 0) {
		errno = ESRCH;
		return (-1);
	}
	return (kill(s->pid, sig));
}

int
harness_server_wait(struct harness_server *s, int timeout_ms, int *wstatus)
{
	int	st;

	if (!s->reaped) {
		if (s->pid <= 0) {
			errno = ESRCH;
			return (-1);
		}
		if (harness_reap(s->pid, timeout_ms < 0 ? HARNESS_TIMEOUT_MS :
		    timeout_ms, &st) == -1)
			return (-1);
		s->wstatus = st;
		s->reaped = true;
		s->pid = 0;
	}
	if (wstatus != NULL)
		*wstatus = s->wstatus;
	return (0);
}

int
harness_server_stop(struct harness_server *s, int *wstatus)
{
	int	st;

	if (s->reaped)
		return (harness_server_wait(s, 0, wstatus));
	if (s->pid <= 0) {
		errno = ESRCH;
		return (-1);
	}
	(void)kill(s->pid, SIGTERM);
	if (harness_server_wait(s, HARNESS_TIMEOUT_MS, wstatus) == 0)
		return (0);
	(void)kill(s->pid, SIGKILL);
	if (harness_reap(s->pid, HARNESS_TIMEOUT_MS, &st) == 0) {
		s->wstatus = st;
		s->reaped = true;
		s->pid = 0;
		if (wstatus != NULL)
			*wstatus = st;
	}
	errno = ETIMEDOUT;
	return (-1);
}

void
harness_server_cleanup(struct harness_server *s)
{
	int	st;

	if (!s->reaped && s->pid > 0) {
		(void)kill(s->pid, SIGKILL);
		if (harness_reap(s->pid, HARNESS_TIMEOUT_MS, &st) == 0) {
			s->wstatus = st;
			s->reaped = true;
			s->pid = 0;
		}
	}
	if (s->dir[0] != '\0') {
		(void)harness_rmtree(s->dir);
		s->dir[0] = '\0';
	}
}

int
harness_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return (WEXITSTATUS(wstatus));
	if (WIFSIGNALED(wstatus))
		return (128 + WTERMSIG(wstatus));
	return (-1);
}

int
harness_log_read(const struct harness_server *s, char **out, size_t *lenp)
{
	return (harness_read_file(s->log_path, out, lenp));
}

bool
harness_log_contains(const struct harness_server *s, const char *str)
{
	char	*log;
	size_t	 len;
	bool	 found;

	if (harness_log_read(s, &log, &len) == -1)
		return (false);
	found = memmem(log, len, str, strlen(str)) != NULL;
	free(log);
	return (found);
}

/*
 * inotify reports every write to the log; the check after adding the watch
 * closes the race with a write that happened before it. A pidfd in the
 * same poll() ends the wait early when the server exits.
 */
int
harness_server_wait_log(struct harness_server *s, const char *str,
    int timeout_ms)
{
	struct pollfd	pfd[2];
	char		ev[4096];
	int64_t		deadline;
	int		in, pidfd = -1, n = 0, ret = -1, saved;

	deadline = harness_now_ms() + harness_timeout(timeout_ms);
	if ((in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return (-1);
	if (inotify_add_watch(in, s->log_path, IN_MODIFY) == -1)
		goto out;
	if (!s->reaped && s->pid > 0)
		pidfd = harness_pidfd_open(s->pid);
	for (;;) {
		if (harness_log_contains(s, str)) {
			ret = 0;
			break;
		}
		if (s->reaped || (pidfd != -1 && n > 1 &&
		    (pfd[1].revents & POLLIN))) {
			errno = ECHILD;
			break;
		}
		if (harness_remaining(deadline) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		pfd[0].fd = in;
		pfd[0].events = POLLIN;
		pfd[1].fd = pidfd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		n = pidfd != -1 ? 2 : 1;
		if (poll(pfd, n, harness_remaining(deadline)) == -1 &&
		    errno != EINTR)
			break;
		while (read(in, ev, sizeof(ev)) > 0)
			continue;
	}
 out:
	saved = errno;
	if (pidfd != -1)
		close(pidfd);
	close(in);
	errno = saved;
	return (ret);
}

int
harness_log_counter(const struct harness_server *s, const char *name,
    long long *value)
{
	char		*log, *line, *p, *end;
	size_t		 len, nlen = strlen(name);
	long long	 v;
	int		 ret = -1;

	if (harness_log_read(s, &log, &len) == -1)
		return (-1);
	/* The last "counters:" line wins. */
	line = NULL;
	for (p = log; (p = strstr(p, "counters:")) != NULL; p++)
		line = p;
	if (line == NULL) {
		errno = ENOENT;
		goto out;
	}
	end = strchr(line, '\n');
	if (end != NULL)
		*end = '\0';
	errno = ESRCH;
	for (p = line + strlen("counters:"); *p != '\0'; p++) {
		if (p[-1] != ' ' || strncmp(p, name, nlen) != 0 ||
		    p[nlen] != '=')
			continue;
		errno = 0;
		v = strtoll(p + nlen + 1, &end, 10);
		if (errno != 0 || end == p + nlen + 1) {
			errno = ESRCH;
			break;
		}
		*value = v;
		ret = 0;
		break;
	}
 out:
	free(log);
	return (ret);
}

int
harness_proc_cpu_ms(pid_t pid, long long *ms)
{
	char			 path[64], *buf, *p, *end;
	unsigned long long	 ut, st;
	size_t			 len;
	long			 hz;
	int			 i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if (harness_read_file(path, &buf, &len) == -1)
		return (-1);
	/* The command name may contain spaces; fields resume after ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		goto bad;
	p++;
	/* After ')' come fields 3 (state) ... 14 (utime), 15 (stime). */
	for (i = 3; i < 14; i++) {
		while (*p == ' ')
			p++;
		while (*p != ' ' && *p != '\0')
			p++;
	}
	errno = 0;
	ut = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		goto bad;
	p = end;
	st = strtoull(p, &end, 10);
	if (errno != 0 || end == p)
		goto bad;
	free(buf);
	hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	*ms = (long long)((ut + st) * 1000 / (unsigned long long)hz);
	return (0);
 bad:
	free(buf);
	errno = EPROTO;
	return (-1);
}

int
harness_proc_fd_count(pid_t pid)
{
	struct dirent	*de;
	DIR		*d;
	char		 path[64];
	int		 n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((d = opendir(path)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.')
			n++;
	}
	closedir(d);
	return (n);
}

int
harness_proc_rss_kb(pid_t pid, long long *kb)
{
	char	path[64], *buf, *p;
	size_t	len;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if (harness_read_file(path, &buf, &len) == -1)
		return (-1);
	if ((p = strstr(buf, "\nVmRSS:")) == NULL) {
		free(buf);
		errno = ENOENT;
		return (-1);
	}
	*kb = strtoll(p + strlen("\nVmRSS:"), NULL, 10);
	free(buf);
	return (0);
}

int
harness_run(const char *const *args, const char *cwd, int timeout_ms,
    struct harness_run *r)
{
	const char	*argv[HARNESS_MAX_ARGS + 2];
	char		 dir[256], outp[300], errp[300];
	const char	*bin;
	size_t		 n = 0, i;
	pid_t		 pid;
	int		 outfd = -1, errfd = -1, ret = -1, saved, st;

	memset(r, 0, sizeof(*r));
	r->code = -1;
	if ((bin = harness_bin()) == NULL) {
		errno = ENOENT;
		return (-1);
	}
	argv[n++] = bin;
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (n >= HARNESS_MAX_ARGS) {
			errno = E2BIG;
			return (-1);
		}
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	if (harness_tmpdir_create(dir, sizeof(dir), "run") == -1)
		return (-1);
	snprintf(outp, sizeof(outp), "%s/stdout", dir);
	snprintf(errp, sizeof(errp), "%s/stderr", dir);
	outfd = open(outp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	errfd = open(errp, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (outfd == -1 || errfd == -1)
		goto out;
	if (harness_spawn((char **)argv, cwd, -1, outfd, errfd, NULL, 0, 0,
	    &pid) == -1)
		goto out;
	if (harness_reap(pid, harness_timeout(timeout_ms), &st) == -1) {
		(void)kill(pid, SIGKILL);
		(void)harness_reap(pid, HARNESS_TIMEOUT_MS, &st);
		errno = ETIMEDOUT;
	} else
		ret = 0;
	r->wstatus = st;
	r->code = harness_exit_code(st);
	saved = errno;
	if (harness_read_file(outp, &r->out, &r->out_len) == -1 ||
	    harness_read_file(errp, &r->err, &r->err_len) == -1) {
		ret = -1;
		saved = errno;
	}
	errno = saved;
 out:
	saved = errno;
	if (outfd != -1)
		close(outfd);
	if (errfd != -1)
		close(errfd);
	(void)harness_rmtree(dir);
	errno = saved;
	return (ret);
}

void
harness_run_free(struct harness_run *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

int
harness_tmpdir_create(char *buf, size_t len, const char *prefix)
{
	int	n;

	n = snprintf(buf, len, "/tmp/sluice-%s.XXXXXX",
	    prefix != NULL ? prefix : "test");
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (mkdtemp(buf) == NULL)
		return (-1);
	if (chmod(buf, 0755) == -1) {
		n = errno;
		(void)rmdir(buf);
		errno = n;
		return (-1);
	}
	return (0);
}

/* Create every missing parent directory of path with mode 0755. */
static int
harness_mkparents(const char *path)
{
	char	tmp[PATH_MAX], *p;

	if (strlen(path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	strcpy(tmp, path);
	for (p = tmp + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(tmp, 0755) == -1 && errno != EEXIST)
			return (-1);
		*p = '/';
	}
	return (0);
}

int
harness_write_file(const char *dir, const char *rel, const void *data,
    size_t len, mode_t mode)
{
	char		 path[PATH_MAX];
	const char	*p = data;
	ssize_t		 w;
	int		 fd, saved;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (harness_mkparents(path) == -1)
		return (-1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd == -1)
		return (-1);
	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fchmod(fd, mode) == -1)
		goto fail;
	return (close(fd));
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

int
harness_mkdir(const char *dir, const char *rel)
{
	char	path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (harness_mkparents(path) == -1)
		return (-1);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return (-1);
	return (chmod(path, 0755));
}

int
harness_symlink(const char *dir, const char *rel, const char *target)
{
	char	path[PATH_MAX];

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, rel) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if (harness_mkparents(path) == -1)
		return (-1);
	return (symlink(target, path));
}

/* Read a descriptor to its end into a malloc()ed, NUL-terminated buffer. */
static int
harness_read_fd(int fd, char **out, size_t *lenp)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (cap - len < HARNESS_CHUNK + 1) {
			cap = cap == 0 ? 2 * HARNESS_CHUNK : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			goto fail;
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	if (lenp != NULL)
		*lenp = len;
	return (0);
 fail:
	free(buf);
	return (-1);
}

int
harness_read_file(const char *path, char **out, size_t *lenp)
{
	int	fd, ret, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	ret = harness_read_fd(fd, out, lenp);
	saved = errno;
	close(fd);
	errno = saved;
	return (ret);
}

int
harness_copy_tree(const char *src, const char *dst)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		 s[PATH_MAX], t[PATH_MAX], link[PATH_MAX], *data;
	size_t		 len;
	ssize_t		 n;
	int		 ret = -1, saved;

	if (mkdir(dst, 0755) == -1 && errno != EEXIST)
		return (-1);
	if ((d = opendir(src)) == NULL)
		return (-1);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >=
		    sizeof(s) || (size_t)snprintf(t, sizeof(t), "%s/%s", dst,
		    de->d_name) >= sizeof(t)) {
			errno = ENAMETOOLONG;
			goto out;
		}
		if (lstat(s, &sb) == -1)
			goto out;
		if (S_ISDIR(sb.st_mode)) {
			if (harness_copy_tree(s, t) == -1)
				goto out;
		} else if (S_ISLNK(sb.st_mode)) {
			if ((n = readlink(s, link, sizeof(link) - 1)) == -1)
				goto out;
			link[n] = '\0';
			if (symlink(link, t) == -1)
				goto out;
		} else if (S_ISREG(sb.st_mode)) {
			if (harness_read_file(s, &data, &len) == -1)
				goto out;
			if (harness_write_file(dst, de->d_name, data, len,
			    0644) == -1) {
				free(data);
				goto out;
			}
			free(data);
		}
	}
	ret = 0;
 out:
	saved = errno;
	closedir(d);
	errno = saved;
	return (ret);
}

static int
harness_rmtree_cb(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type == FTW_DP)
		return (rmdir(path) == -1 ? -1 : 0);
	return (unlink(path) == -1 && errno != ENOENT ? -1 : 0);
}

int
harness_rmtree(const char *path)
{
	struct stat	sb;

	if (strncmp(path, "/tmp/", 5) != 0 || strstr(path, "/../") != NULL) {
		errno = EINVAL;
		return (-1);
	}
	if (lstat(path, &sb) == -1)
		return (errno == ENOENT ? 0 : -1);
	/* A directory left unreadable by a test is made removable first. */
	if (S_ISDIR(sb.st_mode))
		(void)chmod(path, 0755);
	return (nftw(path, harness_rmtree_cb, 16, FTW_DEPTH | FTW_PHYS));
}

int
harness_connect_nb(int port)
{
	struct sockaddr_in	sin;
	int			fd, saved;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	return (fd);
}

/*
 * A blocking connect to a full backlog can wait for minutes of SYN
 * retransmits, so the connect is non-blocking with a deadline and the
 * socket becomes blocking afterwards.
 */
int
harness_connect(int port, int rcvbuf)
{
	struct sockaddr_in	sin;
	struct pollfd		pfd;
	socklen_t		sl;
	int			fd, err, r, saved;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return (-1);
	if (rcvbuf > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		goto fail;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		do
			r = poll(&pfd, 1, HARNESS_TIMEOUT_MS);
		while (r == -1 && errno == EINTR);
		if (r == -1)
			goto fail;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		sl = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
		goto fail;
	return (fd);
 fail:
	saved = errno;
	close(fd);
	errno = saved;
	return (-1);
}

int
harness_send_all(int fd, const void *buf, size_t len, int timeout_ms)
{
	const char	*p = buf;
	struct pollfd	 pfd;
	int64_t		 deadline;
	ssize_t		 w;
	int		 r;

	deadline = harness_now_ms() + harness_timeout(timeout_ms);
	while (len > 0) {
		w = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w > 0) {
			p += w;
			len -= (size_t)w;
			continue;
		}
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return (-1);
		pfd.fd = fd;
		pfd.events = POLLOUT;
		r = poll(&pfd, 1, harness_remaining(deadline));
		if (r == -1 && errno != EINTR)
			return (-1);
		if (r == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
	}
	return (0);
}

int
harness_client_connect(struct harness_client *c, int port, int rcvbuf)
{
	int	fd;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((fd = harness_connect(port, rcvbuf)) == -1)
		return (-1);
	c->fd = fd;
	return (0);
}

void
harness_client_attach(struct harness_client *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
}

int
harness_client_send(struct harness_client *c, const void *buf, size_t len,
    int timeout_ms)
{
	return (harness_send_all(c->fd, buf, len, timeout_ms));
}

int
harness_client_send_str(struct harness_client *c, const char *str,
    int timeout_ms)
{
	return (harness_send_all(c->fd, str, strlen(str), timeout_ms));
}

/*
 * Read whatever is available (at least one byte, or EOF) before deadline.
 * Returns 1 after data, 0 at EOF or reset (c->eof set), -1 with ETIMEDOUT
 * or another errno.
 */
static int
harness_client_fill(struct harness_client *c, int64_t deadline)
{
	struct pollfd	 pfd;
	char		*nb;
	size_t		 ncap;
	ssize_t		 r;
	int		 n;

	if (c->eof)
		return (0);
	if (c->cap - c->len < HARNESS_CHUNK) {
		ncap = c->cap == 0 ? 2 * HARNESS_CHUNK : c->cap * 2;
		if ((nb = realloc(c->buf, ncap + 1)) == NULL)
			return (-1);
		c->buf = nb;
		c->cap = ncap;
	}
	for (;;) {
		r = recv(c->fd, c->buf + c->len, c->cap - c->len,
		    MSG_DONTWAIT);
		if (r > 0) {
			c->len += (size_t)r;
			c->buf[c->len] = '\0';
			return (1);
		}
		if (r == 0 || (r == -1 && (errno == ECONNRESET ||
		    errno == EPIPE))) {
			c->eof = true;
			return (0);
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return (-1);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, harness_remaining(deadline));
		if (n == -1 && errno != EINTR)
			return (-1);
		if (n == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
	}
}

/* Drop the first n buffered bytes. */
static void
harness_client_consume(struct harness_client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
	if (c->buf != NULL)
		c->buf[c->len] = '\0';
}

int
harness_client_wait_closed(struct harness_client *c, int timeout_ms)
{
	int64_t	deadline;
	int	r;

	deadline = harness_now_ms() + (timeout_ms < 0 ? HARNESS_TIMEOUT_MS :
	    timeout_ms);
	for (;;) {
		r = harness_client_fill(c, deadline);
		if (r == 0)
			return (1);
		if (r == -1)
			return (errno == ETIMEDOUT ? 0 : -1);
	}
}

void
harness_client_close(struct harness_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

/* Find the end of a head: the offset just past CRLFCRLF, or NULL. */
static char *
harness_memmem_crlf2(const char *buf, size_t len)
{
	char	*p;

	p = memmem(buf, len, "\r\n\r\n", 4);
	return (p != NULL ? p + 4 : NULL);
}

/*
 * Parse the status line and index the header fields of a head held in a
 * private copy (names and values point into it).
 */
static int
harness_parse_head(struct harness_response *r, const char *head, size_t len)
{
	char	*line, *next, *colon, *v, *e;

	if ((r->head = malloc(len + 1)) == NULL ||
	    (r->hcopy = malloc(len + 1)) == NULL)
		return (-1);
	memcpy(r->head, head, len);
	r->head[len] = '\0';
	r->head_len = len;
	memcpy(r->hcopy, head, len);
	r->hcopy[len] = '\0';
	if (len < 12 || strncmp(r->hcopy, "HTTP/1.", 7) != 0 ||
	    !isdigit((unsigned char)r->hcopy[7]) || r->hcopy[8] != ' ' ||
	    !isdigit((unsigned char)r->hcopy[9]) ||
	    !isdigit((unsigned char)r->hcopy[10]) ||
	    !isdigit((unsigned char)r->hcopy[11])) {
		errno = EPROTO;
		return (-1);
	}
	r->minor = r->hcopy[7] - '0';
	r->status = (int)strtol(r->hcopy + 9, NULL, 10);
	line = strstr(r->hcopy, "\r\n") + 2;
	for (; *line != '\0' && strncmp(line, "\r\n", 2) != 0; line = next) {
		if ((next = strstr(line, "\r\n")) == NULL)
			break;
		*next = '\0';
		next += 2;
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		v = colon + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		e = v + strlen(v);
		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			*--e = '\0';
		if (r->nheaders < HARNESS_MAX_HEADERS) {
			r->names[r->nheaders] = line;
			r->values[r->nheaders] = v;
			r->nheaders++;
		}
	}
	return (0);
}

int
harness_client_read_response(struct harness_client *c,
    struct harness_response *r, int flags, int timeout_ms)
{
	const char	*cl;
	char		*end, *e;
	size_t		 hlen, blen = 0;
	int64_t		 deadline;
	unsigned long long	 v;
	int		 f, nobody;

	memset(r, 0, sizeof(*r));
	deadline = harness_now_ms() + harness_timeout(timeout_ms);
	while ((end = c->buf == NULL ? NULL :
	    harness_memmem_crlf2(c->buf, c->len)) == NULL) {
		if (c->len > HARNESS_MAX_HEAD) {
			errno = EPROTO;
			return (-1);
		}
		f = harness_client_fill(c, deadline);
		if (f == -1)
			return (-1);
		if (f == 0) {
			errno = c->len == 0 ? ENODATA : ECONNRESET;
			return (-1);
		}
	}
	hlen = (size_t)(end - c->buf);
	if (harness_parse_head(r, c->buf, hlen) == -1)
		return (-1);
	harness_client_consume(c, hlen);

	nobody = (flags & HARNESS_RESP_HEAD) || (r->status >= 100 &&
	    r->status < 200) || r->status == 204 || r->status == 304;
	cl = harness_response_header(r, "Content-Length");
	if (!nobody && cl != NULL) {
		errno = 0;
		v = strtoull(cl, &e, 10);
		if (errno != 0 || e == cl || *e != '\0' ||
		    v > (unsigned long long)SIZE_MAX / 2) {
			errno = EPROTO;
			return (-1);
		}
		blen = (size_t)v;
		r->has_length = true;
		while (c->len < blen) {
			f = harness_client_fill(c, deadline);
			if (f == -1)
				return (-1);
			if (f == 0) {
				errno = ECONNRESET;
				return (-1);
			}
		}
	} else if (!nobody) {
		r->until_eof = true;
		for (;;) {
			f = harness_client_fill(c, deadline);
			if (f == -1)
				return (-1);
			if (f == 0)
				break;
		}
		blen = c->len;
	}
	if ((r->body = malloc(blen + 1)) == NULL)
		return (-1);
	if (blen > 0)
		memcpy(r->body, c->buf, blen);
	r->body[blen] = '\0';
	r->body_len = blen;
	if (blen > 0)
		harness_client_consume(c, blen);
	return (0);
}

const char *
harness_response_header(const struct harness_response *r, const char *name)
{
	int	i;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->names[i], name) == 0)
			return (r->values[i]);
	}
	return (NULL);
}

int
harness_response_header_count(const struct harness_response *r,
    const char *name)
{
	int	i, n = 0;

	for (i = 0; i < r->nheaders; i++) {
		if (strcasecmp(r->names[i], name) == 0)
			n++;
	}
	return (n);
}

void
harness_response_free(struct harness_response *r)
{
	free(r->head);
	free(r->body);
	free(r->hcopy);
	memset(r, 0, sizeof(*r));
}

int
harness_request(int port, const void *raw, size_t len, int flags,
    int timeout_ms, struct harness_response *r)
{
	struct harness_client	c;
	int			ret, saved;

	memset(r, 0, sizeof(*r));
	if (harness_client_connect(&c, port, 0) == -1)
		return (-1);
	ret = harness_client_send(&c, raw, len, timeout_ms);
	if (ret == 0)
		ret = harness_client_read_response(&c, r, flags, timeout_ms);
	saved = errno;
	harness_client_close(&c);
	errno = saved;
	return (ret);
}

int
harness_get(int port, const char *path, struct harness_response *r)
{
	char	req[8192];
	int	n;

	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	return (harness_request(port, req, (size_t)n, 0, -1, r));
}

int
harness_remaining_ms(int64_t deadline)
{
	int64_t	 left = deadline - harness_now_ms();

	if (left < 0)
		return 0;
	if (left > INT32_MAX)
		return INT32_MAX;
	return (int)left;
}

int
harness_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
		port = ntohs(sin.sin_port);
	close(fd);
	return (port);
}

void
harness_raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}
