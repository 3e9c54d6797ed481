/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for fcache.c: the worker's cache of files opened beneath a
 * root descriptor.
 *
 * Each test gets a fresh directory under /tmp (mode 0755): a file
 * "outside" and a docroot "root" beside it, holding small, boundary,
 * large and empty files, a subdirectory and symlinks that stay inside,
 * climb out, are absolute, go through /proc magic links or loop.
 * Confinement is table-driven for each enum fcache_links mode, through
 * openat2 and, in a forked child whose seccomp filter makes openat2 fail
 * with ENOSYS, through the O_NOFOLLOW walk that stands in for it.
 *
 * Caching is observed through the file system: a file removed after its
 * first get is still served from the cache, a get with root descriptor
 * -1 can only be answered by the cache, a descriptor is counted in
 * /proc/self/fd.  fcache trusts an entry while time(NULL) has not moved
 * on by FCACHE_TTL, so a "within the TTL" scenario is only judged when
 * time(NULL) read the same second before and after it (and is retried
 * otherwise); "after the TTL" sleeps 1.1 s, which is the scenario and not
 * synchronisation.  EMFILE is forced by lowering RLIMIT_NOFILE to the
 * lowest free descriptor.
 *
 * Pinned entries must be released before fcache_destroy (destroy does
 * not free them and a later release would touch the freed cache); only
 * that order is tested.
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cmocka.h>

#include "fcache.h"

#ifndef SYS_openat2
#define SYS_openat2	437
#endif

#define SMALL_BODY	"hello, sluice\n"
#define INNER_BODY	"inner\n"
#define SECRET_BODY	"secret\n"
#define LARGE_SIZE	(FCACHE_SMALL_MAX + 1)
#define TRIES		5	/* attempts to fit a scenario in one second */
#define TTL_SLEEP_MS	1100	/* FCACHE_TTL (1 s) and a margin */
#define SKIP_STATUS	77	/* a child that could not install its filter */
#define MODEL_KEYS	24	/* test_fcache_get_many_keys: keys, */
#define MODEL_MAX	8	/* the cache's size, */
#define MODEL_STEPS	1000	/* and the number of gets */

/* An expected outcome that is not one errno. */
#define WANT_REFUSED	(-1)	/* EXDEV or ELOOP: would leave the root */
#define WANT_ANY_ERROR	(-2)	/* any errno, as long as it is not opened */

struct fx {
	char		 top[64];	/* /tmp/test_fcache.XXXXXX */
	int		 topfd;
	int		 rootfd;	/* top/root, the docroot */
	struct fcache	*fc;
};

/* One row of a confinement table. */
struct conf_case {
	const char	*rel;	/* "@" stands for the top directory's path */
	int		 want;	/* 0, an errno, WANT_REFUSED, WANT_ANY_ERROR */
	const char	*body;	/* when want is 0: the contents, or NULL */
};

static int	 fx_setup(void **);
static int	 fx_teardown(void **);
static int	 rm_cb(const char *, const struct stat *, int, struct FTW *);
static void	 put(int, const char *, const void *, size_t);
static void	 put_pattern(int, const char *, size_t, unsigned);
static void	 pattern(unsigned char *, size_t, unsigned);
static void	 set_mtime(int, const char *, time_t, long);
static int	 fd_count(void);
static void	 msleep(long);
static struct fcache *mkcache(struct fx *, unsigned, enum fcache_links);
static bool	 entry_has(const struct fcache_entry *, const void *, size_t);
static void	 check_pattern(const struct fcache_entry *, size_t, unsigned);
static bool	 check_case(struct fcache *, int, const char *,
		    const struct conf_case *, char *, size_t);
static void	 run_cases(struct fx *, enum fcache_links,
		    const struct conf_case *, size_t);
static int	 deny_openat2(void);
static int	 run_fallback(struct fx *, enum fcache_links,
		    const struct conf_case *, size_t);
static int	 lowest_free_fd(void);
static void	 limit_fds(struct rlimit *);

/* Confinement with FCACHE_LINKS_INSIDE, through openat2. */
static const struct conf_case cases_inside[] = {
	{ "small.txt",			0,		SMALL_BODY },
	{ "",				0,		NULL },
	{ "dir/inner.txt",		0,		INNER_BODY },
	/* No ".." passes, even one that would stay inside. */
	{ "dir/../small.txt",		WANT_REFUSED,	NULL },
	{ "link_inside",		0,		SMALL_BODY },
	{ "dir/link_up",		0,		SMALL_BODY },
	{ "link_dir/inner.txt",		0,		INNER_BODY },
	{ "link_out",			WANT_REFUSED,	NULL },
	{ "dir/link_out2",		WANT_REFUSED,	NULL },
	{ "link_abs",			WANT_REFUSED,	NULL },
	{ "link_abs_inside",		WANT_REFUSED,	NULL },
	{ "link_proc",			WANT_REFUSED,	NULL },
	{ "link_procfd",		WANT_REFUSED,	NULL },
	{ "link_procself",		WANT_REFUSED,	NULL },
	{ "../outside",			WANT_REFUSED,	NULL },
	{ "..",				WANT_REFUSED,	NULL },
	{ "dir/../../outside",		WANT_REFUSED,	NULL },
	{ "link_dir/../../outside",	WANT_REFUSED,	NULL },
	{ "@/outside",			WANT_REFUSED,	NULL },
	{ "/proc/self/root@/outside",	WANT_REFUSED,	NULL },
	{ "link_loop",			ELOOP,		NULL },
};

/* FCACHE_LINKS_NEVER: no symlink at all, even one that stays inside. */
static const struct conf_case cases_never[] = {
	{ "small.txt",			0,		SMALL_BODY },
	{ "dir/inner.txt",		0,		INNER_BODY },
	/* No ".." passes, even one that would stay inside. */
	{ "dir/../small.txt",		WANT_REFUSED,	NULL },
	{ "link_inside",		ELOOP,		NULL },
	{ "dir/link_up",		ELOOP,		NULL },
	{ "link_dir/inner.txt",		ELOOP,		NULL },
	{ "link_out",			WANT_REFUSED,	NULL },
	{ "link_abs",			WANT_REFUSED,	NULL },
	{ "link_proc",			WANT_REFUSED,	NULL },
	{ "link_procfd",		WANT_REFUSED,	NULL },
	{ "../outside",			WANT_REFUSED,	NULL },
	{ "@/outside",			WANT_REFUSED,	NULL },
};

