/* sluice: integration tests of socket activation and sd_notify. */

/*
 * sluice speaks the service manager's two protocols itself (src/systemd.c).
 * Socket activation: with LISTEN_PID equal to its own process id and
 * LISTEN_FDS=n, it serves on descriptors 3 .. 3+n-1 instead of binding
 * --listen, reports the first one's port in --port-file, and refuses, at
 * start-up and with a message naming the descriptor, anything that is not
 * a listening TCP socket of IPv4 or IPv6; a LISTEN_PID of another process
 * is ignored. Notification: with NOTIFY_SOCKET naming an AF_UNIX datagram
 * socket (a path or an "@abstract" name), it sends READY=1 once serving, a
 * STATUS= line with its counters every few seconds when they change, and
 * STOPPING=1 when SIGTERM starts the drain.
 *
 * The launcher here plays the service manager: it opens the sockets, forks,
 * moves them to descriptors 3.. in the child, sets LISTEN_FDS and
 * LISTEN_PID to the child's own process id (known only after the fork) and
 * execs $SLUICE_BIN. The harness cannot do that (it puts its port pipe on
 * descriptor 3), so this file has its own, which fills a struct
 * harness_server so that the harness stops, reads and cleans up after it.
 * The test binds its own datagram socket to receive the notifications.
 * Where /usr/bin/systemd-socket-activate exists, it is the manager of one
 * more test; elsewhere that test says it is skipped. Everything is on
 * loopback and bounded in time (the watchdog of each test).
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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

/* The first descriptor of socket activation (SD_LISTEN_FDS_START). */
#define SDT_FIRST_FD		3
/* Where the child parks descriptors before moving them to 3.. */
#define SDT_HIGH_FD		200
/* Most sockets one test passes. */
#define SDT_MAX_FDS		4
/* Timeout of one wait (a port, a log line, a datagram). */
#define SDT_TIMEOUT_MS		5000
/*
 * How long a changed STATUS= line may take: the server looks every
 * SYSTEMD_STATUS_S (2) seconds; two periods and a margin.
 */
#define SDT_STATUS_MS		6000
/* Every datagram received in one test, concatenated. */
#define SDT_NOTE_MAX		16384
/* systemd's tool, whose test is skipped where it is missing. */
#define SDT_SOCKET_ACTIVATE	"/usr/bin/systemd-socket-activate"
/* Free ports tried for systemd-socket-activate before giving up. */
#define SDT_PORT_TRIES		5

/* Whose process id LISTEN_PID holds. */
enum sdt_pid {
	SDT_PID_SELF,		/* the child's own: the sockets are its */
	SDT_PID_PARENT		/* the test's: meant for another process */
};

/* The test's end of NOTIFY_SOCKET, and what it received. */
struct sdt_notify {
	int		 fd;
	char		 name[PATH_MAX];	/* the NOTIFY_SOCKET value */
	char		 path[PATH_MAX]; /* to unlink, "" if abstract */
	char		 all[SDT_NOTE_MAX]; /* datagrams, one per line */
	size_t		 len;
};

static int	sdt_tcp_listener(int, const char *, int *);
static int	sdt_start(struct harness_server *, const int *, size_t,
		    enum sdt_pid, const char *, const char *const *);
static void	sdt_dump_log(const struct harness_server *);
static void	assert_serves_hello(int, int);
static int	sdt_connect6(int);
static void	sdt_notify_open(struct sdt_notify *, const char *, bool);
static void	sdt_notify_close(struct sdt_notify *);
static int	sdt_notify_wait(struct sdt_notify *, const char *, int);
static void	sdt_notify_drain(struct sdt_notify *);
static bool	sdt_has_line(const char *, const char *);
static int	sdt_count_lines(const char *, const char *);
static long	sdt_fd_flags(pid_t, int);

/*
 * A listening TCP socket on host (127.0.0.1 or ::1) port 0, with its port
 * in *port; -1 with errno if the family is missing.
 */
static int
sdt_tcp_listener(int family, const char *host, int *port)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sl;
	int			 fd, one = 1, saved;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return (-1);
		sl = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return (-1);
		sl = sizeof(*sin);
	}
	if ((fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	if (family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) == -1 ||
	    listen(fd, 64) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return (-1);
	}
	*port = ntohs(family == AF_INET6 ? sin6->sin6_port : sin->sin_port);
	return (fd);
}

/*
 * Play the service manager: start $SLUICE_BIN with args, the nfds
 * descriptors fds[] as 3.., LISTEN_FDS (listen_fds, or nfds when NULL)
 * and LISTEN_PID (whose: see enum sdt_pid), its output in s->log_path,
 * and --port-file on a pipe after the passed descriptors. Waits for the
 * port like harness_server_start: 0 with s->port, or -1 with errno
 * (ECHILD: it exited first, s->wstatus holds how). Call
 * harness_server_cleanup(s) in every case.
 */
