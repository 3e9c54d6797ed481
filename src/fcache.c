/* sluice - ISC licence, see COPYING. */

/*
 * A worker's cache of opened files.
 *
 * Opening: beneath a root descriptor with openat2(RESOLVE_BENEATH), so
 * that neither ".." nor a symlink can leave the root (the lexical checks
 * of path.c come first; this is the second fence).  Where the kernel
 * lacks openat2, the path is walked one component at a time with
 * O_NOFOLLOW, and symlinks are refused rather than followed.
 *
 * Caching: a hash table with an LRU list.  An entry is trusted for
 * FCACHE_TTL seconds, so a busy file costs no system call but the
 * response's write; after that a fresh open is compared with the entry
 * (device, inode, size, mtime, type) and an unchanged file keeps its
 * entry, so one descriptor serves a file however long it is served.
 * Small files keep only their bytes (their descriptor is closed), large
 * ones their descriptor for sendfile.  A pinned entry (a response is
 * still sending from it) is unlinked rather than freed when evicted or
 * replaced, and freed at its last release.  Worker thread only.
 */

#include "config.h"

#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "fcache.h"
#include "log.h"

#ifndef RESOLVE_BENEATH
struct open_how {
	uint64_t	 flags;
	uint64_t	 mode;
	uint64_t	 resolve;
};
#define RESOLVE_NO_MAGICLINKS	0x02
#define RESOLVE_NO_SYMLINKS	0x04
#define RESOLVE_BENEATH		0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2		437
#endif

/* O_NONBLOCK: opening a FIFO that a docroot holds must not block. */
#define FCACHE_OPEN_FLAGS	(O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)
#define FCACHE_BUCKETS_MIN	16	/* hash buckets: twice the entries */
#define FCACHE_PATH_MAX		4096

struct fcache_node {
	struct fcache_entry		 e;	/* first: callers see only this */
	char				*key;
	char				*bytes;	/* e.mem, owned */
	uint32_t			 hash;
	time_t				 opened;
	unsigned			 refs;	/* pins */
	bool				 linked;	/* in the table and list */
	struct fcache_node		*next;	/* hash chain */
	TAILQ_ENTRY(fcache_node)	 lru;
};

TAILQ_HEAD(fcache_lru, fcache_node);

struct fcache {
	struct fcache_node	**table;
	size_t			 mask;		/* buckets - 1 */
	size_t			 n;		/* linked nodes */
	size_t			 max;
	enum fcache_links	 links;
	bool			 no_openat2;
	struct fcache_lru	 lru;		/* most recent first */
	struct fcache_node	 oom;		/* stands in when out of memory */
};

static void	 fcache_fill(struct fcache_node *, int);
static bool	 fcache_same(const struct fcache_node *, int,
		    const struct stat *);
static void	 fcache_unlink(struct fcache *, struct fcache_node *);
static void	 fcache_free(struct fcache_node *);
static int	 fcache_open_walk(struct fcache *, int, const char *);
static uint32_t	 fcache_hash(const char *);
static bool	 fcache_climbs(const char *);

struct fcache *
fcache_create(unsigned max, enum fcache_links links)
{
	struct fcache	*fc;
	size_t		 buckets = FCACHE_BUCKETS_MIN;

	if ((fc = calloc(1, sizeof(*fc))) == NULL)
		return NULL;
	while (buckets < (size_t)max * 2)
		buckets <<= 1;
	if ((fc->table = calloc(buckets, sizeof(*fc->table))) == NULL) {
		free(fc);
		return NULL;
	}
	fc->mask = buckets - 1;
	fc->max = max;
	fc->links = links;
	TAILQ_INIT(&fc->lru);
	return fc;
}

void
fcache_destroy(struct fcache *fc)
{
	if (fc == NULL)
		return;
	fcache_flush(fc, fc->links);
	free(fc->table);
	free(fc);
}

void
fcache_flush(struct fcache *fc, enum fcache_links links)
{
	struct fcache_node	*n;

	while ((n = TAILQ_FIRST(&fc->lru)) != NULL) {
		fcache_unlink(fc, n);
		if (n->refs == 0)
			fcache_free(n);
	}
	fc->links = links;
}