/* FCACHE_LINKS_ALWAYS: symlinks go anywhere, magic links nowhere. */
static const struct conf_case cases_always[] = {
	{ "small.txt",			0,		SMALL_BODY },
	{ "link_inside",		0,		SMALL_BODY },
	{ "link_out",			0,		SECRET_BODY },
	{ "dir/link_out2",		0,		SECRET_BODY },
	{ "link_abs",			0,		SECRET_BODY },
	{ "link_abs_inside",		0,		SMALL_BODY },
	{ "link_proc",			WANT_REFUSED,	NULL },
	{ "link_procfd",		WANT_REFUSED,	NULL },
	{ "link_loop",			ELOOP,		NULL },
};

/* The request path itself may not climb out, whatever the symlink rule. */
static const struct conf_case cases_always_dotdot[] = {
	{ "../outside",			WANT_REFUSED,	NULL },
	{ "dir/../../outside",		WANT_REFUSED,	NULL },
	{ "@/outside",			WANT_REFUSED,	NULL },
};

/* The O_NOFOLLOW walk: confined, and every symlink refused. */
static const struct conf_case cases_walk[] = {
	{ "small.txt",			0,		SMALL_BODY },
	{ "",				0,		NULL },
	{ "dir/inner.txt",		0,		INNER_BODY },
	{ "large.bin",			0,		NULL },
	{ "missing",			ENOENT,		NULL },
	{ "small.txt/x",		ENOTDIR,	NULL },
	{ "link_inside",		ELOOP,		NULL },
	{ "link_dir/inner.txt",		WANT_ANY_ERROR,	NULL },
	{ "link_out",			WANT_REFUSED,	NULL },
	{ "link_abs",			WANT_REFUSED,	NULL },
	{ "link_proc",			WANT_REFUSED,	NULL },
	{ "link_procfd",		WANT_REFUSED,	NULL },
	{ "@/outside",			WANT_ANY_ERROR,	NULL },
};

/* The walk must not climb out through ".." either. */
static const struct conf_case cases_walk_dotdot[] = {
	{ "../outside",			WANT_ANY_ERROR,	NULL },
	{ "dir/../../outside",		WANT_ANY_ERROR,	NULL },
	{ "..",				WANT_ANY_ERROR,	NULL },
};

/*
 * The walk with FCACHE_LINKS_ALWAYS: links are followed wherever they
 * point, /proc's magic links too (fcache.h says so: without openat2
 * there is no way to tell them apart, and ALWAYS already lets a link
 * name any file).
 */
static const struct conf_case cases_walk_always[] = {
	{ "link_out",			0,		SECRET_BODY },
	{ "../outside",			WANT_REFUSED,	NULL },
};

/* A small file: its bytes, no descriptor kept. */
static void
test_fcache_get_small(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	assert_non_null(e);
	assert_int_equal(e->err, 0);
	assert_true(S_ISREG(e->st.st_mode));
	assert_int_equal(e->st.st_size, strlen(SMALL_BODY));
	assert_int_equal(e->fd, -1);
	assert_true(entry_has(e, SMALL_BODY, strlen(SMALL_BODY)));
	assert_non_null(e->mem);
	assert_int_equal(fd_count(), before);
}

/* FCACHE_SMALL_MAX bytes are still kept as bytes, one more is not. */
static void
test_fcache_get_small_max_boundary(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "exact.bin", "exact.bin");
	assert_int_equal(e->err, 0);
	assert_int_equal(e->st.st_size, FCACHE_SMALL_MAX);
	assert_non_null(e->mem);
	assert_int_equal(e->fd, -1);
	check_pattern(e, FCACHE_SMALL_MAX, 1);
	assert_int_equal(fd_count(), before);
}

/* A large file: a descriptor for sendfile, no bytes. */
static void
test_fcache_get_large(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(e->err, 0);
	assert_true(S_ISREG(e->st.st_mode));
	assert_int_equal(e->st.st_size, LARGE_SIZE);
	assert_null(e->mem);
	assert_true(e->fd >= 0);
	assert_true(fcntl(e->fd, F_GETFD) & FD_CLOEXEC);
	check_pattern(e, LARGE_SIZE, 2);
	assert_int_equal(fd_count(), before + 1);
	fcache_destroy(fx->fc);
	fx->fc = NULL;
	assert_int_equal(fd_count(), before);
}

/* An empty file: size 0 and nothing held. */
static void
test_fcache_get_empty(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "empty", "empty");
	assert_int_equal(e->err, 0);
	assert_true(S_ISREG(e->st.st_mode));
	assert_int_equal(e->st.st_size, 0);
	assert_int_equal(e->fd, -1);
	assert_int_equal(fd_count(), before);
}

/* A directory (and the root itself, ""): its fstat, nothing held. */
static void
test_fcache_get_directory(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	struct stat			 sb;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "dir", "dir");
	assert_int_equal(e->err, 0);
	assert_true(S_ISDIR(e->st.st_mode));
	assert_int_equal(e->fd, -1);
	assert_null(e->mem);
	e = fcache_get(fx->fc, fx->rootfd, "", "");
	assert_int_equal(e->err, 0);
	assert_true(S_ISDIR(e->st.st_mode));
	assert_int_equal(fstat(fx->rootfd, &sb), 0);
	assert_int_equal(e->st.st_ino, sb.st_ino);
	assert_int_equal(e->fd, -1);
	assert_null(e->mem);
	assert_int_equal(fd_count(), before);
}

/* A missing file, in the root and in a subdirectory. */
static void
test_fcache_get_missing(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	e = fcache_get(fx->fc, fx->rootfd, "nope", "nope");
	assert_int_equal(e->err, ENOENT);
	assert_int_equal(e->fd, -1);
	assert_null(e->mem);
	e = fcache_get(fx->fc, fx->rootfd, "dir/nope", "dir/nope");
	assert_int_equal(e->err, ENOENT);
	e = fcache_get(fx->fc, fx->rootfd, "nodir/x", "nodir/x");
	assert_int_equal(e->err, ENOENT);
}

/* A file used as a directory. */
static void
test_fcache_get_notdir(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	e = fcache_get(fx->fc, fx->rootfd, "small.txt/x", "small.txt/x");
	assert_int_equal(e->err, ENOTDIR);
	assert_int_equal(e->fd, -1);
	assert_null(e->mem);
	e = fcache_get(fx->fc, fx->rootfd, "large.bin/", "large.bin/");
	assert_int_equal(e->err, ENOTDIR);
}

/* FCACHE_LINKS_INSIDE: links that stay are served, nothing else is. */
static void
test_fcache_get_links_inside(void **state)
{
	run_cases(*state, FCACHE_LINKS_INSIDE, cases_inside,
	    sizeof(cases_inside) / sizeof(cases_inside[0]));
}

/* FCACHE_LINKS_NEVER: even a link that stays inside is ELOOP. */
static void
test_fcache_get_links_never(void **state)
{
	run_cases(*state, FCACHE_LINKS_NEVER, cases_never,
	    sizeof(cases_never) / sizeof(cases_never[0]));
}