static int
sdt_start(struct harness_server *s, const int *fds, size_t nfds,
    enum sdt_pid who, const char *listen_fds, const char *const *args)
{
	static const char	 msg[] = "test_systemd: child set-up failed\n";
	const char		*argv[HARNESS_MAX_ARGS + 4];
	char			 portarg[64], nbuf[16], pbuf[16];
	char			 buf[64];
	struct pollfd		 pfd;
	sigset_t		 none;
	pid_t			 parent = getpid();
	int64_t			 deadline;
	size_t			 n = 0, i, got = 0;
	ssize_t			 r;
	long			 port;
	int			 p[2] = { -1, -1 }, logfd = -1, nullfd, hi, st;
	int			 portfd = SDT_FIRST_FD + (int)nfds;

	memset(s, 0, sizeof(*s));
	if (harness_bin() == NULL || nfds > SDT_MAX_FDS) {
		errno = ENOENT;
		return (-1);
	}
	snprintf(portarg, sizeof(portarg), "/proc/self/fd/%d", portfd);
	argv[n++] = harness_bin();
	for (i = 0; args != NULL && args[i] != NULL && n < HARNESS_MAX_ARGS;
	    i++)
		argv[n++] = args[i];
	argv[n++] = "--port-file";
	argv[n++] = portarg;
	argv[n] = NULL;
	snprintf(nbuf, sizeof(nbuf), "%zu", nfds);
	if (listen_fds == NULL)
		listen_fds = nbuf;

	if (harness_tmpdir_create(s->dir, sizeof(s->dir), "sdt") == -1)
		return (-1);
	snprintf(s->log_path, sizeof(s->log_path), "%s/server.log", s->dir);
	logfd = open(s->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644);
	if (logfd == -1 || pipe2(p, O_CLOEXEC) == -1)
		goto fail;
	if ((s->pid = fork()) == -1)
		goto fail;
	if (s->pid == 0) {
		/* The test is single-threaded: setenv is safe here. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGALRM, SIG_DFL);
		if ((nullfd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(nullfd, STDIN_FILENO) == -1 ||
		    dup2(logfd, STDOUT_FILENO) == -1 ||
		    dup2(logfd, STDERR_FILENO) == -1)
			goto child_fail;
		/* Park everything high first: a source may sit on 3.. */
		for (i = 0; i < nfds; i++)
			if (fcntl(fds[i], F_DUPFD, SDT_HIGH_FD + (int)i) !=
			    SDT_HIGH_FD + (int)i)
				goto child_fail;
		hi = SDT_HIGH_FD + SDT_MAX_FDS;
		if (fcntl(p[1], F_DUPFD, hi) != hi)
			goto child_fail;
		for (i = 0; i < nfds; i++)
			if (dup2(SDT_HIGH_FD + (int)i, SDT_FIRST_FD + (int)i) ==
			    -1)
				goto child_fail;
		if (dup2(hi, portfd) == -1)
			goto child_fail;
		/* Only the passed sockets and the port pipe stay. */
#ifdef SYS_close_range
		if (syscall(SYS_close_range, (unsigned int)portfd + 1, ~0U,
		    0) == -1)
#endif
		{
			for (i = (size_t)portfd + 1; i <= SDT_HIGH_FD +
			    SDT_MAX_FDS; i++)
				(void)close((int)i);
		}
		snprintf(pbuf, sizeof(pbuf), "%ld", (long)(who == SDT_PID_SELF
		    ? getpid() : parent));
		if (setenv("LISTEN_FDS", listen_fds, 1) == -1 ||
		    setenv("LISTEN_PID", pbuf, 1) == -1)
			goto child_fail;
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			goto child_fail;
		execv(argv[0], (char **)argv);
 child_fail:
		(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
		_exit(127);
	}
	close(logfd);
	logfd = -1;
	close(p[1]);
	p[1] = -1;

	/* "PORT\n", or EOF when the child exits without one. */
	deadline = harness_now_ms() + SDT_TIMEOUT_MS;
	for (;;) {
		pfd.fd = p[0];
		pfd.events = POLLIN;
		r = poll(&pfd, 1, harness_remaining_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			errno = r == 0 ? ETIMEDOUT : errno;
			goto fail;
		}
		r = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(buf, '\n', got) != NULL || got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	port = got > 0 ? strtol(buf, NULL, 10) : 0;
	if (port <= 0 || port > 65535) {
		if (harness_server_wait(s, harness_remaining_ms(deadline),
		    &st) == 0)
			errno = ECHILD;
		else
			errno = ETIMEDOUT;
		goto fail;
	}
	s->port = (int)port;
	close(p[0]);
	return (0);
 fail:
	st = errno;
	if (logfd != -1)
		close(logfd);
	if (p[0] != -1)
		close(p[0]);
	if (p[1] != -1)
		close(p[1]);
	errno = st;
	return (-1);
}

/* On a failure, the server's log helps more than the assertion. */
static void
sdt_dump_log(const struct harness_server *s)
{
	char	*log;

	if (harness_log_read(s, &log, NULL) == 0) {
		fprintf(stderr, "--- server log ---\n%s------------------\n",
		    log);
		free(log);
	}
}

/*
 * GET / on [::1]:port (v6) or 127.0.0.1:port answers 200 with the bytes
 * of tests/htdocs/hello.html.
 */
static void
assert_serves_hello(int port, int v6)
{
	struct harness_client	 c;
	struct harness_response	 r;
	char			 path[PATH_MAX], *want;
	size_t			 len;
	int			 fd;

	snprintf(path, sizeof(path), "%s/hello.html", harness_htdocs());
	assert_int_equal(harness_read_file(path, &want, &len), 0);
	if (v6) {
		fd = sdt_connect6(port);
		assert_true(fd != -1);
		harness_client_attach(&c, fd);
	} else
		assert_int_equal(harness_client_connect(&c, port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, "GET / HTTP/1.1\r\n"
	    "Host: localhost\r\nConnection: close\r\n\r\n", SDT_TIMEOUT_MS),
	    0);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    SDT_TIMEOUT_MS), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, len);
	assert_memory_equal(r.body, want, len);
	harness_response_free(&r);
	harness_client_close(&c);
	free(want);
}