const struct fcache_entry *
fcache_get(struct fcache *fc, int rootfd, const char *key, const char *rel)
{
	struct fcache_node	*n, *victim;
	struct stat		 sb;
	uint32_t		 h = fcache_hash(key);
	time_t			 now = time(NULL);
	int			 fd, err = 0;

	for (n = fc->table[h & fc->mask]; n != NULL; n = n->next) {
		if (n->hash == h && strcmp(n->key, key) == 0)
			break;
	}
	if (n != NULL && now - n->opened < FCACHE_TTL && now >= n->opened) {
		TAILQ_REMOVE(&fc->lru, n, lru);
		TAILQ_INSERT_HEAD(&fc->lru, n, lru);
		return &n->e;
	}

	memset(&sb, 0, sizeof(sb));
	if ((fd = fcache_open(fc, rootfd, rel)) == -1)
		err = errno;
	else if (fstat(fd, &sb) == -1) {
		err = errno;
		close(fd);
		fd = -1;
	}
	if (n != NULL) {
		if (fcache_same(n, err, &sb)) {
			if (fd != -1)
				close(fd);
			n->opened = now;
			n->e.aux_set = false;	/* what it derived may change */
			TAILQ_REMOVE(&fc->lru, n, lru);
			TAILQ_INSERT_HEAD(&fc->lru, n, lru);
			return &n->e;
		}
		fcache_unlink(fc, n);
		if (n->refs == 0)
			fcache_free(n);
	}

	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->key = strdup(key)) == NULL) {
		free(n);
		if (fd != -1)
			close(fd);
		memset(&fc->oom, 0, sizeof(fc->oom));
		fc->oom.e.err = ENOMEM;
		fc->oom.e.fd = -1;
		return &fc->oom.e;
	}
	n->hash = h;
	n->e.fd = -1;
	n->e.err = err;
	n->e.st = sb;
	n->opened = now;
	if (fd != -1 && S_ISREG(sb.st_mode))
		fcache_fill(n, fd);
	else if (fd != -1)
		close(fd);
	/* Transient errors are not remembered: stale at once. */
	if (err == EMFILE || err == ENFILE || err == ENOMEM)
		n->opened = now - FCACHE_TTL;

	n->next = fc->table[h & fc->mask];
	fc->table[h & fc->mask] = n;
	TAILQ_INSERT_HEAD(&fc->lru, n, lru);
	n->linked = true;
	fc->n++;
	while (fc->n > fc->max && fc->n > 1 &&
	    (victim = TAILQ_LAST(&fc->lru, fcache_lru)) != n) {
		fcache_unlink(fc, victim);
		if (victim->refs == 0)
			fcache_free(victim);
	}
	return &n->e;
}

void
fcache_set_aux(struct fcache *fc, const struct fcache_entry *e, unsigned v)
{
	struct fcache_node	*n = (struct fcache_node *)(uintptr_t)e;

	if (n == &fc->oom)
		return;
	n->e.aux = v;
	n->e.aux_set = true;
}

void
fcache_pin(struct fcache *fc, const struct fcache_entry *e)
{
	struct fcache_node	*n = (struct fcache_node *)(uintptr_t)e;

	if (n != &fc->oom)
		n->refs++;
}

void
fcache_release(struct fcache *fc, const struct fcache_entry *e)
{
	struct fcache_node	*n = (struct fcache_node *)(uintptr_t)e;

	if (e == NULL || n == &fc->oom)
		return;
	n->refs--;
	if (n->refs == 0 && !n->linked)
		fcache_free(n);
}

/*
 * Keep a regular file's bytes when it is small (and close its descriptor:
 * the bytes are all a response needs), else keep fd for sendfile.  Takes
 * ownership of fd.
 */
