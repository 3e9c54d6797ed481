/* sluice - ISC licence, see COPYING. */

/*
 * The feeder (DESIGN.md, "Threads and the life of a connection").
 *
 * Accept.  An evconnlistener per address calls feeder_accept_cb once per
 * accepted socket, in a loop, until accept(2) would block or the callback
 * disables the listener.  Each socket is counted and queued to the pool;
 * at FEEDER_BATCH sockets the listeners are disabled for the rest of this
 * loop pass.  A flush event, made active by the first accept of a batch,
 * runs after the accept loop: it rings each touched worker's doorbell
 * once and re-enables the listeners.
 *
 * The gate.  At conf->max_conns open connections the listeners are
 * disabled and the kernel backlog holds the rest (the for_each_concurrent
 * limit).  Workers decrement the count on close and, seeing accept_paused,
 * ring the feeder's doorbell; after setting the flag the feeder re-checks
 * the count, so no wake-up is lost.  Accept resumes below 90 % of the cap.
 *
 * Descriptor exhaustion.  libevent treats EMFILE/ENFILE as fatal for a
 * listener and would spin on a level-triggered socket; the error callback
 * disables every listener and retries on a timer instead.
 */

#include "config.h"

#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "conf.h"
#include "feeder.h"
#include "log.h"
#include "pool.h"
#include "status.h"
#include "systemd.h"

struct feeder {
	struct event_base	*base;
	const struct conf	*conf;
	const struct conf	*initial;	/* the caller's: never freed */
	struct conf		*retired[FEEDER_RETIRED]; /* freed when unused */
	feeder_load_fn		 load;
	void			*load_arg;
	bool			 dropped;	/* privileges are gone */
	bool			 reloading;	/* workers yet to switch */
	unsigned		 reloads;	/* done, for the log */
	struct pool		*pool;
	struct status		*st;
	struct evconnlistener	*lev[CONF_MAX_LISTEN];
	struct conf_listen	 laddr[CONF_MAX_LISTEN]; /* what each is */
	size_t			 nlev;
	int			 efd;		/* doorbell from the workers */
	struct event		*ev_bell;
	struct event		*ev_flush;
	struct event		*ev_retry;
	struct event		*ev_deadline;
	struct event		*ev_status;	/* only under NOTIFY_SOCKET */
	struct event		*ev_sig[4];
	unsigned		 batch;
	bool			 flush_pending;
	bool			 batch_paused;
	bool			 cap_paused;
	bool			 fd_paused;
	bool			 enabled;
	bool			 stopping;
	unsigned		 resume_at;
	time_t			 last_cap_log;
	time_t			 last_fd_log;
};

static void	 feeder_accept_cb(struct evconnlistener *, evutil_socket_t,
		    struct sockaddr *, int, void *);
static void	 feeder_error_cb(struct evconnlistener *, void *);
static void	 feeder_flush_cb(evutil_socket_t, short, void *);
static void	 feeder_bell_cb(evutil_socket_t, short, void *);
static void	 feeder_retry_cb(evutil_socket_t, short, void *);
static void	 feeder_deadline_cb(evutil_socket_t, short, void *);
static void	 feeder_signal_cb(evutil_socket_t, short, void *);
static void	 feeder_status_cb(evutil_socket_t, short, void *);
static void	 feeder_update(struct feeder *);
static void	 feeder_check_cap(struct feeder *);
static int	 feeder_listen(const struct conf_listen *, unsigned, char *,
		    size_t);
static int	 feeder_adopt(const struct conf_listen *);
static void	 feeder_addr(const struct sockaddr *, char *, size_t);
static void	 feeder_reload(struct feeder *);
static int	 feeder_relisten(struct feeder *, struct conf *);
static void	 feeder_relog(const struct conf *, struct conf *);
static bool	 feeder_same(const struct conf_listen *,
		    const struct conf_listen *);
static void	 feeder_handover(struct feeder *, int);
static void	 feeder_gc(struct feeder *);
static int	 feeder_add_listener(struct feeder *, int,
		    const struct conf_listen *,
		    char *, size_t);