/* FCACHE_LINKS_ALWAYS: the escaping link is opened, magic links not. */
static void
test_fcache_get_links_always(void **state)
{
	run_cases(*state, FCACHE_LINKS_ALWAYS, cases_always,
	    sizeof(cases_always) / sizeof(cases_always[0]));
}

/*
 * FCACHE_LINKS_ALWAYS allows symlinks to leave the root, not the path
 * itself: "../x" or an absolute path must still be refused (the module
 * comment's "second fence").
 */
static void
test_fcache_get_dotdot_always(void **state)
{
	run_cases(*state, FCACHE_LINKS_ALWAYS, cases_always_dotdot,
	    sizeof(cases_always_dotdot) / sizeof(cases_always_dotdot[0]));
}

/*
 * A second get within the TTL returns the same entry without touching the
 * file system: the file is removed in between, and a third get is given a
 * root descriptor that is not open at all.
 */
static void
test_fcache_get_cached_within_ttl(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e1, *e2, *e3, *l1, *l2;
	time_t				 t0;
	int				 try, lfd;

	for (try = 0; try < TRIES; try++) {
		mkcache(fx, 8, FCACHE_LINKS_INSIDE);
		put(fx->rootfd, "c.txt", SMALL_BODY, strlen(SMALL_BODY));
		put_pattern(fx->rootfd, "c.bin", LARGE_SIZE, 5);
		t0 = time(NULL);
		e1 = fcache_get(fx->fc, fx->rootfd, "c.txt", "c.txt");
		l1 = fcache_get(fx->fc, fx->rootfd, "c.bin", "c.bin");
		lfd = l1->fd;
		assert_int_equal(unlinkat(fx->rootfd, "c.txt", 0), 0);
		assert_int_equal(unlinkat(fx->rootfd, "c.bin", 0), 0);
		e2 = fcache_get(fx->fc, fx->rootfd, "c.txt", "c.txt");
		l2 = fcache_get(fx->fc, fx->rootfd, "c.bin", "c.bin");
		e3 = fcache_get(fx->fc, -1, "c.txt", "c.txt");
		if (time(NULL) == t0)
			break;
	}
	assert_true(try < TRIES);
	assert_ptr_equal(e1, e2);
	assert_ptr_equal(e1, e3);
	assert_int_equal(e2->err, 0);
	assert_true(entry_has(e2, SMALL_BODY, strlen(SMALL_BODY)));
	assert_ptr_equal(l1, l2);
	assert_int_equal(l2->err, 0);
	assert_int_equal(l2->fd, lfd);
	check_pattern(l2, LARGE_SIZE, 5);
}

/*
 * After the TTL an unchanged file keeps its entry: the same pointer, the
 * same descriptor, and the fresh descriptor of the check is closed.  The
 * kept entry counts as used: with max = 2, small then large before the
 * TTL, large then small after it, a third key evicts large (its
 * descriptor is closed), not small.
 */
static void
test_fcache_get_revalidate_unchanged(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*s1, *s2, *l1, *l2, *e;
	time_t				 t0;
	int				 lfd, count;

	mkcache(fx, 2, FCACHE_LINKS_INSIDE);
	s1 = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	l1 = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(s1->err, 0);
	assert_int_equal(l1->err, 0);
	lfd = l1->fd;
	count = fd_count();
	msleep(TTL_SLEEP_MS);
	t0 = time(NULL);
	l2 = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	s2 = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	assert_ptr_equal(s1, s2);
	assert_ptr_equal(l1, l2);
	assert_int_equal(l2->fd, lfd);
	assert_int_equal(s2->err, 0);
	assert_true(entry_has(s2, SMALL_BODY, strlen(SMALL_BODY)));
	check_pattern(l2, LARGE_SIZE, 2);
	assert_int_equal(fd_count(), count);

	e = fcache_get(fx->fc, fx->rootfd, "exact.bin", "exact.bin");
	assert_int_equal(e->err, 0);
	assert_int_equal(fd_count(), count - 1);
	/* Only the cache can answer with no root; same second only. */
	e = fcache_get(fx->fc, -1, "small.txt", "small.txt");
	if (time(NULL) == t0)
		assert_ptr_equal(e, s1);
	else
		print_message("a second went by: small.txt not checked\n");
}

/*
 * After the TTL a changed file gives its new contents: a small file
 * rewritten in place with the same size (only its mtime tells, by seconds
 * or by nanoseconds), one rewritten with another size and its mtime put
 * back, one whose mode changed, a large one replaced by rename (a new
 * inode), and a removed one ENOENT.
 */
static void
test_fcache_get_revalidate_changed(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	static const char		 v1[] = "version 1\n";
	static const char		 v2[] = "version 2\n";
	static const char		 v3[] = "version 1, longer\n";
	struct stat			 sb;
	bool				 nsec;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	put(fx->rootfd, "v.txt", v1, strlen(v1));
	set_mtime(fx->rootfd, "v.txt", 1700000000, 0);
	put(fx->rootfd, "n.txt", v1, strlen(v1));
	set_mtime(fx->rootfd, "n.txt", 1700000000, 0);
	put(fx->rootfd, "z.txt", v1, strlen(v1));
	set_mtime(fx->rootfd, "z.txt", 1700000000, 0);
	put(fx->rootfd, "m.txt", v1, strlen(v1));
	put_pattern(fx->rootfd, "v.bin", LARGE_SIZE, 6);
	put(fx->rootfd, "gone.txt", v1, strlen(v1));
	before = fd_count();

	e = fcache_get(fx->fc, fx->rootfd, "v.txt", "v.txt");
	assert_true(entry_has(e, v1, strlen(v1)));
	e = fcache_get(fx->fc, fx->rootfd, "n.txt", "n.txt");
	assert_true(entry_has(e, v1, strlen(v1)));
	e = fcache_get(fx->fc, fx->rootfd, "z.txt", "z.txt");
	assert_true(entry_has(e, v1, strlen(v1)));
	e = fcache_get(fx->fc, fx->rootfd, "m.txt", "m.txt");
	assert_int_equal(e->st.st_mode & 07777, 0644);
	e = fcache_get(fx->fc, fx->rootfd, "v.bin", "v.bin");
	check_pattern(e, LARGE_SIZE, 6);
	e = fcache_get(fx->fc, fx->rootfd, "gone.txt", "gone.txt");
	assert_int_equal(e->err, 0);

	put(fx->rootfd, "v.txt", v2, strlen(v2));
	set_mtime(fx->rootfd, "v.txt", 1700000001, 0);
	put(fx->rootfd, "n.txt", v2, strlen(v2));
	set_mtime(fx->rootfd, "n.txt", 1700000000, 500);
	assert_int_equal(fstatat(fx->rootfd, "n.txt", &sb, 0), 0);
	nsec = sb.st_mtim.tv_nsec == 500;
	put(fx->rootfd, "z.txt", v3, strlen(v3));
	set_mtime(fx->rootfd, "z.txt", 1700000000, 0);
	assert_int_equal(fchmodat(fx->rootfd, "m.txt", 0600, 0), 0);
	put_pattern(fx->rootfd, "v.new", LARGE_SIZE, 7);
	assert_int_equal(renameat(fx->rootfd, "v.new", fx->rootfd, "v.bin"),
	    0);
	assert_int_equal(unlinkat(fx->rootfd, "gone.txt", 0), 0);
	msleep(TTL_SLEEP_MS);

	e = fcache_get(fx->fc, fx->rootfd, "v.txt", "v.txt");
	assert_int_equal(e->err, 0);
	assert_int_equal(e->st.st_mtim.tv_sec, 1700000001);
	assert_true(entry_has(e, v2, strlen(v2)));
	e = fcache_get(fx->fc, fx->rootfd, "n.txt", "n.txt");
	if (nsec)
		assert_true(entry_has(e, v2, strlen(v2)));
	else
		print_message("no nanosecond mtimes here: n.txt not "
		    "checked\n");
	e = fcache_get(fx->fc, fx->rootfd, "z.txt", "z.txt");
	assert_true(entry_has(e, v3, strlen(v3)));
	e = fcache_get(fx->fc, fx->rootfd, "m.txt", "m.txt");
	assert_int_equal(e->err, 0);
	assert_int_equal(e->st.st_mode & 07777, 0600);
	e = fcache_get(fx->fc, fx->rootfd, "v.bin", "v.bin");
	assert_int_equal(e->err, 0);
	check_pattern(e, LARGE_SIZE, 7);
	e = fcache_get(fx->fc, fx->rootfd, "gone.txt", "gone.txt");
	assert_int_equal(e->err, ENOENT);
	/* The replaced large file's descriptor was closed. */
	assert_int_equal(fd_count(), before + 1);
}

