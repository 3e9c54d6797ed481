/* sluice - ISC licence, see COPYING. */

/*
 * The worker pool: N pthreads, each with its own libevent loop (the async
 * executor's threads of the seed, in C).
 *
 * Hand-off.  The feeder appends an accepted socket to a worker's inbox
 * under the inbox mutex and marks the worker touched; pool_flush, once
 * per accept batch, rings each touched worker's eventfd once.  The worker
 * resets its eventfd *before* it takes the inbox, so a socket queued
 * after the take rings again and no wake-up is lost.  The load of each
 * worker is an atomic counted at dispatch (not when the worker drains the
 * inbox), so a burst spreads even before any worker has run.
 *
 * Lock order.  There is one kind of lock: each worker's inbox mutex.  No
 * thread ever holds two of them, and none is held across I/O, a callback,
 * a log call or an allocation.  Everything else the threads share is an
 * atomic (struct status, the loads, the running count).
 *
 * A worker's event base is used by that worker's thread only (after
 * pool_start), so it is created without locks.
 */

#include "config.h"

#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "conf.h"
#include "conn.h"
#include "log.h"
#include "pool.h"
#include "status.h"

struct pool_item {
	int			 fd;
	socklen_t		 salen;
	struct sockaddr_storage	 sa;
	struct timespec		 accepted;
	STAILQ_ENTRY(pool_item)	 next;
};

STAILQ_HEAD(pool_inbox, pool_item);

struct worker {
	struct pool		*pool;
	unsigned		 id;
	pthread_t		 thread;
	bool			 started;
	struct event_base	*base;
	struct event		*ev_inbox;
	int			 efd;		/* doorbell */
	struct conn_env		 env;
	atomic_uint		 load;		/* dispatched, not yet closed */
	bool			 touched;	/* feeder only: ring at flush */

	pthread_mutex_t		 lock;		/* protects inbox, ctl, next */
	struct pool_inbox	 inbox;
	int			 ctl;		/* enum pool_ctl bits */
	const struct conf	*next;		/* POOL_CTL_RELOAD's */
	/* The configuration env.conf is: the worker's to write. */
	_Atomic(const struct conf *) active;
};

struct pool {
	const struct conf	*conf;
	struct status		*st;
	struct worker		*workers;
	unsigned		 n;
	unsigned		 rr;		/* feeder only: tie breaker */
	int			 notify;	/* feeder's doorbell, or -1 */
	atomic_uint		 running;
	atomic_uint		 reload_failed;	/* workers that kept theirs */
};

static void	*pool_main(void *);
static void	 pool_inbox_cb(evutil_socket_t, short, void *);
static void	 pool_closed_cb(void *);
static void	 pool_ring(int);

struct pool *
pool_create(const struct conf *conf, const struct mime *mime,
    struct status *st, char *err, size_t errlen)
{
	struct pool		*p;
	struct worker		*w;
	struct event_config	*cfg = NULL;
	unsigned		 i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->workers = calloc(conf->workers, sizeof(*p->workers))) ==
	    NULL) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->conf = conf;
	p->st = st;
	p->notify = -1;
	atomic_init(&p->running, 0);
	/* Before the first event base of the process (DESIGN.md). */
	if (evthread_use_pthreads() == -1) {
		snprintf(err, errlen, "libevent has no pthreads support");
		goto fail;
	}
	if ((cfg = event_config_new()) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
	/*
	 * Timers from the precise monotonic clock: the coarse one libevent
	 * uses by default lags by up to a tick (4 ms), so a deadline could
	 * fire that much early (/sleep 1 answered after 996 ms).  Costs a
	 * timerfd per worker.
	 */
	event_config_set_flag(cfg, EVENT_BASE_FLAG_PRECISE_TIMER);
	for (i = 0; i < conf->workers; i++) {
		w = &p->workers[i];
		w->pool = p;
		w->id = i;
		w->efd = -1;
		atomic_init(&w->load, 0);
		STAILQ_INIT(&w->inbox);
		pthread_mutex_init(&w->lock, NULL);
		p->n++;
		if ((w->base = event_base_new_with_config(cfg)) == NULL) {
			snprintf(err, errlen, "cannot create an event base");
			goto fail;
		}
		w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (w->efd == -1) {
			snprintf(err, errlen, "eventfd: %s", strerror(errno));
			goto fail;
		}
		w->ev_inbox = event_new(w->base, w->efd, EV_READ | EV_PERSIST,
		    pool_inbox_cb, w);
		if (w->ev_inbox == NULL || event_add(w->ev_inbox, NULL) == -1) {
			snprintf(err, errlen, "cannot add the inbox event");
			goto fail;
		}
		w->env.base = w->base;
		w->env.conf = conf;
		atomic_store(&w->active, conf);
		w->env.st = st;
		w->env.close_cb = pool_closed_cb;
		w->env.close_arg = w;
		if (conn_env_init(&w->env, mime, err, errlen) == -1)
			goto fail;
	}
	event_config_free(cfg);
	return p;
 fail:
	if (cfg != NULL)
		event_config_free(cfg);
	pool_destroy(p);
	return NULL;
}

