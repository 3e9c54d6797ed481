/* sluice - ISC licence, see COPYING. */

/*
 * The error log and the access log.
 *
 * Every line is formatted on the caller's stack and written with a single
 * writev(2) or sendmsg(2), so lines from different threads never
 * interleave and no lock is needed.  A loop must never stall on a log:
 *
 * - a socket given as standard error or output (journald's stream under
 *   systemd) is written with MSG_DONTWAIT;
 * - a pipe or a terminal through a descriptor of its own, opened with
 *   O_NONBLOCK via /proc/self/fd (a new open file description, so the
 *   shared one the parent gave us keeps its flags), or opened so by name;
 * - syslog through a datagram socket of our own, non-blocking, connected
 *   to /dev/log (or another path).  syslog(3) is not used: it blocks
 *   when the syslog daemon is slow and takes a lock around the write.
 *   A socket whose daemon went away (journald restarted) is connected
 *   again, by whichever thread notices, at most once per LOG_RECONNECT_S.
 *
 * A line that would block is dropped and counted.  A regular file is
 * appended to directly: writes to the page cache are the accepted
 * exception.  Files are reopened by name on SIGUSR1 with dup2 onto the
 * same descriptor, so a thread writing meanwhile writes its line whole to
 * one file or the other.
 *
 * The destinations are set on the main thread before any other thread
 * starts; the descriptors' numbers never change once threads run.  A
 * reload (the feeder) changes the level and the format, which are
 * atomics, and may put another file under a file's descriptor (dup2,
 * log_move) and rename it in d->path, which only the feeder reads for a
 * file.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* Severities (RFC 5424), for syslog and for journald's "<N>" prefixes. */
#define LOG_SEV_ERR		3
#define LOG_SEV_WARNING		4
#define LOG_SEV_INFO		6
#define LOG_SEV_DEBUG		7

#define LOG_PREFIX_MAX		128	/* a timestamp or a syslog header */
#define LOG_FIELD_LINE		1280	/* escaped request line, access line */
#define LOG_FIELD_HDR		1024	/* escaped Referer or User-Agent */

_Static_assert(LOG_FIELD_LINE + 2 * LOG_FIELD_HDR + 512 + LOG_PREFIX_MAX <=
    LOG_ACCESS_MAX, "an access line with its prefix must fit in one "
    "atomic pipe write");

/* What a destination's descriptor is, which decides how it is written. */
enum log_kind {
	LOG_KIND_FILE,		/* a regular file: write; reopened by name */
	LOG_KIND_FD,		/* a pipe, a terminal: non-blocking, ours */
	LOG_KIND_STREAM,	/* a stream socket: send(MSG_DONTWAIT) */
	LOG_KIND_SYSLOG		/* our datagram socket to a syslog daemon */
};

/* Error-log message classes: fatal, then one per enum log_level. */
enum log_class {
	LOG_CLASS_FATAL,
	LOG_CLASS_WARN,
	LOG_CLASS_INFO,
	LOG_CLASS_DEBUG,
	LOG_CLASS_TRACE
};

struct log_dest {
	int		 fd;		/* -1: no such log */
	bool		 owned;		/* fd is ours to close */
	enum log_kind	 kind;
	bool		 journal;	/* journald's stream: "<N>" prefixes */
	int		 facility;	/* LOG_KIND_SYSLOG */
	char		 path[PATH_MAX]; /* a file's or a socket's, or "" */
	atomic_llong	 tried;		/* last reconnect (monotonic s) */
};

static const char *const log_class_names[] = {
	"fatal", "warn", "info", "debug", "trace"
};
static const int	 log_class_sev[] = {
	LOG_SEV_ERR, LOG_SEV_WARNING, LOG_SEV_INFO, LOG_SEV_DEBUG,
	LOG_SEV_DEBUG
};

