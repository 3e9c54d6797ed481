/* sluice - ISC licence, see COPYING. */

/*
 * A connection's state machine, on its worker's libevent loop.
 *
 *   READING --head--> (answer) --flushed--> IDLE --byte--> READING ...
 *                        |  \--blocked--> WRITING --flushed--^
 *                        \--/sleep--> SLEEPING --timer--> (answer)
 *   an error that closes: (answer) --flushed--> LINGERING --> closed
 *
 * Reads go first into the worker's scratch buffer; only bytes left over
 * (a partial head, or pipelined requests waiting behind a blocked write)
 * are copied into a buffer of the connection's own, which is freed as
 * soon as it is empty.  Heads and small bodies are assembled in the
 * worker's scratch output buffer and sent with one sendmsg (a writev);
 * only what the socket does not take is copied to the connection.  So an
 * idle connection holds no buffer, and a request that is answered at once
 * allocates nothing.  Large bodies go out with sendfile after the head
 * (sent with MSG_MORE), a bounded amount per callback so that one fast
 * reader cannot starve the others.
 *
 * Each connection has one io event (read or write interest, as its state
 * needs) and one timer whose meaning follows the state.  Functions that
 * may close the connection return -1 when they did; the caller must not
 * touch it afterwards.  Worker thread only.
 */

#include "config.h"

#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "chunked.h"
#include "conf.h"
#include "conn.h"
#include "http.h"
#include "log.h"
#include "proxy.h"
#include "serve.h"
#include "status.h"

_Static_assert(CONN_IN_MAX > HTTP_MAX_HEAD,
    "a connection's buffer must hold the largest head the parser allows");
_Static_assert(CONN_IN_MAX > PROXY_MAX,
    "a connection's buffer must hold the largest PROXY header");

enum conn_state {
	CONN_READING,	/* waiting for (the rest of) a head, or a body */
	CONN_IDLE,	/* keep-alive, no byte of the next request yet */
	CONN_WRITING,	/* output blocked */
	CONN_SLEEPING,	/* the /sleep route's timer */
	CONN_LINGERING	/* error sent, write side shut, draining input */
};

struct conn {
	struct conn_env		*env;
	int			 fd;
	enum conn_state		 state;
	struct event		 ev_io;
	short			 io_what;	/* interest ev_io is added with */
	struct event		 ev_timer;

	char			*in;		/* leftover input, or NULL */
	size_t			 in_len, in_cap;
	char			*out;		/* unsent output, or NULL */
	size_t			 out_off, out_len;
	const char		*pend;		/* small body after scratch heads */
	size_t			 pend_len;
	const struct fcache_entry *pend_ref;	/* what pend points into */
	char			*pend_heap;	/* pend's own buffer, or NULL */
	int			 body_fd;	/* a large body to sendfile */
	off_t			 body_off;
	uint64_t		 body_left;
	const struct serve_part	*parts;		/* multipart: pieces in order */
	size_t			 nparts, ipart;
	uint64_t		 part_done;	/* bytes of parts[ipart] sent */
	char			*parts_heap;
	const struct fcache_entry *body_ref;	/* pinned for the body */
	bool			 chunked;	/* dropping a chunked body */
	struct chunked	 ck;
	uint64_t		 discard;	/* request body bytes to drop */
	size_t			 lingered;

	struct timespec		 deadline;	/* of the head being read */
	bool			 deadline_set;
	bool			 got_bytes;	/* part of a head arrived */
	bool			 close_after;	/* once the output is out */
	bool			 linger_after;
	bool			 proxy_wait;	/* PROXY header not in yet */
	bool			 sleep_head;	/* /sleep: HEAD, version, k-a */
	int			 sleep_minor;
	bool			 sleep_keep_alive;

	/* For the access log (see conn_log for what they measure). */
	struct timespec		 req_start;	/* of the request being read */
	bool			 req_open;	/* req_start is set */
	int64_t			 handoff_us;	/* -1 after the first request */

	char			 peer[INET6_ADDRSTRLEN + 8];
	TAILQ_ENTRY(conn)	 entry;
};

static void	 conn_io_cb(evutil_socket_t, short, void *);
static void	 conn_timer_cb(evutil_socket_t, short, void *);
static int	 conn_on_read(struct conn *);
static int	 conn_proxy(struct conn *, char *, size_t);
static int	 conn_run(struct conn *, char *, size_t);
static int	 conn_answer(struct conn *, struct http_request *);
static void	 conn_error(struct conn *, int, int, bool);
static void	 conn_queue(struct conn *, const struct serve_response *);
static int	 conn_grow_input(struct conn *);
static bool	 conn_has_input(struct conn *);
static bool	 conn_past_limit(const char *, size_t);
static void	 conn_take_pend(struct conn *);
static void	 conn_drop_pend(struct conn *);
static void	 conn_drop_body(struct conn *);
static bool	 conn_body_pending(const struct conn *);
static bool	 conn_in_body(const struct conn *);
static int	 conn_send_parts(struct conn *, size_t *);
static int	 conn_keep_input(struct conn *, const char *, size_t);
static int	 conn_flush(struct conn *);
static int	 conn_settle(struct conn *);
static void	 conn_sleep_done(struct conn *);
static void	 conn_set_io(struct conn *, short);
static void	 conn_set_timer_ms(struct conn *, unsigned);
static void	 conn_set_timer_at(struct conn *, const struct timespec *);
static void	 conn_close(struct conn *);
static void	 conn_log(struct conn *, const struct http_request *, int,
		    uint64_t);