void
pool_set_notify(struct pool *p, int efd)
{
	p->notify = efd;
}

int
pool_start(struct pool *p, char *err, size_t errlen)
{
	struct worker	*w;
	unsigned	 i;
	int		 rc;

	for (i = 0; i < p->n; i++) {
		w = &p->workers[i];
		atomic_fetch_add(&p->running, 1);
		rc = pthread_create(&w->thread, NULL, pool_main, w);
		if (rc != 0) {
			atomic_fetch_sub(&p->running, 1);
			snprintf(err, errlen, "cannot start worker %u: %s", i,
			    strerror(rc));
			pool_broadcast(p, POOL_CTL_CLOSE);
			pool_join(p);
			return -1;
		}
		w->started = true;
	}
	return 0;
}

int
pool_dispatch(struct pool *p, int fd, const struct sockaddr *sa,
    socklen_t salen, const struct timespec *accepted)
{
	struct pool_item	*it;
	struct worker		*w, *best = NULL;
	unsigned		 i, k, load, best_load = UINT32_MAX;

	for (k = 0; k < p->n; k++) {
		i = (p->rr + k) % p->n;
		load = atomic_load(&p->workers[i].load);
		if (load < best_load) {
			best = &p->workers[i];
			best_load = load;
		}
	}
	w = best;
	p->rr = (w->id + 1) % p->n;
	if ((it = malloc(sizeof(*it))) == NULL) {
		close(fd);
		atomic_fetch_sub(&p->st->c[STATUS_OPEN], 1);
		return -1;
	}
	it->fd = fd;
	if (salen > (socklen_t)sizeof(it->sa))
		salen = sizeof(it->sa);
	memcpy(&it->sa, sa, salen);
	it->salen = salen;
	it->accepted = *accepted;
	atomic_fetch_add(&w->load, 1);
	pthread_mutex_lock(&w->lock);
	STAILQ_INSERT_TAIL(&w->inbox, it, next);
	pthread_mutex_unlock(&w->lock);
	w->touched = true;
	return (int)w->id;
}

void
pool_flush(struct pool *p)
{
	unsigned	 i;

	for (i = 0; i < p->n; i++) {
		if (p->workers[i].touched) {
			p->workers[i].touched = false;
			pool_ring(p->workers[i].efd);
		}
	}
}

void
pool_broadcast(struct pool *p, enum pool_ctl ctl)
{
	struct worker	*w;
	unsigned	 i;

	for (i = 0; i < p->n; i++) {
		w = &p->workers[i];
		pthread_mutex_lock(&w->lock);
		w->ctl |= (int)ctl;
		pthread_mutex_unlock(&w->lock);
		pool_ring(w->efd);
	}
}

bool
pool_reloading(struct pool *p)
{
	struct worker	*w;
	unsigned	 i;
	bool		 busy = false;

	for (i = 0; i < p->n && !busy; i++) {
		w = &p->workers[i];
		pthread_mutex_lock(&w->lock);
		busy = w->next != NULL;
		pthread_mutex_unlock(&w->lock);
	}
	return busy;
}

int
pool_reload(struct pool *p, const struct conf *conf)
{
	struct worker	*w;
	unsigned	 i;

	/*
	 * Only the feeder sets `next` and only its worker clears it, once
	 * applied: so a configuration is always either pending here or
	 * active, never only in a worker's hands, and pool_uses is exact.
	 */
	if (pool_reloading(p))
		return -1;
	atomic_store(&p->reload_failed, 0);
	for (i = 0; i < p->n; i++) {
		w = &p->workers[i];
		pthread_mutex_lock(&w->lock);
		w->next = conf;
		w->ctl |= POOL_CTL_RELOAD;
		pthread_mutex_unlock(&w->lock);
		pool_ring(w->efd);
	}
	return 0;
}

unsigned
pool_reload_failures(struct pool *p)
{
	return atomic_load(&p->reload_failed);
}

bool
pool_uses(struct pool *p, const struct conf *conf)
{
	struct worker	*w;
	unsigned	 i;
	bool		 uses = false;

	for (i = 0; i < p->n && !uses; i++) {
		w = &p->workers[i];
		if (atomic_load(&w->active) == conf)
			uses = true;
		pthread_mutex_lock(&w->lock);
		if (w->next == conf)
			uses = true;
		pthread_mutex_unlock(&w->lock);
	}
	return uses;
}