int
feeder_fit_budget(struct conf *c, bool reload, char *err, size_t errlen)
{
	struct rlimit	 rl;
	uint64_t	 limit, fixed, avail, cache, conns;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		snprintf(err, errlen, "getrlimit: %s", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	limit = rl.rlim_cur == RLIM_INFINITY ? (uint64_t)1 << 20 :
	    (uint64_t)rl.rlim_cur;
	fixed = FEEDER_FIXED_FDS + c->nlisten +
	    (uint64_t)c->workers * (FEEDER_FDS_PER_WORKER +
	    (c->vhost_root[0] != '\0' ? CONF_VHOST_FDS : 0));
	if (limit <= fixed + 1) {
		snprintf(err, errlen, "the descriptor limit (RLIMIT_NOFILE "
		    "%llu) leaves no room for a connection with %u workers; "
		    "raise it (ulimit -n) or lower --workers",
		    (unsigned long long)limit, c->workers);
		return -1;
	}
	avail = limit - fixed;
	/*
	 * Open files cached by the workers: at most a quarter of the rest;
	 * a reload keeps the caches the workers were made with.
	 */
	if (!reload) {
		cache = (uint64_t)CONF_CACHE_PER_WORKER * c->workers;
		if (cache > avail / 4)
			cache = avail / 4;
		c->cache_entries = (unsigned)(cache / c->workers);
	} else if ((uint64_t)c->cache_entries * c->workers >= avail) {
		snprintf(err, errlen, "the descriptor limit leaves no room "
		    "for a connection");
		return -1;
	}
	conns = avail - (uint64_t)c->cache_entries * c->workers;
	if (c->max_conns > conns) {
		log_info("--max-connections lowered from %u to %llu to fit "
		    "the descriptor limit (RLIMIT_NOFILE %llu)", c->max_conns,
		    (unsigned long long)conns, (unsigned long long)limit);
		c->max_conns = (unsigned)conns;
	}
	return 0;
}

struct feeder *
feeder_create(const struct conf *conf, struct pool *pool, struct status *st,
    char *err, size_t errlen)
{
	static const int	 sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGUSR1 };
	struct event_base	*base;
	struct feeder		*f;
	struct timeval		 tv;
	size_t			 i;
	int			 fd;

	if ((f = calloc(1, sizeof(*f))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->efd = -1;
	if ((base = f->base = event_base_new()) == NULL) {
		snprintf(err, errlen, "cannot create the feeder's event base");
		goto fail;
	}
	f->conf = conf;
	f->pool = pool;
	f->st = st;
	f->resume_at = (unsigned)((uint64_t)conf->max_conns *
	    FEEDER_RESUME_PCT / 100);
	if (f->resume_at >= conf->max_conns)
		f->resume_at = conf->max_conns - 1;
	f->initial = conf;
	for (i = 0; i < conf->nlisten; i++) {
		if (conf->listen[i].inherited)
			fd = feeder_adopt(&conf->listen[i]);
		else
			fd = feeder_listen(&conf->listen[i], conf->backlog,
			    err, errlen);
		if (fd == -1 || feeder_add_listener(f, fd, &conf->listen[i],
		    err, errlen) == -1)
			goto fail;
	}
	f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (f->efd == -1) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	f->ev_bell = event_new(base, f->efd, EV_READ | EV_PERSIST,
	    feeder_bell_cb, f);
	f->ev_flush = event_new(base, -1, 0, feeder_flush_cb, f);
	f->ev_retry = evtimer_new(base, feeder_retry_cb, f);
	f->ev_deadline = evtimer_new(base, feeder_deadline_cb, f);
	if (f->ev_bell == NULL || f->ev_flush == NULL || f->ev_retry == NULL ||
	    f->ev_deadline == NULL || event_add(f->ev_bell, NULL) == -1) {
		snprintf(err, errlen, "cannot create the feeder's events");
		goto fail;
	}
	if (systemd_is_notifying()) {
		tv.tv_sec = SYSTEMD_STATUS_S;
		tv.tv_usec = 0;
		f->ev_status = event_new(base, -1, EV_PERSIST,
		    feeder_status_cb, f);
		if (f->ev_status == NULL || event_add(f->ev_status, &tv) ==
		    -1) {
			snprintf(err, errlen, "cannot create the status timer");
			goto fail;
		}
	}
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		f->ev_sig[i] = evsignal_new(base, sigs[i], feeder_signal_cb, f);
		if (f->ev_sig[i] == NULL || event_add(f->ev_sig[i], NULL) ==
		    -1) {
			snprintf(err, errlen, "cannot handle signal %d",
			    sigs[i]);
			goto fail;
		}
	}
	pool_set_notify(pool, f->efd);
	return f;
 fail:
	feeder_destroy(f);
	return NULL;
}

int
feeder_announce(struct feeder *f, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct stat		 sb;
	socklen_t		 sl;
	char			 addr[INET6_ADDRSTRLEN + 16], line[16];
	char			 tmp[PATH_MAX + 32];
	const char		*path = f->conf->port_file, *dst;
	size_t			 i;
	int			 fd, n, port = -1;

	for (i = 0; i < f->nlev; i++) {
		sl = sizeof(ss);
		fd = evconnlistener_get_fd(f->lev[i]);
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
			snprintf(err, errlen, "getsockname: %s",
			    strerror(errno));
			return -1;
		}
		feeder_addr((struct sockaddr *)&ss, addr, sizeof(addr));
		if (port == -1)
			port = ntohs(ss.ss_family == AF_INET6 ?
			    ((struct sockaddr_in6 *)&ss)->sin6_port :
			    ((struct sockaddr_in *)&ss)->sin_port);
		log_info("listening on %s", addr);
	}
	log_info("serving %s with %u workers, at most %u connections",
	    f->conf->root, f->conf->workers, f->conf->max_conns);
	if (*path == '\0')
		return 0;
	/*
	 * A regular file is replaced atomically (a reader never sees it
	 * empty); anything else (a pipe through /proc/self/fd) is written.
	 */
	dst = path;
	if (stat(path, &sb) == -1 || S_ISREG(sb.st_mode)) {
		snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
		dst = tmp;
	}
	n = snprintf(line, sizeof(line), "%d\n", port);
	fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, line, (size_t)n) != n || close(fd) == -1 ||
	    (dst != path && rename(dst, path) == -1)) {
		snprintf(err, errlen, "--port-file: cannot write \"%s\": %s",
		    path, strerror(errno));
		if (dst != path)
			(void)unlink(dst);
		return -1;
	}
	return 0;
}

