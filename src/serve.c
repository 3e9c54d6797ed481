/* sluice - ISC licence, see COPYING. */

/*
 * Static-file responses, on a worker's thread: from a parsed request to a
 * response head and a body to send.
 *
 * The request's path is confined lexically (path.c), refused if it names
 * a dotfile (policy), then opened beneath the docroot (or the host's
 * directory under --vhost-root) through the worker's file cache
 * (fcache.c), which cannot leave it.  A directory gets its index file, a
 * listing (--autoindex) or 403; a regular file gets, in RFC 9110 order:
 * the choice of a precompressed sibling (section 12.5.3), its validators
 * and the preconditions (section 13: 304, 412), then Range (section 14:
 * 206, multipart/byteranges, 416).
 *
 * What a body is read from stays pinned in the cache until the
 * connection has sent it (serve_done), so a response never points into
 * memory that a later request evicted.  errno becomes an HTTP status in
 * one place (serve_errno_status).  Worker thread only; no lock.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cond.h"
#include "conf.h"
#include "encoding.h"
#include "fcache.h"
#include "http.h"
#include "listing.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "range.h"
#include "serve.h"
#include "status.h"
#include "vhost.h"

#define SERVE_ERRBODY_MAX	512
#define SERVE_TYPE_MAX		160
#define SERVE_KEY_MAX		(VHOST_NAME_MAX + 2 + PATH_OUT_MAX + 32)
#define SERVE_CRANGE_MAX	80
#define SERVE_JSON_QUERY	"format=json"
#define SERVE_JOINS		3	/* Accept-Encoding, If-Match, If-None-Match */
#define SERVE_SUFFIX_MAX	5	/* ".zst" and its NUL */

_Static_assert(VHOST_MAX + 1 == CONF_VHOST_FDS,
    "feeder_fit_budget counts a worker's host directories and --vhost-root");
_Static_assert(FCACHE_SMALL_MAX <= SERVE_INLINE_MAX,
    "conn.c batches small bodies of up to SERVE_INLINE_MAX bytes");

struct serve {
	const struct conf	*conf;
	const struct mime	*mime;
	struct status		*st;
	struct fcache		*fc;
	int			 rootfd;
	struct vhost		*vhost;		/* --vhost-root, or NULL */
	uint64_t		 seq;		/* multipart boundaries */
	time_t			 date_t;
	char			 date[HTTP_DATE_LEN + 1];
	char			 errbody[SERVE_ERRBODY_MAX];
	char			 location[SERVE_LOCATION_MAX];
	char			 pathbuf[PATH_OUT_MAX + 32];
	char			 keybuf[SERVE_KEY_MAX];
	char			 relbuf[PATH_OUT_MAX + 32 + 2];
	char			 type[SERVE_TYPE_MAX];
	const char		*type_of;	/* the mime type s->type holds */
	char			 mptype[SERVE_TYPE_MAX];	/* multipart's own */
	time_t			 lm_t;		/* the time s->lm holds */
	char			 lm[HTTP_DATE_LEN + 1];
	char			 etag[COND_ETAG_MAX];
	char			 crange[SERVE_CRANGE_MAX];
	/* List fields sent on several lines, joined (RFC 9110 5.3). */
	char			 join[SERVE_JOINS][HTTP_MAX_HEADER_BYTES];
};

/* The request fields a file's answer depends on (serve_fields). */
enum serve_field_id {
	SERVE_F_ACCEPT_ENCODING,
	SERVE_F_IF_MATCH,
	SERVE_F_IF_NONE_MATCH,
	SERVE_F_IF_MODIFIED_SINCE,
	SERVE_F_IF_UNMODIFIED_SINCE,
	SERVE_F_RANGE,
	SERVE_F_IF_RANGE,
	SERVE_F__COUNT
};

struct serve_fields {
	const char	*v[SERVE_F__COUNT];	/* NULL: absent */
	size_t		 len[SERVE_F__COUNT];
	bool		 twice[SERVE_F__COUNT];	/* sent on several lines */
};

/* One request being answered: where it is served from, where it goes. */
struct serve_ctx {
	const struct http_request *req;
	bool			 head_only;
	int			 rootfd;
	const char		*prefix;	/* cache key namespace: "host/" */
	bool			 vary;		/* the file has coded siblings */
	char			*head;
	size_t			 cap;
	struct serve_response	*res;
};

static int	 serve_vhost(struct serve *, const struct http_request *,
		    struct serve_ctx *);
static const struct fcache_entry *serve_get(struct serve *,
		    struct serve_ctx *, const char *);
static bool	 serve_hidden(const char *);
static void	 serve_dir(struct serve *, struct serve_ctx *,
		    const char *, size_t);