/*
 * A cached ENOENT holds for the TTL; a file created meanwhile is seen
 * after it, and a file still missing keeps its entry.
 */
static void
test_fcache_get_negative_expires(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e, *never;
	time_t				 t0;
	int				 try, err = 0;

	for (try = 0; try < TRIES; try++) {
		mkcache(fx, 8, FCACHE_LINKS_INSIDE);
		unlinkat(fx->rootfd, "late.txt", 0);
		t0 = time(NULL);
		e = fcache_get(fx->fc, fx->rootfd, "late.txt", "late.txt");
		assert_int_equal(e->err, ENOENT);
		put(fx->rootfd, "late.txt", SMALL_BODY, strlen(SMALL_BODY));
		err = fcache_get(fx->fc, fx->rootfd, "late.txt",
		    "late.txt")->err;
		if (time(NULL) == t0)
			break;
	}
	assert_true(try < TRIES);
	assert_int_equal(err, ENOENT);
	never = fcache_get(fx->fc, fx->rootfd, "never.txt", "never.txt");
	assert_int_equal(never->err, ENOENT);
	msleep(TTL_SLEEP_MS);
	e = fcache_get(fx->fc, fx->rootfd, "late.txt", "late.txt");
	assert_int_equal(e->err, 0);
	assert_true(entry_has(e, SMALL_BODY, strlen(SMALL_BODY)));
	e = fcache_get(fx->fc, fx->rootfd, "never.txt", "never.txt");
	assert_int_equal(e->err, ENOENT);
	assert_ptr_equal(e, never);
}

/*
 * With max = 2, a third key evicts the least recently used: a, b, a, c
 * evicts b.  Both files are then removed: a is still served from the
 * cache, b is opened again and missing.
 */
static void
test_fcache_get_evicts_lru(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*a, *b;
	time_t				 t0;
	int				 try;

	for (try = 0; try < TRIES; try++) {
		mkcache(fx, 2, FCACHE_LINKS_INSIDE);
		put(fx->rootfd, "a", "a", 1);
		put(fx->rootfd, "b", "b", 1);
		put(fx->rootfd, "c", "c", 1);
		t0 = time(NULL);
		assert_int_equal(fcache_get(fx->fc, fx->rootfd, "a", "a")->err,
		    0);
		assert_int_equal(fcache_get(fx->fc, fx->rootfd, "b", "b")->err,
		    0);
		assert_int_equal(fcache_get(fx->fc, fx->rootfd, "a", "a")->err,
		    0);
		assert_int_equal(fcache_get(fx->fc, fx->rootfd, "c", "c")->err,
		    0);
		assert_int_equal(unlinkat(fx->rootfd, "a", 0), 0);
		assert_int_equal(unlinkat(fx->rootfd, "b", 0), 0);
		a = fcache_get(fx->fc, fx->rootfd, "a", "a");
		b = fcache_get(fx->fc, fx->rootfd, "b", "b");
		if (time(NULL) == t0)
			break;
	}
	assert_true(try < TRIES);
	assert_int_equal(a->err, 0);
	assert_true(entry_has(a, "a", 1));
	assert_int_equal(b->err, ENOENT);
}

/* Eviction closes the descriptors of large files: at most max stay open. */
static void
test_fcache_get_evicts_closes_fd(void **state)
{
	struct fx			*fx = *state;
	static const char *const	 names[] = {
		"large.bin", "big2.bin", "big3.bin", "large.bin", "big2.bin"
	};
	const struct fcache_entry	*e;
	size_t				 i;
	int				 before;

	mkcache(fx, 2, FCACHE_LINKS_INSIDE);
	before = fd_count();
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		e = fcache_get(fx->fc, fx->rootfd, names[i], names[i]);
		assert_int_equal(e->err, 0);
		assert_true(e->fd >= 0);
		assert_int_equal(fd_count(), before + (i < 2 ? (int)i + 1 : 2));
	}
	fcache_destroy(fx->fc);
	fx->fc = NULL;
	assert_int_equal(fd_count(), before);
}

/*
 * Many keys through a small table, against a model of the LRU list: a
 * fixed pseudo-random sequence of gets over MODEL_KEYS keys.  A key the
 * model holds is asked with root descriptor -1, so that it can only be
 * answered from the cache (a miss would be EBADF); a key the model has
 * evicted has had its file created or removed meanwhile, so that a stale
 * entry would give the old answer.  A node lost from its hash chain, or
 * evicted out of order, shows as a wrong answer.
 */