int
feeder_run(struct feeder *f, char *err, size_t errlen)
{
	feeder_update(f);
	if (f->ev_status != NULL)
		feeder_status_cb(-1, 0, f);
	if (event_base_dispatch(f->base) == -1) {
		snprintf(err, errlen, "the feeder's loop failed");
		return -1;
	}
	return 0;
}

void
feeder_destroy(struct feeder *f)
{
	size_t	 i;

	if (f == NULL)
		return;
	for (i = 0; i < f->nlev; i++)
		evconnlistener_free(f->lev[i]);
	for (i = 0; i < sizeof(f->ev_sig) / sizeof(f->ev_sig[0]); i++)
		if (f->ev_sig[i] != NULL)
			event_free(f->ev_sig[i]);
	if (f->ev_bell != NULL)
		event_free(f->ev_bell);
	if (f->ev_flush != NULL)
		event_free(f->ev_flush);
	if (f->ev_retry != NULL)
		event_free(f->ev_retry);
	if (f->ev_deadline != NULL)
		event_free(f->ev_deadline);
	if (f->ev_status != NULL)
		event_free(f->ev_status);
	if (f->efd != -1)
		close(f->efd);
	if (f->base != NULL)
		event_base_free(f->base);
	/* The workers are joined: nothing uses a configuration any more. */
	for (i = 0; i < FEEDER_RETIRED; i++)
		free(f->retired[i]);
	if (f->conf != f->initial)
		free((struct conf *)(uintptr_t)f->conf);
	free(f);
}

