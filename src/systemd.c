/* sluice - ISC licence, see COPYING. */

/*
 * sd_notify and socket activation, spoken directly (systemd's
 * sd_notify(3) and sd_listen_fds(3) describe both protocols; neither
 * needs libsystemd, and a dependency for twenty lines of socket code
 * would be the larger risk).
 *
 * Notifications are datagrams of "KEY=value" lines sent to the AF_UNIX
 * socket named by $NOTIFY_SOCKET.  The socket is opened once, at
 * start-up, non-blocking: a datagram the manager's queue cannot take at
 * once is dropped and counted, because the feeder's loop must never wait
 * for the service manager.  The socket is connected once, at start-up,
 * rather than addressed on every send: after --chroot the path would no
 * longer resolve (systemd keeps the same socket when it re-executes, so
 * the connection outlives a daemon-reexec).
 *
 * Socket activation hands the listening sockets over as descriptors 3..;
 * they replace the --listen addresses in struct conf, marked inherited,
 * so that the feeder adopts them instead of binding and a reload leaves
 * them alone.
 *
 * The state below is one per process, like log.c's: written on the main
 * thread before any other thread starts, then used by the feeder only.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <net/if.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "status.h"
#include "systemd.h"

/* A notification: a few "KEY=value" lines, the STATUS= text the longest. */
#define SYSTEMD_MSG_MAX		(SYSTEMD_STATUS_MAX + 128)

static int			 systemd_fd = -1;
static pid_t			 systemd_pid;	/* at systemd_notify_init */
static bool			 systemd_warned; /* a failed send was logged */
static unsigned long long	 systemd_drops;
static char			 systemd_last[SYSTEMD_STATUS_MAX];

static void	 systemd_send(const char *);
static int	 systemd_check_fd(int, int, struct conf_listen *, char *,
		    size_t);
static bool	 systemd_parse_int(const char *, long, long *);
static void	 systemd_unset_listen(void);

int
systemd_adopt_listeners(struct conf *c, char *err, size_t errlen)
{
	struct conf_listen	 got[CONF_MAX_LISTEN];
	const char		*pid_s, *fds_s;
	char			 list[CONF_MAX_LISTEN * 48];
	size_t			 off = 0;
	long			 pid, n, i;
	int			 rc = -1;

	pid_s = getenv("LISTEN_PID");
	fds_s = getenv("LISTEN_FDS");
	if (pid_s == NULL || fds_s == NULL) {
		rc = 0;
		goto out;
	}
	/* Meant for another process (the variables leaked to us): ignore. */
	if (!systemd_parse_int(pid_s, LONG_MAX, &pid) ||
	    (pid_t)pid != getpid()) {
		log_debug("LISTEN_PID=%s is not this process (%ld): "
		    "LISTEN_FDS ignored", pid_s, (long)getpid());
		rc = 0;
		goto out;
	}
	if (!systemd_parse_int(fds_s, INT_MAX - SYSTEMD_LISTEN_FDS_START,
	    &n)) {
		snprintf(err, errlen, "LISTEN_FDS=\"%s\" from the service "
		    "manager is not a number of sockets", fds_s);
		goto out;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	if (n > CONF_MAX_LISTEN) {
		snprintf(err, errlen, "the service manager passed %ld "
		    "sockets (LISTEN_FDS); sluice takes at most %d: list "
		    "fewer ListenStream= lines in its .socket unit", n,
		    CONF_MAX_LISTEN);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (systemd_check_fd(SYSTEMD_LISTEN_FDS_START + (int)i,
		    (int)n, &got[i], err, errlen) == -1)
			goto out;
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off,
			    "%s%s", i == 0 ? "" : ", ", got[i].spec);
	}
	memcpy(c->listen, got, (size_t)n * sizeof(got[0]));
	c->nlisten = (size_t)n;
	log_info("%ld socket%s from the service manager (%s); --listen is "
	    "not used", n, n == 1 ? "" : "s", list);
	rc = (int)n;
 out:
	systemd_unset_listen();
	return rc;
}

void
systemd_notify_init(void)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl;
	const char		*path = getenv("NOTIFY_SOCKET");
	size_t			 len;

	systemd_pid = getpid();
	if (path == NULL || *path == '\0')
		goto out;
	len = strlen(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (path[0] != '/' && path[0] != '@') {
		log_warnx("NOTIFY_SOCKET=\"%s\": only an absolute path or an "
		    "@abstract name is understood; not notifying the service "
		    "manager", path);
		goto out;
	}
	/* A path needs its NUL; an abstract name ("@" becomes NUL) not. */
	if (len >= sizeof(sun.sun_path) + (path[0] == '@')) {
		log_warnx("NOTIFY_SOCKET=\"%s\" is longer than a socket "
		    "address: not notifying the service manager", path);
		goto out;
	}
	memcpy(sun.sun_path, path, len);
	if (path[0] == '@')
		sun.sun_path[0] = '\0';
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
	    (path[0] == '/'));
	systemd_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (systemd_fd == -1) {
		log_warn("NOTIFY_SOCKET: socket");
		goto out;
	}
	if (connect(systemd_fd, (struct sockaddr *)&sun, sl) == -1) {
		log_warn("NOTIFY_SOCKET=\"%s\": cannot connect; not "
		    "notifying the service manager", path);
		close(systemd_fd);
		systemd_fd = -1;
		goto out;
	}
	log_debug("notifying the service manager at %s", path);
 out:
	/* As sd_notify(unset=1): a child of ours must not notify for us. */
	unsetenv("NOTIFY_SOCKET");
}

bool
systemd_is_notifying(void)
{
	return systemd_fd != -1;
}