/* A blocking connection to [::1]:port, or -1. */
static int
sdt_connect6(int port)
{
	struct sockaddr_in6	 sin6;
	int			 fd;

	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return (-1);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	sin6.sin6_addr = in6addr_loopback;
	if (connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Bind the test's notification socket: a path in dir, or (abstract) a
 * name of its own in the abstract namespace; set n->name to the value
 * NOTIFY_SOCKET takes.
 */
static void
sdt_notify_open(struct sdt_notify *n, const char *dir, bool abstract)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl;
	size_t			 len;

	memset(n, 0, sizeof(*n));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (abstract) {
		snprintf(n->name, sizeof(n->name), "@sluice-test-notify-%ld-%lld",
		    (long)getpid(), (long long)harness_now_ms());
		len = strlen(n->name);
		memcpy(sun.sun_path, n->name, len);
		sun.sun_path[0] = '\0';
		sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		snprintf(n->path, sizeof(n->path), "%s/notify", dir);
		snprintf(n->name, sizeof(n->name), "%s", n->path);
		assert_true(strlen(n->path) < sizeof(sun.sun_path));
		memcpy(sun.sun_path, n->path, strlen(n->path) + 1);
		sl = sizeof(sun);
	}
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(n->fd != -1);
	assert_int_equal(bind(n->fd, (struct sockaddr *)&sun, sl), 0);
}

static void
sdt_notify_close(struct sdt_notify *n)
{
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
	if (n->path[0] != '\0')
		(void)unlink(n->path);
}

/*
 * Receive datagrams (appended to n->all, one per line with its newlines
 * shown as '|') until one contains the string want (NULL: none does),
 * within timeout_ms. Returns 0, or -1 with ETIMEDOUT.
 */
static int
sdt_notify_wait(struct sdt_notify *n, const char *want, int timeout_ms)
{
	struct pollfd	 pfd;
	char		 d[1024], *p;
	int64_t		 deadline = harness_now_ms() + timeout_ms;
	ssize_t		 r;

	for (;;) {
		pfd.fd = n->fd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, harness_remaining_ms(deadline));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		r = recv(n->fd, d, sizeof(d) - 1, MSG_DONTWAIT);
		if (r < 0)
			continue;
		d[r] = '\0';
		if (n->len + (size_t)r + 2 < sizeof(n->all)) {
			for (p = d; (p = strchr(p, '\n')) != NULL; p++)
				*p = '|';
			n->len += (size_t)snprintf(n->all + n->len,
			    sizeof(n->all) - n->len, "%s\n", d);
		}
		if (want != NULL && strstr(d, want) != NULL)
			return (0);
	}
}

/* Take in whatever datagrams are already queued. */
static void
sdt_notify_drain(struct sdt_notify *n)
{
	(void)sdt_notify_wait(n, NULL, 0);
}

/*
 * True if the '|'-joined datagram (or n->all, '\n'-separated) holds the
 * assignment want as one whole KEY=value item, or, when want ends in
 * '*', an item that starts with it.
 */
