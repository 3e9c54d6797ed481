/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_SERVE_H
#define SLUICE_SERVE_H

/*
 * Static-file responses: what to answer a request with.  One struct serve
 * per worker (it holds that worker's file cache), so every function here
 * is "worker only", called on the owning worker's thread, and nothing in
 * it is locked.  serve_create/serve_destroy run on whichever thread owns
 * the worker's life, while its loop is not running.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conf;
struct fcache_entry;
struct http_request;
struct mime;
struct status;

#define SERVE_LOCATION_MAX	2048	/* a redirect's Location; longer: 414 */
#define SERVE_HEAD_MAX		(2048 + SERVE_LOCATION_MAX + 2048)
					/* a whole head, --header lines too */
#define SERVE_INLINE_MAX	(16 * 1024)	/* a MEM body from a file, at most */
#define SERVE_ALLOW		"GET, HEAD, OPTIONS"
#define SERVE_WELL_KNOWN	".well-known"
#define SERVE_CHARSET		"; charset=utf-8"	/* after text/ types */

enum serve_body_kind {
	SERVE_BODY_NONE,	/* head only (HEAD, 304, an empty body) */
	SERVE_BODY_MEM,		/* mem[0..len) */
	SERVE_BODY_FILE,	/* len bytes of fd from off, with sendfile */
	SERVE_BODY_PARTS	/* parts[0..nparts), in order */
};

/* One piece of a multipart body: bytes in memory, or a range of fd. */
struct serve_part {
	const char	*mem;	/* NULL: len bytes of the response's fd at off */
	off_t		 off;
	uint64_t	 len;
};

struct serve_response {
	int			 status;
	size_t			 head_len;	/* bytes written to the head buffer */
	enum serve_body_kind	 body;
	const char		*mem;		/* MEM */
	int			 fd;		/* FILE, PARTS */
	off_t			 off;		/* FILE */
	uint64_t		 len;		/* body bytes to send */
	uint64_t		 length;	/* Content-Length (also for HEAD) */
	const struct serve_part	*parts;		/* PARTS, in heap */
	size_t			 nparts;
	/*
	 * What the body is read from, pinned until the caller has sent it:
	 * the caller must fcache_release(ref) via serve_release, and free()
	 * heap, once the body is out (or the connection is gone).
	 */
	const struct fcache_entry *ref;
	char			*heap;
	bool			 close;		/* the connection must close */
};

/*
 * Open the docroot `root` (and conf->vhost_root) and set up a worker's
 * state.  Returns NULL with a reason in err.  The mime table is borrowed
 * and must outlive the serve.
 */
struct serve	*serve_create(const struct conf *, const char *root,
		    const struct mime *, struct status *, unsigned cache_entries,
		    char *err, size_t errlen);
void		 serve_destroy(struct serve *);

/*
 * Take a reloaded configuration: open its docroot (and --vhost-root)
 * first, and only then swap them in and forget the cached files, so that
 * on failure (-1, a reason in err) nothing changed.  Responses in flight
 * keep the files they pinned.  `conf` must outlive the serve or the next
 * reload.
 */
int		 serve_reload(struct serve *, const struct conf *, char *err,
		    size_t errlen);

/*
 * Answer a parsed request.  The head is written into head[0..cap) (cap
 * >= SERVE_HEAD_MAX) and described, with the body, in *res.
 * `req->keep_alive` decides the Connection field; a status that must close
 * the connection sets res->close and answers "Connection: close".
 * `path_override` (may be NULL) serves that path instead of the target's
 * (the /sleep route serves "/").  The caller owns res->ref and res->heap
 * (see struct serve_response).
 */
void		 serve_request(struct serve *, const struct http_request *req,
		    const char *path_override, char *head, size_t cap,
		    struct serve_response *res);

/*
 * Answer an error status with its --error-page (404: the docroot's
 * 404.html by default) or a small built-in page, and "Connection: close"
 * unless keep_alive.  `head_only` leaves the body out (HEAD).  The caller
 * owns res->ref as with serve_request.
 */
void		 serve_error(struct serve *, int status, int minor,
		    bool keep_alive, bool head_only, char *head, size_t cap,
		    struct serve_response *res);

/* Release what a response pinned and allocated (ref, heap).  Idempotent. */
void		 serve_done(struct serve *, struct serve_response *);

/* Drop a pin taken for a response.  NULL is a no-op. */
void		 serve_release(struct serve *, const struct fcache_entry *);

/* The current time as an IMF-fixdate, updated once a second. */
const char	*serve_date(struct serve *);

#endif /* SLUICE_SERVE_H */