static void
fcache_fill(struct fcache_node *n, int fd)
{
	size_t	 got = 0, size = (size_t)n->e.st.st_size;
	ssize_t	 r;

	if (n->e.st.st_size > FCACHE_SMALL_MAX ||
	    (size > 0 && (n->bytes = malloc(size)) == NULL)) {
		n->e.fd = fd;
		return;
	}
	while (got < size) {
		r = pread(fd, n->bytes + got, size - got, (off_t)got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	/* A file that shrank while read is served as read. */
	n->e.st.st_size = (off_t)got;
	n->e.mem = n->bytes;
	close(fd);
}

/* Whether opening the path again gave what node n already holds. */
static bool
fcache_same(const struct fcache_node *n, int err, const struct stat *sb)
{
	const struct stat	*st = &n->e.st;

	if (n->e.err != err)
		return false;
	/* A transient error is never trusted again: open afresh. */
	if (err == EMFILE || err == ENFILE || err == ENOMEM)
		return false;
	if (err != 0)
		return true;
	return st->st_dev == sb->st_dev && st->st_ino == sb->st_ino &&
	    st->st_size == sb->st_size && st->st_mode == sb->st_mode &&
	    st->st_mtim.tv_sec == sb->st_mtim.tv_sec &&
	    st->st_mtim.tv_nsec == sb->st_mtim.tv_nsec;
}

/* Take n out of the table and the LRU list; freed at its last pin. */
static void
fcache_unlink(struct fcache *fc, struct fcache_node *n)
{
	struct fcache_node	**pp;

	if (!n->linked)
		return;
	for (pp = &fc->table[n->hash & fc->mask]; *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	TAILQ_REMOVE(&fc->lru, n, lru);
	n->linked = false;
	fc->n--;
}

/* Free an unlinked, unpinned node and close its descriptor. */
static void
fcache_free(struct fcache_node *n)
{
	if (n->e.fd != -1)
		close(n->e.fd);
	free(n->bytes);
	free(n->key);
	free(n);
}

/*
 * EXDEV is what a path that would leave the root gives, ELOOP a refused
 * symlink.
 */
int
fcache_open(struct fcache *fc, int rootfd, const char *path)
{
	struct open_how	 how;
	long		 fd;

	if (*path == '\0')
		path = ".";
	/*
	 * Whatever the symlink policy, the path itself never climbs: the
	 * lexical layer guarantees it, and this fence does not rely on that
	 * (RESOLVE_BENEATH would catch it, but ALWAYS and the walk do not).
	 */
	if (fcache_climbs(path)) {
		errno = EXDEV;
		return -1;
	}
	if (!fc->no_openat2) {
		memset(&how, 0, sizeof(how));
		how.flags = FCACHE_OPEN_FLAGS;
		how.resolve = RESOLVE_NO_MAGICLINKS;
		if (fc->links != FCACHE_LINKS_ALWAYS)
			how.resolve |= RESOLVE_BENEATH;
		if (fc->links == FCACHE_LINKS_NEVER)
			how.resolve |= RESOLVE_NO_SYMLINKS;
		fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd != -1 || errno != ENOSYS)
			return (int)fd;
		fc->no_openat2 = true;
		log_info("openat2 is not available: symbolic links under "
		    "the docroot are refused");
	}
	if (fc->links == FCACHE_LINKS_ALWAYS)
		return openat(rootfd, path, FCACHE_OPEN_FLAGS);
	return fcache_open_walk(fc, rootfd, path);
}

/* The fallback: each component with O_NOFOLLOW, so no link is followed. */
static int
fcache_open_walk(struct fcache *fc, int rootfd, const char *path)
{
	char		 comp[FCACHE_PATH_MAX];
	const char	*p = path, *slash;
	size_t		 len;
	int		 dfd = rootfd, fd, saved;

	for (;;) {
		slash = strchr(p, '/');
		len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= sizeof(comp)) {
			errno = ENOENT;
			fd = -1;
			break;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		fd = openat(dfd, comp, FCACHE_OPEN_FLAGS | O_NOFOLLOW |
		    (slash != NULL ? O_DIRECTORY : 0));
		saved = errno;
		if (dfd != rootfd)
			close(dfd);
		errno = saved;
		if (fd == -1 || slash == NULL)
			break;
		dfd = fd;
		p = slash + 1;
	}
	return fd;
}

/* Whether a relative path is absolute or has a ".." component. */
static bool
fcache_climbs(const char *p)
{
	const char	*s;

	if (*p == '/')
		return true;
	for (s = p; *s != '\0'; ) {
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' || s[2] == '\0'))
			return true;
		s += strcspn(s, "/");
		if (*s == '/')
			s++;
	}
	return false;
}

/* FNV-1a: short keys, good enough spread, no allocation. */
static uint32_t
fcache_hash(const char *key)
{
	uint32_t	 h = 2166136261u;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}