static bool
sdt_has_line(const char *msg, const char *want)
{
	size_t		 wl = strlen(want);
	bool		 prefix = wl > 0 && want[wl - 1] == '*';
	const char	*p = msg, *end;

	if (prefix)
		wl--;
	while (*p != '\0') {
		end = p + strcspn(p, "|\n");
		if ((size_t)(end - p) >= wl && strncmp(p, want, wl) == 0 &&
		    (prefix || (size_t)(end - p) == wl))
			return (true);
		p = *end != '\0' ? end + 1 : end;
	}
	return (false);
}

/* How many items of all equal want exactly. */
static int
sdt_count_lines(const char *all, const char *want)
{
	size_t		 wl = strlen(want);
	const char	*p = all, *end;
	int		 c = 0;

	while (*p != '\0') {
		end = p + strcspn(p, "|\n");
		if ((size_t)(end - p) == wl && strncmp(p, want, wl) == 0)
			c++;
		p = *end != '\0' ? end + 1 : end;
	}
	return (c);
}

/* The file status flags of pid's descriptor fd (/proc/PID/fdinfo), or -1. */
static long
sdt_fd_flags(pid_t pid, int fd)
{
	char	 path[64], *info, *f;
	long	 flags = -1;

	snprintf(path, sizeof(path), "/proc/%ld/fdinfo/%d", (long)pid, fd);
	if (harness_read_file(path, &info, NULL) == -1)
		return (-1);
	if ((f = strstr(info, "flags:")) != NULL)
		flags = strtol(f + 6, NULL, 8);
	free(info);
	return (flags);
}

/*
 * One socket from the "manager", --listen on a port that is taken: sluice
 * serves on the socket, reports its port, never binds --listen (which
 * would fail), makes the socket non-blocking and close-on-exec, and says
 * so in the log.
 */
static void
test_systemd_inherited_socket_serves(void **state)
{
	struct harness_server	 s;
	const char		*args[] = { "--listen", NULL, "--workers", "1",
	    NULL, NULL };
	char			 busy[64], line[128];
	long			 flags;
	int			 lfd, bfd, port, bport, st;

	args[4] = harness_htdocs();
	lfd = sdt_tcp_listener(AF_INET, "127.0.0.1", &port);
	assert_true(lfd != -1);
	/* Taken (listening): binding it would fail with EADDRINUSE. */
	bfd = sdt_tcp_listener(AF_INET, "127.0.0.1", &bport);
	assert_true(bfd != -1);
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", bport);
	args[1] = busy;
	if (sdt_start(&s, &lfd, 1, SDT_PID_SELF, NULL, args) == -1) {
		sdt_dump_log(&s);
		fail_msg("sluice did not start: %s", strerror(errno));
	}
	close(lfd);
	assert_int_equal(s.port, port);
	assert_serves_hello(port, 0);
	snprintf(line, sizeof(line), "1 socket from the service manager "
	    "(127.0.0.1:%d); --listen is not used", port);
	assert_true(harness_log_contains(&s, line));
	snprintf(line, sizeof(line), "listening on 127.0.0.1:%d\n", port);
	assert_true(harness_log_contains(&s, line));
	assert_false(harness_log_contains(&s, busy));
	flags = sdt_fd_flags(s.pid, SDT_FIRST_FD);
	assert_true(flags != -1);
	assert_true((flags & O_NONBLOCK) != 0);
	assert_true((flags & O_CLOEXEC) != 0);
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&s);
	close(bfd);
}

/*
 * Two sockets, IPv4 and IPv6 (or a second IPv4 one where this host has
 * no ::1): both serve, the port file holds the first one's port.
 */
static void
test_systemd_two_sockets(void **state)
{
	struct harness_server	 s;
	const char		*args[] = { "--workers", "2", NULL, NULL };
	char			 line[128];
	int			 fds[2], port[2], v6 = 1, st;

	args[2] = harness_htdocs();
	fds[0] = sdt_tcp_listener(AF_INET, "127.0.0.1", &port[0]);
	assert_true(fds[0] != -1);
	if ((fds[1] = sdt_tcp_listener(AF_INET6, "::1", &port[1])) == -1) {
		fprintf(stderr, "test_systemd: no ::1 here (%s): a second "
		    "IPv4 socket instead\n", strerror(errno));
		v6 = 0;
		fds[1] = sdt_tcp_listener(AF_INET, "127.0.0.1", &port[1]);
		assert_true(fds[1] != -1);
	}
	if (sdt_start(&s, fds, 2, SDT_PID_SELF, NULL, args) == -1) {
		sdt_dump_log(&s);
		fail_msg("sluice did not start: %s", strerror(errno));
	}
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(s.port, port[0]);
	assert_serves_hello(port[0], 0);
	assert_serves_hello(port[1], v6);
	assert_true(harness_log_contains(&s, "2 sockets from the service "
	    "manager"));
	snprintf(line, sizeof(line), v6 ? "listening on [::1]:%d\n" :
	    "listening on 127.0.0.1:%d\n", port[1]);
	assert_true(harness_log_contains(&s, line));
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&s);
}