static void	 conn_now(struct timespec *);
static int64_t	 conn_us(const struct timespec *, const struct timespec *);
static void	 conn_start_deadline(struct conn *);
static bool	 conn_is_sleep(const struct conn *,
		    const struct http_request *);

int
conn_env_init(struct conn_env *env, const struct mime *mime, char *err,
    size_t errlen)
{
	TAILQ_INIT(&env->conns);
	env->nconns = 0;
	env->draining = false;
	env->proxy_logged = 0;
	env->out_len = 0;
	env->in = malloc(CONN_IN_MAX);
	env->out = malloc(CONN_OUT_SCRATCH);
	env->req = malloc(sizeof(*env->req));
	env->serve = NULL;
	if (env->in == NULL || env->out == NULL || env->req == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	env->serve = serve_create(env->conf, env->conf->root, mime, env->st,
	    env->conf->cache_entries, err, errlen);
	if (env->serve == NULL)
		goto fail;
	return 0;
 fail:
	free(env->in);
	free(env->out);
	free(env->req);
	env->in = env->out = NULL;
	env->req = NULL;
	return -1;
}

void
conn_env_fini(struct conn_env *env)
{
	if (env->in == NULL)
		return;
	conn_close_all(env);
	serve_destroy(env->serve);
	env->serve = NULL;
	free(env->in);
	free(env->out);
	free(env->req);
	env->in = env->out = NULL;
	env->req = NULL;
}

int
conn_env_reload(struct conn_env *env, const struct conf *conf, char *err,
    size_t errlen)
{
	if (serve_reload(env->serve, conf, err, errlen) == -1)
		return -1;
	env->conf = conf;
	return 0;
}

int
conn_create(struct conn_env *env, int fd, const struct sockaddr *sa,
    socklen_t salen, const struct timespec *accepted)
{
	const struct sockaddr_in	*sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6	*sin6 = (const struct sockaddr_in6 *)sa;
	char				 host[INET6_ADDRSTRLEN];
	struct conn			*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("out of memory for a connection");
		close(fd);
		env->close_cb(env->close_arg);
		return -1;
	}
	c->env = env;
	c->fd = fd;
	c->body_fd = -1;
	c->proxy_wait = env->conf->proxy_protocol;
	/* The hand-off: from accept, on the feeder, to this worker. */
	conn_now(&c->req_start);
	c->handoff_us = conn_us(accepted, &c->req_start);
	if (sa != NULL && sa->sa_family == AF_INET &&
	    salen >= (socklen_t)sizeof(*sin) &&
	    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host)) != NULL)
		snprintf(c->peer, sizeof(c->peer), "%s", host);
	else if (sa != NULL && sa->sa_family == AF_INET6 &&
	    salen >= (socklen_t)sizeof(*sin6) &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host)) != NULL)
		snprintf(c->peer, sizeof(c->peer), "%s", host);
	else
		snprintf(c->peer, sizeof(c->peer), "-");

	event_assign(&c->ev_io, env->base, fd, EV_READ | EV_PERSIST,
	    conn_io_cb, c);
	evtimer_assign(&c->ev_timer, env->base, conn_timer_cb, c);
	TAILQ_INSERT_TAIL(&env->conns, c, entry);
	env->nconns++;

	/* The first head's deadline runs from accept (DESIGN.md). */
	c->state = CONN_READING;
	c->deadline = *accepted;
	c->deadline.tv_sec += env->conf->header_timeout_ms / 1000;
	c->deadline.tv_nsec += (long)(env->conf->header_timeout_ms % 1000) *
	    1000000L;
	if (c->deadline.tv_nsec >= 1000000000L) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000L;
	}
	c->deadline_set = true;
	conn_set_io(c, EV_READ);
	conn_set_timer_at(c, &c->deadline);
	/* The request often arrived with the handshake: try it now. */
	if (conn_on_read(c) == -1)
		return 0;
	return 0;
}

void
conn_drain(struct conn_env *env)
{
	struct conn	*c, *next;

	env->draining = true;
	for (c = TAILQ_FIRST(&env->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->state == CONN_IDLE ||
		    (c->state == CONN_READING && !c->got_bytes &&
		    !conn_in_body(c) && c->in == NULL))
			conn_close(c);
		else if (c->state == CONN_WRITING)
			c->close_after = true;
		/*
		 * A head being read is answered with "Connection: close"
		 * (conn_answer sees env->draining); a sleeping request the
		 * same way when its timer fires.
		 */
	}
	if (env->nconns == 0)
		event_base_loopbreak(env->base);
}

void
conn_close_all(struct conn_env *env)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&env->conns)) != NULL)
		conn_close(c);
}

/* The socket is readable or writable, as the state asked. */
static void
conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	int		 r;

	if (what & EV_WRITE) {
		r = conn_flush(c);
		if (r == -1) {
			conn_close(c);
			return;
		}
		if (r == 0) {
			/* Progress was made: the stall timer starts again. */
			conn_set_timer_ms(c, c->env->conf->send_timeout_ms);
			return;
		}
		/* Everything is out: go on with what waited behind it. */
		(void)conn_settle(c);
		return;
	}
	if (what & EV_READ)
		(void)conn_on_read(c);
}

