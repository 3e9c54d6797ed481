/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

/*
 * The error log (standard error, syslog or a file) and the access log (a
 * file, standard output or syslog).  Any thread may log: each line is
 * formatted on the caller's stack and written with one system call.  No
 * sink may stall an event loop: a pipe or a terminal is written through a
 * non-blocking descriptor of its own, a socket with MSG_DONTWAIT, syslog
 * through a non-blocking datagram socket of our own (never syslog(3),
 * which blocks when the daemon is slow); a line that would block is
 * dropped and counted.  Regular files are appended to directly (the
 * accepted exception in DESIGN.md).
 */

#include <sys/types.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* In the order of --log-level's words. */
enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,	/* default: start-up, shutdown, pauses */
	LOG_LEVEL_DEBUG = 2,	/* per-connection events */
	LOG_LEVEL_TRACE = 3	/* per request */
};

/* In the order of --log-format's words: the first is the default. */
enum log_format {
	LOG_FORMAT_COMBINED = 0,	/* + request and hand-off times */
	LOG_FORMAT_COMMON = 1,		/* NCSA Common Log Format, exactly */
	LOG_FORMAT_JSON = 2		/* one JSON object per line */
};

#define LOG_LINE_MAX	2048	/* an error-log message; longer are cut */
#define LOG_ACCESS_MAX	4096	/* an access-log line, at most (PIPE_BUF) */

/* Destinations named by keyword rather than by a file's name. */
#define LOG_DEST_STDERR		"stderr"
#define LOG_DEST_STDOUT		"-"
#define LOG_DEST_SYSLOG		"syslog"	/* or "syslog:/path" */
#define LOG_SYSLOG_DEFAULT	"/dev/log"
/* Syslog facilities (RFC 5424 numbers): daemon, and local7 as nginx. */
#define LOG_FACILITY_ERROR	3
#define LOG_FACILITY_ACCESS	23
/* A lost syslog socket is reconnected at most this often, in seconds. */
#define LOG_RECONNECT_S		1

/*
 * Set up the error log on standard error at `level` (clamped to
 * LOG_LEVEL_WARN..LOG_LEVEL_TRACE).  Main thread, before any other
 * thread starts.  Returns 0.
 */
int	 log_init(int level);

/*
 * Whether `dest` names syslog ("syslog" or "syslog:PATH"); if so and
 * `path` is not NULL, *path is the socket's path.  Pure.
 */
int	 log_dest_is_syslog(const char *dest, const char **path);

/*
 * Send the error log to `dest`: "stderr" (nothing changes), "syslog",
 * "syslog:PATH" (a datagram socket connected now; if nothing listens yet
 * a warning goes to standard error and the socket is connected again
 * later), or a file opened for appending (created 0640).  Returns 0, or
 * -1 with errno.  Main thread, before other threads start.
 */
int	 log_open_error(const char *dest);

/*
 * Write the error log to what standard error is now (a daemon's
 * /dev/null after detaching), if that is where it goes.  Main thread,
 * before other threads start.
 */
void	 log_reset_stderr(void);

/* Lines dropped because a sink would have blocked.  Any thread. */
unsigned long long log_dropped(void);

/*
 * Open the access log, written in `format`: "-" is standard output,
 * "syslog" and "syslog:PATH" as for log_open_error, anything else a file
 * opened for appending (created 0640).  Returns 0, or -1 with errno.
 * Main thread, before workers start.
 */
int	 log_open_access(const char *dest, enum log_format format);

/*
 * Reopen the log files by name (after logrotate moved them; SIGUSR1)
 * under the same descriptors, and connect syslog sockets again.  A log
 * that cannot be reopened keeps its old file and is warned about.
 * Returns 0, or -1 if any failed.  Feeder only; workers may log
 * meanwhile.
 */
int	 log_reopen(void);

/* The directory a log file is created in ("." for a bare name).  Pure. */
void	 log_dirname(const char *path, char *dir, size_t len);

/*
 * Before the drop to uid: hand it the log files it must reopen later
 * (SIGUSR1), but only those it could create itself, in a directory it
 * owns (as the package's /var/log/sluice): fchown of the owner, the group
 * kept.  Returns how many were handed over.  Main thread.
 */
int	 log_hand_over(uid_t uid);

/*
 * A reload: the least severe level logged, and the access log's format.
 * Any thread may be logging meanwhile.  Feeder only.
 */
void	 log_set_level(int level);
void	 log_set_format(enum log_format);

/*
 * A reload names another destination for the access log (access) or the
 * error log: a file may move to another file, under the same descriptor.
 * Returns 0, -1 with errno (it cannot be opened; the old one stays), or
 * 1 when the change needs a restart (to or from anything but a file).
 * Feeder only.
 */
int	 log_move(bool access, const char *dest);

/* Whether messages of `level` are written.  Any thread. */
int	 log_is_enabled(enum log_level level);

/* Close the logs.  Main thread, after every worker has been joined. */
void	 log_close(void);

/* Error-log calls; any thread; errno is preserved. */
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_trace(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * Log and exit(1): start-up errors and broken invariants only.  When the
 * error log is not standard error the line goes to standard error too,
 * so that whoever started sluice sees why it stopped.
 */
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy `len` client-supplied bytes into dst (size dstlen, NUL-terminated)
 * so that they are safe in a log line: '"' and '\' are escaped, bytes
 * outside 0x20-0x7e become \xHH.  Never splits an escape.  Returns the
 * length written.  Pure.
 */
size_t	 log_escape(char *dst, size_t dstlen, const char *src, size_t len);

/*
 * The same for the inside of a JSON string: '"' and '\' are escaped,
 * bytes below 0x20, 0x7f and bytes from 0x80 become \u00XX (a byte B
 * from 0x80 reads as the code point B, so the line is always valid JSON
 * in UTF-8 and the original bytes can be recovered).  Pure.
 */
size_t	 log_escape_json(char *dst, size_t dstlen, const char *src,
	    size_t len);

/* One access-log record; slices are borrowed for the duration of the call. */
struct log_access {
	const char	*peer;		/* client address, NUL-terminated */
	time_t		 when;
	const char	*line;		/* request line as received */
	size_t		 line_len;
	int		 status;
	uint64_t	 bytes;		/* body bytes sent */
	const char	*referer;
	size_t		 referer_len;
	const char	*agent;
	size_t		 agent_len;
	int64_t		 request_us;	/* request time; -1: unknown */
	int64_t		 handoff_us;	/* accept to worker; -1: not first */
};

/* Whether an access log is open.  Any thread. */
int	 log_access_enabled(void);

/*
 * Write one access-log line in the format the log was opened with, with
 * one system call, escaping every client-supplied field.  Any thread.
 */
void	 log_access_write(const struct log_access *);

/*
 * Format one record in `format` into buf (size buflen >= 2: the line is
 * cut at an escape boundary to fit, and a JSON line stays valid up to
 * LOG_ACCESS_MAX), without the newline.  Returns the length written
 * (NUL-terminated).  Pure but for the local time zone.
 */
size_t	 log_access_format(char *buf, size_t buflen, enum log_format format,
	    const struct log_access *);

/*
 * The RFC 3164 header of a syslog datagram, "<PRI>Mmm dd hh:mm:ss
 * sluice[PID]: ", PRI being facility * 8 + severity, the time local.
 * Returns its length (NUL-terminated in buf).  Pure but for the time
 * zone.
 */
size_t	 log_syslog_header(char *buf, size_t buflen, int facility,
	    int severity, time_t when, long pid);

#endif /* SLUICE_LOG_H */