/*
 * LISTEN_PID names another process (the variables leaked from a parent):
 * ignored, as libsystemd ignores them; sluice binds --listen.
 */
static void
test_systemd_other_pid_ignored(void **state)
{
	struct harness_server	 s;
	const char		*args[] = { "--listen", "127.0.0.1:0",
	    "--workers", "1", NULL, NULL };
	int			 lfd, port, st;

	args[4] = harness_htdocs();
	lfd = sdt_tcp_listener(AF_INET, "127.0.0.1", &port);
	assert_true(lfd != -1);
	if (sdt_start(&s, &lfd, 1, SDT_PID_PARENT, NULL, args) == -1) {
		sdt_dump_log(&s);
		fail_msg("sluice did not start: %s", strerror(errno));
	}
	close(lfd);
	assert_true(s.port != port);
	assert_serves_hello(s.port, 0);
	assert_false(harness_log_contains(&s, "from the service manager"));
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&s);
}

/*
 * Descriptors that are not listening TCP sockets of IPv4/IPv6 (a pipe, a
 * UDP socket, a TCP socket that does not listen, an AF_UNIX one), and a
 * LISTEN_FDS that is not a number: start-up fails, exit 1, with the
 * reason on standard error, before anything is bound.
 */
static void
test_systemd_refuses_other_descriptors(void **state)
{
	static const struct {
		const char	*what;
		const char	*listen_fds;	/* NULL: "1" */
		const char	*want;
	} cases[] = {
		{ "pipe", NULL, "descriptor 3 (of 1 from the service manager) "
		    "is not a socket" },
		{ "udp", NULL, "is a SOCK_DGRAM (datagram) socket" },
		{ "tcp", NULL, "is a TCP socket that is not listening" },
		{ "unix", NULL, "is an AF_UNIX socket, not IPv4 or IPv6" },
		{ "tcp", "x1", "LISTEN_FDS=\"x1\" from the service manager is "
		    "not a number" },
	};
	struct harness_server	 s;
	struct sockaddr_in	 sin;
	struct sockaddr_un	 sun;
	const char		*args[] = { "--listen", "127.0.0.1:0", NULL,
	    NULL };
	char			 dir[256];
	size_t			 i;
	int			 fd, other, p[2];

	args[2] = harness_htdocs();
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "sdtu"), 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		other = -1;
		if (strcmp(cases[i].what, "pipe") == 0) {
			assert_int_equal(pipe2(p, O_CLOEXEC), 0);
			fd = p[0];
			other = p[1];
		} else if (strcmp(cases[i].what, "unix") == 0) {
			fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			assert_true(fd != -1);
			memset(&sun, 0, sizeof(sun));
			sun.sun_family = AF_UNIX;
			assert_true(strlen(dir) + 3 <= sizeof(sun.sun_path));
			memcpy(sun.sun_path, dir, strlen(dir));
			memcpy(sun.sun_path + strlen(dir), "/s", 3);
			(void)unlink(sun.sun_path);
			assert_int_equal(bind(fd, (struct sockaddr *)&sun,
			    sizeof(sun)), 0);
			assert_int_equal(listen(fd, 8), 0);
		} else {
			fd = socket(AF_INET, (strcmp(cases[i].what, "udp") ==
			    0 ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
			assert_true(fd != -1);
			memset(&sin, 0, sizeof(sin));
			sin.sin_family = AF_INET;
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			assert_int_equal(bind(fd, (struct sockaddr *)&sin,
			    sizeof(sin)), 0);
		}
		if (sdt_start(&s, &fd, 1, SDT_PID_SELF, cases[i].listen_fds,
		    args) != -1 || errno != ECHILD) {
			sdt_dump_log(&s);
			fail_msg("%s: sluice started (or hung)",
			    cases[i].what);
		}
		if (harness_exit_code(s.wstatus) != 1 ||
		    !harness_log_contains(&s, cases[i].want)) {
			sdt_dump_log(&s);
			fail_msg("%s: want exit 1 and \"%s\", got exit %d",
			    cases[i].what, cases[i].want,
			    harness_exit_code(s.wstatus));
		}
		harness_server_cleanup(&s);
		close(fd);
		if (other != -1)
			close(other);
	}
	(void)harness_rmtree(dir);
}

/*
 * NOTIFY_SOCKET (a path in a temporary directory, or an abstract name):
 * READY=1 once serving, and only once; a GET after it is answered; a
 * STATUS= line with the counters follows the request; SIGTERM brings
 * STOPPING=1 and a "stopping" status; no MAINPID in the foreground.
 */