/* The connection's one timer fired: what it means follows the state. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn		*c = arg;
	struct conn_env		*env = c->env;

	switch (c->state) {
	case CONN_SLEEPING:
		conn_sleep_done(c);
		return;
	case CONN_IDLE:
		status_inc(env->st, STATUS_KEEPALIVE_TIMEOUTS);
		log_debug("%s: keep-alive timeout", c->peer);
		conn_close(c);
		return;
	case CONN_WRITING:
		status_inc(env->st, STATUS_SEND_TIMEOUTS);
		log_debug("%s: send timeout", c->peer);
		conn_close(c);
		return;
	case CONN_LINGERING:
		conn_close(c);
		return;
	case CONN_READING:
		status_inc(env->st, STATUS_HEADER_TIMEOUTS);
		log_debug("%s: header timeout", c->peer);
		if (!c->got_bytes || conn_in_body(c)) {
			conn_close(c);
			return;
		}
		/* Part of a head arrived: say why, then close. */
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
		conn_error(c, 408, 1, false);
		if (conn_flush(c) == -1) {
			conn_close(c);
			return;
		}
		(void)conn_settle(c);
		return;
	}
}

/* Read what the socket has and act on it. */
static int
conn_on_read(struct conn *c)
{
	struct conn_env	*env = c->env;
	char		*buf;
	size_t		 cap, len, old;
	ssize_t		 n;

	if (c->state == CONN_LINGERING) {
		for (;;) {
			n = read(c->fd, env->in, CONN_IN_MAX);
			if (n > 0) {
				c->lingered += (size_t)n;
				if (c->lingered < CONN_LINGER_BYTES)
					continue;
			} else if (n == -1 && (errno == EAGAIN ||
			    errno == EINTR))
				return 0;
			conn_close(c);
			return -1;
		}
	}
	if (c->in != NULL) {
		if (c->in_len == c->in_cap && conn_grow_input(c) == -1)
			return -1;
		buf = c->in;
		len = c->in_len;
		cap = c->in_cap;
	} else {
		buf = env->in;
		len = 0;
		cap = CONN_IN_MAX;
	}
	if (len == cap) {
		/* The head outgrew every limit without a verdict. */
		status_inc(env->st, STATUS_HEADERS_TOO_LARGE);
		conn_error(c, 431, 1, false);
		c->in_len = 0;
		return conn_run(c, NULL, 0);
	}
	old = len;
	do
		n = read(c->fd, buf + len, cap - len);
	while (n == -1 && errno == EINTR);
	if (n == 0 || (n == -1 && errno != EAGAIN)) {
		conn_close(c);
		return -1;
	}
	if (n == -1)
		return 0;
	len += (size_t)n;
	if (c->in != NULL)
		c->in_len = len;
	if (!c->req_open && !conn_in_body(c)) {
		/* The first bytes of a request: its time starts. */
		conn_now(&c->req_start);
		c->req_open = true;
	}
	if (c->state == CONN_IDLE) {
		c->state = CONN_READING;
		c->deadline_set = false;
	}
	if (!c->deadline_set) {
		/* A later request's deadline runs from its first byte. */
		conn_start_deadline(c);
		conn_set_timer_at(c, &c->deadline);
	}
	if (c->proxy_wait)
		return conn_proxy(c, buf, len);
	/*
	 * A partial head is worth parsing again only once a line has ended,
	 * or once it has passed one of the parser's limits (which then gives
	 * 414 or 431 at once).  Otherwise a client sending a byte at a time
	 * would make each byte cost a parse of all the bytes before it.
	 */
	if (old > 0 && !conn_in_body(c) &&
	    memchr(buf + old, '\n', (size_t)n) == NULL &&
	    !conn_past_limit(buf, len))
		return 0;
	return conn_run(c, buf, len);
}

/*
 * --proxy-protocol: buf[0..len) is all this connection has sent, and the
 * PROXY header must come first.  Until it is whole the bytes are kept (a
 * header trickled a byte at a time is read; the header deadline, running
 * since accept, cuts one that never ends, silently as got_bytes is
 * unset).  Once it is in, its source address replaces the peer for every
 * later log line, and what followed it in the same read is the first
 * request.  A missing or broken header gets no HTTP answer (the client
 * is not speaking to us in HTTP): the connection is closed and the
 * balancer's address logged at info level, since the likely cause is a
 * balancer without send-proxy, which must show without -v.  Returns -1
 * if c was closed.
 */
static int
conn_proxy(struct conn *c, char *buf, size_t len)
{
	struct proxy_result	 pr;
	struct timespec		 now;
	char			 host[INET6_ADDRSTRLEN];

	switch (proxy_parse(buf, len, &pr)) {
	case PROXY_MORE:
		return conn_keep_input(c, buf, len);
	case PROXY_BAD:
		status_inc(c->env->st, STATUS_PROXY_ERRORS);
		/*
		 * One notice a minute per worker at info (the likely cause
		 * is a balancer without send-proxy), the rest at debug: a
		 * scanner must not flood the log.  The counter has them all.
		 */
		conn_now(&now);
		if (now.tv_sec - c->env->proxy_logged >= CONN_PROXY_LOG_S ||
		    c->env->proxy_logged == 0) {
			c->env->proxy_logged = now.tv_sec;
			log_info("%s: broken PROXY protocol header (%s), "
			    "closing (more at debug level for %d s)", c->peer,
			    pr.why, CONN_PROXY_LOG_S);
		} else
			log_debug("%s: broken PROXY protocol header (%s), "
			    "closing", c->peer, pr.why);
		conn_close(c);
		return -1;
	case PROXY_DONE:
		break;
	}
	c->proxy_wait = false;
	if (pr.has_addr &&
	    inet_ntop(pr.family, pr.addr, host, sizeof(host)) != NULL)
		snprintf(c->peer, sizeof(c->peer), "%s", host);
	if (pr.len == len)
		return conn_keep_input(c, buf, 0);
	return conn_run(c, buf + pr.len, len - pr.len);
}