static void
test_fcache_get_many_keys(void **state)
{
	struct fx			*fx = *state;
	char				 name[32];
	bool				 exists[MODEL_KEYS];
	int				 stored[MODEL_KEYS], lru[MODEL_MAX];
	int				 nlru, i, k, step, try, err, want;
	int				 bad = 0, bad_step = 0, bad_err = 0;
	unsigned			 seed;
	time_t				 t0;

	for (try = 0; try < TRIES; try++) {
		mkcache(fx, MODEL_MAX, FCACHE_LINKS_INSIDE);
		for (k = 0; k < MODEL_KEYS; k++) {
			snprintf(name, sizeof(name), "dir/m%02d", k);
			if ((exists[k] = k % 2 == 0))
				put(fx->rootfd, name, name, strlen(name));
			else
				unlinkat(fx->rootfd, name, 0);
		}
		nlru = bad = 0;
		seed = 1;
		t0 = time(NULL);
		for (step = 0; step < MODEL_STEPS; step++) {
			seed = seed * 1103515245u + 12345u;
			k = (int)((seed >> 16) % MODEL_KEYS);
			snprintf(name, sizeof(name), "dir/m%02d", k);
			for (i = 0; i < nlru && lru[i] != k; i++)
				continue;
			if (i < nlru) {
				err = fcache_get(fx->fc, -1, name, name)->err;
				want = stored[k];
			} else {
				err = fcache_get(fx->fc, fx->rootfd, name,
				    name)->err;
				want = stored[k] = exists[k] ? 0 : ENOENT;
			}
			if (err != want && bad++ == 0) {
				bad_step = step;
				bad_err = err;
			}
			/* The model: most recent first, the last falls off. */
			if (i == nlru && nlru < MODEL_MAX)
				nlru++;
			else if (i == nlru) {
				i--;
				snprintf(name, sizeof(name), "dir/m%02d",
				    lru[i]);
				if ((exists[lru[i]] = !exists[lru[i]]))
					put(fx->rootfd, name, name,
					    strlen(name));
				else
					assert_int_equal(unlinkat(fx->rootfd,
					    name, 0), 0);
			}
			memmove(&lru[1], &lru[0], (size_t)i * sizeof(lru[0]));
			lru[0] = k;
		}
		if (time(NULL) == t0)
			break;
	}
	assert_true(try < TRIES);
	if (bad != 0)
		fail_msg("%d wrong answers, the first at get %d: %s", bad,
		    bad_step, bad_err == 0 ? "opened" : strerror(bad_err));
}

/*
 * A pinned entry outlives its eviction and later gets: its bytes and its
 * descriptor stay readable, a new get of its key gives a new entry, and
 * the last release frees it and closes the descriptor.
 */
static void
test_fcache_pin_survives_eviction(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*l, *s, *e;
	int				 before, i;

	mkcache(fx, 1, FCACHE_LINKS_INSIDE);
	before = fd_count();
	l = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(l->err, 0);
	fcache_pin(fx->fc, l);
	fcache_pin(fx->fc, l);
	s = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	assert_int_equal(s->err, 0);
	fcache_pin(fx->fc, s);
	for (i = 0; i < 4; i++) {
		e = fcache_get(fx->fc, fx->rootfd, "big2.bin", "big2.bin");
		assert_int_equal(e->err, 0);
		e = fcache_get(fx->fc, fx->rootfd, "exact.bin", "exact.bin");
		assert_int_equal(e->err, 0);
	}
	/* Evicted (max is 1), a new get of its key is a new entry. */
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(e->err, 0);
	assert_ptr_not_equal(e, l);
	assert_int_not_equal(e->fd, l->fd);
	check_pattern(l, LARGE_SIZE, 2);
	assert_true(entry_has(s, SMALL_BODY, strlen(SMALL_BODY)));
	/* Its own descriptor and the new entry's. */
	assert_int_equal(fd_count(), before + 2);

	fcache_release(fx->fc, s);
	fcache_release(fx->fc, l);
	check_pattern(l, LARGE_SIZE, 2);
	assert_int_equal(fd_count(), before + 2);
	fcache_release(fx->fc, l);
	assert_int_equal(fd_count(), before + 1);
	fcache_destroy(fx->fc);
	fx->fc = NULL;
	assert_int_equal(fd_count(), before);
}

/*
 * A pinned entry replaced after the TTL (the file changed) keeps serving
 * the old contents until released.
 */
static void
test_fcache_pin_survives_replace(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*old, *e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	put_pattern(fx->rootfd, "r.bin", LARGE_SIZE, 8);
	before = fd_count();
	old = fcache_get(fx->fc, fx->rootfd, "r.bin", "r.bin");
	assert_int_equal(old->err, 0);
	fcache_pin(fx->fc, old);
	put_pattern(fx->rootfd, "r.new", LARGE_SIZE, 9);
	assert_int_equal(renameat(fx->rootfd, "r.new", fx->rootfd, "r.bin"),
	    0);
	msleep(TTL_SLEEP_MS);
	e = fcache_get(fx->fc, fx->rootfd, "r.bin", "r.bin");
	assert_int_equal(e->err, 0);
	assert_ptr_not_equal(e, old);
	check_pattern(e, LARGE_SIZE, 9);
	check_pattern(old, LARGE_SIZE, 8);
	assert_int_equal(fd_count(), before + 2);
	fcache_release(fx->fc, old);
	assert_int_equal(fd_count(), before + 1);
}

/*
 * A flush (a reload) forgets every entry and takes the new symlink
 * policy; a pinned entry stays readable until its release.
 */
static void
test_fcache_flush_keeps_pins(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*l, *e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	l = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(l->err, 0);
	fcache_pin(fx->fc, l);
	e = fcache_get(fx->fc, fx->rootfd, "big2.bin", "big2.bin");
	assert_int_equal(e->err, 0);
	assert_int_equal(fd_count(), before + 2);
	fcache_flush(fx->fc, FCACHE_LINKS_NEVER);
	/* The unpinned one is closed, the pinned one still reads. */
	assert_int_equal(fd_count(), before + 1);
	check_pattern(l, LARGE_SIZE, 2);
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_ptr_not_equal(e, l);
	/* The new policy: a symlink is refused. */
	e = fcache_get(fx->fc, fx->rootfd, "link_inside", "link_inside");
	assert_int_equal(e->err, ELOOP);
	fcache_release(fx->fc, l);
	assert_int_equal(fd_count(), before + 1);
}