/* Atomics: a reload (the feeder) changes them while workers log. */
static atomic_int	 log_level = LOG_LEVEL_INFO;
static atomic_int	 log_format = LOG_FORMAT_COMBINED;
static struct log_dest	 log_err = { .fd = STDERR_FILENO, .kind = LOG_KIND_FD };
static bool		 log_err_stderr = true;	/* log_err is standard error */
static struct log_dest	 log_acc = { .fd = -1 };
static atomic_ullong	 log_drops;

static void	 log_dest_std(struct log_dest *, int);
static void	 log_dest_close(struct log_dest *);
static int	 log_dest_file(struct log_dest *, const char *);
static int	 log_dest_syslog(struct log_dest *, const char *, int);
static int	 log_syslog_connect(int, const char *);
static void	 log_syslog_retry(struct log_dest *);
static bool	 log_is_journal(const struct stat *);
static void	 log_emit(struct log_dest *, int, bool, const char *, size_t);
static ssize_t	 log_send(struct log_dest *, const struct iovec *, int);
static size_t	 log_stamp(char *, size_t);
static void	 log_stderr_line(const char *, size_t);
static void	 log_vwrite(enum log_class, int, const char *, va_list);
static size_t	 log_seconds(char *, size_t, int64_t, const char *);
static size_t	 log_escape_as(char *, size_t, const char *, size_t,
		    const char *);