static void
sdt_notify_case(bool abstract)
{
	struct harness_server	 s;
	struct harness_opts	 o;
	struct harness_response	 r;
	struct sdt_notify	 n;
	const char		*args[] = { "--workers", "1", NULL, NULL };
	char			 dir[256];
	int			 st;

	args[2] = harness_htdocs();
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "sdtn"), 0);
	sdt_notify_open(&n, dir, abstract);
	memset(&o, 0, sizeof(o));
	o.args = args;
	/* The child inherits our environment; ours goes back at once. */
	assert_int_equal(setenv("NOTIFY_SOCKET", n.name, 1), 0);
	if (harness_server_start(&s, &o) == -1) {
		unsetenv("NOTIFY_SOCKET");
		sdt_dump_log(&s);
		fail_msg("sluice did not start: %s", strerror(errno));
	}
	unsetenv("NOTIFY_SOCKET");
	if (sdt_notify_wait(&n, "READY=1", SDT_TIMEOUT_MS) == -1) {
		sdt_dump_log(&s);
		fail_msg("no READY=1 (received: %s)", n.all);
	}
	assert_false(sdt_has_line(n.all, "MAINPID=*"));
	assert_int_equal(harness_get(s.port, "/", &r), 0);
	assert_int_equal(r.status, 200);
	harness_response_free(&r);
	/* The line after the request: its count, whatever "open" says. */
	if (sdt_notify_wait(&n, " open connection", 0) == -1 &&
	    sdt_notify_wait(&n, " open connection", SDT_STATUS_MS) == -1) {
		sdt_dump_log(&s);
		fail_msg("no STATUS= line (received: %s)", n.all);
	}
	if (strstr(n.all, ", 1 request served, accepting") == NULL &&
	    sdt_notify_wait(&n, ", 1 request served, accepting",
	    SDT_STATUS_MS) == -1) {
		sdt_dump_log(&s);
		fail_msg("no STATUS= line with 1 request (received: %s)",
		    n.all);
	}
	assert_true(sdt_has_line(n.all, "STATUS=0 open connections, 0 "
	    "requests served, accepting"));
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	sdt_notify_drain(&n);
	if (!sdt_has_line(n.all, "STOPPING=1") ||
	    strstr(n.all, " served, stopping") == NULL) {
		sdt_dump_log(&s);
		fail_msg("no STOPPING=1 and stopping status (received: %s)",
		    n.all);
	}
	assert_int_equal(sdt_count_lines(n.all, "READY=1"), 1);
	sdt_notify_close(&n);
	harness_server_cleanup(&s);
	(void)harness_rmtree(dir);
}

static void
test_systemd_notify_path(void **state)
{
	sdt_notify_case(false);
}

static void
test_systemd_notify_abstract(void **state)
{
	sdt_notify_case(true);
}

/*
 * SIGHUP under the service manager: RELOADING=1 with MONOTONIC_USEC=,
 * then READY=1 again once reloaded; the inherited socket is kept (the
 * --listen given, a taken port, is never bound) and still serves.
 */
static void
test_systemd_reload_keeps_inherited(void **state)
{
	struct harness_server	 s;
	struct sdt_notify	 n;
	const char		*args[] = { "--listen", NULL, "--workers", "1",
	    NULL, NULL };
	char			 dir[256], busy[64];
	const char		*m;
	int			 lfd, bfd, port, bport, st;

	args[4] = harness_htdocs();
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "sdtr"), 0);
	sdt_notify_open(&n, dir, false);
	lfd = sdt_tcp_listener(AF_INET, "127.0.0.1", &port);
	assert_true(lfd != -1);
	bfd = sdt_tcp_listener(AF_INET, "127.0.0.1", &bport);
	assert_true(bfd != -1);
	snprintf(busy, sizeof(busy), "127.0.0.1:%d", bport);
	args[1] = busy;
	assert_int_equal(setenv("NOTIFY_SOCKET", n.name, 1), 0);
	if (sdt_start(&s, &lfd, 1, SDT_PID_SELF, NULL, args) == -1) {
		unsetenv("NOTIFY_SOCKET");
		sdt_dump_log(&s);
		fail_msg("sluice did not start: %s", strerror(errno));
	}
	unsetenv("NOTIFY_SOCKET");
	close(lfd);
	assert_int_equal(sdt_notify_wait(&n, "READY=1", SDT_TIMEOUT_MS), 0);
	assert_int_equal(harness_server_signal(&s, SIGHUP), 0);
	if (sdt_notify_wait(&n, "RELOADING=1", SDT_TIMEOUT_MS) == -1 ||
	    sdt_notify_wait(&n, "READY=1", SDT_TIMEOUT_MS) == -1) {
		sdt_dump_log(&s);
		fail_msg("no RELOADING=1 then READY=1 (received: %s)", n.all);
	}
	m = strstr(n.all, "RELOADING=1|MONOTONIC_USEC=");
	assert_non_null(m);
	assert_true(strtoull(m + strlen("RELOADING=1|MONOTONIC_USEC="), NULL,
	    10) > 0);
	assert_int_equal(sdt_count_lines(n.all, "READY=1"), 2);
	assert_int_equal(harness_server_wait_log(&s, "reloaded:",
	    SDT_TIMEOUT_MS), 0);
	assert_serves_hello(port, 0);
	if (harness_log_contains(&s, busy)) {
		sdt_dump_log(&s);
		fail_msg("the reload touched --listen %s", busy);
	}
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&s);
	sdt_notify_close(&n);
	close(bfd);
	(void)harness_rmtree(dir);
}