/*
 * Answer every complete request in buf[0..len) that can be answered now,
 * keep what is left, send, and settle into the next state.  buf is either
 * the worker's scratch or c->in.
 */
static int
conn_run(struct conn *c, char *buf, size_t len)
{
	struct conn_env	*env = c->env;
	size_t		 off = 0, k;
	ssize_t		 n;
	int		 r;

	while (off < len && !c->close_after) {
		if (c->discard > 0) {
			k = len - off < c->discard ? len - off :
			    (size_t)c->discard;
			off += k;
			c->discard -= k;
			continue;
		}
		if (c->chunked) {
			switch (chunked_skip(&c->ck, buf + off, len - off,
			    env->conf->max_body, &k)) {
			case CHUNKED_MORE:
				off = len;
				continue;
			case CHUNKED_DONE:
				off += k;
				c->chunked = false;
				continue;
			case CHUNKED_TOO_LARGE:
			case CHUNKED_BAD:
				/*
				 * The request was answered already; a second
				 * answer would be taken for the next one's.
				 * Close (lingering) instead.
				 */
				status_inc(env->st, STATUS_BODY_TOO_LARGE);
				c->chunked = false;
				c->close_after = true;
				c->linger_after = true;
				off = len;
				continue;
			}
		}
		if (c->state == CONN_SLEEPING || conn_body_pending(c) ||
		    c->out != NULL)
			break;
		if (CONN_OUT_SCRATCH - env->out_len <
		    c->pend_len + 2 * SERVE_HEAD_MAX + SERVE_INLINE_MAX) {
			/* The batch is full: send it before going on. */
			if (conn_keep_input(c, buf + off, len - off) == -1)
				return -1;
			r = conn_flush(c);
			if (r == -1) {
				conn_close(c);
				return -1;
			}
			/* Blocked: wait to write; sent: go on from c->in. */
			return conn_settle(c);
		}
		n = http_parse_request(buf + off, len - off, env->req);
		if (n == HTTP_PARSE_INCOMPLETE) {
			c->got_bytes = true;
			break;
		}
		if (n == HTTP_PARSE_BAD) {
			conn_take_pend(c);
			switch (env->req->status) {
			case 414:
				status_inc(env->st, STATUS_URI_TOO_LONG);
				break;
			case 431:
				status_inc(env->st, STATUS_HEADERS_TOO_LARGE);
				break;
			default:
				status_inc(env->st, STATUS_BAD_REQUESTS);
				break;
			}
			conn_error(c, env->req->status, 1, false);
			conn_log(c, env->req, env->req->status, 0);
			off = len;
			break;
		}
		/*
		 * The sleep timer shares the connection's one timer with the
		 * send timer, so /sleep starts only with nothing queued: it is
		 * parsed again once what is ahead of it is out.
		 */
		if (conn_is_sleep(c, env->req) &&
		    (env->out_len > 0 || c->pend != NULL))
			break;
		off += (size_t)n;
		c->got_bytes = false;
		c->deadline_set = false;
		if (conn_answer(c, env->req) == -1)
			return -1;
		/* Bytes of the next request are here: it has started. */
		if (off < len && !conn_in_body(c))
			c->req_open = true;
	}
	if (c->close_after)
		off = len;	/* nothing after a closing answer is read */
	if (conn_keep_input(c, buf + off, len - off) == -1)
		return -1;
	r = conn_flush(c);
	if (r == -1) {
		conn_close(c);
		return -1;
	}
	return conn_settle(c);
}

/*
 * Answer one parsed request: its head (and small body) go to the scratch
 * output, a large body is set up for sendfile.  *off may advance past a
 * request body.  Returns -1 if the connection was closed.
 */
static int
conn_answer(struct conn *c, struct http_request *req)
{
	struct conn_env			*env = c->env;
	const struct conf		*conf = env->conf;
	const struct http_header	*expect;
	struct serve_response		 res;

	status_inc(env->st, STATUS_REQUESTS);
	conn_take_pend(c);
	if (env->draining || conf->keepalive_timeout_ms == 0)
		req->keep_alive = false;
	expect = http_find_header(req, "Expect");
	if (expect != NULL && !(expect->value.len == 12 &&
	    strncasecmp(expect->value.p, "100-continue", 12) == 0)) {
		/* RFC 9110 10.1.1: an expectation we cannot meet. */
		conn_error(c, 417, req->minor,
		    req->method == HTTP_METHOD_HEAD);
		conn_log(c, req, 417, 0);
		return 0;
	}
	if (req->has_content_length && req->content_length > conf->max_body) {
		status_inc(env->st, STATUS_BODY_TOO_LARGE);
		conn_error(c, 413, req->minor,
		    req->method == HTTP_METHOD_HEAD);
		conn_log(c, req, 413, 0);
		return 0;
	}
	if (req->has_content_length)
		c->discard = req->content_length;
	if (req->chunked) {
		/* Read and dropped as it comes, within --max-body. */
		c->chunked = true;
		chunked_init(&c->ck);
	}
	if (expect != NULL && req->minor == 1 && (c->discard > 0 ||
	    c->chunked)) {
		/* The body is wanted (to be dropped): say so, then answer. */
		memcpy(env->out + env->out_len, CONN_CONTINUE,
		    sizeof(CONN_CONTINUE) - 1);
		env->out_len += sizeof(CONN_CONTINUE) - 1;
	}

	if (conn_is_sleep(c, req)) {
		c->state = CONN_SLEEPING;
		c->sleep_head = req->method == HTTP_METHOD_HEAD;
		c->sleep_minor = req->minor;
		c->sleep_keep_alive = req->keep_alive;
		conn_set_timer_ms(c, conf->sleep_ms);
		return 0;
	}
	serve_request(env->serve, req, NULL, env->out + env->out_len,
	    CONN_OUT_SCRATCH - env->out_len, &res);
	conn_queue(c, &res);
	conn_log(c, req, res.status, res.body != SERVE_BODY_NONE ?
	    res.len : 0);
	return 0;
}