/*
 * One accepted socket (libevent calls this in its accept loop): count it,
 * queue it to a worker, and close the gate at the batch size or the cap.
 */
static void
feeder_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct feeder	*f = arg;
	struct timespec	 now;
	uint64_t	 open;

	clock_gettime(CLOCK_MONOTONIC, &now);
	open = atomic_fetch_add(&f->st->c[STATUS_OPEN], 1) + 1;
	status_inc(f->st, STATUS_ACCEPTED);
	(void)pool_dispatch(f->pool, fd, sa, (socklen_t)salen, &now);
	if (!f->flush_pending) {
		f->flush_pending = true;
		event_active(f->ev_flush, EV_TIMEOUT, 0);
	}
	if (++f->batch >= FEEDER_BATCH)
		f->batch_paused = true;
	if (open >= f->conf->max_conns && !f->cap_paused) {
		f->cap_paused = true;
		atomic_store(&f->st->accept_paused, true);
		status_inc(f->st, STATUS_CAP_PAUSES);
		if (now.tv_sec - f->last_cap_log >= FEEDER_LOG_INTERVAL ||
		    f->last_cap_log == 0) {
			f->last_cap_log = now.tv_sec;
			log_info("accept paused: %llu connections open "
			    "(--max-connections)", (unsigned long long)open);
		} else
			log_debug("accept paused: %llu connections open",
			    (unsigned long long)open);
	}
	if (f->batch_paused || f->cap_paused)
		feeder_update(f);
	if (f->cap_paused)
		feeder_check_cap(f);
}

/*
 * accept(2) failed with an error libevent does not retry (EMFILE, ENFILE,
 * ENOBUFS, ENOMEM): pause every listener and retry on a timer, rather
 * than spin on a listening socket that stays readable.
 */
static void
feeder_error_cb(struct evconnlistener *lev, void *arg)
{
	struct feeder	*f = arg;
	struct timeval	 tv;
	struct timespec	 now;
	int		 err = EVUTIL_SOCKET_ERROR();

	clock_gettime(CLOCK_MONOTONIC, &now);
	f->fd_paused = true;
	status_inc(f->st, STATUS_FD_PAUSES);
	if (now.tv_sec - f->last_fd_log >= FEEDER_LOG_INTERVAL ||
	    f->last_fd_log == 0) {
		f->last_fd_log = now.tv_sec;
		log_warnx("accept paused: %s: %s; retrying every %d ms",
		    err == EMFILE || err == ENFILE ? "out of file descriptors" :
		    "accept failed", strerror(err), FEEDER_RETRY_MS);
	} else
		log_debug("accept paused: %s", strerror(err));
	feeder_update(f);
	tv.tv_sec = FEEDER_RETRY_MS / 1000;
	tv.tv_usec = (FEEDER_RETRY_MS % 1000) * 1000;
	evtimer_add(f->ev_retry, &tv);
}

/* After an accept batch: wake the workers once each, accept again. */
static void
feeder_flush_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder	*f = arg;

	f->flush_pending = false;
	f->batch = 0;
	pool_flush(f->pool);
	if (f->batch_paused) {
		f->batch_paused = false;
		feeder_update(f);
	}
}

/* A worker closed a connection while paused, or a worker stopped. */
static void
feeder_bell_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder	*f = arg;
	uint64_t	 v;
	unsigned	 failed;

	/* Only resets the doorbell: EAGAIN means it was already reset. */
	if (read(f->efd, &v, sizeof(v)) == -1) {
	}
	feeder_gc(f);
	if (f->reloading && !pool_reloading(f->pool)) {
		f->reloading = false;
		f->reloads++;
		if ((failed = pool_reload_failures(f->pool)) == 0)
			log_info("reload %u done: every worker has taken it",
			    f->reloads);
		else
			log_warnx("reload %u done: %u of %u workers kept the "
			    "previous configuration (see above); send SIGHUP "
			    "again or restart", f->reloads, failed,
			    pool_size(f->pool));
	}
	if (f->stopping) {
		if (pool_running(f->pool) == 0)
			event_base_loopbreak(f->base);
		return;
	}
	if (f->cap_paused)
		feeder_check_cap(f);
}

