/* sluice - ISC licence, see COPYING. */

/*
 * Static-file responses, on a worker's thread.
 *
 * A request's path is first confined lexically (path.c), then opened
 * beneath a descriptor of the docroot with openat2(RESOLVE_BENEATH), so
 * neither "..", an encoded trick nor a symlink can leave the docroot;
 * where the kernel lacks openat2 the path is walked one component at a
 * time with O_NOFOLLOW (symlinks are then refused rather than followed).
 *
 * Each worker keeps a small cache of what opening a path gave: the open
 * descriptor and its fstat, the bytes of a small file, or the errno.  An
 * entry is trusted for SERVE_CACHE_TTL seconds, so a busy file costs no
 * system call but the response's write, and a changed file is seen within
 * a second.  Entries are evicted least recently used; one that a response
 * still sends from (pinned by serve_request, dropped by serve_release) is
 * unlinked and freed at its last release.  The cache is the worker's own:
 * no lock.
 */

#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "conf.h"
#include "http.h"
#include "log.h"
#include "mime.h"
#include "path.h"
#include "serve.h"
#include "status.h"

#ifndef RESOLVE_BENEATH
struct open_how {
	uint64_t	 flags;
	uint64_t	 mode;
	uint64_t	 resolve;
};
#define RESOLVE_NO_MAGICLINKS	0x02
#define RESOLVE_BENEATH		0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2		437
#endif

#define SERVE_OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
#define SERVE_ERRBODY_MAX	512
#define SERVE_BUCKETS_MIN	16	/* hash buckets; twice the entries */

struct serve_entry {
	char				*key;		/* path relative to the root */
	uint32_t			 hash;
	int				 err;		/* errno of the open, or 0 */
	int				 fd;		/* regular files only, or -1 */
	struct stat			 st;
	char				*mem;		/* small regular files */
	time_t				 opened;
	unsigned			 refs;		/* pins from responses */
	bool				 linked;	/* in the table and list */
	struct serve_entry		*next;		/* hash chain */
	TAILQ_ENTRY(serve_entry)	 lru;
};

TAILQ_HEAD(serve_lru, serve_entry);

struct serve {
	const struct conf	*conf;
	const struct mime	*mime;
	struct status		*st;
	int			 rootfd;
	bool			 no_openat2;
	struct serve_entry	**table;
	size_t			 mask;		/* buckets - 1 */
	size_t			 n;		/* linked entries */
	size_t			 max;
	struct serve_lru	 lru;		/* most recent first */
	time_t			 date_t;
	char			 date[HTTP_DATE_LEN + 1];
	char			 errbody[SERVE_ERRBODY_MAX];
	char			 location[SERVE_LOCATION_MAX];
	char			 pathbuf[PATH_OUT_MAX + 32];
	struct serve_entry	 oom;		/* stands in when out of memory */
};

static struct serve_entry *serve_lookup(struct serve *, const char *);
static void	 serve_fill(struct serve_entry *, int);
static bool	 serve_same(const struct serve_entry *, int,
		    const struct stat *);
static void	 serve_unlink(struct serve *, struct serve_entry *);
static void	 serve_free(struct serve_entry *);
static int	 serve_open(struct serve *, const char *);
static int	 serve_open_walk(struct serve *, const char *);
static int	 serve_errno_status(struct serve *, int);
static void	 serve_redirect(struct serve *, const struct http_request *,
		    const char *, size_t, char *, size_t,
		    struct serve_response *);
static void	 serve_file(struct serve *, const struct http_request *,
		    struct serve_entry *, const char *, char *, size_t,
		    struct serve_response *);
static void	 serve_head(struct serve *, struct serve_response *, int,
		    const struct http_request *, bool, const char *, uint64_t,
		    time_t, const char *, const char *, char *, size_t);
static uint32_t	 serve_hash(const char *);