void
systemd_ready(void)
{
	char	 msg[64];

	if (systemd_fd == -1)
		return;
	if (getpid() != systemd_pid)
		snprintf(msg, sizeof(msg), "READY=1\nMAINPID=%ld",
		    (long)getpid());
	else
		snprintf(msg, sizeof(msg), "READY=1");
	systemd_send(msg);
}

void
systemd_reloading(void)
{
	struct timespec	 ts;
	char		 msg[64];

	if (systemd_fd == -1)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	systemd_send(msg);
}

void
systemd_stopping(void)
{
	systemd_send("STOPPING=1");
}

void
systemd_status(const char *fmt, ...)
{
	char	 text[SYSTEMD_STATUS_MAX], msg[SYSTEMD_MSG_MAX], *p;
	va_list	 ap;

	if (systemd_fd == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* One line: a newline would start another KEY=value. */
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		*p = ' ';
	snprintf(systemd_last, sizeof(systemd_last), "%s", text);
	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	systemd_send(msg);
}

void
systemd_status_update(struct status *st, const char *state)
{
	char		 text[SYSTEMD_STATUS_MAX];
	uint64_t	 open, reqs;

	if (systemd_fd == -1)
		return;
	open = status_get(st, STATUS_OPEN);
	reqs = status_get(st, STATUS_REQUESTS);
	snprintf(text, sizeof(text), "%llu open connection%s, %llu "
	    "request%s served, %s", (unsigned long long)open,
	    open == 1 ? "" : "s", (unsigned long long)reqs,
	    reqs == 1 ? "" : "s", state);
	if (strcmp(text, systemd_last) == 0)
		return;
	systemd_status("%s", text);
}

void
systemd_notify_close(void)
{
	if (systemd_fd == -1)
		return;
	if (systemd_drops > 0)
		log_info("%llu notifications to the service manager dropped "
		    "(its queue was full)", systemd_drops);
	close(systemd_fd);
	systemd_fd = -1;
}

/*
 * One datagram, never waiting: a full queue drops it (counted); another
 * failure is logged once, then only at debug level, so that a manager
 * that went away does not fill the log every SYSTEMD_STATUS_S seconds.
 */
static void
systemd_send(const char *msg)
{
	if (systemd_fd == -1)
		return;
	if (send(systemd_fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL) !=
	    -1)
		return;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		systemd_drops++;
		log_debug("notification dropped: the service manager's queue "
		    "is full");
	} else if (!systemd_warned) {
		systemd_warned = true;
		log_warn("cannot notify the service manager (NOTIFY_SOCKET)");
	} else
		log_debug("cannot notify the service manager: %s",
		    strerror(errno));
}

/*
 * Check that descriptor fd (of n passed) is a listening TCP socket of
 * IPv4 or IPv6, make it non-blocking and close-on-exec, and describe it
 * in l.  Returns 0, or -1 with a reason in err.
 */
static int
systemd_check_fd(int fd, int n, struct conf_listen *l, char *err,
    size_t errlen)
{
	static const char	 fix[] = "sluice takes only listening TCP "
	    "sockets (ListenStream=[ADDR:]PORT in its .socket unit)";
	char			 host[INET6_ADDRSTRLEN + IF_NAMESIZE], serv[8];
	socklen_t		 len;
	int			 type, acc, flags;

	memset(l, 0, sizeof(*l));
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d (of %d from "
		    "the service manager) is %s; %s", fd, n, errno == ENOTSOCK ?
		    "not a socket" : errno == EBADF ? "not open" : strerror(errno),
		    fix);
		return -1;
	}
	if (type != SOCK_STREAM) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d (of %d from "
		    "the service manager) is a %s socket, not SOCK_STREAM; %s",
		    fd, n, type == SOCK_DGRAM ? "SOCK_DGRAM (datagram)" :
		    type == SOCK_SEQPACKET ? "SOCK_SEQPACKET" : "non-stream",
		    fix);
		return -1;
	}
	l->addrlen = sizeof(l->addr);
	if (getsockname(fd, (struct sockaddr *)&l->addr, &l->addrlen) == -1) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d: "
		    "getsockname: %s", fd, strerror(errno));
		return -1;
	}
	if (l->addr.ss_family != AF_INET && l->addr.ss_family != AF_INET6) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d (of %d from "
		    "the service manager) is %s, not IPv4 or IPv6; %s", fd, n,
		    l->addr.ss_family == AF_UNIX ? "an AF_UNIX socket" :
		    "of another address family", fix);
		return -1;
	}
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) == -1 ||
	    acc == 0) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d (of %d from "
		    "the service manager) is a TCP socket that is not "
		    "listening (SO_ACCEPTCONN); %s", fd, n, fix);
		return -1;
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "LISTEN_FDS: descriptor %d: fcntl: %s",
		    fd, strerror(errno));
		return -1;
	}
	if (getnameinfo((struct sockaddr *)&l->addr, l->addrlen, host,
	    sizeof(host), serv, sizeof(serv), NI_NUMERICHOST |
	    NI_NUMERICSERV) != 0)
		snprintf(host, sizeof(host), "?");
	if (l->addr.ss_family == AF_INET6)
		snprintf(l->spec, sizeof(l->spec), "[%s]:%s", host, serv);
	else
		snprintf(l->spec, sizeof(l->spec), "%s:%s", host, serv);
	l->inherited = true;
	l->fd = fd;
	return 0;
}

/* A whole decimal number from 0 to max; false for anything else. */
static bool
systemd_parse_int(const char *s, long max, long *v)
{
	char	*end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno == 0 && *end == '\0' && *v <= max;
}

/* The variables are for this process only: its children must not see them. */
static void
systemd_unset_listen(void)
{
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}