/* The EMFILE retry timer: try accepting again. */
static void
feeder_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder	*f = arg;

	f->fd_paused = false;
	feeder_update(f);
}

/* --shutdown-timeout has passed since SIGTERM: close what is left. */
static void
feeder_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder	*f = arg;

	log_info("shutdown deadline: closing %llu connections",
	    (unsigned long long)status_get(f->st, STATUS_OPEN));
	pool_broadcast(f->pool, POOL_CTL_CLOSE);
}

/*
 * SIGTERM/SIGINT: stop accepting, let the workers drain, arm the
 * shutdown deadline; a second one closes everything at once.
 */
static void
feeder_signal_cb(evutil_socket_t sig, short what, void *arg)
{
	struct feeder	*f = arg;
	struct timeval	 tv;
	size_t		 i;

	if (sig == SIGUSR1) {
		/* log_reopen says what it could not reopen. */
		if (log_reopen() == 0)
			log_info("SIGUSR1: logs reopened");
		return;
	}
	if (sig == SIGHUP) {
		if (!f->stopping)
			feeder_reload(f);
		return;
	}
	if (f->stopping) {
		log_info("second stop signal: closing every connection now");
		pool_broadcast(f->pool, POOL_CTL_CLOSE);
		return;
	}
	f->stopping = true;
	log_info("stopping: %llu connections open",
	    (unsigned long long)status_get(f->st, STATUS_OPEN));
	systemd_stopping();
	if (f->ev_status != NULL)
		feeder_status_cb(-1, 0, f);
	/* Close the listeners: new clients are refused, not queued. */
	for (i = 0; i < f->nlev; i++)
		evconnlistener_free(f->lev[i]);
	f->nlev = 0;
	pool_flush(f->pool);
	pool_broadcast(f->pool, POOL_CTL_DRAIN);
	tv.tv_sec = f->conf->shutdown_timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(f->conf->shutdown_timeout_ms % 1000) * 1000;
	evtimer_add(f->ev_deadline, &tv);
	if (pool_running(f->pool) == 0)
		event_base_loopbreak(f->base);
}

/*
 * Every SYSTEMD_STATUS_S seconds under a service manager: the counters
 * and the state of the gate as its STATUS= line (sent only if changed).
 */
static void
feeder_status_cb(evutil_socket_t fd, short what, void *arg)
{
	struct feeder	*f = arg;

	systemd_status_update(f->st, f->stopping ? "stopping" :
	    f->fd_paused ? "accept paused (out of file descriptors)" :
	    f->cap_paused ? "accept paused (connection cap)" : "accepting");
}

/* Enable the listeners exactly when nothing holds the gate closed. */
static void
feeder_update(struct feeder *f)
{
	bool	 want = !f->stopping && !f->cap_paused && !f->fd_paused &&
		    !f->batch_paused;
	size_t	 i;

	if (want == f->enabled)
		return;
	for (i = 0; i < f->nlev; i++) {
		if (want)
			evconnlistener_enable(f->lev[i]);
		else
			evconnlistener_disable(f->lev[i]);
	}
	f->enabled = want;
}

/* Re-open the gate once enough connections have closed (hysteresis). */
static void
feeder_check_cap(struct feeder *f)
{
	if (status_get(f->st, STATUS_OPEN) > f->resume_at)
		return;
	f->cap_paused = false;
	atomic_store(&f->st->accept_paused, false);
	log_debug("accept resumed");
	feeder_update(f);
}