/* The daemon of test_systemd_notify_mainpid, for its teardown to stop. */
static pid_t	sdt_daemon;

/* Kill and reap the daemon if a failed assertion left it running. */
static int
sdt_daemon_teardown(void **state)
{
	struct harness_server	 s;

	if (sdt_daemon > 0) {
		memset(&s, 0, sizeof(s));
		s.pid = sdt_daemon;
		harness_server_cleanup(&s);
		sdt_daemon = 0;
	}
	return (harness_watchdog_teardown(state));
}

/*
 * -d under a service manager: the detached child is not the process the
 * manager started, so READY=1 names it with MAINPID= (the pid in the
 * pidfile). The test is a child subreaper, so the daemon becomes its
 * child and is reaped here.
 */
static void
test_systemd_notify_mainpid(void **state)
{
	struct harness_server	 s;
	struct harness_run	 r;
	struct harness_response	 resp;
	struct sdt_notify	 n;
	const char		*args[] = { "-d", "--user", "root", "--listen",
	    "127.0.0.1:0", "--workers", "1", "--pidfile", NULL,
	    "--port-file", NULL, NULL, NULL };
	char			 dir[256], pidfile[PATH_MAX], portfile[PATH_MAX];
	char			*text, want[64];
	long			 pid;
	int			 st;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	assert_int_equal(harness_tmpdir_create(dir, sizeof(dir), "sdtd"), 0);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	snprintf(portfile, sizeof(portfile), "%s/port", dir);
	args[8] = pidfile;
	args[10] = portfile;
	/* --user root: consent as root, only noted in the log otherwise. */
	args[11] = harness_htdocs();
	sdt_notify_open(&n, dir, false);
	assert_int_equal(setenv("NOTIFY_SOCKET", n.name, 1), 0);
	st = harness_run(args, NULL, SDT_TIMEOUT_MS, &r);
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(st, 0);
	if (r.code != 0)
		fail_msg("sluice -d exited %d: %s", r.code, r.err);
	harness_run_free(&r);
	assert_int_equal(harness_read_file(pidfile, &text, NULL), 0);
	pid = strtol(text, NULL, 10);
	free(text);
	assert_true(pid > 1);
	sdt_daemon = (pid_t)pid;
	if (sdt_notify_wait(&n, "READY=1", SDT_TIMEOUT_MS) == -1)
		fail_msg("no READY=1 (received: %s)", n.all);
	snprintf(want, sizeof(want), "READY=1|MAINPID=%ld\n", pid);
	if (strstr(n.all, want) == NULL)
		fail_msg("want \"%s\", received: %s", want, n.all);
	assert_int_equal(harness_read_file(portfile, &text, NULL), 0);
	assert_int_equal(harness_get((int)strtol(text, NULL, 10), "/", &resp),
	    0);
	free(text);
	assert_int_equal(resp.status, 200);
	harness_response_free(&resp);
	memset(&s, 0, sizeof(s));
	s.pid = sdt_daemon;
	assert_int_equal(harness_server_stop(&s, &st), 0);
	sdt_daemon = 0;
	assert_int_equal(harness_exit_code(st), 0);
	sdt_notify_drain(&n);
	assert_true(sdt_has_line(n.all, "STOPPING=1"));
	sdt_notify_close(&n);
	(void)harness_rmtree(dir);
}

/*
 * A NOTIFY_SOCKET that is neither a path nor an abstract name, or names
 * a socket nobody listens on: a warning naming the variable, and sluice
 * serves anyway.
 */
static void
test_systemd_notify_bad_value(void **state)
{
	static const struct {
		const char	*value;
		const char	*want;
	} cases[] = {
		{ "relative/notify", "NOTIFY_SOCKET=\"relative/notify\": only "
		    "an absolute path or an @abstract name" },
		{ "/nonexistent/sluice-notify", "NOTIFY_SOCKET=\"/nonexistent/"
		    "sluice-notify\": cannot connect; not notifying" },
	};
	struct harness_server	 s;
	struct harness_opts	 o;
	const char		*args[] = { "--workers", "1", NULL, NULL };
	size_t			 i;
	int			 st;

	args[2] = harness_htdocs();
	memset(&o, 0, sizeof(o));
	o.args = args;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(setenv("NOTIFY_SOCKET", cases[i].value, 1),
		    0);
		if (harness_server_start(&s, &o) == -1) {
			unsetenv("NOTIFY_SOCKET");
			sdt_dump_log(&s);
			fail_msg("sluice did not start: %s", strerror(errno));
		}
		unsetenv("NOTIFY_SOCKET");
		assert_serves_hello(s.port, 0);
		if (!harness_log_contains(&s, cases[i].want)) {
			sdt_dump_log(&s);
			fail_msg("no \"%s\" in the log", cases[i].want);
		}
		assert_int_equal(harness_server_stop(&s, &st), 0);
		assert_int_equal(harness_exit_code(st), 0);
		harness_server_cleanup(&s);
	}
}