/* max = 0: every get still gives an entry fit for immediate use. */
static void
test_fcache_get_max_zero(void **state)
{
	struct fx			*fx = *state;
	static const char *const	 larges[] = {
		"large.bin", "big2.bin", "big3.bin"
	};
	static const unsigned		 seeds[] = { 2, 3, 4 };
	const struct fcache_entry	*e;
	int				 before, i;

	mkcache(fx, 0, FCACHE_LINKS_INSIDE);
	before = fd_count();
	for (i = 0; i < 6; i++) {
		e = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
		assert_int_equal(e->err, 0);
		assert_true(entry_has(e, SMALL_BODY, strlen(SMALL_BODY)));
		e = fcache_get(fx->fc, fx->rootfd, larges[i % 3],
		    larges[i % 3]);
		assert_int_equal(e->err, 0);
		check_pattern(e, LARGE_SIZE, seeds[i % 3]);
		e = fcache_get(fx->fc, fx->rootfd, "nope", "nope");
		assert_int_equal(e->err, ENOENT);
		/* Nothing accumulates: at most the entry in use. */
		assert_true(fd_count() <= before + 1);
	}
	fcache_destroy(fx->fc);
	fx->fc = NULL;
	assert_int_equal(fd_count(), before);
}

/*
 * fcache_open gives a fresh descriptor each time (the caller closes it),
 * never from the cache, confined as fcache_get.
 */
