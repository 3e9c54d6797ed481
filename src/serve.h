/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_SERVE_H
#define SLUICE_SERVE_H

/*
 * Static-file responses.  One struct serve per worker (it holds that
 * worker's cache of open files), so every function here is "worker only",
 * called on the owning worker's thread, and nothing in it is locked.
 * serve_create/serve_destroy run on whichever thread owns the worker's
 * life (the pool), before the worker starts or after it has stopped.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct conf;
struct http_request;
struct mime;
struct status;

#define SERVE_LOCATION_MAX	2048	/* a redirect's Location; longer: 414 */
#define SERVE_HEAD_MAX		(1024 + SERVE_LOCATION_MAX) /* a whole head */
#define SERVE_SMALL_MAX		(16 * 1024)	/* bodies up to this: memory */
#define SERVE_CACHE_TTL		1	/* seconds a cached open file is trusted */
#define SERVE_ALLOW		"GET, HEAD"
#define SERVE_INDEX_FILES	{ "index.html", "hello.html" }

struct serve;
struct serve_entry;

enum serve_body_kind {
	SERVE_BODY_NONE,	/* head only (HEAD, or an empty body) */
	SERVE_BODY_MEM,		/* mem[0..len) */
	SERVE_BODY_FILE		/* len bytes of fd from off, with sendfile */
};

struct serve_response {
	int			 status;
	size_t			 head_len;	/* bytes written to the head buffer */
	enum serve_body_kind	 body;
	const char		*mem;	/* MEM: valid until the next serve_* call */
	int			 fd;	/* FILE: valid until serve_release(ref) */
	off_t			 off;
	uint64_t		 len;	/* body bytes (MEM or FILE) */
	uint64_t		 length;	/* Content-Length (also for HEAD) */
	struct serve_entry	*ref;	/* FILE: pinned cache entry, or NULL */
	bool			 close;	/* the connection must close after */
};

/*
 * Open the docroot `root` and set up a worker's state.  Returns NULL with
 * a reason in err.  The mime table is borrowed and must outlive the serve.
 */
struct serve	*serve_create(const struct conf *, const char *root,
		    const struct mime *, struct status *, unsigned cache_entries,
		    char *err, size_t errlen);
void		 serve_destroy(struct serve *);

/*
 * Answer a parsed request.  The head is written into head[0..cap) (cap
 * >= SERVE_HEAD_MAX) and described, with the body, in *res.
 * `req->keep_alive` decides the Connection field; a status that must close
 * the connection sets res->close and answers "Connection: close".  A
 * FILE body pins a cache entry: the caller must serve_release(res->ref)
 * once done with res->fd.  `path_override` (may be NULL) serves that path
 * instead of the target's (the /sleep route serves "/").  Worker only.
 */
void		 serve_request(struct serve *, const struct http_request *req,
		    const char *path_override, char *head, size_t cap,
		    struct serve_response *res);

/*
 * Answer an error status with a small built-in page (404: the docroot's
 * 404.html if there is one) and "Connection: close" unless keep_alive.
 * `head_only` leaves the body out (HEAD).  As with serve_request, a 404
 * page larger than SERVE_SMALL_MAX comes as a FILE body that pins a cache
 * entry, which the caller must serve_release.  Worker only.
 */
void		 serve_error(struct serve *, int status, int minor,
		    bool keep_alive, bool head_only, char *head, size_t cap,
		    struct serve_response *res);

/* Drop a pin taken by serve_request.  NULL is a no-op.  Worker only. */
void		 serve_release(struct serve *, struct serve_entry *);

/* The current time as an IMF-fixdate, updated once a second. */
const char	*serve_date(struct serve *);

#endif /* SLUICE_SERVE_H */
