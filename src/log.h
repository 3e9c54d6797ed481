/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_LOG_H
#define SLUICE_LOG_H

/*
 * The error log (standard error) and the access log.  Any thread may log:
 * each line is formatted on the caller's stack and written with one
 * write(2).  A sink that is a pipe or a terminal is written through a
 * non-blocking descriptor of its own, so a stalled reader never stalls an
 * event loop: a line that does not fit is dropped and counted.  Regular
 * files are appended to directly (the accepted exception in DESIGN.md).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum log_level {
	LOG_LEVEL_WARN = 0,
	LOG_LEVEL_INFO = 1,	/* default: start-up, shutdown, pauses */
	LOG_LEVEL_DEBUG = 2,	/* -v: per-connection events */
	LOG_LEVEL_TRACE = 3	/* -vv: per request */
};

#define LOG_LINE_MAX	2048	/* longer lines are truncated */

/*
 * Set up the error log on standard error.  `verbose` is the number of -v.
 * Main thread, before any other thread starts.  Returns 0.
 */
int	 log_init(int verbose);

/*
 * Write the error log to what standard error is now (a daemon's
 * /dev/null after detaching).  Main thread, before other threads start.
 */
void	 log_reset_stderr(void);

/* Lines dropped because a sink would have blocked.  Any thread. */
unsigned long long log_dropped(void);

/*
 * Open the access log: "-" is standard output, anything else a file
 * opened for appending (created 0640).  Returns 0, or -1 with errno.
 * Main thread, before workers start.
 */
int	 log_open_access(const char *path);

/*
 * Reopen the access log's file by name (after logrotate moved it; SIGUSR1)
 * under the same descriptor.  Returns 0, or -1 with errno (the old file
 * stays in use).  Feeder only; workers may log meanwhile.
 */
int	 log_reopen(void);

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
/* Log and exit(1): start-up errors and broken invariants only. */
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Copy `len` client-supplied bytes into dst (size dstlen, NUL-terminated)
 * so that they are safe in a log line: '"' and '\' are escaped, bytes
 * outside 0x20-0x7e become \xHH.  Returns the length written.  Pure.
 */
size_t	 log_escape(char *dst, size_t dstlen, const char *src, size_t len);

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
};

/* Whether an access log is open.  Any thread. */
int	 log_access_enabled(void);

/*
 * Write one line in the Combined Log Format with one write(2), escaping
 * every client-supplied field.  Any thread.
 */
void	 log_access_write(const struct log_access *);

#endif /* SLUICE_LOG_H */
