/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_FEEDER_H
#define SLUICE_FEEDER_H

/*
 * The feeder: the main thread's libevent loop.  It owns the listening
 * sockets, accepts without blocking in bounded batches, counts open
 * connections, hands each socket to the pool, pauses accept at the
 * connection cap (the kernel backlog holds the rest) and on descriptor
 * exhaustion, and turns signals into control messages for the workers.
 * It does no HTTP.  Every function here is "main thread only".
 */

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct feeder;
struct pool;
struct status;

#define FEEDER_BATCH		64	/* accepts per loop pass, at most */
#define FEEDER_RETRY_MS		500	/* after EMFILE/ENFILE */
#define FEEDER_FIXED_FDS	24	/* std fds, logs, event bases, slack */
#define FEEDER_FDS_PER_WORKER	8	/* epoll, timerfd, doorbell, docroot,
					   two for a listing, two for a walk */
#define FEEDER_RESUME_PCT	90	/* accept resumes below this % of the cap */
#define FEEDER_LOG_INTERVAL	60	/* seconds between repeated pause logs */
#define FEEDER_RETIRED		4	/* replaced configurations not yet freed */

/*
 * Read and check the configuration again (SIGHUP), `cur` being the one
 * running: a new struct conf in the heap that the feeder then owns, or
 * NULL with a reason in err.
 */
typedef struct conf	*(*feeder_load_fn)(void *arg, const struct conf *cur,
			    char *err, size_t errlen);

/*
 * Raise the soft RLIMIT_NOFILE to the hard one, then fit the descriptor
 * budget: lower conf->max_conns (saying so in the log) and set
 * conf->cache_entries so that listeners, workers, cached files and every
 * connection fit.  Returns 0, or -1 with a reason in err when not even one
 * connection fits.  Before pool_create; and on a reload, which keeps
 * conf->cache_entries (the workers' caches are made).
 */
int		 feeder_fit_budget(struct conf *, bool reload, char *err,
		    size_t errlen);

/*
 * Create the feeder's event base (after pool_create, which readies
 * libevent for threads) and bind and listen on every conf->listen address
 * (SO_REUSEADDR, IPV6_V6ONLY, backlog conf->backlog), or, for an entry
 * marked inherited, adopt its descriptor, already listening, and own it
 * from then on (if feeder_create fails, the inherited descriptors not yet
 * adopted stay open: the caller exits).  Under a service manager, also
 * arm the SYSTEMD_STATUS_S timer of the STATUS= line.  Returns NULL with
 * a reason in err.
 */
struct feeder	*feeder_create(const struct conf *, struct pool *,
		    struct status *, char *err, size_t errlen);

/*
 * Log the bound addresses and write the port file if asked (atomically
 * for a regular file), before privileges are dropped.  Returns 0, or -1
 * with a reason in err.
 */
int		 feeder_announce(struct feeder *, char *err, size_t errlen);

/*
 * SIGHUP reloads through `load`; without it SIGHUP is logged and ignored.
 * `dropped`: privileges are gone, so a port below 1024 cannot be bound.
 */
void		 feeder_set_loader(struct feeder *, feeder_load_fn, void *arg);
void		 feeder_set_dropped(struct feeder *, bool dropped);

/*
 * Open the gate and run the loop until
 * SIGTERM/SIGINT has stopped every worker (or the shutdown deadline
 * closed what was left).  Returns 0, or -1 with a reason in err.
 */
int		 feeder_run(struct feeder *, char *err, size_t errlen);

void		 feeder_destroy(struct feeder *);

#endif /* SLUICE_FEEDER_H */