struct serve *
serve_create(const struct conf *conf, const char *root,
    const struct mime *mime, struct status *st, unsigned cache_entries,
    char *err, size_t errlen)
{
	struct serve	*s;
	size_t		 buckets = SERVE_BUCKETS_MIN;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->conf = conf;
	s->mime = mime;
	s->st = st;
	s->max = cache_entries;
	TAILQ_INIT(&s->lru);
	while (buckets < (size_t)cache_entries * 2)
		buckets <<= 1;
	s->mask = buckets - 1;
	if ((s->table = calloc(buckets, sizeof(*s->table))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s->rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd == -1) {
		snprintf(err, errlen, "--root: cannot open \"%s\": %s; give "
		    "an existing directory", root, strerror(errno));
		goto fail;
	}
	return s;
 fail:
	free(s->table);
	free(s);
	return NULL;
}

void
serve_destroy(struct serve *s)
{
	struct serve_entry	*e;

	if (s == NULL)
		return;
	while ((e = TAILQ_FIRST(&s->lru)) != NULL) {
		serve_unlink(s, e);
		if (e->refs == 0)
			serve_free(e);
	}
	free(s->table);
	close(s->rootfd);
	free(s);
}

void
serve_request(struct serve *s, const struct http_request *req,
    const char *path_override, char *head, size_t cap,
    struct serve_response *res)
{
	static const char *const index_files[] = SERVE_INDEX_FILES;
	struct serve_entry	*e, *ie;
	const char		*target;
	size_t			 tlen, i, plen;
	bool			 dir;
	enum path_result	 pr;
	int			 status;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	if (req->method != HTTP_METHOD_GET &&
	    req->method != HTTP_METHOD_HEAD) {
		status = req->method == HTTP_METHOD_OTHER ? 501 : 405;
		serve_error(s, status, req->minor, req->keep_alive, false,
		    head, cap, res);
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
		serve_error(s, path_status(pr), req->minor, false,
		    req->method == HTTP_METHOD_HEAD, head, cap, res);
		return;
	}
	e = serve_lookup(s, s->pathbuf);
	if (e->err != 0) {
		status = serve_errno_status(s, e->err);
		serve_error(s, status, req->minor, req->keep_alive,
		    req->method == HTTP_METHOD_HEAD, head, cap, res);
		return;
	}
	if (S_ISDIR(e->st.st_mode)) {
		if (!dir) {
			serve_redirect(s, req, target, tlen, head, cap, res);
			return;
		}
		plen = strlen(s->pathbuf);
		for (i = 0; i < sizeof(index_files) / sizeof(index_files[0]);
		    i++) {
			if (plen + 1 + strlen(index_files[i]) + 1 >
			    sizeof(s->pathbuf))
				break;
			snprintf(s->pathbuf + plen, sizeof(s->pathbuf) - plen,
			    "%s%s", plen == 0 ? "" : "/", index_files[i]);
			ie = serve_lookup(s, s->pathbuf);
			if (ie->err == 0 && S_ISREG(ie->st.st_mode)) {
				serve_file(s, req, ie, s->pathbuf, head, cap,
				    res);
				return;
			}
		}
		/* No index and no listing (yet): as nginx, forbidden. */
		serve_error(s, 403, req->minor, req->keep_alive,
		    req->method == HTTP_METHOD_HEAD, head, cap, res);
		return;
	}
	if (!S_ISREG(e->st.st_mode)) {
		serve_error(s, 403, req->minor, req->keep_alive,
		    req->method == HTTP_METHOD_HEAD, head, cap, res);
		return;
	}
	if (dir) {
		/* "file.html/" names a directory that is not there. */
		serve_error(s, 404, req->minor, req->keep_alive,
		    req->method == HTTP_METHOD_HEAD, head, cap, res);
		return;
	}
	serve_file(s, req, e, s->pathbuf, head, cap, res);
}

void
serve_error(struct serve *s, int status, int minor, bool keep_alive,
    bool head_only, char *head, size_t cap, struct serve_response *res)
{
	struct http_request	 fake;
	struct serve_entry	*e;
	int			 n;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
	/* Errors that leave the stream in doubt close it (RFC 9112 9.6). */
	switch (status) {
	case 400: case 408: case 411: case 413: case 414: case 431:
	case 501: case 505:
		keep_alive = false;
		break;
	default:
		break;
	}
	memset(&fake, 0, sizeof(fake));
	fake.minor = minor;
	fake.keep_alive = keep_alive;
	fake.method = head_only ? HTTP_METHOD_HEAD : HTTP_METHOD_GET;
	if (status == 404) {
		e = serve_lookup(s, "404.html");
		if (e->err == 0 && S_ISREG(e->st.st_mode)) {
			serve_file(s, &fake, e, "404.html", head, cap, res);
			res->status = 404;
			/* serve_file wrote a 200 head: write it again. */
			serve_head(s, res, 404, &fake, head_only,
			    mime_lookup(s->mime, "404.html"),
			    (uint64_t)e->st.st_size, 0, NULL, NULL, head, cap);
			return;
		}
	}
	n = snprintf(s->errbody, sizeof(s->errbody),
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>\n"
	    "<body><h1>%d %s</h1></body></html>\n", status,
	    http_reason(status), status, http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(s->errbody))
		n = 0;
	serve_head(s, res, status, &fake, head_only, "text/html",
	    (uint64_t)n, 0, NULL, status == 405 ? SERVE_ALLOW : NULL, head,
	    cap);
	if (!head_only && n > 0) {
		res->body = SERVE_BODY_MEM;
		res->mem = s->errbody;
		res->len = (uint64_t)n;
	}
}

void
serve_release(struct serve *s, struct serve_entry *e)
{
	if (e == NULL)
		return;
	e->refs--;
	if (e->refs == 0 && !e->linked)
		serve_free(e);
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
 * 301 to the slash form of the directory in s->pathbuf.  Location is made
 * from the decoded, confined path, percent-encoded, never from the raw
 * target: "//host/../dir" must not become a redirect to another host.
 * The query, if any, is kept as received.
 */
static void
serve_redirect(struct serve *s, const struct http_request *req,
    const char *target, size_t tlen, char *head, size_t cap,
    struct serve_response *res)
{
	const char	*q = memchr(target, '?', tlen);
	size_t		 qlen = q != NULL ? tlen - (size_t)(q - target) : 0;
	size_t		 n, m = 0, room = sizeof(s->location);

	s->location[0] = '/';
	n = path_encode(s->pathbuf, s->location + 1, room - 1);
	if ((n == 0 && s->pathbuf[0] != '\0') || n + 3 > room)
		goto too_long;
	s->location[1 + n] = '/';
	s->location[2 + n] = '\0';
	if (qlen > 0) {
		m = path_encode_query(q, qlen, s->location + 2 + n,
		    room - 2 - n);
		if (m == 0)
			goto too_long;
	}
	serve_head(s, res, 301, req, false, "text/html", 0, 0, s->location,
	    NULL, head, cap);
	return;
 too_long:
	serve_error(s, 414, req->minor, false, req->method == HTTP_METHOD_HEAD,
	    head, cap, res);
}

/* Fill res for a regular file entry e, named `name` (for its type). */
static void
serve_file(struct serve *s, const struct http_request *req,
    struct serve_entry *e, const char *name, char *head, size_t cap,
    struct serve_response *res)
{
	uint64_t	 size = (uint64_t)e->st.st_size;
	bool		 head_only = req->method == HTTP_METHOD_HEAD;

	serve_head(s, res, 200, req, head_only, mime_lookup(s->mime, name),
	    size, e->st.st_mtime, NULL, NULL, head, cap);
	if (head_only || size == 0)
		return;
	if (e->mem != NULL) {
		res->body = SERVE_BODY_MEM;
		res->mem = e->mem;
		res->len = size;
		return;
	}
	res->body = SERVE_BODY_FILE;
	res->fd = e->fd;
	res->off = 0;
	res->len = size;
	res->ref = e;
	e->refs++;
}

/* Write a response head and fill the header-related fields of res. */
static void
serve_head(struct serve *s, struct serve_response *res, int status,
    const struct http_request *req, bool head_only, const char *type,
    uint64_t length, time_t mtime, const char *location, const char *allow,
    char *head, size_t cap)
{
	struct http_head	 h;

	(void)head_only;
	memset(&h, 0, sizeof(h));
	h.status = status;
	h.minor = req->minor;
	h.date = serve_date(s);
	h.content_type = type;
	h.content_length = length;
	h.has_length = true;
	h.last_modified = mtime;
	h.location = location;
	h.allow = allow;
	h.keep_alive = req->keep_alive;
	res->status = status;
	res->length = length;
	res->close = !req->keep_alive;
	res->head_len = http_write_head(head, cap, &h);
	if (res->head_len == 0) {
		/* Cannot happen with cap >= SERVE_HEAD_MAX; still answer. */
		memset(&h, 0, sizeof(h));
		h.status = 500;
		h.has_length = true;
		res->status = 500;
		res->length = 0;
		res->close = true;
		res->body = SERVE_BODY_NONE;
		res->head_len = http_write_head(head, cap, &h);
	}
}

/*
 * The cache entry for `key`, opening the path on a miss or once the entry
 * is older than SERVE_CACHE_TTL.  An expired entry whose file is still the
 * same (device, inode, size, mtime, type) is kept and trusted again, so a
 * file that does not change keeps one descriptor however long it is
 * served.  Never NULL: when no entry can be allocated, s->oom stands in,
 * carrying ENOMEM.
 */
static struct serve_entry *
serve_lookup(struct serve *s, const char *key)
{
	struct serve_entry	*e, *victim;
	struct stat		 sb;
	uint32_t		 h = serve_hash(key);
	time_t			 now = time(NULL);
	int			 fd, err = 0;

	for (e = s->table[h & s->mask]; e != NULL; e = e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0)
			break;
	}
	if (e != NULL && now - e->opened < SERVE_CACHE_TTL &&
	    now >= e->opened) {
		TAILQ_REMOVE(&s->lru, e, lru);
		TAILQ_INSERT_HEAD(&s->lru, e, lru);
		return e;
	}

	memset(&sb, 0, sizeof(sb));
	if ((fd = serve_open(s, key)) == -1)
		err = errno;
	else if (fstat(fd, &sb) == -1) {
		err = errno;
		close(fd);
		fd = -1;
	}
	if (e != NULL) {
		if (serve_same(e, err, &sb)) {
			if (fd != -1)
				close(fd);
			e->opened = now;
			TAILQ_REMOVE(&s->lru, e, lru);
			TAILQ_INSERT_HEAD(&s->lru, e, lru);
			return e;
		}
		serve_unlink(s, e);
		if (e->refs == 0)
			serve_free(e);
	}

	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->key = strdup(key)) == NULL) {
		free(e);
		if (fd != -1)
			close(fd);
		memset(&s->oom, 0, sizeof(s->oom));
		s->oom.err = ENOMEM;
		s->oom.fd = -1;
		return &s->oom;
	}
	e->hash = h;
	e->fd = -1;
	e->opened = now;
	e->err = err;
	e->st = sb;
	if (fd != -1 && S_ISREG(sb.st_mode))
		serve_fill(e, fd);
	else if (fd != -1)
		close(fd);
	/* Transient errors are not remembered: stale at once. */
	if (err == EMFILE || err == ENFILE || err == ENOMEM)
		e->opened = now - SERVE_CACHE_TTL;

	e->next = s->table[h & s->mask];
	s->table[h & s->mask] = e;
	TAILQ_INSERT_HEAD(&s->lru, e, lru);
	e->linked = true;
	s->n++;
	while (s->n > s->max && s->n > 1 &&
	    (victim = TAILQ_LAST(&s->lru, serve_lru)) != e) {
		serve_unlink(s, victim);
		if (victim->refs == 0)
			serve_free(victim);
	}
	return e;
}

