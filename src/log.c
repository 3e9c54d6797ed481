/* sluice - ISC licence, see COPYING. */

/*
 * The error log and the access log.
 *
 * Every line is formatted on the caller's stack and written with a single
 * write(2), so lines from different threads never interleave and no lock
 * is needed.  A loop must never stall on a log: a socket sink (journald's
 * stream under systemd) is written with send(MSG_DONTWAIT); a pipe or a
 * terminal through a descriptor of its own opened with O_NONBLOCK via
 * /proc/self/fd (a new open file description, so the shared one the
 * parent gave us keeps its flags).  A line that would block is dropped
 * and counted.  A regular file is appended to directly: writes to the
 * page cache are the accepted exception.
 *
 * The globals here (the descriptors and the level) are set on the main
 * thread before any other thread starts and only read afterwards.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int		 log_level = LOG_LEVEL_INFO;
static int		 log_fd = STDERR_FILENO;
static int		 log_fd_owned;
static int		 log_fd_sock;
static int		 log_access_fd = -1;
static int		 log_access_sock;
static char		 log_access_path[PATH_MAX];	/* a file's, or "" */
static atomic_ullong	 log_drops;

static int	 log_sink(int, int *);
static void	 log_emit(int, int, const char *, size_t);
static void	 log_vwrite(enum log_level, const char *, int, const char *,
		    va_list);

int
log_init(int verbose)
{
	int	 fd;

	log_level = LOG_LEVEL_INFO + verbose;
	if (log_level > LOG_LEVEL_TRACE)
		log_level = LOG_LEVEL_TRACE;
	fd = log_sink(STDERR_FILENO, &log_fd_sock);
	if (fd != STDERR_FILENO) {
		log_fd = fd;
		log_fd_owned = 1;
	}
	return 0;
}

int
log_open_access(const char *path)
{
	int	 fd;

	if (strcmp(path, "-") == 0) {
		log_access_fd = log_sink(STDOUT_FILENO, &log_access_sock);
		return 0;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1)
		return -1;
	log_access_fd = log_sink(fd, &log_access_sock);
	if (log_access_fd != fd)
		close(fd);
	else
		snprintf(log_access_path, sizeof(log_access_path), "%s", path);
	return 0;
}

int
log_reopen(void)
{
	int	 fd;

	if (log_access_path[0] == '\0')
		return 0;
	fd = open(log_access_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640);
	if (fd == -1)
		return -1;
	/*
	 * dup2 swaps the file under the same descriptor in one step, so a
	 * worker writing a line meanwhile writes it whole to one file or
	 * the other: no lock, no window with a closed descriptor.
	 */
	if (dup2(fd, log_access_fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
log_reset_stderr(void)
{
	int	 fd;

	if (log_fd_owned)
		close(log_fd);
	log_fd = STDERR_FILENO;
	log_fd_owned = 0;
	fd = log_sink(STDERR_FILENO, &log_fd_sock);
	if (fd != STDERR_FILENO) {
		log_fd = fd;
		log_fd_owned = 1;
	}
}

unsigned long long
log_dropped(void)
{
	return atomic_load(&log_drops);
}

int
log_is_enabled(enum log_level level)
{
	return (int)level <= log_level;
}

void
log_close(void)
{
	if (log_access_fd != -1 && log_access_fd != STDOUT_FILENO)
		close(log_access_fd);
	log_access_fd = -1;
	if (log_fd_owned)
		close(log_fd);
	log_fd = STDERR_FILENO;
	log_fd_owned = 0;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, "warning", saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, "warning", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_INFO)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_INFO, "info", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_DEBUG)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_DEBUG, "debug", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (log_level < LOG_LEVEL_TRACE)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_TRACE, "trace", 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, "fatal", errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LEVEL_WARN, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0, i;
	unsigned char		 c;

	if (dstlen == 0)
		return 0;
	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		if (c == '"' || c == '\\') {
			if (o + 2 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20 || c > 0x7e) {
			if (o + 4 >= dstlen)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[c >> 4];
			dst[o++] = hex[c & 0xf];
		} else {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

int
log_access_enabled(void)
{
	return log_access_fd != -1;
}

void
log_access_write(const struct log_access *a)
{
	char		 line[LOG_LINE_MAX], req[1024], ref[512], ua[512];
	char		 when[64];
	struct tm	 tm;
	int		 n;

	if (log_access_fd == -1)
		return;
	if (localtime_r(&a->when, &tm) == NULL ||
	    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm) == 0)
		snprintf(when, sizeof(when), "-");
	log_escape(req, sizeof(req), a->line, a->line_len);
	if (a->referer_len > 0)
		log_escape(ref, sizeof(ref), a->referer, a->referer_len);
	else
		snprintf(ref, sizeof(ref), "-");
	if (a->agent_len > 0)
		log_escape(ua, sizeof(ua), a->agent, a->agent_len);
	else
		snprintf(ua, sizeof(ua), "-");
	n = snprintf(line, sizeof(line),
	    "%s - - [%s] \"%s\" %d %llu \"%s\" \"%s\"\n", a->peer, when, req,
	    a->status, (unsigned long long)a->bytes, ref, ua);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_emit(log_access_fd, log_access_sock, line, (size_t)n);
}

/*
 * Return a descriptor for writing to fd without ever blocking a loop:
 * fd itself for a regular file or a socket (*sock set: written with
 * MSG_DONTWAIT), else a non-blocking descriptor of its own.
 */
static int
log_sink(int fd, int *sock)
{
	struct stat	 sb;
	char		 path[64];
	int		 nfd;

	*sock = 0;
	if (fstat(fd, &sb) == -1 || S_ISREG(sb.st_mode))
		return fd;
	if (S_ISSOCK(sb.st_mode)) {
		*sock = 1;
		return fd;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd == -1)
		return fd;	/* no /proc: blocking writes, as before */
	return nfd;
}

/* One write of a whole line; a line that would block is dropped. */
static void
log_emit(int fd, int sock, const char *buf, size_t len)
{
	ssize_t	 n;

	do
		n = sock ? send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) :
		    write(fd, buf, len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		atomic_fetch_add(&log_drops, 1);
}

/* Format one error-log line with its level tag and emit it. */
static void
log_vwrite(enum log_level level, const char *tag, int err, const char *fmt,
    va_list ap)
{
	char	 msg[LOG_LINE_MAX - 128], line[LOG_LINE_MAX], ebuf[128];
	int	 n;

	if ((int)level > log_level)
		return;
	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		return;
	if (err != 0)
		n = snprintf(line, sizeof(line), "%s: %s: %s: %s\n",
		    PACKAGE_NAME, tag, msg,
		    strerror_r(err, ebuf, sizeof(ebuf)));
	else
		n = snprintf(line, sizeof(line), "%s: %s: %s\n",
		    PACKAGE_NAME, tag, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	log_emit(log_fd, log_fd_sock, line, (size_t)n);
}