static void
test_fcache_open_fresh(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	struct stat			 sb;
	int				 fd1, fd2, before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(e->err, 0);
	fd1 = fcache_open(fx->fc, fx->rootfd, "large.bin");
	fd2 = fcache_open(fx->fc, fx->rootfd, "large.bin");
	assert_true(fd1 >= 0 && fd2 >= 0);
	assert_int_not_equal(fd1, e->fd);
	assert_int_not_equal(fd1, fd2);
	assert_int_equal(fstat(fd1, &sb), 0);
	assert_int_equal(sb.st_ino, e->st.st_ino);
	assert_true(fcntl(fd1, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(fd_count(), before + 3);
	close(fd1);
	close(fd2);

	fd1 = fcache_open(fx->fc, fx->rootfd, "");
	assert_true(fd1 >= 0);
	assert_int_equal(fstat(fd1, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	close(fd1);
	fd1 = fcache_open(fx->fc, fx->rootfd, "dir");
	assert_true(fd1 >= 0);
	close(fd1);

	/* Not from the cache: cached, then removed, then opened. */
	e = fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	assert_int_equal(e->err, 0);
	assert_int_equal(unlinkat(fx->rootfd, "small.txt", 0), 0);
	errno = 0;
	assert_int_equal(fcache_open(fx->fc, fx->rootfd, "small.txt"), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(fd_count(), before + 1);
}

/* fcache_open is confined as fcache_get, in each mode. */
static void
test_fcache_open_confined(void **state)
{
	struct fx	*fx = *state;
	static const struct {
		enum fcache_links	 links;
		const char		*rel;
		int			 want;
	} cases[] = {
		{ FCACHE_LINKS_INSIDE,	"link_inside",		0 },
		{ FCACHE_LINKS_INSIDE,	"link_out",		WANT_REFUSED },
		{ FCACHE_LINKS_INSIDE,	"link_abs",		WANT_REFUSED },
		{ FCACHE_LINKS_INSIDE,	"link_proc",		WANT_REFUSED },
		{ FCACHE_LINKS_INSIDE,	"../outside",		WANT_REFUSED },
		{ FCACHE_LINKS_NEVER,	"link_inside",		ELOOP },
		{ FCACHE_LINKS_NEVER,	"../outside",		WANT_REFUSED },
		{ FCACHE_LINKS_ALWAYS,	"link_out",		0 },
		{ FCACHE_LINKS_ALWAYS,	"link_procfd",		WANT_REFUSED },
		{ FCACHE_LINKS_INSIDE,	"nope",			ENOENT },
		{ FCACHE_LINKS_INSIDE,	"small.txt/x",		ENOTDIR },
	};
	size_t		 i;
	int		 fd, err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mkcache(fx, 8, cases[i].links);
		errno = 0;
		fd = fcache_open(fx->fc, fx->rootfd, cases[i].rel);
		err = fd == -1 ? errno : 0;
		if (fd != -1)
			close(fd);
		if (cases[i].want == WANT_REFUSED ? err == EXDEV ||
		    err == ELOOP : err == cases[i].want)
			continue;
		fail_msg("fcache_open mode %d \"%s\": got %s, want %s",
		    (int)cases[i].links, cases[i].rel,
		    err == 0 ? "a descriptor" : strerror(err),
		    cases[i].want == 0 ? "a descriptor" :
		    cases[i].want == WANT_REFUSED ? "EXDEV or ELOOP" :
		    strerror(cases[i].want));
	}
}

/*
 * EMFILE is not cached: with RLIMIT_NOFILE at the lowest free descriptor
 * a get fails with EMFILE, and once the limit is restored the next get,
 * without waiting for the TTL, succeeds.
 */
static void
test_fcache_get_emfile_not_cached(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	struct rlimit			 saved;
	int				 err;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	limit_fds(&saved);
	err = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin")->err;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(err, EMFILE);
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(e->err, 0);
	check_pattern(e, LARGE_SIZE, 2);
}

/*
 * The same when the descriptors stay short for two gets in a row: the
 * second EMFILE must not be taken for an unchanged, trustworthy entry.
 */
static void
test_fcache_get_emfile_twice_not_cached(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	struct rlimit			 saved;
	int				 err1, err2;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	limit_fds(&saved);
	err1 = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin")->err;
	err2 = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin")->err;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(err1, EMFILE);
	assert_int_equal(err2, EMFILE);
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	assert_int_equal(e->err, 0);
	check_pattern(e, LARGE_SIZE, 2);
}

/* fcache_destroy(NULL) and fcache_release(fc, NULL) do nothing. */
static void
test_fcache_destroy_null(void **state)
{
	struct fx	*fx = *state;

	fcache_destroy(NULL);
	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	fcache_release(fx->fc, NULL);
}

/* Destroy closes every descriptor and frees every entry (ASan). */
static void
test_fcache_destroy_closes(void **state)
{
	struct fx			*fx = *state;
	const struct fcache_entry	*e;
	int				 before;

	mkcache(fx, 8, FCACHE_LINKS_INSIDE);
	before = fd_count();
	e = fcache_get(fx->fc, fx->rootfd, "large.bin", "large.bin");
	fcache_pin(fx->fc, e);
	fcache_release(fx->fc, e);
	fcache_get(fx->fc, fx->rootfd, "big2.bin", "big2.bin");
	fcache_get(fx->fc, fx->rootfd, "small.txt", "small.txt");
	fcache_get(fx->fc, fx->rootfd, "nope", "nope");
	assert_int_equal(fd_count(), before + 2);
	fcache_destroy(fx->fc);
	fx->fc = NULL;
	assert_int_equal(fd_count(), before);
}

/* Without openat2, the walk confines and refuses symlinks. */
static void
test_fcache_get_fallback_confined(void **state)
{
	int	 bad;

	bad = run_fallback(*state, FCACHE_LINKS_INSIDE, cases_walk,
	    sizeof(cases_walk) / sizeof(cases_walk[0]));
	bad += run_fallback(*state, FCACHE_LINKS_NEVER, cases_walk,
	    sizeof(cases_walk) / sizeof(cases_walk[0]));
	assert_int_equal(bad, 0);
}

/* Without openat2, ".." must not leave the root either. */
static void
test_fcache_get_fallback_dotdot(void **state)
{
	int	 bad;

	bad = run_fallback(*state, FCACHE_LINKS_INSIDE, cases_walk_dotdot,
	    sizeof(cases_walk_dotdot) / sizeof(cases_walk_dotdot[0]));
	bad += run_fallback(*state, FCACHE_LINKS_NEVER, cases_walk_dotdot,
	    sizeof(cases_walk_dotdot) / sizeof(cases_walk_dotdot[0]));
	assert_int_equal(bad, 0);
}

/* Without openat2, FCACHE_LINKS_ALWAYS still stops at magic links. */
static void
test_fcache_get_fallback_always(void **state)
{
	assert_int_equal(run_fallback(*state, FCACHE_LINKS_ALWAYS,
	    cases_walk_always,
	    sizeof(cases_walk_always) / sizeof(cases_walk_always[0])), 0);
}

/*
 * The tree: top/outside and top/root/ with the files and links the
 * tables name.  link_procfd names the root through /proc/self/fd, so it
 * is made once rootfd is known.
 */
static int
fx_setup(void **state)
{
	struct fx	*fx;
	char		 buf[256];

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	snprintf(fx->top, sizeof(fx->top), "/tmp/test_fcache.XXXXXX");
	assert_non_null(mkdtemp(fx->top));
	assert_int_equal(chmod(fx->top, 0755), 0);
	fx->topfd = open(fx->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->topfd >= 0);
	put(fx->topfd, "outside", SECRET_BODY, strlen(SECRET_BODY));
	assert_int_equal(mkdirat(fx->topfd, "root", 0755), 0);
	fx->rootfd = openat(fx->topfd, "root", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC);
	assert_true(fx->rootfd >= 0);

	put(fx->rootfd, "small.txt", SMALL_BODY, strlen(SMALL_BODY));
	put_pattern(fx->rootfd, "exact.bin", FCACHE_SMALL_MAX, 1);
	put_pattern(fx->rootfd, "large.bin", LARGE_SIZE, 2);
	put_pattern(fx->rootfd, "big2.bin", LARGE_SIZE, 3);
	put_pattern(fx->rootfd, "big3.bin", LARGE_SIZE, 4);
	put(fx->rootfd, "empty", "", 0);
	assert_int_equal(mkdirat(fx->rootfd, "dir", 0755), 0);
	put(fx->rootfd, "dir/inner.txt", INNER_BODY, strlen(INNER_BODY));

	assert_int_equal(symlinkat("small.txt", fx->rootfd, "link_inside"),
	    0);
	assert_int_equal(symlinkat("../small.txt", fx->rootfd,
	    "dir/link_up"), 0);
	assert_int_equal(symlinkat("dir", fx->rootfd, "link_dir"), 0);
	assert_int_equal(symlinkat("../outside", fx->rootfd, "link_out"), 0);
	assert_int_equal(symlinkat("../../outside", fx->rootfd,
	    "dir/link_out2"), 0);
	assert_int_equal(symlinkat("link_loop", fx->rootfd, "link_loop"), 0);
	snprintf(buf, sizeof(buf), "%s/outside", fx->top);
	assert_int_equal(symlinkat(buf, fx->rootfd, "link_abs"), 0);
	snprintf(buf, sizeof(buf), "%s/root/small.txt", fx->top);
	assert_int_equal(symlinkat(buf, fx->rootfd, "link_abs_inside"), 0);
	snprintf(buf, sizeof(buf), "/proc/self/root%s/outside", fx->top);
	assert_int_equal(symlinkat(buf, fx->rootfd, "link_proc"), 0);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d/small.txt", fx->rootfd);
	assert_int_equal(symlinkat(buf, fx->rootfd, "link_procfd"), 0);
	assert_int_equal(symlinkat("/proc/self/status", fx->rootfd,
	    "link_procself"), 0);
	*state = fx;
	return 0;
}

/* Destroy the cache a test left, close the tree and remove it. */
static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	fcache_destroy(fx->fc);
	close(fx->rootfd);
	close(fx->topfd);
	nftw(fx->top, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* nftw callback: remove one entry, children before their directory. */
static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* Write a file of len bytes at name beneath dirfd, replacing it in place. */
static void
put(int dirfd, const char *name, const void *buf, size_t len)
{
	int	 fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644);
	assert_true(fd >= 0);
	/* Whatever the umask, the tests expect 0644. */
	assert_int_equal(fchmod(fd, 0644), 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* Write a file of len pattern bytes (see pattern()). */
static void
put_pattern(int dirfd, const char *name, size_t len, unsigned seed)
{
	unsigned char	*buf;

	buf = malloc(len);
	assert_non_null(buf);
	pattern(buf, len, seed);
	put(dirfd, name, buf, len);
	free(buf);
}

/* Bytes that differ with the seed and along the file. */
static void
pattern(unsigned char *buf, size_t len, unsigned seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		buf[i] = (unsigned char)((i * 7 + i / 251 + seed * 31) & 0xff);
}

/* Set a file's mtime (and atime) to t seconds and nsec nanoseconds. */
static void
set_mtime(int dirfd, const char *name, time_t t, long nsec)
{
	struct timespec	 ts[2];

	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = nsec;
	assert_int_equal(utimensat(dirfd, name, ts, 0), 0);
}

/* The number of descriptors this process has open. */
static int
fd_count(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	d = opendir("/proc/self/fd");
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* opendir's own */
}

/* Sleep ms milliseconds, whatever signals arrive. */
static void
msleep(long ms)
{
	struct timespec	 ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

/* Replace the fixture's cache with a new one. */
static struct fcache *
mkcache(struct fx *fx, unsigned max, enum fcache_links links)
{
	fcache_destroy(fx->fc);
	fx->fc = fcache_create(max, links);
	assert_non_null(fx->fc);
	return fx->fc;
}

/* Whether an entry holds exactly these bytes, in memory or through fd. */
static bool
entry_has(const struct fcache_entry *e, const void *buf, size_t len)
{
	char	*got;
	bool	 same;

	if (e->err != 0 || (size_t)e->st.st_size != len)
		return false;
	if (e->mem != NULL)
		return memcmp(e->mem, buf, len) == 0;
	if (e->fd == -1)
		return len == 0;
	if ((got = malloc(len + 1)) == NULL)
		return false;
	same = pread(e->fd, got, len + 1, 0) == (ssize_t)len &&
	    memcmp(got, buf, len) == 0;
	free(got);
	return same;
}

/* Assert that an entry holds len pattern bytes of this seed. */
static void
check_pattern(const struct fcache_entry *e, size_t len, unsigned seed)
{
	unsigned char	*want;

	want = malloc(len);
	assert_non_null(want);
	pattern(want, len, seed);
	assert_true(entry_has(e, want, len));
	free(want);
}

/*
 * Get one table row (key "mode:rel", so that no row sees another's entry)
 * and say whether it came out as the row wants; if not, why.
 */
static bool
check_case(struct fcache *fc, int rootfd, const char *top,
    const struct conf_case *c, char *why, size_t whylen)
{
	const struct fcache_entry	*e;
	char				 rel[256], key[300];
	const char			*at;
	int				 err;
	bool				 ok;

	if ((at = strchr(c->rel, '@')) != NULL)
		snprintf(rel, sizeof(rel), "%.*s%s%s", (int)(at - c->rel),
		    c->rel, top, at + 1);
	else
		snprintf(rel, sizeof(rel), "%s", c->rel);
	snprintf(key, sizeof(key), "case:%s", rel);
	e = fcache_get(fc, rootfd, key, rel);
	err = e->err;
	switch (c->want) {
	case WANT_REFUSED:
		ok = err == EXDEV || err == ELOOP;
		break;
	case WANT_ANY_ERROR:
		ok = err != 0;
		break;
	default:
		ok = err == c->want;
		break;
	}
	if (ok && c->want == 0 && c->body != NULL &&
	    !entry_has(e, c->body, strlen(c->body))) {
		snprintf(why, whylen, "\"%s\": opened, but not the file "
		    "expected", rel);
		return false;
	}
	if (!ok)
		snprintf(why, whylen, "\"%s\": got %s, want %s", rel,
		    err == 0 ? "it opened" : strerror(err),
		    c->want == 0 ? "it opened" :
		    c->want == WANT_REFUSED ? "EXDEV or ELOOP" :
		    c->want == WANT_ANY_ERROR ? "any error" :
		    strerror(c->want));
	return ok;
}

/* Run a confinement table through openat2 in one mode; fail on a miss. */
static void
run_cases(struct fx *fx, enum fcache_links links,
    const struct conf_case *cases, size_t n)
{
	char	 why[512];
	size_t	 i, bad = 0;

	mkcache(fx, 64, links);
	for (i = 0; i < n; i++) {
		if (!check_case(fx->fc, fx->rootfd, fx->top, &cases[i], why,
		    sizeof(why))) {
			print_error("mode %d: %s\n", (int)links, why);
			bad++;
		}
	}
	if (bad != 0)
		fail_msg("%zu of %zu cases wrong in mode %d", bad, n,
		    (int)links);
}

/*
 * Make openat2 fail with ENOSYS for this process and its children, as on
 * a kernel older than 5.6.  Only the system call number is compared: in
 * the short-lived child that installs it, a foreign-ABI call with the
 * same number failing too does no harm.  Returns 0, or -1 with errno.
 */
static int
deny_openat2(void)
{
	struct sock_filter	 f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog	 prog;

	prog.len = sizeof(f) / sizeof(f[0]);
	prog.filter = f;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/*
 * Run a confinement table through the O_NOFOLLOW walk: in a forked child
 * without openat2, which reports each miss on standard error and exits
 * with their number.  Returns that number.  Skipped (visibly) where
 * seccomp is not available.
 */
static int
run_fallback(struct fx *fx, enum fcache_links links,
    const struct conf_case *cases, size_t n)
{
	struct fcache	*fc;
	char		 why[512];
	size_t		 i;
	pid_t		 pid;
	int		 status, bad = 0;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (deny_openat2() == -1) {
			fprintf(stderr, "seccomp unavailable: %s\n",
			    strerror(errno));
			_exit(SKIP_STATUS);
		}
		if ((fc = fcache_create(64, links)) == NULL)
			_exit(SKIP_STATUS - 1);
		for (i = 0; i < n; i++) {
			if (!check_case(fc, fx->rootfd, fx->top, &cases[i],
			    why, sizeof(why))) {
				fprintf(stderr, "walk, mode %d: %s\n",
				    (int)links, why);
				bad++;
			}
		}
		fcache_destroy(fc);
		_exit(bad > 60 ? 60 : bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_STATUS) {
		print_message("skipped: cannot install a seccomp filter to "
		    "hide openat2\n");
		skip();
	}
	if (WEXITSTATUS(status) != 0)
		print_error("%d of %zu cases wrong through the walk in mode "
		    "%d\n", WEXITSTATUS(status), n, (int)links);
	return WEXITSTATUS(status);
}

/* The lowest descriptor number not in use. */
static int
lowest_free_fd(void)
{
	int	 fd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	close(fd);
	return fd;
}

/*
 * Lower the soft RLIMIT_NOFILE to the lowest free descriptor, so that the
 * next open fails with EMFILE; the old limit goes to *saved.
 */
static void
limit_fds(struct rlimit *saved)
{
	struct rlimit	 rl;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, saved), 0);
	rl = *saved;
	rl.rlim_cur = (rlim_t)lowest_free_fd();
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

int
main(void)
{
#define F(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
	const struct CMUnitTest tests[] = {
		F(test_fcache_get_small),
		F(test_fcache_get_small_max_boundary),
		F(test_fcache_get_large),
		F(test_fcache_get_empty),
		F(test_fcache_get_directory),
		F(test_fcache_get_missing),
		F(test_fcache_get_notdir),
		F(test_fcache_get_links_inside),
		F(test_fcache_get_links_never),
		F(test_fcache_get_links_always),
		F(test_fcache_get_dotdot_always),
		F(test_fcache_get_cached_within_ttl),
		F(test_fcache_get_revalidate_unchanged),
		F(test_fcache_get_revalidate_changed),
		F(test_fcache_get_negative_expires),
		F(test_fcache_get_evicts_lru),
		F(test_fcache_get_evicts_closes_fd),
		F(test_fcache_get_many_keys),
		F(test_fcache_pin_survives_eviction),
		F(test_fcache_pin_survives_replace),
		F(test_fcache_flush_keeps_pins),
		F(test_fcache_get_max_zero),
		F(test_fcache_open_fresh),
		F(test_fcache_open_confined),
		F(test_fcache_get_emfile_not_cached),
		F(test_fcache_get_emfile_twice_not_cached),
		F(test_fcache_destroy_null),
		F(test_fcache_destroy_closes),
		F(test_fcache_get_fallback_confined),
		F(test_fcache_get_fallback_dotdot),
		F(test_fcache_get_fallback_always),
	};
#undef F

	return cmocka_run_group_tests(tests, NULL, NULL);
}