/* A listening socket for l; -1 with a reason in err. */
static int
feeder_listen(const struct conf_listen *l, unsigned backlog, char *err,
    size_t errlen)
{
	int	 fd, one = 1;

	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "--listen %s: socket: %s", l->spec,
		    strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/*
	 * Responses are whole writes, so Nagle would only delay them; on
	 * Linux accepted sockets inherit this, saving a call per connection.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
		    sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addrlen) == -1) {
		snprintf(err, errlen, "--listen %s: cannot bind: %s%s",
		    l->spec, strerror(errno), errno == EADDRINUSE ?
		    " (another server is on that port: stop it or choose "
		    "another port)" : errno == EACCES ? " (ports below 1024 "
		    "need root or CAP_NET_BIND_SERVICE)" : "");
		close(fd);
		return -1;
	}
	if (listen(fd, (int)backlog) == -1) {
		snprintf(err, errlen, "--listen %s: listen: %s", l->spec,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A socket the service manager bound and listens on (its backlog is the
 * .socket unit's Backlog=): only what feeder_listen sets for accepted
 * sockets to inherit.  The feeder owns it from here.
 */
static int
feeder_adopt(const struct conf_listen *l)
{
	int	 one = 1;

	(void)setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return l->fd;
}

/* "1.2.3.4:80" or "[::1]:80" for a log line. */
static void
feeder_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(buf, len, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, len, "%s:%u", host, ntohs(s4->sin_port));
	}
}

void
feeder_set_loader(struct feeder *f, feeder_load_fn load, void *arg)
{
	f->load = load;
	f->load_arg = arg;
}

void
feeder_set_dropped(struct feeder *f, bool dropped)
{
	f->dropped = dropped;
}

/* Wrap listening socket fd (ours from now on) in a disabled listener. */
static int
feeder_add_listener(struct feeder *f, int fd, const struct conf_listen *l,
    char *err, size_t errlen)
{
	struct evconnlistener	*lev;

	/* Backlog 0: the socket is already listening. */
	lev = evconnlistener_new(f->base, feeder_accept_cb, f,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_DISABLED,
	    0, fd);
	if (lev == NULL) {
		close(fd);
		snprintf(err, errlen, "cannot create a listener");
		return -1;
	}
	evconnlistener_set_error_cb(lev, feeder_error_cb);
	f->lev[f->nlev] = lev;
	f->laddr[f->nlev] = *l;
	f->nlev++;
	return 0;
}

/*
 * SIGHUP: read the configuration again and apply it without dropping a
 * connection.  What cannot change without a restart keeps its running
 * value (and is named); an invalid configuration changes nothing.  The
 * listeners are matched by address: kept, opened or closed (a closed
 * one's queued connections are taken first).  The workers switch through
 * their inboxes, each between two callbacks; the configuration they
 * leave is freed once none uses it (feeder_gc).
 */