/*
 * Take an answer built in the scratch output into the connection: its
 * head is already there; a small body becomes the pending slice, a large
 * one the sendfile job; a closing answer marks the connection.
 */
static void
conn_queue(struct conn *c, const struct serve_response *res)
{
	c->env->out_len += res->head_len;
	switch (res->body) {
	case SERVE_BODY_MEM:
		c->pend = res->mem;
		c->pend_len = (size_t)res->len;
		c->pend_ref = res->ref;
		c->pend_heap = res->heap;
		break;
	case SERVE_BODY_FILE:
		c->body_fd = res->fd;
		c->body_off = res->off;
		c->body_left = res->len;
		c->body_ref = res->ref;
		break;
	case SERVE_BODY_PARTS:
		c->body_fd = res->fd;
		c->parts = res->parts;
		c->nparts = res->nparts;
		c->ipart = 0;
		c->part_done = 0;
		c->parts_heap = res->heap;
		c->body_ref = res->ref;
		break;
	case SERVE_BODY_NONE:
		/* Nothing to send from: let go of what it pinned now. */
		serve_done(c->env->serve, (struct serve_response *)(uintptr_t)
		    res);
		break;
	}
	if (res->close) {
		c->close_after = true;
		/* After an error the client may still be sending: drain. */
		c->linger_after = res->status >= 400 && res->status != 408;
	}
}

/*
 * Queue an error answer that closes the connection (lingering, so that
 * the client reads it rather than a reset).
 */
static void
conn_error(struct conn *c, int status, int minor, bool head_only)
{
	struct conn_env		*env = c->env;
	struct serve_response	 res;

	conn_take_pend(c);
	serve_error(env->serve, status, minor, false, head_only,
	    env->out + env->out_len, CONN_OUT_SCRATCH - env->out_len, &res);
	conn_queue(c, &res);
	c->close_after = true;
	c->discard = 0;
	c->chunked = false;
}

/*
 * Copy a pending small body into the scratch output, behind its head,
 * before anything else is queued (its memory is only valid until the next
 * serve call).  The caller has checked there is room.
 */
static void
conn_take_pend(struct conn *c)
{
	struct conn_env	*env = c->env;

	if (c->pend == NULL)
		return;
	memcpy(env->out + env->out_len, c->pend, c->pend_len);
	env->out_len += c->pend_len;
	conn_drop_pend(c);
}

/* The pending small body is out (or copied): let go of its source. */
static void
conn_drop_pend(struct conn *c)
{
	serve_release(c->env->serve, c->pend_ref);
	free(c->pend_heap);
	c->pend = NULL;
	c->pend_len = 0;
	c->pend_ref = NULL;
	c->pend_heap = NULL;
}

/* The large body is out (or abandoned): let go of its file and parts. */
static void
conn_drop_body(struct conn *c)
{
	serve_release(c->env->serve, c->body_ref);
	free(c->parts_heap);
	c->body_ref = NULL;
	c->parts_heap = NULL;
	c->parts = NULL;
	c->nparts = c->ipart = 0;
	c->part_done = 0;
	c->body_left = 0;
	c->body_fd = -1;
}

/* Whether a request body is still being read (and dropped). */
static bool
conn_in_body(const struct conn *c)
{
	return c->discard > 0 || c->chunked;
}

/* Whether a large or multipart body is still being sent. */
static bool
conn_body_pending(const struct conn *c)
{
	return c->body_left > 0 || c->parts != NULL;
}

/*
 * Send the pieces of a multipart body in order, memory with send and
 * file ranges with sendfile, within *budget bytes.  Returns 1 when all
 * are out, 0 when the socket would block or the budget is spent, -1 on
 * a failed connection.
 */