int
log_init(int level)
{
	if (level < LOG_LEVEL_WARN)
		level = LOG_LEVEL_WARN;
	if (level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_TRACE;
	atomic_store_explicit(&log_level, level, memory_order_relaxed);
	log_dest_std(&log_err, STDERR_FILENO);
	log_err_stderr = true;
	return 0;
}

int
log_dest_is_syslog(const char *dest, const char **path)
{
	size_t	 n = sizeof(LOG_DEST_SYSLOG) - 1;

	if (strncmp(dest, LOG_DEST_SYSLOG, n) != 0 ||
	    (dest[n] != '\0' && dest[n] != ':'))
		return 0;
	if (path != NULL)
		*path = dest[n] == ':' ? dest + n + 1 : LOG_SYSLOG_DEFAULT;
	return 1;
}

int
log_open_error(const char *dest)
{
	const char	*path;
	int		 r;

	if (strcmp(dest, LOG_DEST_STDERR) == 0)
		return 0;
	if (log_dest_is_syslog(dest, &path))
		r = log_dest_syslog(&log_err, path, LOG_FACILITY_ERROR);
	else
		r = log_dest_file(&log_err, dest);
	if (r == 0)
		log_err_stderr = false;
	return r;
}

int
log_open_access(const char *dest, enum log_format format)
{
	const char	*path;

	atomic_store_explicit(&log_format, (int)format, memory_order_relaxed);
	if (strcmp(dest, LOG_DEST_STDOUT) == 0) {
		log_dest_std(&log_acc, STDOUT_FILENO);
		return 0;
	}
	if (log_dest_is_syslog(dest, &path))
		return log_dest_syslog(&log_acc, path, LOG_FACILITY_ACCESS);
	return log_dest_file(&log_acc, dest);
}

void
log_dirname(const char *path, char *dir, size_t len)
{
	char	*slash;

	snprintf(dir, len, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, len, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

int
log_hand_over(uid_t uid)
{
	struct log_dest	*dests[] = { &log_err, &log_acc };
	struct stat	 sb, dsb;
	char		 dir[PATH_MAX];
	size_t		 i;
	int		 n = 0;

	for (i = 0; i < sizeof(dests) / sizeof(dests[0]); i++) {
		if (dests[i]->fd == -1 || dests[i]->kind != LOG_KIND_FILE ||
		    fstat(dests[i]->fd, &sb) == -1 || sb.st_uid == uid)
			continue;
		log_dirname(dests[i]->path, dir, sizeof(dir));
		if (stat(dir, &dsb) == -1 || dsb.st_uid != uid)
			continue;
		if (fchown(dests[i]->fd, uid, (gid_t)-1) == 0)
			n++;
	}
	return n;
}

void
log_set_level(int level)
{
	if (level < LOG_LEVEL_WARN)
		level = LOG_LEVEL_WARN;
	if (level > LOG_LEVEL_TRACE)
		level = LOG_LEVEL_TRACE;
	atomic_store_explicit(&log_level, level, memory_order_relaxed);
}

void
log_set_format(enum log_format format)
{
	atomic_store_explicit(&log_format, (int)format, memory_order_relaxed);
}

int
log_move(bool access, const char *dest)
{
	struct log_dest	*d = access ? &log_acc : &log_err;
	int		 fd;

	/*
	 * Only a file may become another file: the descriptor the other
	 * threads write to stays, dup2 puts the new file under it.  Any
	 * other change would change how they write (restart).
	 */
	if (d->fd == -1 || d->kind != LOG_KIND_FILE ||
	    strcmp(dest, LOG_DEST_STDOUT) == 0 ||
	    strcmp(dest, LOG_DEST_STDERR) == 0 ||
	    log_dest_is_syslog(dest, NULL) || strlen(dest) >= sizeof(d->path))
		return 1;
	fd = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NONBLOCK | O_NOCTTY, 0640);
	if (fd == -1)
		return -1;
	if (dup2(fd, d->fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	/* Read by the feeder only (log_reopen), for a file. */
	snprintf(d->path, sizeof(d->path), "%s", dest);
	return 0;
}

int
log_reopen(void)
{
	struct log_dest	*dests[] = { &log_err, &log_acc };
	const char	*names[] = { "error", "access" };
	struct log_dest	*d;
	size_t		 i;
	int		 fd, rc = 0;

	for (i = 0; i < sizeof(dests) / sizeof(dests[0]); i++) {
		d = dests[i];
		if (d->fd == -1 || d->path[0] == '\0')
			continue;
		if (d->kind == LOG_KIND_SYSLOG) {
			/* The daemon may have been restarted meanwhile. */
			if (log_syslog_connect(d->fd, d->path) == -1) {
				log_warn("SIGUSR1: cannot connect the %s log "
				    "to \"%s\"; its lines are dropped until "
				    "it listens", names[i], d->path);
				rc = -1;
			}
			continue;
		}
		fd = open(d->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
		    O_NONBLOCK | O_NOCTTY, 0640);
		/*
		 * dup2 swaps the file under the same descriptor in one step:
		 * no lock, no window with a closed descriptor.
		 */
		if (fd == -1 || dup2(fd, d->fd) == -1) {
			log_warn("SIGUSR1: cannot reopen the %s log \"%s\"; "
			    "still writing to the old file", names[i],
			    d->path);
			if (fd != -1)
				close(fd);
			rc = -1;
			continue;
		}
		close(fd);
	}
	return rc;
}

void
log_reset_stderr(void)
{
	if (!log_err_stderr)
		return;
	log_dest_std(&log_err, STDERR_FILENO);
}

unsigned long long
log_dropped(void)
{
	return atomic_load(&log_drops);
}

int
log_is_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_level,
	    memory_order_relaxed);
}

void
log_close(void)
{
	log_dest_close(&log_acc);
	log_dest_close(&log_err);
	/* Whatever is logged after this goes to standard error. */
	log_err.fd = STDERR_FILENO;
	log_err.kind = LOG_KIND_FD;
	log_err_stderr = true;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_WARN, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_WARN, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!log_is_enabled(LOG_LEVEL_INFO))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_INFO, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!log_is_enabled(LOG_LEVEL_DEBUG))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_DEBUG, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_trace(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	if (!log_is_enabled(LOG_LEVEL_TRACE))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_TRACE, 0, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_FATAL, errno, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CLASS_FATAL, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
	return log_escape_as(dst, dstlen, src, len, "\\x");
}

size_t
log_escape_json(char *dst, size_t dstlen, const char *src, size_t len)
{
	/*
	 * Raw bytes from 0x80 could be invalid UTF-8, which a JSON parser
	 * may refuse: each is its own escape.
	 */
	return log_escape_as(dst, dstlen, src, len, "\\u00");
}

/*
 * Escape '"' and '\' with a backslash and every byte outside 0x20-0x7e
 * as `pre` and two hex digits; what does not fit whole is left out.
 */
static size_t
log_escape_as(char *dst, size_t dstlen, const char *src, size_t len,
    const char *pre)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0, i, plen = strlen(pre);
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
			if (o + plen + 2 >= dstlen)
				break;
			memcpy(dst + o, pre, plen);
			o += plen;
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
	return log_acc.fd != -1;
}