static void	 serve_redirect(struct serve *, struct serve_ctx *,
		    const char *, size_t);
static void	 serve_listing(struct serve *, struct serve_ctx *,
		    const char *, size_t, size_t);
static void	 serve_file(struct serve *, struct serve_ctx *,
		    const struct fcache_entry *, const char *);
static void	 serve_body(struct serve_response *,
		    const struct fcache_entry *, uint64_t, uint64_t);
static void	 serve_ranges(struct serve *, struct serve_ctx *,
		    struct http_head *, const struct fcache_entry *,
		    const struct range *, size_t);
static void	 serve_fail(struct serve *, struct serve_ctx *, int);
static void	 serve_emit(struct serve *, struct serve_ctx *,
		    struct http_head *);
static const char *serve_type(struct serve *, const char *);
static const char *serve_cache_control(struct serve *, const char *);
static int	 serve_errno_status(struct serve *, int);
static void	 serve_fields(const struct http_request *,
		    struct serve_fields *);
static unsigned	 serve_siblings(struct serve *, struct serve_ctx *,
		    const struct fcache_entry *, const char *, size_t);

static const enum fcache_links	 serve_links[] = {
	[CONF_SYMLINKS_INSIDE] = FCACHE_LINKS_INSIDE,
	[CONF_SYMLINKS_NEVER] = FCACHE_LINKS_NEVER,
	[CONF_SYMLINKS_ALWAYS] = FCACHE_LINKS_ALWAYS,
};

struct serve *
serve_create(const struct conf *conf, const char *root,
    const struct mime *mime, struct status *st, unsigned cache_entries,
    char *err, size_t errlen)
{
	struct serve			*s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->mime = mime;
	s->st = st;
	s->rootfd = -1;
	if ((s->fc = fcache_create(cache_entries,
	    serve_links[conf->symlinks])) ==
	    NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd == -1) {
		snprintf(err, errlen, "--root: cannot open \"%s\": %s; give "
		    "an existing directory", root, strerror(errno));
		goto fail;
	}
	if (conf->vhost_root[0] != '\0' && (s->vhost = vhost_create(
	    conf->vhost_root, s->fc, err, errlen)) == NULL)
		goto fail;
	return s;
 fail:
	serve_destroy(s);
	return NULL;
}