static int
conn_send_parts(struct conn *c, size_t *budget)
{
	const struct serve_part	*p;
	uint64_t		 left;
	size_t			 chunk;
	off_t			 off;
	ssize_t			 n;

	while (c->ipart < c->nparts) {
		p = &c->parts[c->ipart];
		left = p->len - c->part_done;
		if (left == 0) {
			c->ipart++;
			c->part_done = 0;
			continue;
		}
		if (*budget == 0)
			return 0;
		chunk = left < CONN_SENDFILE_CHUNK ? (size_t)left :
		    CONN_SENDFILE_CHUNK;
		if (chunk > *budget)
			chunk = *budget;
		if (p->mem != NULL)
			n = send(c->fd, p->mem + c->part_done, chunk,
			    MSG_NOSIGNAL | (c->ipart + 1 < c->nparts ?
			    MSG_MORE : 0));
		else {
			off = p->off + (off_t)c->part_done;
			n = sendfile(c->fd, c->body_fd, &off, chunk);
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		c->part_done += (uint64_t)n;
		*budget -= (size_t)n;
	}
	return 1;
}

/* Keep input that is not consumed yet in the connection's own buffer. */
static int
conn_keep_input(struct conn *c, const char *p, size_t len)
{
	size_t	 cap = CONN_IN_INIT;

	if (len == 0) {
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
		return 0;
	}
	if (c->in != NULL) {
		if (p != c->in)
			memmove(c->in, p, len);
		c->in_len = len;
		return 0;
	}
	/* Sized to what is kept, grown as more comes (conn_grow_input). */
	while (cap < len)
		cap *= 2;
	if (cap > CONN_IN_MAX)
		cap = CONN_IN_MAX;
	if ((c->in = malloc(cap)) == NULL) {
		log_warnx("%s: out of memory for input", c->peer);
		conn_close(c);
		return -1;
	}
	memcpy(c->in, p, len);
	c->in_len = len;
	c->in_cap = cap;
	return 0;
}

/*
 * Double a full input buffer, up to CONN_IN_MAX (at which conn_on_read
 * answers 431).  Returns 0, or -1 if the connection was closed.
 */
static int
conn_grow_input(struct conn *c)
{
	size_t	 cap = c->in_cap * 2;
	char	*p;

	if (c->in_cap >= CONN_IN_MAX)
		return 0;
	if (cap > CONN_IN_MAX)
		cap = CONN_IN_MAX;
	if ((p = realloc(c->in, cap)) == NULL) {
		log_warnx("%s: out of memory for input", c->peer);
		conn_close(c);
		return -1;
	}
	c->in = p;
	c->in_cap = cap;
	return 0;
}

/*
 * Whether a partial head has grown past the request-line limit (no line
 * end yet) or the header-section limit (counted from the first line end),
 * so that parsing it again gives a verdict.  memchr is cheap; a parse of
 * the whole head on every byte would not be.
 */
static bool
conn_past_limit(const char *buf, size_t len)
{
	const char	*lf;
	size_t		 lead = 0;

	while (lead < len && lead < HTTP_MAX_LEADING &&
	    (buf[lead] == '\r' || buf[lead] == '\n'))
		lead++;
	lf = memchr(buf + lead, '\n', len - lead);
	if (lf == NULL)
		return len - lead > HTTP_MAX_REQUEST_LINE;
	return len - (size_t)(lf + 1 - buf) > HTTP_MAX_HEADER_BYTES;
}

/*
 * Whether the client has sent bytes we have not read (or a body we were
 * dropping): closing over them would make the kernel send a reset, which
 * can destroy the end of our answer at the client (RFC 9112 9.6).
 */
static bool
conn_has_input(struct conn *c)
{
	int	 n = 0;

	if (conn_in_body(c) || c->in_len > 0)
		return true;
	return ioctl(c->fd, FIONREAD, &n) == 0 && n > 0;
}

/*
 * Send what is queued: the connection's own unsent bytes, else the
 * scratch heads and the pending small body in one sendmsg, then a large
 * body with sendfile.  Returns 1 when everything is out, 0 when the
 * socket would block (the rest is kept; the caller waits for EV_WRITE),
 * -1 on a failed connection (the caller closes).
 */
static int
conn_flush(struct conn *c)
{
	struct conn_env	*env = c->env;
	struct iovec	 iov[2];
	struct msghdr	 msg;
	size_t		 want, budget = CONN_WRITE_BUDGET, chunk, rest;
	ssize_t		 n;
	int		 cnt = 0;

	if (c->out != NULL) {
		while (c->out_off < c->out_len) {
			n = write(c->fd, c->out + c->out_off,
			    c->out_len - c->out_off);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == -1 && errno == EAGAIN)
				return 0;
			if (n <= 0)
				return -1;
			c->out_off += (size_t)n;
		}
		free(c->out);
		c->out = NULL;
		c->out_off = c->out_len = 0;
	} else if (env->out_len > 0 || c->pend != NULL) {
		if (env->out_len > 0) {
			iov[cnt].iov_base = env->out;
			iov[cnt++].iov_len = env->out_len;
		}
		if (c->pend != NULL) {
			iov[cnt].iov_base = (void *)(uintptr_t)c->pend;
			iov[cnt++].iov_len = c->pend_len;
		}
		want = env->out_len + c->pend_len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)cnt;
		do
			n = sendmsg(c->fd, &msg, MSG_NOSIGNAL |
			    (conn_body_pending(c) ? MSG_MORE : 0));
		while (n == -1 && errno == EINTR);
		if (n == -1 && errno != EAGAIN) {
			env->out_len = 0;
			conn_drop_pend(c);
			return -1;
		}
		if (n == -1)
			n = 0;
		if ((size_t)n < want && c->pend_heap != NULL &&
		    (size_t)n >= env->out_len) {
			/*
			 * The heads are out and the rest is in a buffer of
			 * the response's own (a listing): keep that buffer
			 * rather than copy a large body.
			 */
			c->out = c->pend_heap;
			c->out_off = (size_t)(c->pend - c->pend_heap) +
			    ((size_t)n - env->out_len);
			c->out_len = (size_t)(c->pend - c->pend_heap) +
			    c->pend_len;
			c->pend_heap = NULL;
			env->out_len = 0;
			conn_drop_pend(c);
			return 0;
		}
		if ((size_t)n < want) {
			/* Keep the rest; the scratch is the worker's. */
			rest = want - (size_t)n;
			if ((c->out = malloc(rest)) == NULL) {
				env->out_len = 0;
				conn_drop_pend(c);
				return -1;
			}
			if ((size_t)n < env->out_len) {
				memcpy(c->out, env->out + n,
				    env->out_len - (size_t)n);
				if (c->pend != NULL)
					memcpy(c->out + env->out_len - n,
					    c->pend, c->pend_len);
			} else
				memcpy(c->out, c->pend + ((size_t)n -
				    env->out_len), rest);
			c->out_off = 0;
			c->out_len = rest;
			env->out_len = 0;
			conn_drop_pend(c);
			return 0;
		}
		env->out_len = 0;
		conn_drop_pend(c);
	}
	while (c->body_left > 0) {
		if (budget == 0)
			return 0;	/* others' turn; EV_WRITE brings us back */
		chunk = c->body_left < CONN_SENDFILE_CHUNK ?
		    (size_t)c->body_left : CONN_SENDFILE_CHUNK;
		if (chunk > budget)
			chunk = budget;
		n = sendfile(c->fd, c->body_fd, &c->body_off, chunk);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;	/* error, or the file shrank */
		c->body_left -= (uint64_t)n;
		budget -= (size_t)n;
	}
	if (c->parts != NULL) {
		n = conn_send_parts(c, &budget);
		if (n != 1)
			return (int)n;
	}
	if (c->body_ref != NULL || c->parts_heap != NULL)
		conn_drop_body(c);
	return 1;
}