void
log_access_write(const struct log_access *a)
{
	char	 line[LOG_ACCESS_MAX - LOG_PREFIX_MAX];
	size_t	 n;

	if (log_acc.fd == -1)
		return;
	n = log_access_format(line, sizeof(line), (enum log_format)
	    atomic_load_explicit(&log_format, memory_order_relaxed), a);
	log_emit(&log_acc, LOG_SEV_INFO, false, line, n);
}

size_t
log_access_format(char *buf, size_t buflen, enum log_format format,
    const struct log_access *a)
{
	char		 req[LOG_FIELD_LINE], ref[LOG_FIELD_HDR];
	char		 ua[LOG_FIELD_HDR], peer[128], when[64], bytes[24];
	char		 rt[32], ht[32];
	struct tm	 tm;
	const char	*null = format == LOG_FORMAT_JSON ? "null" : "-";
	int		 n;

	if (buflen == 0)
		return 0;
	log_seconds(rt, sizeof(rt), a->request_us, null);
	log_seconds(ht, sizeof(ht), a->handoff_us, null);
	if (format == LOG_FORMAT_JSON) {
		if (gmtime_r(&a->when, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) == 0)
			snprintf(when, sizeof(when), "-");
		log_escape_json(peer, sizeof(peer), a->peer, strlen(a->peer));
		log_escape_json(req, sizeof(req), a->line, a->line_len);
		/* An absent field is null, a present one a string. */
		if (a->referer_len > 0) {
			ref[0] = '"';
			n = (int)log_escape_json(ref + 1, sizeof(ref) - 2,
			    a->referer, a->referer_len);
			memcpy(ref + 1 + n, "\"", 2);
		} else
			snprintf(ref, sizeof(ref), "null");
		if (a->agent_len > 0) {
			ua[0] = '"';
			n = (int)log_escape_json(ua + 1, sizeof(ua) - 2,
			    a->agent, a->agent_len);
			memcpy(ua + 1 + n, "\"", 2);
		} else
			snprintf(ua, sizeof(ua), "null");
		n = snprintf(buf, buflen, "{\"time\":\"%s\",\"remote_addr\":"
		    "\"%s\",\"request\":\"%s\",\"status\":%d,\"bytes\":%llu,"
		    "\"referer\":%s,\"user_agent\":%s,\"request_time\":%s,"
		    "\"handoff_time\":%s}", when, peer, req, a->status,
		    (unsigned long long)a->bytes, ref, ua, rt, ht);
	} else {
		if (localtime_r(&a->when, &tm) == NULL ||
		    strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z",
		    &tm) == 0)
			snprintf(when, sizeof(when), "-");
		log_escape(peer, sizeof(peer), a->peer, strlen(a->peer));
		log_escape(req, sizeof(req), a->line, a->line_len);
		/* CLF's %b: "-" rather than 0 when no body byte was sent. */
		if (a->bytes == 0)
			snprintf(bytes, sizeof(bytes), "-");
		else
			snprintf(bytes, sizeof(bytes), "%llu",
			    (unsigned long long)a->bytes);
		if (format == LOG_FORMAT_COMMON)
			n = snprintf(buf, buflen, "%s - - [%s] \"%s\" %d %s",
			    peer, when, req, a->status, bytes);
		else {
			if (a->referer_len > 0)
				log_escape(ref, sizeof(ref), a->referer,
				    a->referer_len);
			else
				snprintf(ref, sizeof(ref), "-");
			if (a->agent_len > 0)
				log_escape(ua, sizeof(ua), a->agent,
				    a->agent_len);
			else
				snprintf(ua, sizeof(ua), "-");
			n = snprintf(buf, buflen, "%s - - [%s] \"%s\" %d %s "
			    "\"%s\" \"%s\" %s %s", peer, when, req, a->status,
			    bytes, ref, ua, rt, ht);
		}
	}
	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n < buflen ? (size_t)n : buflen - 1;
}