/*
 * Keep a regular file's bytes in memory when it is small (its descriptor
 * is closed then: the bytes are all a response needs), else keep fd for
 * sendfile.  Takes ownership of fd.
 */
static void
serve_fill(struct serve_entry *e, int fd)
{
	size_t	 got = 0, size = (size_t)e->st.st_size;
	ssize_t	 n;

	if (e->st.st_size > SERVE_SMALL_MAX) {
		e->fd = fd;
		return;
	}
	if (size > 0 && (e->mem = malloc(size)) == NULL) {
		e->fd = fd;	/* no memory: send it from the file */
		return;
	}
	while (got < size) {
		n = pread(fd, e->mem + got, size - got, (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	/* A file that shrank while read is served as read. */
	e->st.st_size = (off_t)got;
	close(fd);
}

/* Whether opening the path again gave what entry e already holds. */
static bool
serve_same(const struct serve_entry *e, int err, const struct stat *sb)
{
	if (e->err != err)
		return false;
	if (err != 0)
		return true;
	return e->st.st_dev == sb->st_dev && e->st.st_ino == sb->st_ino &&
	    e->st.st_size == sb->st_size && e->st.st_mode == sb->st_mode &&
	    e->st.st_mtim.tv_sec == sb->st_mtim.tv_sec &&
	    e->st.st_mtim.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Take e out of the table and the LRU list; it is freed at its last pin. */
static void
serve_unlink(struct serve *s, struct serve_entry *e)
{
	struct serve_entry	**pp;

	if (!e->linked)
		return;
	for (pp = &s->table[e->hash & s->mask]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			break;
		}
	}
	TAILQ_REMOVE(&s->lru, e, lru);
	e->linked = false;
	s->n--;
}

/* Free an unlinked, unpinned entry and close its descriptor. */
static void
serve_free(struct serve_entry *e)
{
	if (e->fd != -1)
		close(e->fd);
	free(e->mem);
	free(e->key);
	free(e);
}

/*
 * Open `path` (relative, "" for the root) beneath the docroot.  Returns a
 * descriptor or -1 with errno; EXDEV or ELOOP for a path that would leave.
 */
static int
serve_open(struct serve *s, const char *path)
{
	struct open_how	 how;
	long		 fd;

	if (*path == '\0')
		path = ".";
	if (!s->no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = SERVE_OPEN_FLAGS;
		how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
		fd = syscall(SYS_openat2, s->rootfd, path, &how, sizeof(how));
		if (fd != -1 || errno != ENOSYS)
			return (int)fd;
		s->no_openat2 = true;
		log_info("openat2 is not available: symbolic links under "
		    "the docroot are refused");
	}
	return serve_open_walk(s, path);
}

/* The fallback: each component with O_NOFOLLOW, so no link is followed. */
static int
serve_open_walk(struct serve *s, const char *path)
{
	char		 comp[PATH_OUT_MAX];
	const char	*p = path, *slash;
	size_t		 n;
	int		 dfd = s->rootfd, fd, saved;

	for (;;) {
		slash = strchr(p, '/');
		n = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n >= sizeof(comp)) {
			errno = ENOENT;
			fd = -1;
			break;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		fd = openat(dfd, comp, SERVE_OPEN_FLAGS | O_NOFOLLOW |
		    (slash != NULL ? O_DIRECTORY : 0));
		saved = errno;
		if (dfd != s->rootfd)
			close(dfd);
		errno = saved;
		if (fd == -1 || slash == NULL)
			break;
		dfd = fd;
		p = slash + 1;
	}
	return fd;
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

/* FNV-1a: short keys, good enough spread, no allocation. */
static uint32_t
serve_hash(const char *key)
{
	uint32_t	 h = 2166136261u;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}