/*
 * Choose the next state once the queued output is out (or blocked), and
 * set the io interest and the timer that go with it.  Picks up requests
 * that waited behind a blocked write.  Returns -1 if c was closed.
 */
static int
conn_settle(struct conn *c)
{
	struct conn_env		*env = c->env;
	const struct conf	*conf = env->conf;

	if (c->out != NULL || conn_body_pending(c)) {
		if (c->state != CONN_WRITING) {
			c->state = CONN_WRITING;
			conn_set_io(c, EV_WRITE);
			conn_set_timer_ms(c, conf->send_timeout_ms);
		}
		return 0;
	}
	if (c->close_after) {
		if (!c->linger_after && !conn_has_input(c)) {
			conn_close(c);
			return -1;
		}
		/* RFC 9112 9.6: shut our side, drain theirs, then close. */
		(void)shutdown(c->fd, SHUT_WR);
		c->state = CONN_LINGERING;
		c->close_after = false;
		c->discard = 0;
		c->chunked = false;
		free(c->in);
		c->in = NULL;
		c->in_len = c->in_cap = 0;
		conn_set_io(c, EV_READ);
		conn_set_timer_ms(c, CONN_LINGER_MS);
		return 0;
	}
	if (c->state == CONN_SLEEPING) {
		conn_set_io(c, 0);
		return 0;
	}
	if (c->in != NULL && c->in_len > 0 && !conn_in_body(c) &&
	    !c->got_bytes) {
		/* Pipelined requests waited behind the output. */
		c->state = CONN_READING;
		if (!c->deadline_set)
			conn_start_deadline(c);
		conn_set_io(c, EV_READ);
		conn_set_timer_at(c, &c->deadline);
		return conn_run(c, c->in, c->in_len);
	}
	if (env->draining && !c->got_bytes && !conn_in_body(c)) {
		conn_close(c);
		return -1;
	}
	if (c->got_bytes || conn_in_body(c)) {
		/* Part of a head (or of a body) is here: its deadline runs. */
		c->state = CONN_READING;
		if (!c->deadline_set)
			conn_start_deadline(c);
		conn_set_io(c, EV_READ);
		conn_set_timer_at(c, &c->deadline);
		return 0;
	}
	/* Idle: hold no buffer while waiting. */
	free(c->in);
	c->in = NULL;
	c->in_len = c->in_cap = 0;
	c->state = CONN_IDLE;
	c->req_open = false;	/* the next request starts with its bytes */
	c->deadline_set = false;
	conn_set_io(c, EV_READ);
	conn_set_timer_ms(c, conf->keepalive_timeout_ms);
	return 0;
}

/* The /sleep timer fired: answer as "/" would have been answered. */
static void
conn_sleep_done(struct conn *c)
{
	struct conn_env		*env = c->env;
	struct http_request	*req = env->req;
	struct serve_response	 res;
	int			 r;

	/* Nothing of the last request parsed on this worker may show. */
	memset(req, 0, sizeof(*req));
	req->method = c->sleep_head ? HTTP_METHOD_HEAD : HTTP_METHOD_GET;
	req->minor = c->sleep_minor;
	req->keep_alive = c->sleep_keep_alive && !env->draining;
	if (c->sleep_head)
		req->line.p = c->sleep_minor ? "HEAD /sleep HTTP/1.1" :
		    "HEAD /sleep HTTP/1.0";
	else
		req->line.p = c->sleep_minor ? "GET /sleep HTTP/1.1" :
		    "GET /sleep HTTP/1.0";
	req->line.len = strlen(req->line.p);
	env->out_len = 0;
	serve_request(env->serve, req, "/", env->out, CONN_OUT_SCRATCH, &res);
	conn_queue(c, &res);
	if (env->draining)
		c->close_after = true;
	conn_log(c, req, res.status, res.body != SERVE_BODY_NONE ?
	    res.len : 0);
	c->state = CONN_READING;
	r = conn_flush(c);
	if (r == -1) {
		conn_close(c);
		return;
	}
	if (r == 0) {
		c->state = CONN_WRITING;
		conn_set_io(c, EV_WRITE);
		conn_set_timer_ms(c, env->conf->send_timeout_ms);
		return;
	}
	(void)conn_settle(c);
}