int
serve_reload(struct serve *s, const struct conf *conf, char *err,
    size_t errlen)
{
	struct vhost	*vh = NULL;
	int		 fd;

	if ((fd = open(conf->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1) {
		snprintf(err, errlen, "--root: cannot open \"%s\": %s",
		    conf->root, strerror(errno));
		return -1;
	}
	if (conf->vhost_root[0] != '\0' && (vh = vhost_create(
	    conf->vhost_root, s->fc, err, errlen)) == NULL) {
		close(fd);
		return -1;
	}
	vhost_destroy(s->vhost);
	s->vhost = vh;
	close(s->rootfd);
	s->rootfd = fd;
	s->conf = conf;
	fcache_flush(s->fc, serve_links[conf->symlinks]);
	return 0;
}

void
serve_destroy(struct serve *s)
{
	if (s == NULL)
		return;
	vhost_destroy(s->vhost);
	if (s->rootfd != -1)
		close(s->rootfd);
	fcache_destroy(s->fc);
	free(s);
}

void
serve_request(struct serve *s, const struct http_request *req,
    const char *path_override, char *head, size_t cap,
    struct serve_response *res)
{
	struct serve_ctx		 x;
	struct http_head		 h;
	const struct fcache_entry	*e;
	const char			*target;
	size_t				 tlen;
	bool				 dir;
	enum path_result		 pr;
	int				 status;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	memset(&x, 0, sizeof(x));
	x.req = req;
	x.head_only = req->method == HTTP_METHOD_HEAD;
	x.rootfd = s->rootfd;
	x.prefix = "";
	x.head = head;
	x.cap = cap;
	x.res = res;

	if (req->method == HTTP_METHOD_OPTIONS) {
		/* RFC 9110 9.3.7: what the target (or "*") allows. */
		memset(&h, 0, sizeof(h));
		h.status = 204;
		h.allow = SERVE_ALLOW;
		serve_emit(s, &x, &h);
		return;
	}
	if (req->method != HTTP_METHOD_GET &&
	    req->method != HTTP_METHOD_HEAD) {
		serve_fail(s, &x, req->method == HTTP_METHOD_OTHER ? 501 : 405);
		return;
	}
	if (s->vhost != NULL && (status = serve_vhost(s, req, &x)) != 0) {
		serve_fail(s, &x, status);
		return;
	}
	if (path_override != NULL) {
		target = path_override;
		tlen = strlen(path_override);
	} else {
		target = req->path.p;
		tlen = req->path.len;
	}
	pr = path_resolve(target, tlen, s->pathbuf, PATH_OUT_MAX, &dir);
	if (pr != PATH_OK) {
		x.res->close = true;
		serve_fail(s, &x, path_status(pr));
		return;
	}
	if (s->conf->dotfiles == CONF_DOTFILES_DENY &&
	    serve_hidden(s->pathbuf)) {
		serve_fail(s, &x, 404);
		return;
	}
	e = serve_get(s, &x, s->pathbuf);
	if (e->err != 0) {
		serve_fail(s, &x, serve_errno_status(s, e->err));
		return;
	}
	if (S_ISDIR(e->st.st_mode)) {
		if (!dir)
			serve_redirect(s, &x, target, tlen);
		else
			serve_dir(s, &x, target, tlen);
		return;
	}
	if (!S_ISREG(e->st.st_mode)) {
		serve_fail(s, &x, 403);
		return;
	}
	if (dir) {
		/* "file.html/" names a directory that is not there. */
		serve_fail(s, &x, 404);
		return;
	}
	serve_file(s, &x, e, s->pathbuf);
}

void
serve_error(struct serve *s, int status, int minor, bool keep_alive,
    bool head_only, char *head, size_t cap, struct serve_response *res)
{
	struct http_request	 fake;
	struct serve_ctx	 x;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	memset(&fake, 0, sizeof(fake));
	fake.minor = minor;
	fake.keep_alive = keep_alive;
	fake.method = head_only ? HTTP_METHOD_HEAD : HTTP_METHOD_GET;
	memset(&x, 0, sizeof(x));
	x.req = &fake;
	x.head_only = head_only;
	x.rootfd = s->rootfd;
	x.prefix = "";
	x.head = head;
	x.cap = cap;
	x.res = res;
	serve_fail(s, &x, status);
}

void
serve_done(struct serve *s, struct serve_response *res)
{
	fcache_release(s->fc, res->ref);
	res->ref = NULL;
	free(res->heap);
	res->heap = NULL;
}

void
serve_release(struct serve *s, const struct fcache_entry *e)
{
	fcache_release(s->fc, e);
}

const char *
serve_date(struct serve *s)
{
	time_t	 now = time(NULL);

	if (now != s->date_t) {
		s->date_t = now;
		http_format_date(now, s->date);
	}
	return s->date;
}

/*
 * --vhost-root: serve the request from the Host's directory (vhost.c).
 * Returns 0 with x->rootfd and x->prefix set, or a status (400, 404...).
 */
static int
serve_vhost(struct serve *s, const struct http_request *req,
    struct serve_ctx *x)
{
	if (vhost_resolve(s->vhost, req->host.p, req->host.len, &x->rootfd,
	    &x->prefix) == 0)
		return 0;
	return errno == EINVAL ? 400 : serve_errno_status(s, errno);
}

/* The cache entry of relative path rel under the request's root. */
static const struct fcache_entry *
serve_get(struct serve *s, struct serve_ctx *x, const char *rel)
{
	if (x->prefix[0] == '\0')
		return fcache_get(s->fc, x->rootfd, rel, rel);
	snprintf(s->keybuf, sizeof(s->keybuf), "%s/%s", x->prefix, rel);
	return fcache_get(s->fc, x->rootfd, s->keybuf, rel);
}

/* Whether a confined path names a dotfile (outside /.well-known/). */
static bool
serve_hidden(const char *path)
{
	const char	*p = path;
	size_t		 wk = sizeof(SERVE_WELL_KNOWN) - 1;

	if (strncmp(p, SERVE_WELL_KNOWN, wk) == 0 &&
	    (p[wk] == '/' || p[wk] == '\0')) {
		p += wk;
		if (*p == '/')
			p++;
	}
	for (; *p != '\0'; p++) {
		if (*p == '.' && (p == path || p[-1] == '/'))
			return true;
	}
	return false;
}

/* A directory named with its slash: an index file, a listing, or 403. */
static void
serve_dir(struct serve *s, struct serve_ctx *x, const char *target,
    size_t tlen)
{
	const struct fcache_entry	*ie;
	size_t				 plen = strlen(s->pathbuf), i;

	for (i = 0; i < s->conf->nindex; i++) {
		if (plen + 1 + strlen(s->conf->index[i]) + 1 >
		    sizeof(s->pathbuf))
			break;
		snprintf(s->pathbuf + plen, sizeof(s->pathbuf) - plen, "%s%s",
		    plen == 0 ? "" : "/", s->conf->index[i]);
		ie = serve_get(s, x, s->pathbuf);
		if (ie->err == 0 && S_ISREG(ie->st.st_mode)) {
			serve_file(s, x, ie, s->pathbuf);
			return;
		}
		if (ie->err == EMFILE || ie->err == ENFILE) {
			/* Out of descriptors is not "no index". */
			serve_fail(s, x, serve_errno_status(s, ie->err));
			return;
		}
	}
	s->pathbuf[plen] = '\0';
	if (s->conf->autoindex)
		serve_listing(s, x, target, tlen, plen);
	else
		serve_fail(s, x, 403);	/* as nginx: no index, no listing */
}

/*
 * 301 to the slash form of the directory in s->pathbuf.  Location is made
 * from the decoded, confined path, percent-encoded, never from the raw
 * target: "//host/../dir" must not become a redirect to another host.
 * The query, if any, is kept, escaped where a URI requires it.
 */
static void
serve_redirect(struct serve *s, struct serve_ctx *x, const char *target,
    size_t tlen)
{
	struct http_head	 h;
	const char		*q = memchr(target, '?', tlen);
	size_t			 qlen = q != NULL ? tlen - (size_t)(q - target) : 0;
	size_t			 n, room = sizeof(s->location);

	s->location[0] = '/';
	n = path_encode(s->pathbuf, s->location + 1, room - 1);
	if ((n == 0 && s->pathbuf[0] != '\0') || n + 3 > room)
		goto too_long;
	s->location[1 + n] = '/';
	s->location[2 + n] = '\0';
	if (qlen > 0 && path_encode_query(q, qlen, s->location + 2 + n,
	    room - 2 - n) == 0)
		goto too_long;
	memset(&h, 0, sizeof(h));
	h.status = 301;
	h.has_length = true;
	h.content_type = "text/html";
	h.location = s->location;
	serve_emit(s, x, &h);
	return;
 too_long:
	serve_fail(s, x, 414);
}

/*
 * --autoindex: the directory s->pathbuf (plen bytes) as an HTML page, or
 * as JSON when the query asks "format=json".  The page is built in a heap
 * buffer that the connection frees once it is sent.
 */
static void
serve_listing(struct serve *s, struct serve_ctx *x, const char *target,
    size_t tlen, size_t plen)
{
	struct http_head	 h;
	enum listing_format	 fmt = LISTING_HTML;
	const char		*q = memchr(target, '?', tlen), *p;
	char			*buf = NULL;
	size_t			 len = 0, qlen;
	int			 fd, rc;

	if (q != NULL) {
		/* Look for the parameter among "a=b&c=d". */
		qlen = tlen - (size_t)(q - target) - 1;
		for (p = q + 1; p < q + 1 + qlen; p++) {
			if ((p == q + 1 || p[-1] == '&') &&
			    (size_t)(q + 1 + qlen - p) >=
			    sizeof(SERVE_JSON_QUERY) - 1 &&
			    memcmp(p, SERVE_JSON_QUERY,
			    sizeof(SERVE_JSON_QUERY) - 1) == 0 &&
			    (p + sizeof(SERVE_JSON_QUERY) - 1 == q + 1 + qlen ||
			    p[sizeof(SERVE_JSON_QUERY) - 1] == '&'))
				fmt = LISTING_JSON;
		}
	}
	/* The URL path: "/" + the decoded directory + "/". */
	snprintf(s->relbuf, sizeof(s->relbuf), "/%s%s", s->pathbuf,
	    plen > 0 ? "/" : "");
	if ((fd = fcache_open(s->fc, x->rootfd, s->pathbuf)) == -1) {
		serve_fail(s, x, serve_errno_status(s, errno));
		return;
	}
	rc = listing_render(fd, s->relbuf, fmt,
	    s->conf->dotfiles == CONF_DOTFILES_ALLOW, &buf, &len);
	close(fd);
	if (rc == -1) {
		serve_fail(s, x, serve_errno_status(s, errno));
		return;
	}
	memset(&h, 0, sizeof(h));
	h.status = 200;
	h.content_type = fmt == LISTING_JSON ? "application/json" :
	    "text/html" SERVE_CHARSET;
	h.content_length = len;
	h.has_length = true;
	serve_emit(s, x, &h);
	if (x->head_only || x->res->status != 200) {
		free(buf);
		return;
	}
	x->res->body = SERVE_BODY_MEM;
	x->res->mem = buf;
	x->res->len = len;
	x->res->heap = buf;
}

/*
 * A regular file: pick the representation (a precompressed sibling the
 * client accepts), evaluate the preconditions on its validators, then
 * Range, and answer 200, 206, 304, 412 or 416.
 */
static void
serve_file(struct serve *s, struct serve_ctx *x, const struct fcache_entry *e,
    const char *name)
{
	const struct http_request	*req = x->req;
	const struct fcache_entry	*use = e;
	struct http_head		 h;
	struct serve_fields		 f;
	struct cond_request		 cr;
	struct range			 ranges[RANGE_MAX];
	enum encoding			 enc = ENCODING_IDENTITY;
	enum range_result		 rr = RANGE_IGNORE;
	const char			*v;
	size_t				 vlen, n = 0, plen;
	unsigned			 avail = 0;
	uint64_t			 size;
	time_t				 now, lm;

	memset(&h, 0, sizeof(h));
	/* The type and cache rule are the original's, whatever the coding. */
	h.content_type = serve_type(s, name);
	h.cache_control = serve_cache_control(s, name);
	fcache_pin(s->fc, e);
	serve_fields(req, &f);
	plen = strlen(name);
	if (s->conf->precompressed && plen + SERVE_SUFFIX_MAX <
	    sizeof(s->relbuf)) {
		avail = serve_siblings(s, x, e, name, plen);
		v = f.twice[SERVE_F_ACCEPT_ENCODING] ? http_field_join(req,
		    "Accept-Encoding", s->join[0], sizeof(s->join[0]), &vlen) :
		    f.v[SERVE_F_ACCEPT_ENCODING];
		if (!f.twice[SERVE_F_ACCEPT_ENCODING])
			vlen = f.len[SERVE_F_ACCEPT_ENCODING];
		enc = avail == 0 ? ENCODING_IDENTITY :
		    encoding_choose(v, vlen, avail);
		if (enc != ENCODING_IDENTITY && enc != ENCODING_NONE) {
			memcpy(s->relbuf, name, plen);
			snprintf(s->relbuf + plen, sizeof(s->relbuf) - plen,
			    "%s", encoding_suffix(enc));
			use = serve_get(s, x, s->relbuf);
			if (use->err != 0 || !S_ISREG(use->st.st_mode)) {
				use = e;	/* it went away meanwhile */
				enc = ENCODING_IDENTITY;
			} else {
				fcache_pin(s->fc, use);
				fcache_release(s->fc, e);
				h.content_encoding = encoding_name(enc);
			}
		}
	}
	/* Every answer for this file depends on Accept-Encoding: 412 too. */
	h.vary_encoding = x->vary = avail != 0;
	size = (uint64_t)use->st.st_size;
	cond_etag(size, use->st.st_mtim.tv_sec, use->st.st_mtim.tv_nsec,
	    enc != ENCODING_IDENTITY && enc != ENCODING_NONE ?
	    encoding_name(enc) : NULL, s->etag);
	h.etag = s->etag;
	/* RFC 9110 8.8.2.1: never later than the message's Date. */
	now = time(NULL);
	lm = use->st.st_mtime < now ? use->st.st_mtime : now;
	h.last_modified = lm;
	if (lm != 0) {
		/* 0 means none (http.h): a file dated the epoch gets none. */
		if (lm != s->lm_t || s->lm[0] == '\0') {
			s->lm_t = lm;
			http_format_date(lm, s->lm);
		}
		h.last_modified_str = s->lm;
	}
	x->res->ref = use;	/* released by serve_done, whatever happens */

	memset(&cr, 0, sizeof(cr));
	cr.get_or_head = true;
	cr.if_match = f.v[SERVE_F_IF_MATCH];
	cr.if_match_len = f.len[SERVE_F_IF_MATCH];
	if (f.twice[SERVE_F_IF_MATCH])
		cr.if_match = http_field_join(req, "If-Match", s->join[1],
		    sizeof(s->join[1]), &cr.if_match_len);
	cr.if_none_match = f.v[SERVE_F_IF_NONE_MATCH];
	cr.if_none_match_len = f.len[SERVE_F_IF_NONE_MATCH];
	if (f.twice[SERVE_F_IF_NONE_MATCH])
		cr.if_none_match = http_field_join(req, "If-None-Match",
		    s->join[2], sizeof(s->join[2]), &cr.if_none_match_len);
	cr.if_modified_since = f.v[SERVE_F_IF_MODIFIED_SINCE];
	cr.if_modified_since_len = f.len[SERVE_F_IF_MODIFIED_SINCE];
	cr.if_unmodified_since = f.v[SERVE_F_IF_UNMODIFIED_SINCE];
	cr.if_unmodified_since_len = f.len[SERVE_F_IF_UNMODIFIED_SINCE];
	switch (cr.if_match == NULL && cr.if_none_match == NULL &&
	    cr.if_modified_since == NULL && cr.if_unmodified_since == NULL ?
	    COND_PROCEED : cond_evaluate(&cr, s->etag, lm, now)) {
	case COND_NOT_MODIFIED:
		/* RFC 9110 15.4.5: the 200's validators and caching fields. */
		h.status = 304;
		h.content_type = NULL;
		serve_emit(s, x, &h);
		return;
	case COND_FAILED:
		serve_fail(s, x, 412);
		return;
	case COND_PROCEED:
		break;
	}

	h.accept_ranges = true;
	v = f.v[SERVE_F_RANGE];
	if (v != NULL && req->method == HTTP_METHOD_GET) {
		if (f.v[SERVE_F_IF_RANGE] == NULL ||
		    range_if_range(f.v[SERVE_F_IF_RANGE],
		    f.len[SERVE_F_IF_RANGE], s->etag, lm))
			rr = range_parse(v, f.len[SERVE_F_RANGE], size, ranges,
			    &n);
	}
	if (rr == RANGE_UNSATISFIABLE) {
		snprintf(s->crange, sizeof(s->crange), "bytes */%llu",
		    (unsigned long long)size);
		serve_fail(s, x, 416);
		return;
	}
	if (rr == RANGE_OK) {
		serve_ranges(s, x, &h, use, ranges, n);
		return;
	}
	h.status = 200;
	h.content_length = size;
	h.has_length = true;
	serve_emit(s, x, &h);
	if (x->head_only || size == 0 || x->res->status != 200)
		return;
	serve_body(x->res, use, 0, size);
}

/* The body: len bytes of entry e from off, from memory or the file. */
static void
serve_body(struct serve_response *res, const struct fcache_entry *e,
    uint64_t off, uint64_t len)
{
	res->len = len;
	if (e->mem != NULL) {
		res->body = SERVE_BODY_MEM;
		res->mem = e->mem + off;
	} else {
		res->body = SERVE_BODY_FILE;
		res->fd = e->fd;
		res->off = (off_t)off;
	}
}

/*
 * 206: one range as it is, several as multipart/byteranges, whose framing
 * and part list live in one heap block that the connection frees.
 */
static void
serve_ranges(struct serve *s, struct serve_ctx *x, struct http_head *h,
    const struct fcache_entry *use, const struct range *r, size_t n)
{
	struct serve_part	*parts;
	struct serve_response	*res = x->res;
	char			 boundary[RANGE_BOUNDARY_LEN + 1], *text;
	uint64_t		 size = (uint64_t)use->st.st_size, total;
	size_t			 i, k = 0, w, room;
	const char		*type = h->content_type;

	h->status = 206;
	h->has_length = true;
	if (n == 1) {
		snprintf(s->crange, sizeof(s->crange), "bytes %llu-%llu/%llu",
		    (unsigned long long)r[0].first,
		    (unsigned long long)r[0].last, (unsigned long long)size);
		h->content_range = s->crange;
		h->content_length = r[0].last - r[0].first + 1;
		serve_emit(s, x, h);
		if (x->head_only || res->status != 206)
			return;
		serve_body(res, use, r[0].first, h->content_length);
		return;
	}
	range_boundary(++s->seq ^ (uint64_t)time(NULL) << 20, boundary);
	total = range_multipart_length(r, n, boundary, type, size);
	/* Parts: a framing and a range each, then the closing delimiter. */
	room = n * RANGE_PART_HEAD_MAX + RANGE_PART_HEAD_MAX;
	if ((res->heap = malloc((2 * n + 1) * sizeof(*parts) + room)) ==
	    NULL) {
		serve_fail(s, x, 503);
		return;
	}
	parts = (struct serve_part *)(void *)res->heap;
	text = res->heap + (2 * n + 1) * sizeof(*parts);
	for (i = 0; i < n; i++) {
		w = range_part_head(text, room, boundary, type, &r[i], size);
		if (w == 0)
			goto whole;	/* a type too long to frame parts */
		parts[k].mem = text;
		parts[k].off = 0;
		parts[k++].len = w;
		text += w;
		room -= w;
		parts[k].mem = use->mem != NULL ? use->mem + r[i].first :
		    NULL;
		parts[k].off = (off_t)r[i].first;
		parts[k++].len = r[i].last - r[i].first + 1;
	}
	w = range_part_tail(text, room, boundary);
	if (w == 0)
		goto whole;
	parts[k].mem = text;
	parts[k].off = 0;
	parts[k++].len = w;
	snprintf(s->mptype, sizeof(s->mptype),
	    "multipart/byteranges; boundary=%s", boundary);
	h->content_type = s->mptype;
	h->content_length = total;
	serve_emit(s, x, h);
	if (x->head_only || res->status != 206) {
		free(res->heap);
		res->heap = NULL;
		return;
	}
	res->body = SERVE_BODY_PARTS;
	res->parts = parts;
	res->nparts = k;
	res->fd = use->fd;
	res->len = total;
	return;
 whole:
	/* RFC 9110 14.2 lets a server ignore Range: send it all. */
	free(res->heap);
	res->heap = NULL;
	h->status = 200;
	h->content_length = size;
	serve_emit(s, x, h);
	if (x->head_only || size == 0 || res->status != 200)
		return;
	serve_body(res, use, 0, size);
}

/*
 * Answer an error status: its --error-page (404: 404.html by default)
 * from the request's root when there is one, else a small built-in page.
 * Errors that leave the stream in doubt close the connection (RFC 9112
 * 9.6); 405 says Allow, 416 says Content-Range.
 */
static void
serve_fail(struct serve *s, struct serve_ctx *x, int status)
{
	const struct fcache_entry	*e = NULL;
	struct http_head		 h;
	const char			*page = NULL;
	char				 target[PATH_MAX + 2];
	bool				 dir;
	size_t				 i;
	int				 n;

	fcache_release(s->fc, x->res->ref);
	x->res->ref = NULL;
	memset(&h, 0, sizeof(h));
	h.status = status;
	h.has_length = true;
	h.vary_encoding = x->vary;
	switch (status) {
	case 400: case 408: case 411: case 413: case 414: case 431:
	case 501: case 505:
		x->res->close = true;
		break;
	case 405:
		h.allow = SERVE_ALLOW;
		break;
	case 416:
		h.content_range = s->crange;
		break;
	default:
		break;
	}
	for (i = 0; i < s->conf->nerror_pages; i++)
		if (s->conf->error_pages[i].status == status)
			page = s->conf->error_pages[i].path;
	if (page == NULL && status == 404)
		page = "404.html";
	if (page != NULL) {
		/* The page's path is confined like a request's. */
		snprintf(target, sizeof(target), "%s%s",
		    page[0] == '/' ? "" : "/", page);
		if (path_resolve(target, strlen(target), s->relbuf,
		    PATH_OUT_MAX, &dir) == PATH_OK && !dir) {
			e = serve_get(s, x, s->relbuf);
			if (e->err != 0 || !S_ISREG(e->st.st_mode))
				e = NULL;
		}
	}
	if (e != NULL) {
		h.content_type = serve_type(s, s->relbuf);
		h.content_length = (uint64_t)e->st.st_size;
		serve_emit(s, x, &h);
		if (x->head_only || e->st.st_size == 0)
			return;
		fcache_pin(s->fc, e);
		x->res->ref = e;
		serve_body(x->res, e, 0, (uint64_t)e->st.st_size);
		return;
	}
	n = snprintf(s->errbody, sizeof(s->errbody),
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	    "<body><h1>%d %s</h1></body></html>\n", status,
	    http_reason(status), status, http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(s->errbody))
		n = 0;
	h.content_type = "text/html" SERVE_CHARSET;
	h.content_length = (uint64_t)n;
	serve_emit(s, x, &h);
	if (!x->head_only && n > 0 && x->res->status == status) {
		x->res->body = SERVE_BODY_MEM;
		x->res->mem = s->errbody;
		x->res->len = (uint64_t)n;
	}
}

/*
 * Write the head h with what every response carries (Date, Server, the
 * connection's fate, nosniff, --header lines) into the response.  A 204
 * or 304 carries no Content-Length (RFC 9110 8.6).
 */
static void
serve_emit(struct serve *s, struct serve_ctx *x, struct http_head *h)
{
	struct serve_response	*res = x->res;

	h->minor = x->req->minor;
	h->date = serve_date(s);
	h->keep_alive = x->req->keep_alive && !res->close;
	h->nosniff = s->conf->nosniff;
	h->extra = s->conf->headers[0] != '\0' ? s->conf->headers : NULL;
	if (h->status == 204 || h->status == 304)
		h->has_length = false;
	res->status = h->status;
	res->length = h->content_length;
	res->close = !h->keep_alive;
	res->head_len = http_write_head(x->head, x->cap, h);
	if (res->head_len == 0) {
		/* Cannot happen with cap >= SERVE_HEAD_MAX; still answer. */
		memset(h, 0, sizeof(*h));
		h->status = 500;
		h->has_length = true;
		res->status = 500;
		res->length = 0;
		res->close = true;
		res->head_len = http_write_head(x->head, x->cap, h);
	}
}

/*
 * The Content-Type for file name `name`: text types say utf-8.  The last
 * one made is kept (mime_lookup's strings are stable), since most
 * answers in a row are of one type.
 */
static const char *
serve_type(struct serve *s, const char *name)
{
	const char	*t = mime_lookup(s->mime, name);

	if (strncmp(t, "text/", 5) != 0)
		return t;
	if (t != s->type_of) {
		snprintf(s->type, sizeof(s->type), "%s%s", t, SERVE_CHARSET);
		s->type_of = t;
	}
	return s->type;
}

/*
 * Which coded siblings of regular file e (named name, plen bytes) may be
 * served: those not older than it.  Worked out once per trust period of
 * e's cache entry (fcache aux), not on every request.
 */
static unsigned
serve_siblings(struct serve *s, struct serve_ctx *x,
    const struct fcache_entry *e, const char *name, size_t plen)
{
	const struct fcache_entry	*sib;
	unsigned			 avail = 0;
	bool				 transient = false;
	int				 i;

	if (e->aux_set)
		return e->aux;
	memcpy(s->relbuf, name, plen);
	for (i = ENCODING_BR; i < ENCODING__COUNT; i++) {
		snprintf(s->relbuf + plen, sizeof(s->relbuf) - plen, "%s",
		    encoding_suffix(i));
		sib = serve_get(s, x, s->relbuf);
		if (sib->err == EMFILE || sib->err == ENFILE ||
		    sib->err == ENOMEM)
			transient = true;
		/* An older sibling is stale: never serve it. */
		if (sib->err == 0 && S_ISREG(sib->st.st_mode) &&
		    (sib->st.st_mtim.tv_sec > e->st.st_mtim.tv_sec ||
		    (sib->st.st_mtim.tv_sec == e->st.st_mtim.tv_sec &&
		    sib->st.st_mtim.tv_nsec >= e->st.st_mtim.tv_nsec)))
			avail |= ENCODING_MASK(i);
	}
	/* What a transient error hid is looked for again next time. */
	if (!transient)
		fcache_set_aux(s->fc, e, avail);
	return avail;
}

/*
 * One pass over the request's fields for those a file's answer depends
 * on, rather than a search per name; a field on several lines is marked
 * so that the caller joins its lines (RFC 9110 5.3).
 */
static void
serve_fields(const struct http_request *req, struct serve_fields *f)
{
#define F(name, id)	{ name, sizeof(name) - 1, id }
	static const struct {
		const char		*name;
		size_t			 len;
		enum serve_field_id	 id;
	} known[] = {
		F("Accept-Encoding", SERVE_F_ACCEPT_ENCODING),
		F("If-Match", SERVE_F_IF_MATCH),
		F("If-None-Match", SERVE_F_IF_NONE_MATCH),
		F("If-Modified-Since", SERVE_F_IF_MODIFIED_SINCE),
		F("If-Unmodified-Since", SERVE_F_IF_UNMODIFIED_SINCE),
		F("Range", SERVE_F_RANGE),
		F("If-Range", SERVE_F_IF_RANGE),
	};
#undef F
	const struct http_header	*hd;
	size_t				 i, k;

	memset(f, 0, sizeof(*f));
	for (i = 0; i < req->nheaders; i++) {
		hd = &req->headers[i];
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (hd->name.len != known[k].len ||
			    strncasecmp(hd->name.p, known[k].name,
			    hd->name.len) != 0)
				continue;
			if (f->v[known[k].id] != NULL)
				f->twice[known[k].id] = true;
			else {
				f->v[known[k].id] = hd->value.p;
				f->len[known[k].id] = hd->value.len;
			}
			break;
		}
	}
}

/* The first --cache-control rule whose suffix list matches name, or NULL. */
static const char *
serve_cache_control(struct serve *s, const char *name)
{
	const struct conf_cache_rule	*r;
	const char			*p, *e;
	size_t				 i, nlen = strlen(name), len;

	for (i = 0; i < s->conf->ncache_rules; i++) {
		r = &s->conf->cache_rules[i];
		for (p = r->suffixes; *p != '\0'; p = *e == ',' ? e + 1 : e) {
			e = p + strcspn(p, ",");
			len = (size_t)(e - p);
			if (len > 0 && len <= nlen &&
			    strncasecmp(name + nlen - len, p, len) == 0)
				return r->value;
		}
	}
	return NULL;
}

/* errno to HTTP status, in one place (STYLE.md section 6). */
static int
serve_errno_status(struct serve *s, int err)
{
	switch (err) {
	case ENOENT:
	case ENOTDIR:
	case ENAMETOOLONG:
		return 404;
	case EACCES:
	case EPERM:
	case ELOOP:
	case EXDEV:
		return 403;
	case EMFILE:
	case ENFILE:
		status_inc(s->st, STATUS_FILE_EMFILE);
		return 503;
	default:
		log_warnx("open of a file failed: %s", strerror(err));
		return 500;
	}
}