unsigned
pool_running(struct pool *p)
{
	return atomic_load(&p->running);
}

void
pool_join(struct pool *p)
{
	unsigned	 i;

	for (i = 0; i < p->n; i++) {
		if (p->workers[i].started) {
			pthread_join(p->workers[i].thread, NULL);
			p->workers[i].started = false;
		}
	}
}

void
pool_destroy(struct pool *p)
{
	struct worker		*w;
	struct pool_item	*it;
	unsigned		 i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		w = &p->workers[i];
		/* Sockets never taken from the inbox are still ours. */
		while ((it = STAILQ_FIRST(&w->inbox)) != NULL) {
			STAILQ_REMOVE_HEAD(&w->inbox, next);
			close(it->fd);
			atomic_fetch_sub(&p->st->c[STATUS_OPEN], 1);
			free(it);
		}
		conn_env_fini(&w->env);
		if (w->ev_inbox != NULL)
			event_free(w->ev_inbox);
		if (w->efd != -1)
			close(w->efd);
		if (w->base != NULL)
			event_base_free(w->base);
		pthread_mutex_destroy(&w->lock);
	}
	free(p->workers);
	free(p);
}

unsigned
pool_size(struct pool *p)
{
	return p->n;
}

unsigned
pool_load(struct pool *p, unsigned i)
{
	return i < p->n ? atomic_load(&p->workers[i].load) : 0;
}

/* A worker thread: its loop, until a control message ends it. */
static void *
pool_main(void *arg)
{
	struct worker	*w = arg;
	struct pool	*p = w->pool;

	event_base_dispatch(w->base);
	conn_close_all(&w->env);
	log_debug("worker %u stopped", w->id);
	atomic_fetch_sub(&p->running, 1);
	if (p->notify != -1)
		pool_ring(p->notify);
	return NULL;
}

/* The doorbell rang: take the inbox and the control bits, act on them. */
static void
pool_inbox_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker		*w = arg;
	struct pool_inbox	 items;
	struct pool_item	*it;
	const struct conf	*next;
	char			 err[PATH_MAX + 128];
	uint64_t		 v;
	int			 ctl;

	/* Reset before taking, so that a later hand-off rings again. */
	if (read(w->efd, &v, sizeof(v)) == -1) {
		/* EAGAIN: not rung since the last take; take anyway. */
	}
	STAILQ_INIT(&items);
	pthread_mutex_lock(&w->lock);
	STAILQ_CONCAT(&items, &w->inbox);
	ctl = w->ctl;
	w->ctl = 0;
	next = w->next;
	pthread_mutex_unlock(&w->lock);

	if (ctl & POOL_CTL_RELOAD) {
		if (conn_env_reload(&w->env, next, err, sizeof(err)) == 0)
			atomic_store(&w->active, next);
		else {
			log_warnx("worker %u: reload: %s; this worker keeps "
			    "the previous configuration", w->id, err);
			atomic_fetch_add(&w->pool->reload_failed, 1);
		}
		/* Only now may the feeder free what it replaced. */
		pthread_mutex_lock(&w->lock);
		w->next = NULL;
		pthread_mutex_unlock(&w->lock);
		if (w->pool->notify != -1)
			pool_ring(w->pool->notify);
	}

	while ((it = STAILQ_FIRST(&items)) != NULL) {
		STAILQ_REMOVE_HEAD(&items, next);
		if (w->env.draining) {
			close(it->fd);
			pool_closed_cb(w);
		} else
			(void)conn_create(&w->env, it->fd,
			    (struct sockaddr *)&it->sa, it->salen,
			    &it->accepted);
		free(it);
	}
	if (ctl & POOL_CTL_CLOSE) {
		conn_close_all(&w->env);
		event_base_loopbreak(w->base);
	} else if (ctl & POOL_CTL_DRAIN)
		conn_drain(&w->env);
}

/* A connection of this worker closed (conn's close callback). */
static void
pool_closed_cb(void *arg)
{
	struct worker	*w = arg;
	struct pool	*p = w->pool;

	atomic_fetch_sub(&w->load, 1);
	atomic_fetch_sub(&p->st->c[STATUS_OPEN], 1);
	/*
	 * The feeder sets accept_paused before it re-checks the count, so
	 * either it sees this close or we see the flag (both seq_cst).
	 */
	if (p->notify != -1 && atomic_load(&p->st->accept_paused))
		pool_ring(p->notify);
}

/* Ring an eventfd doorbell; never blocks. */
static void
pool_ring(int efd)
{
	uint64_t	 one = 1;
	ssize_t		 n;

	do
		n = write(efd, &one, sizeof(one));
	while (n == -1 && errno == EINTR);
	/* EAGAIN: the counter is saturated, so it is ringing anyway. */
}
