/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_CONN_H
#define SLUICE_CONN_H

/*
 * One connection's life on its worker's loop: read a request head, answer
 * it, idle between requests, and the timers of DESIGN.md (header deadline,
 * keep-alive, send stall, the /sleep route, the lingering close).
 *
 * Everything here runs on one worker's thread.  A struct conn belongs to
 * exactly one worker from conn_create to its close and is never touched by
 * another thread, so it has no lock.  The worker's shared state (its event
 * base, scratch buffers, the parsed request, the file cache) is a struct
 * conn_env that the pool fills.
 */

#include <sys/queue.h>
#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct conf;
struct conn;
struct event_base;
struct http_request;
struct mime;
struct serve;
struct status;

#define CONN_IN_INIT		2048	/* a connection's first input buffer */
#define CONN_IN_MAX		(32 * 1024) /* its largest; > HTTP_MAX_HEAD */
#define CONN_OUT_SCRATCH	(64 * 1024)	/* a worker's batch of heads */
#define CONN_SENDFILE_CHUNK	(512 * 1024)	/* per sendfile call */
#define CONN_WRITE_BUDGET	(2 * 1024 * 1024) /* per callback, fairness */
#define CONN_LINGER_MS		2000	/* drain after an error, at most */
#define CONN_LINGER_BYTES	(1024 * 1024)
#define CONN_SLEEP_PATH		"/sleep"	/* the demo slow route */
#define CONN_CONTINUE		"HTTP/1.1 100 Continue\r\n\r\n"
#define CONN_TRACE_LINE_MAX	200	/* request-line bytes in a trace */
#define CONN_PROXY_LOG_S	60	/* broken PROXY headers: one notice */

TAILQ_HEAD(conn_list, conn);

/* A worker's state shared by its connections.  Worker only. */
struct conn_env {
	struct event_base	*base;
	const struct conf	*conf;
	struct status		*st;
	struct serve		*serve;
	/* Called after each close, on the worker (pool's bookkeeping). */
	void			(*close_cb)(void *);
	void			*close_arg;
	struct conn_list	 conns;
	unsigned		 nconns;
	bool			 draining;	/* stopping: no new requests */
	time_t			 proxy_logged;	/* last broken-header notice */
	char			*in;		/* scratch: a read before a copy */
	char			*out;		/* scratch: heads, small bodies */
	size_t			 out_len;
	struct http_request	*req;		/* the request being answered */
};

/*
 * Set up env's buffers and its file server (the caller has filled base,
 * conf, st and close_cb; `mime` is borrowed and must outlive env).
 * Returns 0, or -1 with a reason in err.  conn_env_fini closes every
 * connection left and frees what init made.  Either thread that owns the
 * worker's life, while its loop is not running.
 */
int		 conn_env_init(struct conn_env *, const struct mime *,
		    char *err, size_t errlen);
void		 conn_env_fini(struct conn_env *);

/*
 * Serve with `conf` from now on (a reload): the next request reads the
 * new settings; responses in flight finish as they began.  Returns 0, or
 * -1 with a reason in err and the old configuration kept.  Worker only.
 */
int		 conn_env_reload(struct conn_env *, const struct conf *conf,
		    char *err, size_t errlen);

/*
 * Take ownership of the accepted, non-blocking socket fd and start serving
 * it.  `accepted` (CLOCK_MONOTONIC) starts the header deadline.  On
 * failure the socket is closed, env->close_cb is called, and -1 returned.
 * Worker only.
 */
int		 conn_create(struct conn_env *, int fd, const struct sockaddr *,
		    socklen_t, const struct timespec *accepted);

/*
 * Begin a graceful stop: close idle connections and those that have not
 * sent a byte, answer the rest with "Connection: close" and close them
 * when their response is out.  When none is left the worker's loop is
 * asked to exit.  Worker only.
 */
void		 conn_drain(struct conn_env *);

/* Close every connection now (the shutdown deadline).  Worker only. */
void		 conn_close_all(struct conn_env *);

#endif /* SLUICE_CONN_H */