size_t
log_syslog_header(char *buf, size_t buflen, int facility, int severity,
    time_t when, long pid)
{
	char		 stamp[32];
	struct tm	 tm;
	int		 n;

	/* RFC 3164 4.1.2: "Mmm dd hh:mm:ss", the day padded with a space. */
	if (localtime_r(&when, &tm) == NULL ||
	    strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm) == 0)
		snprintf(stamp, sizeof(stamp), "Jan  1 00:00:00");
	n = snprintf(buf, buflen, "<%d>%s %s[%ld]: ", facility * 8 + severity,
	    stamp, PACKAGE_NAME, pid);
	if (n < 0 || buflen == 0)
		return 0;
	return (size_t)n < buflen ? (size_t)n : buflen - 1;
}

/*
 * Make d write to standard error or output (fd): fd itself for a regular
 * file or a socket, else a non-blocking descriptor of its own.
 */
static void
log_dest_std(struct log_dest *d, int fd)
{
	struct stat	 sb;
	char		 path[64];
	int		 nfd;

	log_dest_close(d);
	d->fd = fd;
	d->owned = false;
	d->kind = LOG_KIND_FD;
	d->journal = false;
	d->path[0] = '\0';
	if (fstat(fd, &sb) == -1)
		return;
	if (S_ISREG(sb.st_mode)) {
		d->kind = LOG_KIND_FILE;
		return;
	}
	if (S_ISSOCK(sb.st_mode)) {
		d->kind = LOG_KIND_STREAM;
		d->journal = log_is_journal(&sb);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (nfd == -1)
		return;		/* no /proc: blocking writes, as before */
	d->fd = nfd;
	d->owned = true;
}

/* Close d's descriptor if it is ours; d then writes nowhere. */
static void
log_dest_close(struct log_dest *d)
{
	if (d->fd != -1 && d->owned)
		close(d->fd);
	d->fd = -1;
	d->owned = false;
	d->journal = false;
	d->path[0] = '\0';
}

/*
 * Make d append to the file at path (created 0640).  O_NONBLOCK changes
 * nothing for a regular file and keeps a named pipe from blocking (at
 * open and at each write).  Returns 0, or -1 with errno (d unchanged).
 */
static int
log_dest_file(struct log_dest *d, const char *path)
{
	struct stat	 sb;
	int		 fd;

	if (strlen(path) >= sizeof(d->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NONBLOCK | O_NOCTTY, 0640);
	if (fd == -1)
		return -1;
	log_dest_close(d);
	d->fd = fd;
	d->owned = true;
	d->kind = LOG_KIND_FD;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		d->kind = LOG_KIND_FILE;
		snprintf(d->path, sizeof(d->path), "%s", path);
	}
	return 0;
}

/*
 * Make d send to the syslog socket at path.  The socket is made now,
 * while /dev/log is reachable (before a chroot); if nothing listens yet,
 * it is connected later (log_syslog_retry, SIGUSR1) and a warning goes
 * to standard error.  Returns 0, or -1 with errno (d unchanged).
 */
static int
log_dest_syslog(struct log_dest *d, const char *path, int facility)
{
	char	 msg[LOG_LINE_MAX];
	int	 fd, n;

	if (strlen(path) >= sizeof(((struct sockaddr_un *)NULL)->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	log_dest_close(d);
	d->fd = fd;
	d->owned = true;
	d->kind = LOG_KIND_SYSLOG;
	d->facility = facility;
	snprintf(d->path, sizeof(d->path), "%s", path);
	atomic_store(&d->tried, 0);
	if (log_syslog_connect(fd, path) == -1) {
		n = snprintf(msg, sizeof(msg), "[warn] cannot connect to the "
		    "syslog socket \"%s\": %s; lines are dropped until it "
		    "listens", path, strerror(errno));
		if (n > 0)
			log_stderr_line(msg, (size_t)n < sizeof(msg) ?
			    (size_t)n : sizeof(msg) - 1);
	}
	return 0;
}

/* Connect (again) the datagram socket fd to path.  0, or -1 with errno. */
static int
log_syslog_connect(int fd, const char *path)
{
	struct sockaddr_un	 sun;
	int			 r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path));
	do
		r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	while (r == -1 && errno == EINTR);
	return r;
}

/*
 * The syslog daemon went away (a send found no peer): connect again, at
 * most once per LOG_RECONNECT_S whichever thread asks, so a missing
 * daemon costs a failed send per line and not a connect too.  connect(2)
 * on a local datagram socket does not wait.  Any thread.
 */
static void
log_syslog_retry(struct log_dest *d)
{
	struct timespec	 now;
	long long	 last;

	clock_gettime(CLOCK_MONOTONIC, &now);
	last = atomic_load(&d->tried);
	if (last != 0 && now.tv_sec - last < LOG_RECONNECT_S)
		return;
	if (!atomic_compare_exchange_strong(&d->tried, &last,
	    (long long)now.tv_sec))
		return;		/* another thread is at it */
	(void)log_syslog_connect(d->fd, d->path);
}

/*
 * Whether the socket sb is journald's stream for this service: systemd
 * says so in $JOURNAL_STREAM ("DEVICE:INODE").
 */
static bool
log_is_journal(const struct stat *sb)
{
	const char		*e = getenv("JOURNAL_STREAM");
	unsigned long long	 dev, ino;

	if (e == NULL || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return false;
	return (unsigned long long)sb->st_dev == dev &&
	    (unsigned long long)sb->st_ino == ino;
}

/*
 * Write one line, body[0..len) without its newline, to d: with a syslog
 * header (severity sev), a "<sev>" prefix for journald, or a timestamp if
 * `stamp`; then a newline, except in a datagram.  A line that would block
 * or fails is dropped and counted.
 */
static void
log_emit(struct log_dest *d, int sev, bool stamp, const char *body,
    size_t len)
{
	char		 pre[LOG_PREFIX_MAX];
	struct iovec	 iov[3];
	size_t		 plen = 0;
	ssize_t		 n;
	int		 cnt = 0;

	if (d->fd == -1)
		return;
	if (d->kind == LOG_KIND_SYSLOG)
		plen = log_syslog_header(pre, sizeof(pre), d->facility, sev,
		    time(NULL), (long)getpid());
	else if (d->journal)
		plen = (size_t)snprintf(pre, sizeof(pre), "<%d>", sev);
	else if (stamp)
		plen = log_stamp(pre, sizeof(pre));
	if (plen > 0) {
		iov[cnt].iov_base = pre;
		iov[cnt++].iov_len = plen;
	}
	iov[cnt].iov_base = (void *)(uintptr_t)body;
	iov[cnt++].iov_len = len;
	if (d->kind != LOG_KIND_SYSLOG) {
		iov[cnt].iov_base = (void *)(uintptr_t)"\n";
		iov[cnt++].iov_len = 1;
	}
	n = log_send(d, iov, cnt);
	if (n == -1 && d->kind == LOG_KIND_SYSLOG && (errno == ECONNREFUSED ||
	    errno == ENOTCONN || errno == ECONNRESET || errno == ENOENT ||
	    errno == EDESTADDRREQ)) {
		log_syslog_retry(d);
		n = log_send(d, iov, cnt);
	}
	if (n == -1) {
		atomic_fetch_add(&log_drops, 1);
		return;
	}
	/*
	 * Short: only a stream socket or a terminal does that (a pipe takes
	 * a line this short whole or not at all).  The line is lost, as a
	 * drop; end its fragment so the next line does not run into it.
	 */
	if ((size_t)n < (plen + len + (d->kind != LOG_KIND_SYSLOG))) {
		atomic_fetch_add(&log_drops, 1);
		iov[0].iov_base = (void *)(uintptr_t)"\n";
		iov[0].iov_len = 1;
		(void)log_send(d, iov, 1);
	}
}

/* One writev or sendmsg of the whole line, never blocking on a socket. */
static ssize_t
log_send(struct log_dest *d, const struct iovec *iov, int cnt)
{
	struct msghdr	 msg;
	ssize_t		 n;

	if (d->kind == LOG_KIND_FILE || d->kind == LOG_KIND_FD) {
		do
			n = writev(d->fd, iov, cnt);
		while (n == -1 && errno == EINTR);
		return n;
	}
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = (size_t)cnt;
	do
		n = sendmsg(d->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n;
}

/* "2001-09-09T01:46:40.123Z ": UTC, milliseconds.  Returns the length. */
static size_t
log_stamp(char *buf, size_t buflen)
{
	struct timespec	 ts;
	struct tm	 tm;
	size_t		 n;
	int		 m;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (gmtime_r(&ts.tv_sec, &tm) == NULL ||
	    (n = strftime(buf, buflen, "%Y-%m-%dT%H:%M:%S", &tm)) == 0)
		return 0;
	m = snprintf(buf + n, buflen - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	if (m < 0 || (size_t)m >= buflen - n)
		return 0;
	return n + (size_t)m;
}

/*
 * A line for whoever started sluice, on standard error itself, when the
 * error log is elsewhere (start-up only: a blocking write).
 */
static void
log_stderr_line(const char *body, size_t len)
{
	struct log_dest	 d = { .fd = STDERR_FILENO, .kind = LOG_KIND_FD };

	log_emit(&d, LOG_SEV_ERR, true, body, len);
}

/* Format one error-log line, "[level] message[: error]", and emit it. */
static void
log_vwrite(enum log_class cls, int err, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_MAX], ebuf[128];
	size_t	 len;
	int	 n;

	n = snprintf(line, sizeof(line), "[%s] ", log_class_names[cls]);
	if (n < 0)
		return;
	len = (size_t)n;
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	if (n < 0)
		return;
	len += (size_t)n;
	if (len < sizeof(line) && err != 0) {
		n = snprintf(line + len, sizeof(line) - len, ": %s",
		    strerror_r(err, ebuf, sizeof(ebuf)));
		if (n > 0)
			len += (size_t)n;
	}
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	log_emit(&log_err, log_class_sev[cls], true, line, len);
	if (cls == LOG_CLASS_FATAL && !log_err_stderr)
		log_stderr_line(line, len);
}

/*
 * A duration in microseconds as seconds, "0.000123"; `none` if it is
 * negative (not known, or not this request's).  Returns the length.
 */
static size_t
log_seconds(char *buf, size_t buflen, int64_t us, const char *none)
{
	int	 n;

	if (us < 0)
		n = snprintf(buf, buflen, "%s", none);
	else
		n = snprintf(buf, buflen, "%lld.%06lld",
		    (long long)(us / 1000000), (long long)(us % 1000000));
	return n < 0 ? 0 : (size_t)n;
}