/* Register ev_io with interest `what` (0: none), if it changed. */
static void
conn_set_io(struct conn *c, short what)
{
	if (c->io_what == what)
		return;
	if (c->io_what != 0)
		event_del(&c->ev_io);
	c->io_what = what;
	if (what == 0)
		return;
	event_assign(&c->ev_io, c->env->base, c->fd, what | EV_PERSIST,
	    conn_io_cb, c);
	event_add(&c->ev_io, NULL);
}

/* Arm the timer ms milliseconds from now. */
static void
conn_set_timer_ms(struct conn *c, unsigned ms)
{
	struct timeval	 tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	evtimer_add(&c->ev_timer, &tv);
}

/* Arm the timer for an absolute CLOCK_MONOTONIC time (now if past). */
static void
conn_set_timer_at(struct conn *c, const struct timespec *at)
{
	struct timespec	 now;
	struct timeval	 tv = { 0, 0 };
	long long	 ns;

	conn_now(&now);
	ns = (long long)(at->tv_sec - now.tv_sec) * 1000000000LL +
	    (at->tv_nsec - now.tv_nsec);
	if (ns > 0) {
		tv.tv_sec = (time_t)(ns / 1000000000LL);
		tv.tv_usec = (suseconds_t)(ns % 1000000000LL / 1000);
	}
	evtimer_add(&c->ev_timer, &tv);
}

/* The one teardown of a connection, used by every path. */
static void
conn_close(struct conn *c)
{
	struct conn_env	*env = c->env;

	if (c->io_what != 0)
		event_del(&c->ev_io);
	event_del(&c->ev_timer);
	close(c->fd);
	conn_drop_pend(c);
	conn_drop_body(c);
	/* The scratch output only ever holds the closing one's batch. */
	env->out_len = 0;
	free(c->in);
	free(c->out);
	TAILQ_REMOVE(&env->conns, c, entry);
	env->nconns--;
	free(c);
	env->close_cb(env->close_arg);
	if (env->draining && env->nconns == 0)
		event_base_loopbreak(env->base);
}

/*
 * The access-log line of an answer (and a trace line at -vv), written
 * when the answer is ready to send: its request time runs from the read
 * that brought the request's first byte (for a request that was already
 * buffered behind the previous one, from that one's answer) to now, so
 * it covers reading, parsing, opening the file and the /sleep wait, but
 * not the transfer of a body that the socket does not take at once.  The
 * hand-off time goes with the connection's first request only.
 */
static void
conn_log(struct conn *c, const struct http_request *req, int status,
    uint64_t bytes)
{
	struct log_access	 a;
	struct timespec		 now;
	char			 line[CONN_TRACE_LINE_MAX * 4 + 1];

	if (log_is_enabled(LOG_LEVEL_TRACE)) {
		log_escape(line, sizeof(line), req->line.p,
		    req->line.len > CONN_TRACE_LINE_MAX ? CONN_TRACE_LINE_MAX :
		    req->line.len);
		log_trace("%s: %d %s", c->peer, status, line);
	}
	if (!log_access_enabled())
		return;
	memset(&a, 0, sizeof(a));
	a.peer = c->peer;
	a.when = time(NULL);
	a.line = req->line.p;
	a.line_len = req->line.len;
	a.status = status;
	a.bytes = bytes;
	a.referer = req->referer.p;
	a.referer_len = req->referer.len;
	a.agent = req->user_agent.p;
	a.agent_len = req->user_agent.len;
	conn_now(&now);
	a.request_us = conn_us(&c->req_start, &now);
	a.handoff_us = c->handoff_us;
	log_access_write(&a);
	/* A request already buffered behind this one starts now. */
	c->req_start = now;
	c->req_open = false;
	c->handoff_us = -1;
}

/* Microseconds from a to b (CLOCK_MONOTONIC), 0 if b is before a. */
static int64_t
conn_us(const struct timespec *a, const struct timespec *b)
{
	int64_t	 us;

	us = (int64_t)(b->tv_sec - a->tv_sec) * 1000000 +
	    (b->tv_nsec - a->tv_nsec) / 1000;
	return us < 0 ? 0 : us;
}

/* Now, on the clock the deadlines use. */
static void
conn_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

/* The header deadline of a request whose first byte is here now. */
static void
conn_start_deadline(struct conn *c)
{
	unsigned	 ms = c->env->conf->header_timeout_ms;

	conn_now(&c->deadline);
	c->deadline.tv_sec += ms / 1000;
	c->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (c->deadline.tv_nsec >= 1000000000L) {
		c->deadline.tv_sec++;
		c->deadline.tv_nsec -= 1000000000L;
	}
	c->deadline_set = true;
}

/* Whether req is the demo slow route: "/sleep", when it is switched on. */
static bool
conn_is_sleep(const struct conn *c, const struct http_request *req)
{
	const struct http_slice	*p = &req->path;
	size_t			 n = sizeof(CONN_SLEEP_PATH) - 1;

	if (c->env->conf->sleep_ms == 0 || (req->method != HTTP_METHOD_GET &&
	    req->method != HTTP_METHOD_HEAD))
		return false;
	return p->len >= n && memcmp(p->p, CONN_SLEEP_PATH, n) == 0 &&
	    (p->len == n || p->p[n] == '?');
}