static void
feeder_reload(struct feeder *f)
{
	struct conf	*next;
	const struct conf *old = f->conf;
	char		 err[2 * PATH_MAX], names[256];
	size_t		 i, slot = FEEDER_RETIRED;
	uint64_t	 open;

	if (f->load == NULL) {
		log_info("SIGHUP ignored: no configuration to reload");
		return;
	}
	feeder_gc(f);
	for (i = 0; i < FEEDER_RETIRED; i++)
		if (f->retired[i] == NULL)
			slot = i;
	if (pool_reloading(f->pool)) {
		log_warnx("reload refused: the workers are still taking the "
		    "previous one; send SIGHUP again later");
		return;
	}
	if (slot == FEEDER_RETIRED) {
		log_warnx("reload refused: %d earlier configurations are still "
		    "used by workers that could not switch; restart sluice",
		    FEEDER_RETIRED);
		return;
	}
	log_info("SIGHUP: reloading the configuration");
	systemd_reloading();
	if ((next = f->load(f->load_arg, old, err, sizeof(err))) == NULL) {
		log_warnx("reload failed: %s; still running the previous "
		    "configuration", err);
		systemd_ready();
		return;
	}
	/* The service manager's sockets stay, whatever --listen now says. */
	if (old->nlisten > 0 && old->listen[0].inherited) {
		memcpy(next->listen, old->listen, sizeof(next->listen));
		next->nlisten = old->nlisten;
	}
	if (conf_keep_restart(old, next, names, sizeof(names)) > 0)
		log_warnx("reload: restart required to change %s; applying "
		    "the rest", names);
	if (feeder_fit_budget(next, true, err, sizeof(err)) == -1) {
		log_warnx("reload failed: %s; still running the previous "
		    "configuration", err);
		free(next);
		systemd_ready();
		return;
	}
	feeder_relog(old, next);
	if (next->listen[0].inherited)
		log_debug("reload: the service manager's sockets are kept");
	else if (feeder_relisten(f, next) == -1)
		log_warnx("reload: the listeners are unchanged");
	/* From here on the workers may use next: it is committed. */
	(void)pool_reload(f->pool, next);
	f->reloading = true;
	f->conf = next;
	if (old != f->initial)
		f->retired[slot] = (struct conf *)(uintptr_t)old;
	f->resume_at = (unsigned)((uint64_t)next->max_conns *
	    FEEDER_RESUME_PCT / 100);
	if (f->resume_at >= next->max_conns)
		f->resume_at = next->max_conns - 1;
	open = status_get(f->st, STATUS_OPEN);
	if (open >= next->max_conns && !f->cap_paused) {
		f->cap_paused = true;
		atomic_store(&f->st->accept_paused, true);
		feeder_update(f);
		feeder_check_cap(f);
	} else if (f->cap_paused)
		feeder_check_cap(f);
	log_info("reloaded: serving %s, at most %u connections", next->root,
	    next->max_conns);
	systemd_ready();
}

/*
 * Make the listeners those of next: keep a listener whose address is
 * listed again, open the new ones, close the rest.  A new address that
 * cannot be bound is left out with a warning (after the privilege drop,
 * a port below 1024 needs a restart); if nothing would be left to listen
 * on, nothing changes (-1).  next->listen[] ends up naming what is open.
 */
static int
feeder_relisten(struct feeder *f, struct conf *next)
{
	struct evconnlistener	*keep[CONF_MAX_LISTEN];
	struct conf_listen	 kept[CONF_MAX_LISTEN], fresh[CONF_MAX_LISTEN];
	char			 err[512];
	bool			 used[CONF_MAX_LISTEN] = { false };
	int			 fds[CONF_MAX_LISTEN], fd;
	size_t			 i, k, nkeep = 0, nnew = 0;

	/* Match each wanted address to a listener, or bind it anew. */
	for (i = 0; i < next->nlisten; i++) {
		for (k = 0; k < f->nlev; k++)
			if (!used[k] && feeder_same(&f->laddr[k],
			    &next->listen[i]))
				break;
		if (k < f->nlev) {
			used[k] = true;
			/* A new backlog applies to a listening socket. */
			(void)listen(evconnlistener_get_fd(f->lev[k]),
			    (int)next->backlog);
			keep[nkeep] = f->lev[k];
			kept[nkeep++] = next->listen[i];
			continue;
		}
		fd = feeder_listen(&next->listen[i], next->backlog, err,
		    sizeof(err));
		if (fd == -1) {
			log_warnx("reload: %s%s", err, f->dropped &&
			    errno == EACCES ? "; restart required" : "");
			continue;
		}
		fds[nnew] = fd;
		fresh[nnew++] = next->listen[i];
	}
	if (nkeep + nnew == 0) {
		/* Keep listening where we do, and say so in -T terms. */
		memcpy(next->listen, f->laddr, sizeof(next->listen));
		next->nlisten = f->nlev;
		return -1;
	}
	/* Close the listeners no longer wanted, their queue handed over. */
	for (k = 0; k < f->nlev; k++) {
		if (used[k])
			continue;
		log_info("reload: no longer listening on %s",
		    f->laddr[k].spec);
		feeder_handover(f, evconnlistener_get_fd(f->lev[k]));
		evconnlistener_free(f->lev[k]);
	}
	/* The kept ones, in the order of next->listen, then the new. */
	for (i = 0; i < nkeep; i++) {
		f->lev[i] = keep[i];
		f->laddr[i] = kept[i];
	}
	f->nlev = nkeep;
	for (i = 0; i < nnew; i++) {
		if (feeder_add_listener(f, fds[i], &fresh[i], err,
		    sizeof(err)) == -1) {
			log_warnx("reload: --listen %s: %s", fresh[i].spec,
			    err);
			continue;
		}
		if (f->enabled)
			evconnlistener_enable(f->lev[f->nlev - 1]);
		log_info("reload: listening on %s", fresh[i].spec);
	}
	memcpy(next->listen, f->laddr, sizeof(next->listen));
	next->nlisten = f->nlev;
	return 0;
}