/*
 * systemd's own tool as the manager: systemd-socket-activate -l
 * 127.0.0.1:PORT sluice ... (it execs sluice on the first connection, so
 * the GET itself starts it). The port was free a moment ago; another
 * process may take it first, then the tool fails and another is tried.
 */
static void
test_systemd_socket_activate(void **state)
{
	struct harness_server	 s;
	struct harness_response	 r;
	char			 laddr[64], *log;
	const char		*argv[16];
	int			 try, fd, port, logfd, st, rc = -1;

	if (access(SDT_SOCKET_ACTIVATE, X_OK) == -1) {
		fprintf(stderr, "test_systemd: %s is missing: "
		    "test_systemd_socket_activate skipped\n",
		    SDT_SOCKET_ACTIVATE);
		skip();
	}
	for (try = 0; try < SDT_PORT_TRIES && rc == -1; try++) {
		fd = sdt_tcp_listener(AF_INET, "127.0.0.1", &port);
		assert_true(fd != -1);
		close(fd);
		snprintf(laddr, sizeof(laddr), "127.0.0.1:%d", port);
		argv[0] = SDT_SOCKET_ACTIVATE;
		argv[1] = "-l";
		argv[2] = laddr;
		argv[3] = harness_bin();
		argv[4] = "--workers";
		argv[5] = "1";
		argv[6] = harness_htdocs();
		argv[7] = NULL;
		memset(&s, 0, sizeof(s));
		assert_int_equal(harness_tmpdir_create(s.dir, sizeof(s.dir),
		    "sdta"), 0);
		snprintf(s.log_path, sizeof(s.log_path), "%s/server.log",
		    s.dir);
		logfd = open(s.log_path, O_WRONLY | O_CREAT | O_APPEND |
		    O_CLOEXEC, 0644);
		assert_true(logfd != -1);
		s.pid = fork();
		assert_true(s.pid != -1);
		if (s.pid == 0) {
			sigset_t	 none;

			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			signal(SIGPIPE, SIG_DFL);
			signal(SIGALRM, SIG_DFL);
			if (dup2(logfd, STDOUT_FILENO) == -1 ||
			    dup2(logfd, STDERR_FILENO) == -1 ||
			    prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
				_exit(127);
			execv(argv[0], (char **)argv);
			_exit(127);
		}
		close(logfd);
		if (harness_server_wait_log(&s, "Listening on",
		    SDT_TIMEOUT_MS) == 0)
			rc = 0;
		else {
			sdt_dump_log(&s);
			harness_server_cleanup(&s);
		}
	}
	if (rc == -1)
		fail_msg("%s did not listen in %d tries", SDT_SOCKET_ACTIVATE,
		    SDT_PORT_TRIES);
	s.port = port;
	assert_serves_hello(port, 0);
	if (!harness_log_contains(&s, "1 socket from the service manager")) {
		sdt_dump_log(&s);
		fail();
	}
	assert_int_equal(harness_get(port, "/no-such-page", &r), 0);
	assert_int_equal(r.status, 404);
	harness_response_free(&r);
	assert_int_equal(harness_server_stop(&s, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	if (harness_log_read(&s, &log, NULL) == 0) {
		assert_non_null(strstr(log, "counters:"));
		free(log);
	}
	harness_server_cleanup(&s);
}

int
main(void)
{
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_systemd_inherited_socket_serves,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_two_sockets,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_other_pid_ignored,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(
		    test_systemd_refuses_other_descriptors,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_notify_path,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_notify_abstract,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_notify_bad_value,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(
		    test_systemd_reload_keeps_inherited,
		    harness_watchdog_setup, harness_watchdog_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_notify_mainpid,
		    harness_watchdog_setup, sdt_daemon_teardown),
		cmocka_unit_test_setup_teardown(test_systemd_socket_activate,
		    harness_watchdog_setup, harness_watchdog_teardown),
	};

	if (harness_bin() == NULL || harness_htdocs() == NULL) {
		fprintf(stderr, "test_systemd: SLUICE_BIN and SLUICE_HTDOCS "
		    "must be set (run through make check)\n");
		return (1);
	}
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
