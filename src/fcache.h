/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_FCACHE_H
#define SLUICE_FCACHE_H

/*
 * A worker's cache of opened files (DESIGN.md, "Data in flight": open
 * descriptors and their fstat may be cached per worker for a short
 * time).  A path is opened beneath a root descriptor so that it cannot
 * leave it (openat2 RESOLVE_BENEATH, or a component walk with O_NOFOLLOW
 * where the kernel lacks openat2), and what that gave is kept for
 * FCACHE_TTL seconds: the bytes of a small file, the descriptor of a
 * large one, the fstat, or the errno.  One cache per worker, used by that
 * worker's thread only: no lock.
 */

#include <sys/stat.h>

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define FCACHE_TTL		1	/* seconds an entry is trusted */
#define FCACHE_SMALL_MAX	(16 * 1024)	/* files kept as bytes */

enum fcache_links {
	FCACHE_LINKS_INSIDE,	/* follow symlinks that stay beneath the root */
	FCACHE_LINKS_NEVER,	/* refuse every symlink (ELOOP) */
	FCACHE_LINKS_ALWAYS	/* follow symlinks wherever they point (with
				   openat2 not through /proc magic links;
				   without it, those too) */
};

struct fcache;

/* What opening a path gave.  Read-only for callers. */
struct fcache_entry {
	int		 err;	/* errno of the open, or 0 */
	struct stat	 st;	/* valid when err == 0 */
	const char	*mem;	/* a small regular file's bytes, or NULL */
	int		 fd;	/* a large regular file, or -1 */
	/*
	 * A value the caller derived from this entry (serve.c: which coded
	 * siblings exist), kept as long as the entry is trusted and cleared
	 * whenever it is opened or revalidated again.  Set with
	 * fcache_set_aux.
	 */
	unsigned	 aux;
	bool		 aux_set;
};

/*
 * A cache of at most `max` entries (0: nothing is kept past its use).
 * Returns NULL on allocation failure.
 */
struct fcache	*fcache_create(unsigned max, enum fcache_links);
void		 fcache_destroy(struct fcache *);

/*
 * Forget every entry (a reload: another docroot, another symlink policy)
 * and follow `links` from now on.  Pinned entries live on, out of the
 * table, until their last release.
 */
void		 fcache_flush(struct fcache *, enum fcache_links);

/*
 * The entry for relative path `rel` ("" is the root itself) opened beneath
 * rootfd, cached under `key` (which must name rootfd and rel together:
 * callers with several roots prefix it).  An entry older than FCACHE_TTL
 * is checked against a fresh open and kept if the file is unchanged.
 * Never NULL (an allocation failure gives an entry carrying ENOMEM).  The
 * entry is valid until the next fcache_get, unless pinned.
 */
const struct fcache_entry *fcache_get(struct fcache *, int rootfd,
		    const char *key, const char *rel);

/*
 * Open relative path `rel` beneath rootfd as fcache_get would, without
 * caching: for directories read whole (listings) and host roots.
 * Returns a descriptor the caller must close, or -1 with errno.
 */
int		 fcache_open(struct fcache *, int rootfd, const char *rel);

/* Remember a value derived from e until e is next revalidated. */
void		 fcache_set_aux(struct fcache *, const struct fcache_entry *,
		    unsigned);

/*
 * Pin an entry so that it (its bytes and descriptor) outlives later gets
 * and eviction, until fcache_release.  NULL is a no-op for release.
 */
void		 fcache_pin(struct fcache *, const struct fcache_entry *);
void		 fcache_release(struct fcache *, const struct fcache_entry *);

#endif /* SLUICE_FCACHE_H */
