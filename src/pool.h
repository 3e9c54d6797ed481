/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_POOL_H
#define SLUICE_POOL_H

/*
 * The worker threads and their inboxes.  Each worker runs its own libevent
 * loop and owns the connections handed to it until they close.  The
 * feeder reaches a worker only through its inbox (a mutex-protected list
 * and an eventfd doorbell) and the atomic counters; a worker reaches the
 * feeder only through the counters and the doorbell the feeder registers
 * here (pool_set_notify).  The pool knows no HTTP.
 */

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct conf;
struct mime;
struct pool;
struct status;

enum pool_ctl {
	POOL_CTL_DRAIN = 1,	/* graceful stop: finish in-flight, then exit */
	POOL_CTL_CLOSE = 2,	/* close everything now and exit */
	POOL_CTL_RELOAD = 4	/* take the configuration pool_reload left */
};

/*
 * Create `conf->workers` workers (event bases, file caches, inboxes), no
 * thread yet; readies libevent for threads first, so it comes before any
 * other event base.  Returns NULL with a reason in err.  Main thread.
 */
struct pool	*pool_create(const struct conf *, const struct mime *,
		    struct status *, char *err, size_t errlen);

/*
 * Register the feeder's doorbell: an eventfd that a worker writes to after
 * a close while accept is paused, and when its thread is about to exit.
 * Main thread, before pool_start.
 */
void		 pool_set_notify(struct pool *, int efd);

/*
 * Start the threads.  The caller blocks signals first so that the workers
 * never see one.  Returns 0, or -1 with a reason in err (the threads that
 * started are stopped and joined).  Main thread.
 */
int		 pool_start(struct pool *, char *err, size_t errlen);

/*
 * Queue socket fd for the worker with the fewest connections (counted
 * here, at dispatch; round-robin among equals).  Ownership of fd passes to
 * the pool, even on failure (-1: it is closed and counted as closed).  The
 * worker is not woken until pool_flush.  Feeder only.
 */
int		 pool_dispatch(struct pool *, int fd, const struct sockaddr *,
		    socklen_t, const struct timespec *accepted);

/*
 * Ring the doorbell of every worker given sockets since the last flush.
 * Feeder only.
 */
void		 pool_flush(struct pool *);

/* Send a control message to every worker.  Feeder only. */
void		 pool_broadcast(struct pool *, enum pool_ctl);

/*
 * Hand every worker the reloaded configuration `conf` through its inbox;
 * each switches to it between callbacks (or keeps its own and logs why)
 * and rings the feeder's doorbell.  conf must live while pool_uses says
 * so.  Returns -1 (nothing sent) while a worker has yet to take the last
 * one.  Feeder only.
 */
int		 pool_reload(struct pool *, const struct conf *conf);

/*
 * Workers that could not take the last pool_reload's configuration (and
 * kept theirs); final once pool_reloading is false.  Any thread.
 */
unsigned	 pool_reload_failures(struct pool *);

/* Whether a worker has yet to take the last pool_reload's.  Feeder. */
bool		 pool_reloading(struct pool *);

/*
 * Whether a worker still serves with `conf` or has yet to take it.  Any
 * thread (the feeder frees a replaced configuration once no worker does).
 */
bool		 pool_uses(struct pool *, const struct conf *conf);

/* Threads still running their loop.  Any thread. */
unsigned	 pool_running(struct pool *);

/* Join every thread (after they were asked to stop).  Main thread. */
void		 pool_join(struct pool *);

/* Free everything; NULL is a no-op.  Main thread, after pool_join. */
void		 pool_destroy(struct pool *);

/* The number of workers, and worker i's open connections.  Any thread. */
unsigned	 pool_size(struct pool *);
unsigned	 pool_load(struct pool *, unsigned i);

#endif /* SLUICE_POOL_H */
