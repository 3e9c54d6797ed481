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

struct feeder {
	struct event_base	*base;
	const struct conf	*conf;
	struct pool		*pool;
	struct status		*st;
	struct evconnlistener	*lev[CONF_MAX_LISTEN];
	size_t			 nlev;
	int			 efd;		/* doorbell from the workers */
	struct event		*ev_bell;
	struct event		*ev_flush;
	struct event		*ev_retry;
	struct event		*ev_deadline;
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
static void	 feeder_update(struct feeder *);
static void	 feeder_check_cap(struct feeder *);
static int	 feeder_listen(const struct conf_listen *, unsigned, char *,
		    size_t);
static void	 feeder_addr(const struct sockaddr *, char *, size_t);

int
feeder_fit_budget(struct conf *c, char *err, size_t errlen)
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
	/* Open files cached by the workers: at most a quarter of the rest. */
	cache = (uint64_t)CONF_CACHE_PER_WORKER * c->workers;
	if (cache > avail / 4)
		cache = avail / 4;
	c->cache_entries = (unsigned)(cache / c->workers);
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
	for (i = 0; i < conf->nlisten; i++) {
		fd = feeder_listen(&conf->listen[i], conf->backlog, err,
		    errlen);
		if (fd == -1)
			goto fail;
		/* Backlog 0: the socket is already listening. */
		f->lev[i] = evconnlistener_new(base, feeder_accept_cb, f,
		    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
		    LEV_OPT_DISABLED, 0, fd);
		if (f->lev[i] == NULL) {
			close(fd);
			snprintf(err, errlen, "cannot create a listener");
			goto fail;
		}
		evconnlistener_set_error_cb(f->lev[i], feeder_error_cb);
		f->nlev++;
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
	if (f->efd != -1)
		close(f->efd);
	if (f->base != NULL)
		event_base_free(f->base);
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

	(void)read(f->efd, &v, sizeof(v));
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
		log_info("SIGHUP ignored: reloading is not implemented yet");
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