/*
 * Whether the listener bound as `had` is the one l asks for: the same
 * family, address and port however they are written ("[::]:80" and
 * "[0::]:80"), or, for "any port", the same words.
 */
static bool
feeder_same(const struct conf_listen *had, const struct conf_listen *l)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (strcmp(had->spec, l->spec) == 0)
		return true;
	if (had->addr.ss_family != l->addr.ss_family)
		return false;
	if (l->addr.ss_family == AF_INET) {
		a4 = (const void *)&had->addr;
		b4 = (const void *)&l->addr;
		return a4->sin_port != 0 && a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	}
	a6 = (const void *)&had->addr;
	b6 = (const void *)&l->addr;
	return a6->sin6_port != 0 && a6->sin6_port == b6->sin6_port &&
	    memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) ==
	    0;
}

/*
 * A listener is about to close: accept what its queue holds and hand it
 * to the workers like any connection, so that no client in the backlog
 * is reset.  Bounded by the backlog; the socket is non-blocking.
 */
static void
feeder_handover(struct feeder *f, int lfd)
{
	struct sockaddr_storage	 ss;
	struct timespec		 now;
	socklen_t		 sl;
	int			 fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK |
		    SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		atomic_fetch_add(&f->st->c[STATUS_OPEN], 1);
		status_inc(f->st, STATUS_ACCEPTED);
		(void)pool_dispatch(f->pool, fd, (struct sockaddr *)&ss, sl,
		    &now);
	}
	pool_flush(f->pool);
}

/* Free the replaced configurations that no worker serves with. */
static void
feeder_gc(struct feeder *f)
{
	size_t	 i;

	for (i = 0; i < FEEDER_RETIRED; i++) {
		if (f->retired[i] != NULL && !pool_uses(f->pool,
		    f->retired[i])) {
			free(f->retired[i]);
			f->retired[i] = NULL;
		}
	}
}

/*
 * The logs' part of a reload: level and format change at once; a log
 * file may move to another file; any other change of destination keeps
 * the running one (restart required), as does a file that cannot be
 * opened.
 */
static void
feeder_relog(const struct conf *old, struct conf *next)
{
	struct {
		bool	 access;
		char	*dest;
		const char *was, *name;
	} m[] = {
		{ true, next->access_log, old->access_log, "access-log" },
		{ false, next->error_log, old->error_log, "error-log" },
	};
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		if (strcmp(m[i].dest, m[i].was) == 0)
			continue;
		r = m[i].dest[0] == '\0' || m[i].was[0] == '\0' ? 1 :
		    log_move(m[i].access, m[i].dest);
		if (r == 0) {
			log_info("reload: --%s is now \"%s\"", m[i].name,
			    m[i].dest);
			continue;
		}
		if (r == 1)
			log_warnx("reload: restart required to change --%s "
			    "from \"%s\" to \"%s\"", m[i].name, m[i].was,
			    m[i].dest);
		else
			log_warn("reload: --%s: cannot open \"%s\"; still "
			    "writing to \"%s\"", m[i].name, m[i].dest,
			    m[i].was);
		snprintf(m[i].dest, PATH_MAX, "%s", m[i].was);
	}
	log_set_format((enum log_format)next->log_format);
	log_set_level(next->log_level + next->verbose);
}
