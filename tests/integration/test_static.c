/* sluice: integration tests of static-file serving (issue 3). */

/*
 * What a client of a static site sees, over real sockets against the real
 * binary: validators (ETag, Last-Modified) and conditional requests, byte
 * ranges (single, multipart/byteranges, 416, If-Range) on a file served
 * from memory and on one served with sendfile, precompressed siblings
 * chosen by Accept-Encoding, media types, directories (index order,
 * redirects, listings), the dotfile and symlink policies, error pages and
 * added header fields, OPTIONS / Expect / chunked bodies, and virtual
 * hosts.  The group fixture is one temporary tree
 *	OUTER/outside/secret.txt	a file outside every docroot
 *	OUTER/www/			the docroot (see st_make_tree)
 *	OUTER/vhosts/			--vhost-root: example.org/, default/
 *	OUTER/vhosts2/			--vhost-root without default/
 * with two servers: the main one on www (--header, --cache-control,
 * --index "main.html index.html") and one with --vhost-root OUTER/vhosts.
 * Tests that need other options start their own server on the same tree
 * (st_start); st_teardown kills what a failed test left running.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* Per-exchange timeout of these tests. */
#define ST_TIMEOUT_MS		5000
/* The HTTP/2 preface must be answered and the connection closed within. */
#define ST_PROMPT_MS		1000
/* The file served from memory (< 16 KiB) and the sendfile one. */
#define ST_SMALL_SIZE		10000
#define ST_BIG_SIZE		(1024 * 1024)
/*
 * A worker trusts what it opened for FCACHE_TTL (1 s, DESIGN.md allows a
 * short cache): a changed file must show within this, asked every
 * ST_POLL_MS.
 */
#define ST_CHANGE_MS		4000
#define ST_POLL_MS		50
/* Servers one test may start besides the group's. */
#define ST_MAX_EXTRA		4
/* Arguments st_start accepts besides its own. */
#define ST_MAX_ARGS		24
/* Modification time of cond.txt: 2001-09-09 01:46:40 UTC. */
#define ST_OLD_MTIME		1000000000
#define ST_OLD_DATE		"Sun, 09 Sep 2001 01:46:40 GMT"
#define ST_EARLIER_DATE		"Sat, 08 Sep 2001 01:46:40 GMT"
#define ST_LATER_DATE		"Mon, 10 Sep 2001 01:46:40 GMT"
/* Modification times of the precompressed fixtures and ETag files. */
#define ST_ENC_MTIME		1700000000
#define ST_ENC_NEWER		1700000100
#define ST_ETAG_MTIME		1600000000
/* Most names a JSON listing may hold for st_json_names. */
#define ST_MAX_NAMES		32
/* Size of the description of the last request, for messages. */
#define ST_WHAT_MAX		240
/*
 * Listings: a directory big enough that its HTML (about 210 bytes a row
 * here) passes 600 KiB yet stays under the 1 MiB cap, pipelined in pairs
 * (HTML, JSON) until they outgrow the largest send buffer (tcp_wmem),
 * read through a 4 KiB receive window in reads of ST_SLOW_CHUNK bytes;
 * and one whose listing would pass the cap several times over (about
 * 500 bytes a row).
 */
#define ST_BIGLIST_FILES	4000
#define ST_BIGLIST_NAME		60
#define ST_BIGLIST_MIN		(600 * 1024)
#define ST_SLOW_RCVBUF		4096
#define ST_SLOW_CHUNK		512
#define ST_SLOW_MS		20000
#define ST_SLOW_MAX_PAIRS	24	/* listing pairs pipelined, at most */
#define ST_WMEM_GUESS		(4 * 1024 * 1024)	/* tcp_wmem's default */
#define ST_CAPLIST_FILES	9000
#define ST_CAPLIST_NAME		200
#define ST_LISTING_MAX		(1024 * 1024)	/* LISTING_MAX_BYTES */
/*
 * Virtual hosts: unknown Host names sent in a row, and how many more
 * descriptors the server may hold after them (a host directory kept per
 * unknown name would be one each, up to the 32 slots).
 */
#define ST_ROTATE_HOSTS		40
#define ST_ROTATE_FD_SLACK	4

static const char	st_hello[] = "hello, static world\n";
static const char	st_condbody[] = "conditional body\n";
static const char	st_js[] = "IDENTITY-JS console.log('app');\n";
static const char	st_js_gz[] = "GZ-app.js-gzip-body\n";
static const char	st_js_br[] = "BR-app.js-brotli-body\n";
static const char	st_css[] = "IDENTITY-CSS body { color: red }\n";
static const char	st_css_gz[] = "GZ-style.css\n";
static const char	st_old[] = "IDENTITY-OLD\n";
static const char	st_old_gz[] = "GZ-STALE-old.txt\n";
static const char	st_secret[] = "OUTSIDE-SECRET-of-test_static\n";
static const char	st_404[] = "DEFAULT-404-PAGE\n";
static const char	st_nf[] = "CONFIGURED-NF-PAGE\n";
static const char	st_403[] = "CONFIGURED-403-PAGE\n";

/* A file the range tests run on. */
struct st_file {
	const char	*path;		/* URL path */
	const char	*data;
	size_t		 size;
};

struct st {
	struct harness_server	 srv;		/* main: www */
	struct harness_server	 vsrv;		/* --vhost-root vhosts */
	char			 outer[256];
	char			 root[300];
	char			 vroot[300];
	char			 vroot2[300];
	char			 secret[300];	/* outside/secret.txt */
	char			*small;
	char			*big;
	struct st_file		 files[2];	/* small, big */
};

/* One media-type case: a file name and the types accepted for it. */
struct st_type {
	const char	*file;
	const char	*want;
	const char	*alt;		/* another acceptable type, or NULL */
};

/* A byte range expected in a response. */
struct st_span {
	uint64_t	 first;
	uint64_t	 last;
};

static int	 st_setup(void **);
static int	 st_teardown(void **);
static int	 st_test_setup(void **);
static int	 st_test_teardown(void **);
static int	 st_make_tree(struct st *);
static int	 st_set_mtime(const char *, const char *, time_t, long);
static struct harness_server *st_start(const char *, ...);
static void	 st_stop_all(void);
static void	 st_describe(const char *);
static void	 st_fetch(int, const char *, const char *, const char *,
		    struct harness_response *);
static void	 st_raw(int, const char *, int, struct harness_response *);
static void	 st_status(const struct harness_response *, int);
static const char *st_hdr(const struct harness_response *, const char *);
static void	 st_hdr_eq(const struct harness_response *, const char *,
		    const char *);
static void	 st_hdr_absent(const struct harness_response *, const char *);
static void	 st_body_eq(const struct harness_response *, const void *,
		    size_t);
static void	 st_body_has(const struct harness_response *, const char *,
		    bool);
static char	*st_etag(int, const char *, const char *);
static void	 st_etag_strong(const char *, const char *);
static char	*st_wait_etag_change(int, const char *, const char *);
static void	 st_http_date(time_t, char *, size_t);
static void	 st_check_206(const struct harness_response *,
		    const struct st_file *, uint64_t, uint64_t);
static void	 st_check_multipart(const struct harness_response *,
		    const struct st_file *, const char *,
		    const struct st_span *, size_t);
static size_t	 st_json_names(const char *, size_t, char [][64], size_t);
static int	 st_make_names(const char *, const char *, size_t, size_t);
static void	 st_slow_read(struct harness_client *,
		    struct harness_response *);
static bool	 st_has_response(const char *, size_t);
static size_t	 st_wmem_max(void);
static size_t	 st_count(const char *, size_t, const char *);
static void	 st_keepalive_vhost(struct harness_client *, const char *,
		    const char *, int, const char *);
static bool	 st_has_name(char [][64], size_t, const char *);
static void	 st_json_balanced(const struct harness_response *);

static struct harness_server	st_extra[ST_MAX_EXTRA];
static int			st_nextra;
static char			st_what[ST_WHAT_MAX];

static const struct st_type	st_types[] = {
	{ "t.html", "text/html; charset=utf-8", NULL },
	{ "t.css", "text/css; charset=utf-8", NULL },
	{ "t.js", "text/javascript; charset=utf-8",
	    "application/javascript" },
	{ "t.mjs", "text/javascript; charset=utf-8",
	    "application/javascript" },
	{ "t.json", "application/json", NULL },
	{ "t.svg", "image/svg+xml", NULL },
	{ "t.png", "image/png", NULL },
	{ "t.wasm", "application/wasm", NULL },
	{ "t.avif", "image/avif", NULL },
	{ "t.webp", "image/webp", NULL },
	{ "t.woff2", "font/woff2", NULL },
	{ "t.txt", "text/plain; charset=utf-8", NULL },
	{ "t.ico", "image/vnd.microsoft.icon", "image/x-icon" },
	{ "t.mp4", "video/mp4", NULL },
	{ "t.webm", "video/webm", NULL },
	{ "t.pdf", "application/pdf", NULL },
	{ "t.zzqx", "application/octet-stream", NULL },
};

/* Set the access and modification times of dir/rel. */
static int
st_set_mtime(const char *dir, const char *rel, time_t sec, long nsec)
{
	struct timespec	ts[2];
	char		path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	ts[0].tv_sec = ts[1].tv_sec = sec;
	ts[0].tv_nsec = ts[1].tv_nsec = nsec;
	return utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/*
 * Build the tree of the module comment.  The docroot holds:
 *	small.bin, big.bin		range tests (memory, sendfile)
 *	hello.txt, cond.txt		plain files; cond.txt is old
 *	etag_size.txt, etag_mtime.txt	changed by the ETag tests only
 *	app.js(.gz,.br), style.css(.gz), old.txt(.gz older),
 *	old2.txt(.gz older by 0.8 s, in the same second), empty.txt
 *	t.*				one file per media type
 *	idx/ (main.html, index.html), idx2/, "x y"/ (index.html),
 *	plain/ (no index: "<b>.txt", "a&b.txt", .secret, sub/)
 *	.hidden, dir/.git/config, .well-known/acme, .well-known/.x
 *	link_in -> hello.txt, link_out -> ../outside/secret.txt,
 *	link_abs -> OUTER/outside/secret.txt (absolute)
 *	404.html, errors/nf.html, err403.html
 */
static int
st_make_tree(struct st *h)
{
	size_t	i;

	if (harness_tmpdir_create(h->outer, sizeof(h->outer), "static") == -1)
		return -1;
	snprintf(h->root, sizeof(h->root), "%s/www", h->outer);
	snprintf(h->vroot, sizeof(h->vroot), "%s/vhosts", h->outer);
	snprintf(h->vroot2, sizeof(h->vroot2), "%s/vhosts2", h->outer);
	snprintf(h->secret, sizeof(h->secret), "%s/outside/secret.txt",
	    h->outer);
	if ((h->small = malloc(ST_SMALL_SIZE)) == NULL ||
	    (h->big = malloc(ST_BIG_SIZE)) == NULL)
		return -1;
	/* Patterns with no short period, so that an offset error shows. */
	for (i = 0; i < ST_SMALL_SIZE; i++)
		h->small[i] = (char)((i * 40503u) >> 7 ^ i);
	for (i = 0; i < ST_BIG_SIZE; i++)
		h->big[i] = (char)((i * 2654435761u) >> 13);
	h->files[0] = (struct st_file){ "/small.bin", h->small,
	    ST_SMALL_SIZE };
	h->files[1] = (struct st_file){ "/big.bin", h->big, ST_BIG_SIZE };

	if (harness_mkdir(h->outer, "www") == -1 ||
	    harness_write_file(h->outer, "outside/secret.txt", st_secret,
	    sizeof(st_secret) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "small.bin", h->small, ST_SMALL_SIZE,
	    0644) == -1 ||
	    harness_write_file(h->root, "big.bin", h->big, ST_BIG_SIZE,
	    0644) == -1 ||
	    harness_write_file(h->root, "hello.txt", st_hello,
	    sizeof(st_hello) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "cond.txt", st_condbody,
	    sizeof(st_condbody) - 1, 0644) == -1 ||
	    st_set_mtime(h->root, "cond.txt", ST_OLD_MTIME, 0) == -1 ||
	    harness_write_file(h->root, "etag_size.txt", "version one\n", 12,
	    0644) == -1 ||
	    st_set_mtime(h->root, "etag_size.txt", ST_ETAG_MTIME, 0) == -1 ||
	    harness_write_file(h->root, "etag_mtime.txt", "same size\n", 10,
	    0644) == -1 ||
	    st_set_mtime(h->root, "etag_mtime.txt", ST_ETAG_MTIME, 0) == -1)
		return -1;

	if (harness_write_file(h->root, "app.js", st_js, sizeof(st_js) - 1,
	    0644) == -1 ||
	    harness_write_file(h->root, "app.js.gz", st_js_gz,
	    sizeof(st_js_gz) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "app.js.br", st_js_br,
	    sizeof(st_js_br) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "style.css", st_css,
	    sizeof(st_css) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "style.css.gz", st_css_gz,
	    sizeof(st_css_gz) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "old.txt", st_old, sizeof(st_old) - 1,
	    0644) == -1 ||
	    harness_write_file(h->root, "old.txt.gz", st_old_gz,
	    sizeof(st_old_gz) - 1, 0644) == -1 ||
	    st_set_mtime(h->root, "app.js", ST_ENC_MTIME, 0) == -1 ||
	    st_set_mtime(h->root, "app.js.gz", ST_ENC_NEWER, 0) == -1 ||
	    st_set_mtime(h->root, "app.js.br", ST_ENC_NEWER, 0) == -1 ||
	    st_set_mtime(h->root, "style.css", ST_ENC_MTIME, 0) == -1 ||
	    st_set_mtime(h->root, "style.css.gz", ST_ENC_MTIME, 0) == -1 ||
	    /* The stale sibling: older than the file it stands for. */
	    st_set_mtime(h->root, "old.txt", ST_ENC_NEWER, 0) == -1 ||
	    st_set_mtime(h->root, "old.txt.gz", ST_ENC_MTIME, 0) == -1 ||
	    /* Stale by less than a second: same seconds, fewer nanoseconds. */
	    harness_write_file(h->root, "old2.txt", st_old,
	    sizeof(st_old) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "old2.txt.gz", st_old_gz,
	    sizeof(st_old_gz) - 1, 0644) == -1 ||
	    st_set_mtime(h->root, "old2.txt", ST_ENC_MTIME, 900000000) == -1 ||
	    st_set_mtime(h->root, "old2.txt.gz", ST_ENC_MTIME, 100000000) ==
	    -1)
		return -1;

	for (i = 0; i < sizeof(st_types) / sizeof(st_types[0]); i++) {
		if (harness_write_file(h->root, st_types[i].file, st_hello,
		    sizeof(st_hello) - 1, 0644) == -1)
			return -1;
	}

	if (harness_write_file(h->root, "idx/main.html", "MAIN\n", 5,
	    0644) == -1 ||
	    harness_write_file(h->root, "idx/index.html", "INDEX\n", 6,
	    0644) == -1 ||
	    harness_write_file(h->root, "idx2/index.html", "INDEX2\n", 7,
	    0644) == -1 ||
	    harness_write_file(h->root, "x y/index.html", "XY\n", 3,
	    0644) == -1 ||
	    harness_write_file(h->root, "empty.txt", "", 0, 0644) == -1 ||
	    harness_write_file(h->root, "plain/<b>.txt", "B\n", 2,
	    0644) == -1 ||
	    harness_write_file(h->root, "plain/a&b.txt", "AB\n", 3,
	    0644) == -1 ||
	    harness_write_file(h->root, "plain/.secret", "S\n", 2,
	    0644) == -1 ||
	    harness_mkdir(h->root, "plain/sub") == -1 ||
	    harness_write_file(h->root, ".hidden", "HIDDEN\n", 7,
	    0644) == -1 ||
	    harness_write_file(h->root, "dir/.git/config", "GITCONFIG\n", 10,
	    0644) == -1 ||
	    harness_write_file(h->root, ".well-known/acme", "ACME\n", 5,
	    0644) == -1 ||
	    harness_write_file(h->root, ".well-known/.x", "X\n", 2,
	    0644) == -1 ||
	    harness_symlink(h->root, "link_in", "hello.txt") == -1 ||
	    harness_symlink(h->root, "link_out", "../outside/secret.txt") ==
	    -1 ||
	    harness_symlink(h->root, "link_abs", h->secret) == -1 ||
	    harness_write_file(h->root, "404.html", st_404,
	    sizeof(st_404) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "errors/nf.html", st_nf,
	    sizeof(st_nf) - 1, 0644) == -1 ||
	    harness_write_file(h->root, "err403.html", st_403,
	    sizeof(st_403) - 1, 0644) == -1)
		return -1;

	if (harness_write_file(h->vroot, "example.org/index.html", "EX", 2,
	    0644) == -1 ||
	    harness_write_file(h->vroot, "example.org/404.html", "EX-404", 6,
	    0644) == -1 ||
	    harness_write_file(h->vroot, "default/index.html", "DEF", 3,
	    0644) == -1 ||
	    harness_write_file(h->vroot2, "example.org/index.html", "EX2", 3,
	    0644) == -1)
		return -1;
	return 0;
}

static int
st_setup(void **state)
{
	const char		*args[] = { "--root", NULL, "--workers", "2",
	    "--header-timeout", "5", "--header", "X-Test: yes",
	    "--cache-control", ".css,.JS=max-age=60",
	    "--index", "main.html index.html", NULL };
	const char		*vargs[] = { "--root", NULL, "--workers", "1",
	    "--header-timeout", "5", "--vhost-root", NULL, NULL };
	struct harness_opts	 o;
	struct st		*h;

	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	if (harness_bin() == NULL) {
		fprintf(stderr, "test_static: SLUICE_BIN must be set (run "
		    "through make check)\n");
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -1;
	if (st_make_tree(h) == -1) {
		fprintf(stderr, "test_static: cannot build the tree: %s\n",
		    strerror(errno));
		goto fail;
	}
	args[1] = h->root;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&h->srv, &o) == -1) {
		fprintf(stderr, "test_static: cannot start %s: %s\n",
		    harness_bin(), strerror(errno));
		goto fail;
	}
	vargs[1] = h->root;
	vargs[7] = h->vroot;
	o.args = vargs;
	if (harness_server_start(&h->vsrv, &o) == -1) {
		fprintf(stderr, "test_static: cannot start %s with "
		    "--vhost-root: %s\n", harness_bin(), strerror(errno));
		goto fail;
	}
	harness_watchdog_disarm();
	*state = h;
	return 0;
 fail:
	harness_server_cleanup(&h->srv);
	harness_server_cleanup(&h->vsrv);
	if (h->outer[0] != '\0')
		(void)harness_rmtree(h->outer);
	free(h->small);
	free(h->big);
	free(h);
	return -1;
}

static int
st_teardown(void **state)
{
	struct harness_server	*srv[2];
	struct st		*h = *state;
	char			*log;
	int			 st = 0, ret = 0, i;

	if (h == NULL)
		return 0;
	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	srv[0] = &h->srv;
	srv[1] = &h->vsrv;
	/* The group's servers must have survived every test and exit 0. */
	for (i = 0; i < 2; i++) {
		if (harness_server_stop(srv[i], &st) == -1 ||
		    harness_exit_code(st) != 0) {
			fprintf(stderr, "test_static: a group server did not "
			    "exit 0 (status %d), its log:\n",
			    harness_exit_code(st));
			if (harness_log_read(srv[i], &log, NULL) == 0) {
				fprintf(stderr, "%s", log);
				free(log);
			}
			ret = -1;
		}
		harness_server_cleanup(srv[i]);
	}
	(void)harness_rmtree(h->outer);
	free(h->small);
	free(h->big);
	free(h);
	harness_watchdog_disarm();
	return ret;
}

/* Per test: the watchdog, and no extra server left from a failed test. */
static int
st_test_setup(void **state)
{
	st_nextra = 0;
	return harness_watchdog_setup(state);
}

static int
st_test_teardown(void **state)
{
	int	i;

	for (i = 0; i < st_nextra; i++)
		harness_server_cleanup(&st_extra[i]);
	st_nextra = 0;
	return harness_watchdog_teardown(state);
}

/*
 * Start one more server on docroot root with the given extra arguments
 * (NULL-terminated), kept in st_extra until st_stop_all or the test's
 * teardown.  Fails the test if it does not start.
 */
static struct harness_server *
st_start(const char *root, ...)
{
	const char		*args[ST_MAX_ARGS + 8];
	struct harness_opts	 o;
	struct harness_server	*s;
	va_list			 ap;
	size_t			 n = 0;
	const char		*a;
	char			*log;

	assert_true(st_nextra < ST_MAX_EXTRA);
	s = &st_extra[st_nextra++];
	memset(s, 0, sizeof(*s));
	args[n++] = "--root";
	args[n++] = root;
	args[n++] = "--workers";
	args[n++] = "1";
	args[n++] = "--header-timeout";
	args[n++] = "5";
	va_start(ap, root);
	while ((a = va_arg(ap, const char *)) != NULL && n < ST_MAX_ARGS + 6)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(s, &o) == -1) {
		if (harness_log_read(s, &log, NULL) == 0) {
			fprintf(stderr, "server log:\n%s", log);
			free(log);
		}
		fail_msg("cannot start an extra server (%s ...): %s",
		    args[6] != NULL ? args[6] : "", strerror(errno));
	}
	return s;
}

/* Stop the servers st_start started; each must exit 0. */
static void
st_stop_all(void)
{
	int	i, st = 0, ret;

	for (i = 0; i < st_nextra; i++) {
		ret = harness_server_stop(&st_extra[i], &st);
		if (ret == -1 || harness_exit_code(st) != 0)
			fail_msg("extra server %d did not exit 0 after SIGTERM "
			    "(status %d)", i, harness_exit_code(st));
		harness_server_cleanup(&st_extra[i]);
	}
	st_nextra = 0;
}

/* Remember raw (a request) for failure messages, CRLFs shown as " | ". */
static void
st_describe(const char *raw)
{
	size_t	o = 0;

	for (; *raw != '\0' && o + 4 < sizeof(st_what); raw++) {
		if (*raw == '\r')
			continue;
		if (*raw == '\n') {
			if (raw[1] == '\0' || (raw[1] == '\r' &&
			    raw[2] == '\n'))
				break;
			memcpy(st_what + o, " | ", 3);
			o += 3;
			continue;
		}
		st_what[o++] = (unsigned char)*raw < 0x20 ? '?' : *raw;
	}
	st_what[o] = '\0';
}

/*
 * One request "METHOD path HTTP/1.1" with Host, "Connection: close" and
 * the extra header lines (each ending in CRLF; may be NULL), on its own
 * connection.  The response is read (no body for HEAD), then the server
 * must close, with no byte after the response: so every Content-Length
 * (or its absence on 304) is checked exactly.
 */
static void
st_fetch(int port, const char *method, const char *path, const char *extra,
    struct harness_response *r)
{
	struct harness_client	 c;
	char			 req[4096];
	int			 n;

	n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n%s\r\n", method, path,
	    extra != NULL ? extra : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	st_describe(req);
	if (harness_client_connect(&c, port, 0) == -1)
		fail_msg("%s: connect: %s", st_what, strerror(errno));
	if (harness_client_send(&c, req, (size_t)n, ST_TIMEOUT_MS) == -1) {
		harness_client_close(&c);
		fail_msg("%s: send: %s", st_what, strerror(errno));
	}
	if (harness_client_read_response(&c, r,
	    strcmp(method, "HEAD") == 0 ? HARNESS_RESP_HEAD : 0,
	    ST_TIMEOUT_MS) == -1) {
		harness_client_close(&c);
		fail_msg("%s: no response: %s", st_what, strerror(errno));
	}
	if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1) {
		harness_client_close(&c);
		fail_msg("%s: not closed after the response (Connection: "
		    "close)", st_what);
	}
	if (c.len != 0) {
		harness_client_close(&c);
		fail_msg("%s: %zu bytes after the %d response (wrong "
		    "Content-Length, or a body where none belongs)", st_what,
		    c.len, r->status);
	}
	harness_client_close(&c);
}

/* Send raw bytes on a new connection and read one response. */
static void
st_raw(int port, const char *raw, int flags, struct harness_response *r)
{
	st_describe(raw);
	if (harness_request(port, raw, strlen(raw), flags, ST_TIMEOUT_MS, r)
	    == -1)
		fail_msg("%s: no response: %s", st_what, strerror(errno));
}

static void
st_status(const struct harness_response *r, int want)
{
	if (r->status != want)
		fail_msg("%s: status %d, want %d", st_what, r->status, want);
}

/* The value of field name, which must be present. */
static const char *
st_hdr(const struct harness_response *r, const char *name)
{
	const char	*v = harness_response_header(r, name);

	if (v == NULL)
		fail_msg("%s: %d response without %s", st_what, r->status,
		    name);
	return v;
}

static void
st_hdr_eq(const struct harness_response *r, const char *name,
    const char *want)
{
	const char	*v = st_hdr(r, name);

	if (strcmp(v, want) != 0)
		fail_msg("%s: %s \"%s\", want \"%s\"", st_what, name, v, want);
}

static void
st_hdr_absent(const struct harness_response *r, const char *name)
{
	const char	*v = harness_response_header(r, name);

	if (v != NULL)
		fail_msg("%s: %d response has \"%s: %s\", want none", st_what,
		    r->status, name, v);
}

static void
st_body_eq(const struct harness_response *r, const void *data, size_t len)
{
	size_t	i;

	if (r->body_len != len)
		fail_msg("%s: body of %zu bytes, want %zu (\"%.40s\")", st_what,
		    r->body_len, len, r->body);
	if (memcmp(r->body, data, len) != 0) {
		for (i = 0; r->body[i] == ((const char *)data)[i]; i++)
			;
		fail_msg("%s: body differs from byte %zu on (\"%.40s\")",
		    st_what, i, r->body);
	}
}

/* The body contains (or, if !want, does not contain) str. */
static void
st_body_has(const struct harness_response *r, const char *str, bool want)
{
	bool	has = memmem(r->body, r->body_len, str, strlen(str)) != NULL;

	if (has != want)
		fail_msg("%s: body %s \"%s\"", st_what,
		    want ? "lacks" : "contains", str);
}

/* The ETag of a 200 for path (with extra fields); malloc()ed. */
static char *
st_etag(int port, const char *path, const char *extra)
{
	struct harness_response	 r;
	char			*e;

	st_fetch(port, "GET", path, extra, &r);
	st_status(&r, 200);
	assert_non_null(e = strdup(st_hdr(&r, "ETag")));
	harness_response_free(&r);
	return e;
}

/* An ETag value is strong (no W/) and quoted, with something inside. */
static void
st_etag_strong(const char *etag, const char *what)
{
	size_t	len = strlen(etag);

	if (strncmp(etag, "W/", 2) == 0)
		fail_msg("%s: ETag %s is weak, want strong", what, etag);
	if (len < 3 || etag[0] != '"' || etag[len - 1] != '"' ||
	    strchr(etag + 1, '"') != etag + len - 1)
		fail_msg("%s: ETag %s is not one quoted opaque-tag", what,
		    etag);
}

/*
 * Ask path again until its ETag differs from old (the worker may trust
 * its cached open for FCACHE_TTL), within ST_CHANGE_MS.  Returns the new
 * ETag (malloc()ed); fails the test if it never changes.
 */
static char *
st_wait_etag_change(int port, const char *path, const char *old)
{
	int64_t	 deadline = harness_now_ms() + ST_CHANGE_MS;
	char	*e;

	for (;;) {
		e = st_etag(port, path, NULL);
		if (strcmp(e, old) != 0)
			return e;
		free(e);
		if (harness_now_ms() >= deadline)
			fail_msg("GET %s: ETag still %s %d ms after the file "
			    "changed", path, old, ST_CHANGE_MS);
		(void)poll(NULL, 0, ST_POLL_MS);
	}
}

/* Format t as an IMF-fixdate. */
static void
st_http_date(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* A plain 206 of bytes first..last of f. */
static void
st_check_206(const struct harness_response *r, const struct st_file *f,
    uint64_t first, uint64_t last)
{
	char	want[96];

	st_status(r, 206);
	snprintf(want, sizeof(want), "bytes %llu-%llu/%zu",
	    (unsigned long long)first, (unsigned long long)last, f->size);
	st_hdr_eq(r, "Content-Range", want);
	snprintf(want, sizeof(want), "%llu",
	    (unsigned long long)(last - first + 1));
	st_hdr_eq(r, "Content-Length", want);
	if (strncasecmp(st_hdr(r, "Content-Type"), "multipart/", 10) == 0)
		fail_msg("%s: one range sent as %s", st_what,
		    st_hdr(r, "Content-Type"));
	st_body_eq(r, f->data + first, (size_t)(last - first + 1));
}

/*
 * A multipart/byteranges 206 of f with exactly the n parts want, in this
 * order, each with Content-Type type and its Content-Range; the boundary
 * comes from the Content-Type.  The framing is RFC 2046's: optional
 * preamble, "--B" at the start or after CRLF, the part's fields, an empty
 * line, the bytes, CRLF "--B" ... and "--B--" closing.
 */
static void
st_check_multipart(const struct harness_response *r, const struct st_file *f,
    const char *type, const struct st_span *want, size_t n)
{
	const char	*ct, *b, *p, *end, *hend, *line, *eol, *colon, *v;
	char		 delim[128], crange[96], name[64], value[160];
	char		 types[160], ranges[160];
	const char	*got_type, *got_range;
	size_t		 blen, dlen, i, len;

	st_status(r, 206);
	st_hdr_absent(r, "Content-Range");
	ct = st_hdr(r, "Content-Type");
	if (strncasecmp(ct, "multipart/byteranges", 20) != 0)
		fail_msg("%s: Content-Type %s, want multipart/byteranges",
		    st_what, ct);
	if ((b = strcasestr(ct, "boundary=")) == NULL)
		fail_msg("%s: no boundary in %s", st_what, ct);
	b += 9;
	if (*b == '"')
		blen = strcspn(++b, "\"");
	else
		blen = strcspn(b, "; \t");
	if (blen == 0 || blen > 70)
		fail_msg("%s: boundary of %zu characters in %s", st_what, blen,
		    ct);
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%.*s", (int)blen, b);
	if (strtoull(st_hdr(r, "Content-Length"), NULL, 10) != r->body_len)
		fail_msg("%s: Content-Length %s, body %zu bytes", st_what,
		    st_hdr(r, "Content-Length"), r->body_len);

	p = r->body;
	end = r->body + r->body_len;
	for (i = 0; i < n; i++) {
		if (i == 0) {
			/* The preamble ends with the first delimiter. */
			if ((p = memmem(p, (size_t)(end - p), delim, dlen)) ==
			    NULL)
				fail_msg("%s: no delimiter --%.*s in the body",
				    st_what, (int)blen, b);
			if (p != r->body && (p - r->body < 2 ||
			    memcmp(p - 2, "\r\n", 2) != 0))
				fail_msg("%s: first delimiter not at a line "
				    "start", st_what);
		} else if ((size_t)(end - p) < dlen + 2 ||
		    memcmp(p, "\r\n", 2) != 0 ||
		    memcmp(p + 2, delim, dlen) != 0)
			fail_msg("%s: part %zu not followed by CRLF and the "
			    "delimiter", st_what, i);
		else
			p += 2;
		p += dlen;
		if (end - p < 2 || memcmp(p, "\r\n", 2) != 0)
			fail_msg("%s: part %zu: delimiter not followed by "
			    "CRLF", st_what, i + 1);
		p += 2;
		if ((hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4)) ==
		    NULL)
			fail_msg("%s: part %zu: no end of its fields", st_what,
			    i + 1);
		got_type = got_range = NULL;
		for (line = p; line < hend + 2; line = eol + 2) {
			eol = memmem(line, (size_t)(hend + 2 - line), "\r\n",
			    2);
			colon = memchr(line, ':', (size_t)(eol - line));
			if (colon == NULL)
				fail_msg("%s: part %zu: field line without "
				    "colon", st_what, i + 1);
			len = (size_t)(colon - line);
			snprintf(name, sizeof(name), "%.*s", (int)len, line);
			for (v = colon + 1; v < eol && (*v == ' ' ||
			    *v == '\t'); v++)
				;
			snprintf(value, sizeof(value), "%.*s",
			    (int)(eol - v), v);
			if (strcasecmp(name, "Content-Type") == 0) {
				snprintf(types, sizeof(types), "%s", value);
				got_type = types;
			} else if (strcasecmp(name, "Content-Range") == 0) {
				snprintf(ranges, sizeof(ranges), "%s", value);
				got_range = ranges;
			}
		}
		if (got_type == NULL || strcmp(got_type, type) != 0)
			fail_msg("%s: part %zu: Content-Type \"%s\", want "
			    "\"%s\"", st_what, i + 1,
			    got_type != NULL ? got_type : "(none)", type);
		snprintf(crange, sizeof(crange), "bytes %llu-%llu/%zu",
		    (unsigned long long)want[i].first,
		    (unsigned long long)want[i].last, f->size);
		if (got_range == NULL || strcmp(got_range, crange) != 0)
			fail_msg("%s: part %zu: Content-Range \"%s\", want "
			    "\"%s\"", st_what, i + 1,
			    got_range != NULL ? got_range : "(none)", crange);
		p = hend + 4;
		len = (size_t)(want[i].last - want[i].first + 1);
		if ((size_t)(end - p) < len ||
		    memcmp(p, f->data + want[i].first, len) != 0)
			fail_msg("%s: part %zu: bytes differ from %s",
			    st_what, i + 1, crange);
		p += len;
	}
	if ((size_t)(end - p) < dlen + 4 || memcmp(p, "\r\n", 2) != 0 ||
	    memcmp(p + 2, delim, dlen) != 0 ||
	    memcmp(p + 2 + dlen, "--", 2) != 0)
		fail_msg("%s: no closing delimiter after part %zu", st_what,
		    n);
	p += 4 + dlen;
	/* Only a line end (or nothing) may follow the close. */
	if (!(p == end || (end - p == 2 && memcmp(p, "\r\n", 2) == 0)))
		fail_msg("%s: %zu bytes after the closing delimiter (a "
		    "further part?)", st_what, (size_t)(end - p));
}

/*
 * The values of every "name" member of a JSON text, unescaped (\" \\ \/
 * \n \t and \uXXXX below 0x80; other escapes become '?'), into names.
 * Returns how many were found (at most max); fails the test on a string
 * that does not end.
 */
static size_t
st_json_names(const char *s, size_t len, char names[][64], size_t max)
{
	const char	*p = s, *end = s + len;
	size_t		 n = 0, o;
	unsigned	 u;

	while (n < max && (p = memmem(p, (size_t)(end - p), "\"name\"", 6)) !=
	    NULL) {
		p += 6;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\n'))
			p++;
		if (p == end || *p != ':')
			continue;
		for (p++; p < end && (*p == ' ' || *p == '\t' || *p == '\n');)
			p++;
		if (p == end || *p != '"')
			continue;
		for (p++, o = 0; p < end && *p != '"'; p++) {
			if (*p == '\\' && p + 1 < end) {
				p++;
				if (*p == 'u' && end - p >= 5 &&
				    sscanf(p + 1, "%4x", &u) == 1) {
					p += 4;
					if (o < 63)
						names[n][o++] = u < 0x80 ?
						    (char)u : '?';
					continue;
				}
				if (o < 63)
					names[n][o++] = *p == 'n' ? '\n' :
					    *p == 't' ? '\t' : *p == '"' ||
					    *p == '\\' || *p == '/' ? *p : '?';
				continue;
			}
			if (o < 63)
				names[n][o++] = *p;
		}
		if (p == end)
			fail_msg("%s: a JSON string does not end", st_what);
		names[n++][o] = '\0';
		p++;
	}
	return n;
}

static bool
st_has_name(char names[][64], size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/*
 * Create n empty files in dir/sub (made if missing), named "fNNNNNN-"
 * padded with 'x' to len bytes, so that their listing order is their
 * number.  Returns 0, or -1 with errno.
 */
static int
st_make_names(const char *dir, const char *sub, size_t n, size_t len)
{
	char	 name[256];
	size_t	 i;
	int	 dfd, fd, saved;

	if (len >= sizeof(name) || len < 8 || harness_mkdir(dir, sub) == -1)
		return -1;
	snprintf(name, sizeof(name), "%s/%s", dir, sub);
	if ((dfd = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "f%06zu-", i);
		memset(name + 8, 'x', len - 8);
		name[len] = '\0';
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
		if (fd == -1) {
			saved = errno;
			close(dfd);
			errno = saved;
			return -1;
		}
		close(fd);
	}
	close(dfd);
	return 0;
}

/*
 * Whether buf[0..len) begins with a whole response that has a
 * Content-Length (the only kind st_slow_read waits for).
 */
static bool
st_has_response(const char *buf, size_t len)
{
	const char		*end, *p, *eol;
	unsigned long long	 cl;
	size_t			 hlen;

	if (buf == NULL || (end = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return false;
	hlen = (size_t)(end - buf) + 4;
	for (p = buf; p < end; p = eol + 2) {
		if ((eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2)) ==
		    NULL)
			break;
		if (eol - p > 15 && strncasecmp(p, "Content-Length:", 15) ==
		    0) {
			cl = strtoull(p + 15, NULL, 10);
			return len - hlen >= cl;
		}
	}
	return false;
}

/*
 * Read one response from c the slow way: recv() of at most ST_SLOW_CHUNK
 * bytes each time the socket is readable (poll, no sleeps), into c's own
 * buffer, until a whole response is there; then parse it with the
 * harness.  Fails the test after ST_SLOW_MS or if the peer closes first.
 */
static void
st_slow_read(struct harness_client *c, struct harness_response *r)
{
	struct pollfd	 pfd;
	int64_t		 deadline = harness_now_ms() + ST_SLOW_MS, left;
	size_t		 ncap;
	ssize_t		 n;
	char		*nb;

	while (!st_has_response(c->buf, c->len)) {
		if ((left = deadline - harness_now_ms()) <= 0)
			fail_msg("%s: no whole response in %d ms (%zu bytes)",
			    st_what, ST_SLOW_MS, c->len);
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1 && errno != EINTR)
			fail_msg("%s: poll: %s", st_what, strerror(errno));
		if (c->cap - c->len < ST_SLOW_CHUNK) {
			ncap = c->cap == 0 ? 65536 : 2 * c->cap;
			if ((nb = realloc(c->buf, ncap + 1)) == NULL)
				fail_msg("out of memory");
			c->buf = nb;
			c->cap = ncap;
		}
		n = recv(c->fd, c->buf + c->len, ST_SLOW_CHUNK, MSG_DONTWAIT);
		if (n == 0)
			fail_msg("%s: closed after %zu bytes of a response",
			    st_what, c->len);
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			fail_msg("%s: recv: %s", st_what, strerror(errno));
		if (n > 0) {
			c->len += (size_t)n;
			c->buf[c->len] = '\0';
		}
	}
	if (harness_client_read_response(c, r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: a buffered response does not parse: %s",
		    st_what, strerror(errno));
}

/* How many times str occurs in buf[0..len) (without overlaps). */
static size_t
st_count(const char *buf, size_t len, const char *str)
{
	const char	*p = buf, *end = buf + len, *q;
	size_t		 n = 0, sl = strlen(str);

	while ((q = memmem(p, (size_t)(end - p), str, sl)) != NULL) {
		n++;
		p = q + sl;
	}
	return n;
}

/*
 * A minimal JSON check: one object, its braces and brackets balanced
 * outside strings, strings closed, nothing after it but white space.
 */
static void
st_json_balanced(const struct harness_response *r)
{
	const char	*p = r->body, *end = r->body + r->body_len;
	char		 stack[16];
	size_t		 depth = 0;
	bool		 seen = false;

	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				fail_msg("%s: a JSON string does not end",
				    st_what);
		} else if (*p == '{' || *p == '[') {
			if (depth == 0 && (seen || *p != '{'))
				fail_msg("%s: not one JSON object", st_what);
			if (depth == sizeof(stack))
				fail_msg("%s: JSON nested too deep", st_what);
			stack[depth++] = *p == '{' ? '}' : ']';
			seen = true;
		} else if (*p == '}' || *p == ']') {
			if (depth == 0 || stack[--depth] != *p)
				fail_msg("%s: unbalanced '%c' at byte %zu",
				    st_what, *p, (size_t)(p - r->body));
		} else if (depth == 0 && *p != ' ' && *p != '\n' &&
		    *p != '\r' && *p != '\t')
			fail_msg("%s: byte 0x%02x outside the JSON object",
			    st_what, (unsigned char)*p);
	}
	if (depth != 0 || !seen)
		fail_msg("%s: the JSON object does not end", st_what);
}

/*
 * --- ETag --------------------------------------------------------------
 */

static void
test_etag_strong_quoted(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path, NULL, &r);
		st_status(&r, 200);
		st_etag_strong(st_hdr(&r, "ETag"), h->files[i].path);
		st_hdr(&r, "Last-Modified");
		st_hdr(&r, "Date");
		st_hdr_eq(&r, "Accept-Ranges", "bytes");
		harness_response_free(&r);
	}
}

static void
test_etag_stable(void **state)
{
	struct st	*h = *state;
	char		*a, *b;
	size_t		 i;

	for (i = 0; i < 2; i++) {
		a = st_etag(h->srv.port, h->files[i].path, NULL);
		b = st_etag(h->srv.port, h->files[i].path, NULL);
		if (strcmp(a, b) != 0)
			fail_msg("GET %s twice: ETag %s then %s",
			    h->files[i].path, a, b);
		free(a);
		free(b);
	}
}

/*
 * A rewrite with another size and the same mtime: a new ETag, and from
 * then on the new bytes with it.  On a server of its own with one worker:
 * each worker trusts its cached open for up to FCACHE_TTL, so with two
 * the old version may come back from the other worker meanwhile (DESIGN.md
 * allows that short cache).
 */
static void
test_etag_changes_size(void **state)
{
	static const char	 two[] = "version two, longer\n";
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;
	char			*a, *b;

	s = st_start(h->root, NULL);
	st_fetch(s->port, "GET", "/etag_size.txt", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "version one\n", 12);
	assert_non_null(a = strdup(st_hdr(&r, "ETag")));
	harness_response_free(&r);
	assert_int_equal(harness_write_file(h->root, "etag_size.txt", two,
	    sizeof(two) - 1, 0644), 0);
	assert_int_equal(st_set_mtime(h->root, "etag_size.txt",
	    ST_ETAG_MTIME, 0), 0);
	b = st_wait_etag_change(s->port, "/etag_size.txt", a);
	st_etag_strong(b, "etag_size.txt rewritten");
	/* The new tag goes with the new bytes, also for a range. */
	st_fetch(s->port, "GET", "/etag_size.txt", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "ETag", b);
	st_body_eq(&r, two, sizeof(two) - 1);
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/etag_size.txt", "Range: bytes=8-10\r\n",
	    &r);
	st_status(&r, 206);
	st_hdr_eq(&r, "ETag", b);
	st_body_eq(&r, two + 8, 3);
	harness_response_free(&r);
	free(a);
	free(b);
	st_stop_all();
}

/*
 * The same bytes, another mtime (seconds, then nanoseconds only): a new
 * ETag each time.  One worker, as above.
 */
static void
test_etag_changes_mtime(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	char			*a, *b, *c;

	s = st_start(h->root, NULL);
	a = st_etag(s->port, "/etag_mtime.txt", NULL);
	assert_int_equal(st_set_mtime(h->root, "etag_mtime.txt",
	    ST_ETAG_MTIME + 500, 0), 0);
	b = st_wait_etag_change(s->port, "/etag_mtime.txt", a);
	st_etag_strong(b, "etag_mtime.txt touched");
	assert_int_equal(st_set_mtime(h->root, "etag_mtime.txt",
	    ST_ETAG_MTIME + 500, 500000000), 0);
	c = st_wait_etag_change(s->port, "/etag_mtime.txt", b);
	if (strcmp(c, a) == 0)
		fail_msg("etag_mtime.txt: ETag back to %s after a change of "
		    "nanoseconds", a);
	st_etag_strong(c, "etag_mtime.txt touched (nanoseconds)");
	free(a);
	free(b);
	free(c);
	st_stop_all();
}

/* Two servers on the same files agree (no inode, no per-process salt). */
static void
test_etag_equal_across_servers(void **state)
{
	static const char	*paths[] = { "/small.bin", "/big.bin",
	    "/hello.txt", NULL };
	struct st		*h = *state;
	struct harness_server	*s2;
	char			*a, *b;
	size_t			 i;

	s2 = st_start(h->root, NULL);
	for (i = 0; paths[i] != NULL; i++) {
		a = st_etag(h->srv.port, paths[i], NULL);
		b = st_etag(s2->port, paths[i], NULL);
		if (strcmp(a, b) != 0)
			fail_msg("GET %s: ETag %s on one server, %s on the "
			    "other", paths[i], a, b);
		free(a);
		free(b);
	}
	a = st_etag(h->srv.port, "/app.js", "Accept-Encoding: br\r\n");
	b = st_etag(s2->port, "/app.js", "Accept-Encoding: br\r\n");
	if (strcmp(a, b) != 0)
		fail_msg("GET /app.js (br): ETag %s on one server, %s on the "
		    "other", a, b);
	free(a);
	free(b);
	st_stop_all();
}

/*
 * --- Conditional requests ---------------------------------------------
 */

/* GET /cond.txt with one extra field; expect status. */
static void
st_cond(const struct st *h, const char *field, int status)
{
	struct harness_response	r;

	st_fetch(h->srv.port, "GET", "/cond.txt", field, &r);
	st_status(&r, status);
	if (status == 200)
		st_body_eq(&r, st_condbody, sizeof(st_condbody) - 1);
	harness_response_free(&r);
}

/* GET /cond.txt with the field before + <its ETag> + after. */
static void
st_cond_etag(const struct st *h, const char *before, const char *after,
    int status)
{
	char	*etag, field[256];

	etag = st_etag(h->srv.port, "/cond.txt", NULL);
	snprintf(field, sizeof(field), "%s%s%s", before, etag, after);
	st_cond(h, field, status);
	free(etag);
}

static void
test_cond_inm_exact_304(void **state)
{
	st_cond_etag(*state, "If-None-Match: ", "\r\n", 304);
}

static void
test_cond_inm_list_304(void **state)
{
	st_cond_etag(*state, "If-None-Match: \"nope-1\", ",
	    ", \"nope-2\"\r\n", 304);
}

static void
test_cond_inm_weak_304(void **state)
{
	/* If-None-Match compares weakly: W/"x" matches "x". */
	st_cond_etag(*state, "If-None-Match: W/", "\r\n", 304);
}

static void
test_cond_inm_star_304(void **state)
{
	st_cond(*state, "If-None-Match: *\r\n", 304);
}

static void
test_cond_inm_nomatch_200(void **state)
{
	st_cond(*state, "If-None-Match: \"no-such-tag\"\r\n", 200);
	st_cond(*state, "If-None-Match: \"a\", W/\"b\"\r\n", 200);
}

/* A 304 carries the validators and Date, and no body or length. */
static void
test_cond_304_fields(void **state)
{
	struct st		*h = *state;
	struct harness_response	 g, r;
	char			 field[256];

	st_fetch(h->srv.port, "GET", "/cond.txt", NULL, &g);
	st_status(&g, 200);
	st_hdr_eq(&g, "Last-Modified", ST_OLD_DATE);
	snprintf(field, sizeof(field), "If-None-Match: %s\r\n",
	    st_hdr(&g, "ETag"));
	st_fetch(h->srv.port, "GET", "/cond.txt", field, &r);
	st_status(&r, 304);
	assert_int_equal(r.body_len, 0);
	st_hdr_absent(&r, "Content-Length");
	st_hdr_absent(&r, "Transfer-Encoding");
	st_hdr_eq(&r, "ETag", st_hdr(&g, "ETag"));
	st_hdr_eq(&r, "Last-Modified", ST_OLD_DATE);
	st_hdr(&r, "Date");
	harness_response_free(&r);
	/* HEAD too. */
	st_fetch(h->srv.port, "HEAD", "/cond.txt", field, &r);
	st_status(&r, 304);
	st_hdr_absent(&r, "Content-Length");
	harness_response_free(&r);
	harness_response_free(&g);
}

static void
test_cond_ims_equal_304(void **state)
{
	st_cond(*state, "If-Modified-Since: " ST_OLD_DATE "\r\n", 304);
}

static void
test_cond_ims_later_304(void **state)
{
	st_cond(*state, "If-Modified-Since: " ST_LATER_DATE "\r\n", 304);
}

static void
test_cond_ims_earlier_200(void **state)
{
	st_cond(*state, "If-Modified-Since: " ST_EARLIER_DATE "\r\n", 200);
}

static void
test_cond_ims_invalid_200(void **state)
{
	st_cond(*state, "If-Modified-Since: not a date\r\n", 200);
	st_cond(*state, "If-Modified-Since: Sun, 99 Sep 2001 01:46:40 GMT\r\n",
	    200);
}

/* A date in the future is invalid (RFC 9110 13.1.3): ignored. */
static void
test_cond_ims_future_200(void **state)
{
	char	date[64], field[128];

	st_http_date(time(NULL) + 365 * 86400, date, sizeof(date));
	snprintf(field, sizeof(field), "If-Modified-Since: %s\r\n", date);
	st_cond(*state, field, 200);
}

/* If-None-Match present and not matching: If-Modified-Since is ignored. */
static void
test_cond_ims_ignored_with_inm_200(void **state)
{
	st_cond(*state, "If-None-Match: \"no-such-tag\"\r\n"
	    "If-Modified-Since: " ST_LATER_DATE "\r\n", 200);
}

/* The obsolete date forms (RFC 850, asctime) are dates too. */
static void
test_cond_ims_obsolete_formats_304(void **state)
{
	st_cond(*state, "If-Modified-Since: Sunday, 09-Sep-01 01:46:40 GMT"
	    "\r\n", 304);
	st_cond(*state, "If-Modified-Since: Sun Sep  9 01:46:40 2001\r\n",
	    304);
}

/* The sendfile path sends no body with a 304 or a HEAD either. */
static void
test_cond_304_large_no_body(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			*etag, field[256];

	etag = st_etag(h->srv.port, "/big.bin", NULL);
	snprintf(field, sizeof(field), "If-None-Match: %s\r\n", etag);
	st_fetch(h->srv.port, "GET", "/big.bin", field, &r);
	st_status(&r, 304);
	st_hdr_absent(&r, "Content-Length");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/big.bin", "If-Match: \"nope\"\r\n",
	    &r);
	st_status(&r, 412);
	st_body_has(&r, "\x01\x02", false);
	if (r.body_len >= ST_BIG_SIZE)
		fail_msg("%s: 412 with a body of %zu bytes", st_what,
		    r.body_len);
	harness_response_free(&r);
	st_fetch(h->srv.port, "HEAD", "/big.bin", NULL, &r);
	st_status(&r, 200);
	assert_int_equal(r.body_len, 0);
	harness_response_free(&r);
	free(etag);
}

static void
test_cond_if_match_nomatch_412(void **state)
{
	st_cond(*state, "If-Match: \"no-such-tag\"\r\n", 412);
}

static void
test_cond_if_match_star_200(void **state)
{
	st_cond(*state, "If-Match: *\r\n", 200);
}

static void
test_cond_if_match_exact_200(void **state)
{
	st_cond_etag(*state, "If-Match: \"x\", ", "\r\n", 200);
}

/* If-Match compares strongly: W/"x" never matches. */
static void
test_cond_if_match_weak_412(void **state)
{
	st_cond_etag(*state, "If-Match: W/", "\r\n", 412);
}

static void
test_cond_ius_earlier_412(void **state)
{
	st_cond(*state, "If-Unmodified-Since: " ST_EARLIER_DATE "\r\n", 412);
}

static void
test_cond_ius_equal_200(void **state)
{
	st_cond(*state, "If-Unmodified-Since: " ST_OLD_DATE "\r\n", 200);
	st_cond(*state, "If-Unmodified-Since: " ST_LATER_DATE "\r\n", 200);
}

/* An invalid If-Unmodified-Since date is ignored. */
static void
test_cond_ius_invalid_200(void **state)
{
	st_cond(*state, "If-Unmodified-Since: yesterday\r\n", 200);
}

/* RFC 9110 13.2.2: a failed If-Match wins over a matching If-None-Match. */
static void
test_cond_if_match_before_inm_412(void **state)
{
	st_cond_etag(*state, "If-Match: \"no-such-tag\"\r\n"
	    "If-None-Match: ", "\r\n", 412);
}

/*
 * --- Ranges (each case on the small and the large file) ----------------
 */

static void
test_range_single(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=0-99\r\n", &r);
		st_check_206(&r, &h->files[i], 0, 99);
		harness_response_free(&r);
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=1234-5677\r\n", &r);
		st_check_206(&r, &h->files[i], 1234, 5677);
		st_hdr_eq(&r, "Accept-Ranges", "bytes");
		harness_response_free(&r);
	}
}

static void
test_range_open_ended(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 field[64];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=100-\r\n", &r);
		st_check_206(&r, &h->files[i], 100, h->files[i].size - 1);
		harness_response_free(&r);
		snprintf(field, sizeof(field), "Range: bytes=%zu-\r\n",
		    h->files[i].size - 1);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_206(&r, &h->files[i], h->files[i].size - 1,
		    h->files[i].size - 1);
		harness_response_free(&r);
	}
}

static void
test_range_suffix(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 field[64];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=-100\r\n", &r);
		st_check_206(&r, &h->files[i], h->files[i].size - 100,
		    h->files[i].size - 1);
		harness_response_free(&r);
		/* A suffix longer than the file is the whole file. */
		snprintf(field, sizeof(field), "Range: bytes=-%zu\r\n",
		    h->files[i].size + 1000);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_206(&r, &h->files[i], 0, h->files[i].size - 1);
		harness_response_free(&r);
	}
}

static void
test_range_clipped_end(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 field[64];
	size_t			 i, size;

	for (i = 0; i < 2; i++) {
		size = h->files[i].size;
		snprintf(field, sizeof(field), "Range: bytes=%zu-%zu\r\n",
		    size - 10, size + 1000);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_206(&r, &h->files[i], size - 10, size - 1);
		harness_response_free(&r);
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=0-99999999999999999999\r\n", &r);
		st_check_206(&r, &h->files[i], 0, size - 1);
		harness_response_free(&r);
	}
}

/* Overlapping or adjacent ranges become one plain 206. */
static void
test_range_coalesced(void **state)
{
	static const struct {
		const char	*field;
		uint64_t	 first, last;
	} cases[] = {
		{ "Range: bytes=0-10,5-20\r\n", 0, 20 },
		{ "Range: bytes=0-9,10-19\r\n", 0, 19 },
		{ "Range: bytes=50-59, 0-49\r\n", 0, 59 },
		{ "Range: bytes=100-199,150-,120-130\r\n", 100, 0 },
	};
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i, k;
	uint64_t		 last;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			last = cases[k].last != 0 ? cases[k].last :
			    h->files[i].size - 1;
			st_fetch(h->srv.port, "GET", h->files[i].path,
			    cases[k].field, &r);
			st_check_206(&r, &h->files[i], cases[k].first, last);
			harness_response_free(&r);
		}
	}
}

/* Two (and three) disjoint ranges: multipart/byteranges. */
static void
test_range_multipart(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r, g;
	struct st_span		 two[] = { { 0, 9 }, { 100, 199 } };
	struct st_span		 three[3];
	char			*type;
	size_t			 i, size;

	for (i = 0; i < 2; i++) {
		size = h->files[i].size;
		st_fetch(h->srv.port, "GET", h->files[i].path, NULL, &g);
		st_status(&g, 200);
		assert_non_null(type = strdup(st_hdr(&g, "Content-Type")));
		harness_response_free(&g);

		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=0-9,100-199\r\n", &r);
		st_check_multipart(&r, &h->files[i], type, two, 2);
		harness_response_free(&r);

		three[0] = (struct st_span){ 0, 0 };
		three[1] = (struct st_span){ 5000, 5099 };
		three[2] = (struct st_span){ size - 1, size - 1 };
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=0-0,5000-5099,-1\r\n", &r);
		st_check_multipart(&r, &h->files[i], type, three, 3);
		harness_response_free(&r);
		free(type);
	}
}

/* Sixteen ranges (the most) are served; seventeen are ignored: 200. */
static void
test_range_16_multipart_17_ignored(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r, g;
	struct st_span		 spans[17];
	char			 field[512], *p, *type;
	size_t			 i, k;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path, NULL, &g);
		assert_non_null(type = strdup(st_hdr(&g, "Content-Type")));
		harness_response_free(&g);
		p = field + sprintf(field, "Range: bytes=");
		for (k = 0; k < 16; k++) {
			spans[k] = (struct st_span){ k * 10, k * 10 + 4 };
			p += sprintf(p, "%s%zu-%zu", k > 0 ? "," : "",
			    k * 10, k * 10 + 4);
		}
		sprintf(p, "\r\n");
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_multipart(&r, &h->files[i], type, spans, 16);
		harness_response_free(&r);

		sprintf(p, ",%d-%d\r\n", 160, 164);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_status(&r, 200);
		st_hdr_absent(&r, "Content-Range");
		st_body_eq(&r, h->files[i].data, h->files[i].size);
		harness_response_free(&r);
		free(type);
	}
}

static void
test_range_unsatisfiable_416(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 field[96], crange[64];
	const char		*fields[3];
	size_t			 i, k;

	for (i = 0; i < 2; i++) {
		snprintf(crange, sizeof(crange), "bytes */%zu",
		    h->files[i].size);
		snprintf(field, sizeof(field), "Range: bytes=%zu-\r\n",
		    h->files[i].size);
		fields[0] = field;
		fields[1] = "Range: bytes=-0\r\n";
		fields[2] = "Range: bytes=99999999-99999999,88888888-\r\n";
		for (k = 0; k < 3; k++) {
			st_fetch(h->srv.port, "GET", h->files[i].path,
			    fields[k], &r);
			st_status(&r, 416);
			st_hdr_eq(&r, "Content-Range", crange);
			harness_response_free(&r);
		}
	}
}

/* A Range that does not parse, or another unit: ignored, 200. */
static void
test_range_malformed_200(void **state)
{
	static const char	*fields[] = { "Range: bytes=abc\r\n",
	    "Range: bytes=5-2\r\n", "Range: bytes=0-1;2-3\r\n",
	    "Range: bytes 0-1\r\n", "Range: bytes=\r\n",
	    "Range: bytes=--1\r\n", "Range: items=0-1\r\n", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; fields[k] != NULL; k++) {
			st_fetch(h->srv.port, "GET", h->files[i].path,
			    fields[k], &r);
			st_status(&r, 200);
			st_hdr_absent(&r, "Content-Range");
			st_body_eq(&r, h->files[i].data, h->files[i].size);
			harness_response_free(&r);
		}
	}
}

static void
test_range_if_range_etag(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 field[256], *etag;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		etag = st_etag(h->srv.port, h->files[i].path, NULL);
		snprintf(field, sizeof(field), "Range: bytes=10-19\r\n"
		    "If-Range: %s\r\n", etag);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_206(&r, &h->files[i], 10, 19);
		harness_response_free(&r);
		/* An old validator: the whole, current representation. */
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=10-19\r\nIf-Range: \"1-2.3\"\r\n", &r);
		st_status(&r, 200);
		st_body_eq(&r, h->files[i].data, h->files[i].size);
		harness_response_free(&r);
		/* A weak tag never validates If-Range. */
		snprintf(field, sizeof(field), "Range: bytes=10-19\r\n"
		    "If-Range: W/%s\r\n", etag);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_status(&r, 200);
		st_body_eq(&r, h->files[i].data, h->files[i].size);
		harness_response_free(&r);
		free(etag);
	}
}

static void
test_range_if_range_date(void **state)
{
	struct st		*h = *state;
	struct harness_response	 g, r;
	char			 field[256];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "GET", h->files[i].path, NULL, &g);
		snprintf(field, sizeof(field), "Range: bytes=10-19\r\n"
		    "If-Range: %s\r\n", st_hdr(&g, "Last-Modified"));
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &r);
		st_check_206(&r, &h->files[i], 10, 19);
		harness_response_free(&r);
		harness_response_free(&g);
		/* Another date: the whole representation. */
		st_fetch(h->srv.port, "GET", h->files[i].path,
		    "Range: bytes=10-19\r\nIf-Range: " ST_OLD_DATE "\r\n", &r);
		st_status(&r, 200);
		st_body_eq(&r, h->files[i].data, h->files[i].size);
		harness_response_free(&r);
	}
}

/* HEAD ignores Range: 200, the full length, no body. */
static void
test_range_head_200(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 len[32];
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_fetch(h->srv.port, "HEAD", h->files[i].path,
		    "Range: bytes=0-99\r\n", &r);
		st_status(&r, 200);
		snprintf(len, sizeof(len), "%zu", h->files[i].size);
		st_hdr_eq(&r, "Content-Length", len);
		st_hdr_absent(&r, "Content-Range");
		assert_int_equal(r.body_len, 0);
		harness_response_free(&r);
	}
}

/* A download resumed half-way ("curl -C -") is byte-exact. */
static void
test_range_resume_exact(void **state)
{
	struct st		*h = *state;
	struct harness_response	 a, b;
	char			 field[64], *whole;
	size_t			 i, half;

	for (i = 0; i < 2; i++) {
		half = h->files[i].size / 2 + 7;
		snprintf(field, sizeof(field), "Range: bytes=0-%zu\r\n",
		    half - 1);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &a);
		st_check_206(&a, &h->files[i], 0, half - 1);
		snprintf(field, sizeof(field), "Range: bytes=%zu-\r\n", half);
		st_fetch(h->srv.port, "GET", h->files[i].path, field, &b);
		st_check_206(&b, &h->files[i], half, h->files[i].size - 1);
		assert_non_null(whole = malloc(a.body_len + b.body_len));
		memcpy(whole, a.body, a.body_len);
		memcpy(whole + a.body_len, b.body, b.body_len);
		if (a.body_len + b.body_len != h->files[i].size ||
		    memcmp(whole, h->files[i].data, h->files[i].size) != 0)
			fail_msg("%s: resumed download of %zu + %zu bytes is "
			    "not the file", h->files[i].path, a.body_len,
			    b.body_len);
		free(whole);
		harness_response_free(&a);
		harness_response_free(&b);
	}
}

/* An empty file: 200 with no body; any range is unsatisfiable. */
static void
test_range_empty_file_416(void **state)
{
	static const char	*fields[] = { "Range: bytes=0-\r\n",
	    "Range: bytes=-5\r\n", "Range: bytes=0-0\r\n", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	st_fetch(h->srv.port, "GET", "/empty.txt", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "Content-Length", "0");
	harness_response_free(&r);
	for (i = 0; fields[i] != NULL; i++) {
		st_fetch(h->srv.port, "GET", "/empty.txt", fields[i], &r);
		st_status(&r, 416);
		st_hdr_eq(&r, "Content-Range", "bytes */0");
		harness_response_free(&r);
	}
}

/*
 * Responses without a plain body (multipart from memory and from the
 * file, 304, 416) keep a keep-alive connection in step: pipelined, each
 * answer is framed exactly and the next one follows.
 */
static void
test_range_pipelined_framing(void **state)
{
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;
	struct st_span		 two[] = { { 0, 9 }, { 100, 199 } };
	char			 req[2048], *etag, *type;
	int			 n;

	etag = st_etag(h->srv.port, "/cond.txt", NULL);
	st_fetch(h->srv.port, "GET", "/big.bin", "Range: bytes=0-0\r\n", &r);
	assert_non_null(type = strdup(st_hdr(&r, "Content-Type")));
	harness_response_free(&r);
	n = snprintf(req, sizeof(req),
	    "GET /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=0-9,100-199\r\n"
	    "\r\n"
	    "GET /cond.txt HTTP/1.1\r\nHost: a\r\nIf-None-Match: %s\r\n\r\n"
	    "GET /small.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=0-9,100-199"
	    "\r\n\r\n"
	    "GET /small.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=99999-\r\n"
	    "\r\n"
	    "GET /hello.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    etag);
	assert_true(n > 0 && (size_t)n < sizeof(req));
	st_describe("pipelined: big.bin multipart, cond.txt 304, small.bin "
	    "multipart, small.bin 416, hello.txt\r\n");
	assert_int_equal(harness_client_connect(&c, h->srv.port, 0), 0);
	assert_int_equal(harness_client_send(&c, req, (size_t)n,
	    ST_TIMEOUT_MS), 0);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    ST_TIMEOUT_MS), 0);
	st_check_multipart(&r, &h->files[1], type, two, 2);
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    ST_TIMEOUT_MS), 0);
	st_status(&r, 304);
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    ST_TIMEOUT_MS), 0);
	st_check_multipart(&r, &h->files[0], type, two, 2);
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    ST_TIMEOUT_MS), 0);
	st_status(&r, 416);
	harness_response_free(&r);
	assert_int_equal(harness_client_read_response(&c, &r, 0,
	    ST_TIMEOUT_MS), 0);
	st_status(&r, 200);
	st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
	harness_response_free(&r);
	if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1 || c.len != 0)
		fail_msg("%s: not closed cleanly after the last response "
		    "(%zu bytes more)", st_what, c.len);
	harness_client_close(&c);
	free(type);
	free(etag);
}

/*
 * --- Precompressed siblings --------------------------------------------
 */

/* GET path with an Accept-Encoding field (NULL: none). */
static void
st_enc(int port, const char *path, const char *ae,
    struct harness_response *r)
{
	char	field[256] = "";

	if (ae != NULL)
		snprintf(field, sizeof(field), "Accept-Encoding: %s\r\n", ae);
	st_fetch(port, "GET", path, field, r);
	st_status(r, 200);
}

static void
test_precompressed_br_preferred(void **state)
{
	struct st		*h = *state;
	struct harness_response	 id, r;

	st_enc(h->srv.port, "/app.js", NULL, &id);
	st_body_eq(&id, st_js, sizeof(st_js) - 1);
	st_enc(h->srv.port, "/app.js", "gzip, br", &r);
	st_body_eq(&r, st_js_br, sizeof(st_js_br) - 1);
	st_hdr_eq(&r, "Content-Encoding", "br");
	st_hdr_eq(&r, "Content-Type", st_hdr(&id, "Content-Type"));
	if (strncmp(st_hdr(&r, "Content-Type"), "text/javascript", 15) != 0 &&
	    strncmp(st_hdr(&r, "Content-Type"), "application/javascript",
	    22) != 0)
		fail_msg("%s: Content-Type %s, want the .js type", st_what,
		    st_hdr(&r, "Content-Type"));
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	st_etag_strong(st_hdr(&r, "ETag"), "app.js br");
	if (strcmp(st_hdr(&r, "ETag"), st_hdr(&id, "ETag")) == 0)
		fail_msg("app.js: br and identity share the ETag %s",
		    st_hdr(&r, "ETag"));
	harness_response_free(&r);
	harness_response_free(&id);
}

static void
test_precompressed_gzip(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r, b;

	st_enc(h->srv.port, "/app.js", "gzip", &r);
	st_body_eq(&r, st_js_gz, sizeof(st_js_gz) - 1);
	st_hdr_eq(&r, "Content-Encoding", "gzip");
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	st_enc(h->srv.port, "/app.js", "br", &b);
	if (strcmp(st_hdr(&r, "ETag"), st_hdr(&b, "ETag")) == 0)
		fail_msg("app.js: gzip and br share the ETag %s",
		    st_hdr(&r, "ETag"));
	harness_response_free(&r);
	harness_response_free(&b);
}

static void
test_precompressed_q_values(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_enc(h->srv.port, "/app.js", "br;q=0.5, gzip", &r);
	st_body_eq(&r, st_js_gz, sizeof(st_js_gz) - 1);
	st_hdr_eq(&r, "Content-Encoding", "gzip");
	harness_response_free(&r);
	st_enc(h->srv.port, "/app.js", "gzip;q=0.8, br;q=0.9", &r);
	st_hdr_eq(&r, "Content-Encoding", "br");
	harness_response_free(&r);
	st_enc(h->srv.port, "/app.js", "br;q=0, gzip;q=0", &r);
	st_body_eq(&r, st_js, sizeof(st_js) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	harness_response_free(&r);
	/* "x-gzip" is gzip; "*" accepts every coding, br preferred. */
	st_enc(h->srv.port, "/app.js", "x-gzip", &r);
	st_body_eq(&r, st_js_gz, sizeof(st_js_gz) - 1);
	harness_response_free(&r);
	st_enc(h->srv.port, "/app.js", "*", &r);
	st_body_eq(&r, st_js_br, sizeof(st_js_br) - 1);
	st_hdr_eq(&r, "Content-Encoding", "br");
	harness_response_free(&r);
	st_enc(h->srv.port, "/app.js", "GZIP;Q=1.0, BR;Q=0.1", &r);
	st_hdr_eq(&r, "Content-Encoding", "gzip");
	harness_response_free(&r);
}

/* Identity chosen: still "Vary: Accept-Encoding", as siblings exist. */
static void
test_precompressed_identity_vary(void **state)
{
	static const char	*aes[] = { "identity", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; i < 2; i++) {
		st_enc(h->srv.port, "/app.js", aes[i], &r);
		st_body_eq(&r, st_js, sizeof(st_js) - 1);
		st_hdr_absent(&r, "Content-Encoding");
		st_hdr_eq(&r, "Vary", "Accept-Encoding");
		harness_response_free(&r);
	}
}

/*
 * Nothing acceptable ("*;q=0, identity;q=0"): RFC 9110 12.5.3 allows 406
 * or ignoring the field; the contract sends identity.
 */
static void
test_precompressed_nothing_acceptable(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_enc(h->srv.port, "/app.js", "*;q=0, identity;q=0", &r);
	st_body_eq(&r, st_js, sizeof(st_js) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	harness_response_free(&r);
}

static void
test_precompressed_gz_only_sibling(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_enc(h->srv.port, "/style.css", "gzip, br", &r);
	st_body_eq(&r, st_css_gz, sizeof(st_css_gz) - 1);
	st_hdr_eq(&r, "Content-Encoding", "gzip");
	st_hdr_eq(&r, "Content-Type", "text/css; charset=utf-8");
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	harness_response_free(&r);
	st_enc(h->srv.port, "/style.css", "br", &r);
	st_body_eq(&r, st_css, sizeof(st_css) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	harness_response_free(&r);
}

/* A sibling older than its file is stale: never served, no Vary. */
static void
test_precompressed_older_ignored(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_enc(h->srv.port, "/old.txt", "gzip, br", &r);
	st_body_eq(&r, st_old, sizeof(st_old) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	st_hdr_absent(&r, "Vary");
	harness_response_free(&r);
}

/*
 * A sibling older than its file by less than a second (mtimes in the same
 * second, 0.1 s against 0.9 s) is stale too: mtime has nanoseconds, and
 * the ETag uses them.
 */
static void
test_precompressed_older_same_second(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_enc(h->srv.port, "/old2.txt", "gzip", &r);
	st_hdr_absent(&r, "Content-Encoding");
	st_body_eq(&r, st_old, sizeof(st_old) - 1);
	harness_response_free(&r);
}

/*
 * Every response for a file with a usable sibling says Vary, a 206 and a
 * 416 too; the 416's size is the chosen representation's (app.js.br is
 * shorter than 25 bytes, app.js longer).
 */
static void
test_precompressed_vary_206_416(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 want[64];

	st_fetch(h->srv.port, "GET", "/app.js", "Range: bytes=0-3\r\n", &r);
	st_status(&r, 206);
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	st_body_eq(&r, st_js, 4);
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/app.js", "Range: bytes=25-\r\n", &r);
	st_status(&r, 206);
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/app.js", "Accept-Encoding: br\r\n"
	    "Range: bytes=25-\r\n", &r);
	st_status(&r, 416);
	snprintf(want, sizeof(want), "bytes */%zu", sizeof(st_js_br) - 1);
	st_hdr_eq(&r, "Content-Range", want);
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	harness_response_free(&r);
}

/* A 412 for the file says Vary too: If-Match met the chosen tag. */
static void
test_precompressed_vary_412(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/app.js", "Accept-Encoding: br\r\n"
	    "If-Match: \"no-such-tag\"\r\n", &r);
	st_status(&r, 412);
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	harness_response_free(&r);
}

static void
test_precompressed_off(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--precompressed", "off", NULL);
	st_enc(s->port, "/app.js", "br, gzip", &r);
	st_body_eq(&r, st_js, sizeof(st_js) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	st_hdr_absent(&r, "Vary");
	harness_response_free(&r);
	st_enc(s->port, "/style.css", "gzip", &r);
	st_body_eq(&r, st_css, sizeof(st_css) - 1);
	st_hdr_absent(&r, "Content-Encoding");
	harness_response_free(&r);
	st_stop_all();
}

/*
 * A file dated the epoch (mtime 0) has no Last-Modified, before and after
 * the worker has formatted other dates.  A cache of the last formatted
 * date once sent it an empty value, then the epoch's date, depending on
 * what that worker had answered before.
 */
static void
test_last_modified_epoch_absent(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;
	int			 i;

	assert_int_equal(harness_write_file(h->root, "epoch.txt", "e\n", 2,
	    0644), 0);
	assert_int_equal(st_set_mtime(h->root, "epoch.txt", 0, 0), 0);
	s = st_start(h->root, "--workers", "1", NULL);
	for (i = 0; i < 2; i++) {
		st_fetch(s->port, "GET", "/epoch.txt", "", &r);
		st_status(&r, 200);
		st_hdr_absent(&r, "Last-Modified");
		harness_response_free(&r);
		/* Another file's date is formatted in between. */
		st_fetch(s->port, "GET", "/hello.txt", "", &r);
		st_status(&r, 200);
		assert_non_null(harness_response_header(&r, "Last-Modified"));
		harness_response_free(&r);
	}
	st_stop_all();
}

/* The br representation's own ETag revalidates it: 304 with Vary. */
static void
test_precompressed_304_vary(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			*etag, field[256];

	etag = st_etag(h->srv.port, "/app.js", "Accept-Encoding: br\r\n");
	snprintf(field, sizeof(field), "Accept-Encoding: br\r\n"
	    "If-None-Match: %s\r\n", etag);
	st_fetch(h->srv.port, "GET", "/app.js", field, &r);
	st_status(&r, 304);
	st_hdr_eq(&r, "Vary", "Accept-Encoding");
	st_hdr_eq(&r, "ETag", etag);
	st_hdr_absent(&r, "Content-Length");
	harness_response_free(&r);
	/* The identity representation does not match the br tag. */
	snprintf(field, sizeof(field), "If-None-Match: %s\r\n", etag);
	st_fetch(h->srv.port, "GET", "/app.js", field, &r);
	st_status(&r, 200);
	st_body_eq(&r, st_js, sizeof(st_js) - 1);
	harness_response_free(&r);
	free(etag);
}

/* Range applies to the chosen representation's bytes. */
static void
test_precompressed_range(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			 want[64];

	st_fetch(h->srv.port, "GET", "/app.js", "Accept-Encoding: br\r\n"
	    "Range: bytes=0-1\r\n", &r);
	st_status(&r, 206);
	st_hdr_eq(&r, "Content-Encoding", "br");
	snprintf(want, sizeof(want), "bytes 0-1/%zu", sizeof(st_js_br) - 1);
	st_hdr_eq(&r, "Content-Range", want);
	st_body_eq(&r, "BR", 2);
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/app.js", "Accept-Encoding: gzip\r\n"
	    "Range: bytes=-5\r\n", &r);
	st_status(&r, 206);
	st_hdr_eq(&r, "Content-Encoding", "gzip");
	st_body_eq(&r, st_js_gz + sizeof(st_js_gz) - 6, 5);
	harness_response_free(&r);
}

/*
 * --- Media types and nosniff -------------------------------------------
 */

static void
test_types_table(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	const char		*ct;
	char			 path[64];
	size_t			 i;

	for (i = 0; i < sizeof(st_types) / sizeof(st_types[0]); i++) {
		snprintf(path, sizeof(path), "/%s", st_types[i].file);
		st_fetch(h->srv.port, "GET", path, NULL, &r);
		st_status(&r, 200);
		ct = st_hdr(&r, "Content-Type");
		if (strcmp(ct, st_types[i].want) != 0 &&
		    (st_types[i].alt == NULL ||
		    strcmp(ct, st_types[i].alt) != 0))
			fail_msg("%s: Content-Type \"%s\", want \"%s\"%s%s",
			    path, ct, st_types[i].want,
			    st_types[i].alt != NULL ? " or " : "",
			    st_types[i].alt != NULL ? st_types[i].alt : "");
		/* Every text type says its charset. */
		if (strncmp(ct, "text/", 5) == 0 &&
		    strstr(ct, "; charset=utf-8") == NULL)
			fail_msg("%s: text type \"%s\" without charset=utf-8",
			    path, ct);
		harness_response_free(&r);
	}
}

static void
test_types_nosniff_default(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/hello.txt", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "X-Content-Type-Options", "nosniff");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_hdr_eq(&r, "X-Content-Type-Options", "nosniff");
	harness_response_free(&r);
}

static void
test_types_nosniff_off(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--nosniff", "off", NULL);
	st_fetch(s->port, "GET", "/hello.txt", NULL, &r);
	st_status(&r, 200);
	st_hdr_absent(&r, "X-Content-Type-Options");
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_hdr_absent(&r, "X-Content-Type-Options");
	harness_response_free(&r);
	st_stop_all();
}

/*
 * --- Directories -------------------------------------------------------
 */

/* --index "main.html index.html": the first present name wins. */
static void
test_dir_index_order(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/idx/", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "MAIN\n", 5);
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/idx2/", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "INDEX2\n", 7);
	harness_response_free(&r);
}

static void
test_dir_redirect_301(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/idx", NULL, &r);
	st_status(&r, 301);
	st_hdr_eq(&r, "Location", "/idx/");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/idx?x=1", NULL, &r);
	st_status(&r, 301);
	st_hdr_eq(&r, "Location", "/idx/?x=1");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/x%20y", NULL, &r);
	st_status(&r, 301);
	st_hdr_eq(&r, "Location", "/x%20y/");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/x%20y/", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "XY\n", 3);
	harness_response_free(&r);
}

static void
test_dir_no_autoindex_403(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/plain/", NULL, &r);
	st_status(&r, 403);
	st_body_has(&r, "a&amp;b.txt", false);
	st_body_has(&r, "a&b.txt", false);
	harness_response_free(&r);
}

static void
test_dir_autoindex_html(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--autoindex", NULL);
	st_fetch(s->port, "GET", "/plain/", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "Content-Type", "text/html; charset=utf-8");
	st_body_has(&r, "&lt;b&gt;.txt", true);
	st_body_has(&r, "<b>.txt", false);
	st_body_has(&r, "a&amp;b.txt", true);
	st_body_has(&r, "sub/", true);
	st_body_has(&r, ".secret", false);
	harness_response_free(&r);
	/* An index file still wins over the listing. */
	st_fetch(s->port, "GET", "/idx2/", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "INDEX2\n", 7);
	harness_response_free(&r);
	st_stop_all();
}

static void
test_dir_autoindex_json(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;
	char			 names[ST_MAX_NAMES][64];
	const char		*p, *e;
	size_t			 n;

	s = st_start(h->root, "--autoindex", NULL);
	st_fetch(s->port, "GET", "/plain/?format=json", NULL, &r);
	st_status(&r, 200);
	if (strncmp(st_hdr(&r, "Content-Type"), "application/json", 16) != 0)
		fail_msg("%s: Content-Type %s, want application/json", st_what,
		    st_hdr(&r, "Content-Type"));
	/* An object, with an entries array. */
	for (p = r.body; *p == ' ' || *p == '\n'; p++)
		;
	for (e = r.body + r.body_len; e > p && (e[-1] == ' ' ||
	    e[-1] == '\n' || e[-1] == '\r'); e--)
		;
	if (*p != '{' || e == p || e[-1] != '}')
		fail_msg("%s: body is not a JSON object: %.60s", st_what,
		    r.body);
	st_body_has(&r, "\"entries\"", true);
	n = st_json_names(r.body, r.body_len, names, ST_MAX_NAMES);
	if (!st_has_name(names, n, "<b>.txt") ||
	    !st_has_name(names, n, "a&b.txt"))
		fail_msg("%s: JSON names lack \"<b>.txt\" or \"a&b.txt\" "
		    "(%zu names)", st_what, n);
	if (!st_has_name(names, n, "sub") && !st_has_name(names, n, "sub/"))
		fail_msg("%s: JSON names lack the directory sub", st_what);
	if (st_has_name(names, n, ".secret"))
		fail_msg("%s: JSON lists the dotfile .secret", st_what);
	harness_response_free(&r);
	st_stop_all();
}

/*
 * The largest send buffer the kernel lets a socket grow to (the third
 * field of net.ipv4.tcp_wmem), or ST_WMEM_GUESS if it cannot be read.
 */
static size_t
st_wmem_max(void)
{
	unsigned long	 lo, def, max;
	FILE		*f;
	int		 n;

	if ((f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r")) == NULL)
		return ST_WMEM_GUESS;
	n = fscanf(f, "%lu %lu %lu", &lo, &def, &max);
	fclose(f);
	return n == 3 && max > 0 ? (size_t)max : ST_WMEM_GUESS;
}

/*
 * A large listing the socket does not take at once.  The client has a
 * 4 KiB receive window and pipelines pairs of "GET /d/" and "GET
 * /d/?format=json", more bytes in all than the server's send buffer can
 * grow to (tcp_wmem's maximum: on loopback a single listing always fits).
 * The one worker answers pipelined requests in one go until a write
 * comes back short, so once the first bytes are readable, a request on a
 * second connection is answered only after that has happened: the
 * client reads nothing before then, and then reads ST_SLOW_CHUNK bytes
 * at a time, each later listing meeting a part-full buffer.  Every
 * listing arrives whole (its body exactly its Content-Length: the next
 * head follows it), lists every entry and ends properly, and the
 * connection then serves one more request and closes as that one asks.
 */
static void
test_dir_autoindex_large_slow_reader(void **state)
{
	static const char	 pair[] = "GET /d/ HTTP/1.1\r\nHost: a\r\n\r\n"
	    "GET /d/?format=json HTTP/1.1\r\nHost: a\r\n\r\n";
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_client	 c;
	struct harness_response	 r;
	char			 root[320], first[16], last[16];
	char			 req[ST_SLOW_MAX_PAIRS * sizeof(pair)];
	struct pollfd		 pfd;
	size_t			 n, i, npairs, wmem;

	snprintf(root, sizeof(root), "%s/biglist", h->outer);
	if (st_make_names(root, "d", ST_BIGLIST_FILES, ST_BIGLIST_NAME) == -1)
		fail_msg("cannot make %d files in %s/d: %s", ST_BIGLIST_FILES,
		    root, strerror(errno));
	assert_int_equal(harness_write_file(root, "ok.txt", "OK\n", 3, 0644),
	    0);
	snprintf(first, sizeof(first), "f%06d-", 0);
	snprintf(last, sizeof(last), "f%06d-", ST_BIGLIST_FILES - 1);
	wmem = st_wmem_max();
	npairs = wmem / ST_BIGLIST_MIN + 2;
	if (npairs > ST_SLOW_MAX_PAIRS) {
		print_message("test_static: tcp_wmem allows %zu bytes; %d "
		    "pairs of listings may not fill it\n", wmem,
		    ST_SLOW_MAX_PAIRS);
		npairs = ST_SLOW_MAX_PAIRS;
	}
	for (i = 0, req[0] = '\0'; i < npairs; i++)
		strcat(req, pair);
	s = st_start(root, "--autoindex", NULL);

	assert_int_equal(harness_client_connect(&c, s->port, ST_SLOW_RCVBUF),
	    0);
	assert_int_equal(harness_client_send_str(&c, req, ST_TIMEOUT_MS), 0);
	pfd.fd = c.fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ST_TIMEOUT_MS) != 1)
		fail_msg("no listing within %d ms", ST_TIMEOUT_MS);
	/* The worker is past the pipeline only once a write blocked. */
	st_fetch(s->port, "GET", "/ok.txt", NULL, &r);
	st_status(&r, 200);
	harness_response_free(&r);
	for (i = 0; i < npairs; i++) {
		st_describe(pair);
		st_slow_read(&c, &r);
		st_status(&r, 200);
		st_hdr_eq(&r, "Content-Type", "text/html; charset=utf-8");
		if (r.body_len < ST_BIGLIST_MIN)
			fail_msg("%s: an HTML listing of %zu bytes, want >= %d",
			    st_what, r.body_len, ST_BIGLIST_MIN);
		if (strcmp(r.body + r.body_len - 8, "</html>\n") != 0)
			fail_msg("%s (pair %zu): HTML listing of %zu bytes "
			    "ends \"%s\"", st_what, i, r.body_len,
			    r.body + r.body_len - 16);
		n = st_count(r.body, r.body_len, "<tr><td><a href=\"./f");
		if (n != ST_BIGLIST_FILES)
			fail_msg("%s (pair %zu): %zu file rows, want %d",
			    st_what, i, n, ST_BIGLIST_FILES);
		st_body_has(&r, first, true);
		st_body_has(&r, last, true);
		st_body_has(&r, "not shown", false);
		harness_response_free(&r);

		st_describe(strstr(pair, "GET /d/?"));
		st_slow_read(&c, &r);
		st_status(&r, 200);
		if (strncmp(st_hdr(&r, "Content-Type"), "application/json",
		    16) != 0)
			fail_msg("%s: Content-Type %s, want application/json",
			    st_what, st_hdr(&r, "Content-Type"));
		st_json_balanced(&r);
		n = st_count(r.body, r.body_len, "{\"name\": \"f");
		if (n != ST_BIGLIST_FILES)
			fail_msg("%s (pair %zu): %zu JSON entries, want %d",
			    st_what, i, n, ST_BIGLIST_FILES);
		st_body_has(&r, last, true);
		st_body_has(&r, "\"truncated\": false}", true);
		harness_response_free(&r);
	}
	if (c.len != 0)
		fail_msg("%zu bytes after the last listing", c.len);

	/* Still in step: one more request, which closes. */
	st_describe("GET /ok.txt (Connection: close) after the listings");
	assert_int_equal(harness_client_send_str(&c, "GET /ok.txt HTTP/1.1\r\n"
	    "Host: a\r\nConnection: close\r\n\r\n", ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no answer: %s", st_what, strerror(errno));
	st_status(&r, 200);
	st_body_eq(&r, "OK\n", 3);
	harness_response_free(&r);
	if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1 || c.len != 0)
		fail_msg("%s: not closed cleanly (%zu bytes more)", st_what,
		    c.len);
	harness_client_close(&c);
	st_stop_all();
	assert_int_equal(harness_rmtree(root), 0);
}

/*
 * A directory whose listing would pass LISTING_MAX_BYTES several times
 * over: 200 with a Content-Length within the cap, complete markup, and
 * the note that counts the rows left out (shown + not shown = all, the
 * first ones in listing order shown); JSON likewise, "truncated": true.
 */
static void
test_dir_autoindex_byte_cap(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;
	char			 root[320], first[16], last[16];
	const char		*note;
	size_t			 shown;
	unsigned long		 omitted;

	snprintf(root, sizeof(root), "%s/caplist", h->outer);
	if (st_make_names(root, "d", ST_CAPLIST_FILES, ST_CAPLIST_NAME) == -1)
		fail_msg("cannot make %d files in %s/d: %s", ST_CAPLIST_FILES,
		    root, strerror(errno));
	snprintf(first, sizeof(first), "f%06d-", 0);
	snprintf(last, sizeof(last), "f%06d-", ST_CAPLIST_FILES - 1);
	s = st_start(root, "--autoindex", NULL);

	st_fetch(s->port, "GET", "/d/", NULL, &r);
	st_status(&r, 200);
	if (r.body_len > ST_LISTING_MAX)
		fail_msg("%s: Content-Length %zu, want <= %d", st_what,
		    r.body_len, ST_LISTING_MAX);
	if (r.body_len < 8 || strcmp(r.body + r.body_len - 8, "</html>\n")
	    != 0)
		fail_msg("%s: capped HTML listing does not end with </html>",
		    st_what);
	note = memmem(r.body, r.body_len, "<p class=\"more\">", 16);
	if (note == NULL || sscanf(note + 16, "%lu more entries not shown",
	    &omitted) != 1)
		fail_msg("%s: no \"N more entries not shown\" note", st_what);
	shown = st_count(r.body, r.body_len, "<tr><td><a href=\"./f");
	if (shown == 0 || shown + omitted != ST_CAPLIST_FILES)
		fail_msg("%s: %zu rows shown + %lu not shown, want %d in all",
		    st_what, shown, omitted, ST_CAPLIST_FILES);
	st_body_has(&r, first, true);
	st_body_has(&r, last, false);
	harness_response_free(&r);

	st_fetch(s->port, "GET", "/d/?format=json", NULL, &r);
	st_status(&r, 200);
	if (r.body_len > ST_LISTING_MAX)
		fail_msg("%s: Content-Length %zu, want <= %d", st_what,
		    r.body_len, ST_LISTING_MAX);
	st_json_balanced(&r);
	st_body_has(&r, "\"truncated\": true}", true);
	st_body_has(&r, first, true);
	st_body_has(&r, last, false);
	harness_response_free(&r);
	st_stop_all();
	assert_int_equal(harness_rmtree(root), 0);
}

/*
 * --- Dotfiles and symlinks ---------------------------------------------
 */

static void
test_policy_dotfile_404(void **state)
{
	static const char	*paths[] = { "/.hidden", "/dir/.git/config",
	    "/.well-known/.x", "/plain/.secret", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; paths[i] != NULL; i++) {
		st_fetch(h->srv.port, "GET", paths[i], NULL, &r);
		st_status(&r, 404);
		st_body_has(&r, "HIDDEN", false);
		st_body_has(&r, "GITCONFIG", false);
		harness_response_free(&r);
	}
}

static void
test_policy_well_known_200(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/.well-known/acme", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "ACME\n", 5);
	harness_response_free(&r);
}

static void
test_policy_dotfiles_allow(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--dotfiles", "allow", NULL);
	st_fetch(s->port, "GET", "/.hidden", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "HIDDEN\n", 7);
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/dir/.git/config", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, "GITCONFIG\n", 10);
	harness_response_free(&r);
	st_stop_all();
	/* A listing shows dotfiles too when they are allowed. */
	s = st_start(h->root, "--dotfiles", "allow", "--autoindex", NULL);
	st_fetch(s->port, "GET", "/plain/", NULL, &r);
	st_status(&r, 200);
	st_body_has(&r, ".secret", true);
	harness_response_free(&r);
	st_stop_all();
}

static void
test_policy_symlink_inside_200(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/link_in", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
	harness_response_free(&r);
}

static void
test_policy_symlink_escape_403(void **state)
{
	static const char	*paths[] = { "/link_out", "/link_abs", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; paths[i] != NULL; i++) {
		st_fetch(h->srv.port, "GET", paths[i], NULL, &r);
		st_status(&r, 403);
		st_body_has(&r, "OUTSIDE-SECRET", false);
		harness_response_free(&r);
	}
}

static void
test_policy_symlinks_never_403(void **state)
{
	static const char	*paths[] = { "/link_in", "/link_out",
	    "/link_abs", NULL };
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;
	size_t			 i;

	s = st_start(h->root, "--symlinks", "never", NULL);
	for (i = 0; paths[i] != NULL; i++) {
		st_fetch(s->port, "GET", paths[i], NULL, &r);
		st_status(&r, 403);
		st_body_has(&r, "OUTSIDE-SECRET", false);
		st_body_has(&r, st_hello, false);
		harness_response_free(&r);
	}
	/* A plain file is still served. */
	st_fetch(s->port, "GET", "/hello.txt", NULL, &r);
	st_status(&r, 200);
	harness_response_free(&r);
	st_stop_all();
}

static void
test_policy_symlinks_always_200(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--symlinks", "always", NULL);
	st_fetch(s->port, "GET", "/link_out", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, st_secret, sizeof(st_secret) - 1);
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/link_abs", NULL, &r);
	st_status(&r, 200);
	st_body_eq(&r, st_secret, sizeof(st_secret) - 1);
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/link_in", NULL, &r);
	st_status(&r, 200);
	harness_response_free(&r);
	st_stop_all();
}

/*
 * --- Error pages, --header, --cache-control ----------------------------
 */

static void
test_errpage_configured(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--error-page", "404=/errors/nf.html",
	    "--error-page", "403=err403.html", NULL);
	st_fetch(s->port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_body_eq(&r, st_nf, sizeof(st_nf) - 1);
	st_hdr_eq(&r, "Content-Type", "text/html; charset=utf-8");
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/plain/", NULL, &r);
	st_status(&r, 403);
	st_body_eq(&r, st_403, sizeof(st_403) - 1);
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/link_out", NULL, &r);
	st_status(&r, 403);
	st_body_eq(&r, st_403, sizeof(st_403) - 1);
	harness_response_free(&r);
	/* HEAD: the page's length, no body. */
	st_fetch(s->port, "HEAD", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	assert_int_equal(r.body_len, 0);
	harness_response_free(&r);
	st_stop_all();
}

static void
test_errpage_default_404(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_fetch(h->srv.port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_body_eq(&r, st_404, sizeof(st_404) - 1);
	harness_response_free(&r);
}

/* A configured page that is not there: the built-in page, same status. */
static void
test_errpage_missing_builtin(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_response	 r;

	s = st_start(h->root, "--error-page", "404=/errors/missing.html",
	    "--error-page", "403=/errors/gone.html", NULL);
	st_fetch(s->port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_body_has(&r, "404", true);
	st_body_has(&r, "DEFAULT-404-PAGE", false);
	st_hdr_eq(&r, "Content-Type", "text/html; charset=utf-8");
	harness_response_free(&r);
	st_fetch(s->port, "GET", "/plain/", NULL, &r);
	st_status(&r, 403);
	st_body_has(&r, "403", true);
	harness_response_free(&r);
	st_stop_all();
}

/* --header "X-Test: yes" on a 200, a 404 and a 304. */
static void
test_header_extra_everywhere(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			*etag, field[256];

	st_fetch(h->srv.port, "GET", "/hello.txt", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "X-Test", "yes");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/no-such-file", NULL, &r);
	st_status(&r, 404);
	st_hdr_eq(&r, "X-Test", "yes");
	harness_response_free(&r);
	etag = st_etag(h->srv.port, "/hello.txt", NULL);
	snprintf(field, sizeof(field), "If-None-Match: %s\r\n", etag);
	st_fetch(h->srv.port, "GET", "/hello.txt", field, &r);
	st_status(&r, 304);
	st_hdr_eq(&r, "X-Test", "yes");
	assert_int_equal(harness_response_header_count(&r, "X-Test"), 1);
	harness_response_free(&r);
	free(etag);
}

/* --cache-control ".css,.JS=max-age=60": suffixes without case. */
static void
test_cache_control_rules(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;
	char			*etag, field[256];

	st_fetch(h->srv.port, "GET", "/style.css", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "Cache-Control", "max-age=60");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/app.js", NULL, &r);
	st_status(&r, 200);
	st_hdr_eq(&r, "Cache-Control", "max-age=60");
	harness_response_free(&r);
	st_fetch(h->srv.port, "GET", "/app.js", "Range: bytes=0-3\r\n", &r);
	st_status(&r, 206);
	st_hdr_eq(&r, "Cache-Control", "max-age=60");
	harness_response_free(&r);
	etag = st_etag(h->srv.port, "/app.js", NULL);
	snprintf(field, sizeof(field), "If-None-Match: %s\r\n", etag);
	st_fetch(h->srv.port, "GET", "/app.js", field, &r);
	st_status(&r, 304);
	st_hdr_eq(&r, "Cache-Control", "max-age=60");
	harness_response_free(&r);
	free(etag);
	st_fetch(h->srv.port, "GET", "/t.html", NULL, &r);
	st_status(&r, 200);
	st_hdr_absent(&r, "Cache-Control");
	harness_response_free(&r);
}

/*
 * --- Methods and messages ----------------------------------------------
 */

/* OPTIONS answers 204 without a body: the next pipelined one is read. */
static void
test_method_options_204(void **state)
{
	static const char	*targets[] = { "*", "/hello.txt", NULL };
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;
	char			 req[256];
	size_t			 i;

	for (i = 0; targets[i] != NULL; i++) {
		snprintf(req, sizeof(req), "OPTIONS %s HTTP/1.1\r\nHost: a\r\n"
		    "\r\nGET /hello.txt HTTP/1.1\r\nHost: a\r\n"
		    "Connection: close\r\n\r\n", targets[i]);
		st_describe(req);
		assert_int_equal(harness_client_connect(&c, h->srv.port, 0),
		    0);
		assert_int_equal(harness_client_send_str(&c, req,
		    ST_TIMEOUT_MS), 0);
		if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) ==
		    -1)
			fail_msg("%s: no response: %s", st_what,
			    strerror(errno));
		st_status(&r, 204);
		st_hdr_eq(&r, "Allow", "GET, HEAD, OPTIONS");
		st_hdr_absent(&r, "Content-Length");
		harness_response_free(&r);
		if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) ==
		    -1)
			fail_msg("%s: no second response: %s", st_what,
			    strerror(errno));
		st_status(&r, 200);
		st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
		harness_response_free(&r);
		harness_client_close(&c);
	}
}

static void
test_method_post_405(void **state)
{
	static const char	*methods[] = { "POST", "PUT", "DELETE", "TRACE",
	    "PATCH", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	char			 req[256];
	size_t			 i;

	for (i = 0; methods[i] != NULL; i++) {
		snprintf(req, sizeof(req), "%s /hello.txt HTTP/1.1\r\n"
		    "Host: a\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		    methods[i]);
		st_raw(h->srv.port, req, 0, &r);
		st_status(&r, 405);
		st_hdr_eq(&r, "Allow", "GET, HEAD, OPTIONS");
		harness_response_free(&r);
	}
}

/*
 * Expect: 100-continue with a body: "HTTP/1.1 100 Continue" first, the
 * body is sent only then, the 200 follows, and the connection goes on.
 */
static void
test_expect_100_continue(void **state)
{
	static const char	 req[] = "GET /hello.txt HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n";
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;

	st_describe(req);
	assert_int_equal(harness_client_connect(&c, h->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, req, ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no interim response: %s", st_what,
		    strerror(errno));
	st_status(&r, 100);
	if (r.head_len < 25 || strncmp(r.head, "HTTP/1.1 100 Continue\r\n",
	    23) != 0)
		fail_msg("%s: interim head \"%.30s\", want \"HTTP/1.1 100 "
		    "Continue\"", st_what, r.head);
	harness_response_free(&r);
	assert_int_equal(harness_client_send_str(&c, "hello",
	    ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no final response: %s", st_what,
		    strerror(errno));
	st_status(&r, 200);
	st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
	harness_response_free(&r);
	/* The body was dropped: the next request on the connection works. */
	assert_int_equal(harness_client_send_str(&c, "GET /hello.txt "
	    "HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
	    ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no answer to the next request: %s", st_what,
		    strerror(errno));
	st_status(&r, 200);
	harness_response_free(&r);
	harness_client_close(&c);
}

static void
test_expect_other_417(void **state)
{
	static const char	 req[] = "GET /hello.txt HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Expect: something\r\n\r\n";
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;

	st_describe(req);
	assert_int_equal(harness_client_connect(&c, h->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, req, ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no response: %s", st_what, strerror(errno));
	st_status(&r, 417);
	/* The reason phrase of RFC 9110 15.5.18, not "Unknown". */
	if (strncmp(r.head, "HTTP/1.1 417 Expectation Failed\r\n", 33) != 0)
		fail_msg("%s: status line \"%.*s\", want \"HTTP/1.1 417 "
		    "Expectation Failed\"", st_what,
		    (int)strcspn(r.head, "\r\n"), r.head);
	harness_response_free(&r);
	if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1)
		fail_msg("%s: connection not closed after 417", st_what);
	harness_client_close(&c);
}

/* No interim 100 for HTTP/1.0, nor for a request without a body. */
static void
test_expect_100_not_sent(void **state)
{
	static const char	*reqs[] = {
	    "GET /hello.txt HTTP/1.0\r\nContent-Length: 5\r\n"
	    "Expect: 100-continue\r\n\r\nhello",
	    "GET /hello.txt HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n"
	    "Connection: close\r\n\r\n", NULL };
	struct st		*h = *state;
	struct harness_response	 r;
	size_t			 i;

	for (i = 0; reqs[i] != NULL; i++) {
		st_raw(h->srv.port, reqs[i], 0, &r);
		st_status(&r, 200);
		st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
		harness_response_free(&r);
	}
}

/*
 * A chunked body that turns out larger than --max-body, or malformed:
 * the request is answered, then the connection closes with no second
 * response (the pipelined request is not answered).
 */
static void
test_chunked_body_bad_closes(void **state)
{
	static const char	*bodies[] = {
	    "40\r\n0123456789012345678901234567890123456789012345678901234567"
	    "890123\r\n0\r\n\r\n",
	    "zz\r\nhello\r\n0\r\n\r\n", NULL };
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_client	 c;
	struct harness_response	 r;
	char			 req[512];
	size_t			 i;

	s = st_start(h->root, "--max-body", "16", NULL);
	for (i = 0; bodies[i] != NULL; i++) {
		snprintf(req, sizeof(req), "GET /hello.txt HTTP/1.1\r\n"
		    "Host: a\r\nTransfer-Encoding: chunked\r\n\r\n%s"
		    "GET /cond.txt HTTP/1.1\r\nHost: a\r\n\r\n", bodies[i]);
		st_describe(req);
		assert_int_equal(harness_client_connect(&c, s->port, 0), 0);
		assert_int_equal(harness_client_send_str(&c, req,
		    ST_TIMEOUT_MS), 0);
		if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) ==
		    -1)
			fail_msg("%s: no response: %s", st_what,
			    strerror(errno));
		st_status(&r, 200);
		harness_response_free(&r);
		if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1)
			fail_msg("%s: connection still open after a bad "
			    "chunked body", st_what);
		if (c.len != 0)
			fail_msg("%s: %zu bytes after the first response (a "
			    "second answer?)", st_what, c.len);
		harness_client_close(&c);
	}
	st_stop_all();
}

/* A chunked request body is dropped; the pipelined request is answered. */
static void
test_chunked_body_pipelined(void **state)
{
	static const char	 req[] = "GET /hello.txt HTTP/1.1\r\n"
	    "Host: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
	    "a;ext=1\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
	    "GET /cond.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;

	st_describe(req);
	assert_int_equal(harness_client_connect(&c, h->srv.port, 0), 0);
	assert_int_equal(harness_client_send_str(&c, req, ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no response: %s", st_what, strerror(errno));
	st_status(&r, 200);
	st_body_eq(&r, st_hello, sizeof(st_hello) - 1);
	harness_response_free(&r);
	if (harness_client_read_response(&c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no answer to the pipelined request: %s",
		    st_what, strerror(errno));
	st_status(&r, 200);
	st_body_eq(&r, st_condbody, sizeof(st_condbody) - 1);
	harness_response_free(&r);
	if (harness_client_wait_closed(&c, ST_TIMEOUT_MS) != 1 || c.len != 0)
		fail_msg("%s: not closed cleanly after the second response "
		    "(%zu bytes more)", st_what, c.len);
	harness_client_close(&c);
}

/* The HTTP/2 preface: 505 and close, promptly. */
static void
test_proto_http2_preface_505(void **state)
{
	static const char	 req[] = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
	struct st		*h = *state;
	struct harness_client	 c;
	struct harness_response	 r;
	int64_t			 t0;

	st_describe(req);
	assert_int_equal(harness_client_connect(&c, h->srv.port, 0), 0);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_send_str(&c, req, ST_TIMEOUT_MS), 0);
	if (harness_client_read_response(&c, &r, 0, ST_PROMPT_MS) == -1)
		fail_msg("%s: no response within %d ms: %s", st_what,
		    ST_PROMPT_MS, strerror(errno));
	st_status(&r, 505);
	harness_response_free(&r);
	if (harness_client_wait_closed(&c, ST_PROMPT_MS) != 1)
		fail_msg("%s: connection still open %d ms after the 505",
		    st_what, ST_PROMPT_MS);
	if (harness_now_ms() - t0 > ST_PROMPT_MS)
		fail_msg("%s: 505 and close took %lld ms, want < %d",
		    st_what, (long long)(harness_now_ms() - t0), ST_PROMPT_MS);
	harness_client_close(&c);
}

static void
test_proto_obs_fold_400(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_raw(h->srv.port, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	    "X-Folded: one\r\n two\r\n\r\n", 0, &r);
	st_status(&r, 400);
	harness_response_free(&r);
	st_raw(h->srv.port, "GET /hello.txt HTTP/1.1\r\nHost: a\r\n"
	    "X-Folded: one\r\n\ttwo\r\n\r\n", 0, &r);
	st_status(&r, 400);
	harness_response_free(&r);
}

static void
test_proto_space_before_colon_400(void **state)
{
	struct st		*h = *state;
	struct harness_response	 r;

	st_raw(h->srv.port, "GET /hello.txt HTTP/1.1\r\nHost : x\r\n\r\n", 0,
	    &r);
	st_status(&r, 400);
	harness_response_free(&r);
}

/*
 * --- Virtual hosts -----------------------------------------------------
 */

/* "GET path" with the given Host (NULL: none, HTTP/1.0); expect status. */
static void
st_vhost(int port, const char *host, const char *path, int status,
    const char *body)
{
	struct harness_response	r;
	char			req[512];

	if (host != NULL)
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n"
		    "Connection: close\r\n\r\n", path, host);
	else
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
	st_raw(port, req, 0, &r);
	st_status(&r, status);
	if (body != NULL)
		st_body_eq(&r, body, strlen(body));
	harness_response_free(&r);
}

static void
test_vhost_exact(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "example.org", "/", 200, "EX");
	st_vhost(h->vsrv.port, "example.org", "/index.html", 200, "EX");
}

static void
test_vhost_case_and_port(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "EXAMPLE.ORG:8080", "/", 200, "EX");
	st_vhost(h->vsrv.port, "Example.Org", "/", 200, "EX");
}

static void
test_vhost_trailing_dot(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "example.org.", "/", 200, "EX");
	st_vhost(h->vsrv.port, "example.org.:80", "/", 200, "EX");
}

static void
test_vhost_unknown_default(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "unknown.test", "/", 200, "DEF");
	st_vhost(h->vsrv.port, "127.0.0.1", "/", 200, "DEF");
}

static void
test_vhost_ip_literal_default(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "[::1]", "/", 200, "DEF");
	st_vhost(h->vsrv.port, "[::1]:8080", "/", 200, "DEF");
}

static void
test_vhost_http10_no_host_default(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, NULL, "/", 200, "DEF");
}

static void
test_vhost_invalid_400(void **state)
{
	static const char	*hosts[] = { "bad_host!", "..evil", "a..b",
	    "a..", "example.org..", ".example.org", "a/b", NULL };
	struct st		*h = *state;
	size_t			 i;

	for (i = 0; hosts[i] != NULL; i++)
		st_vhost(h->vsrv.port, hosts[i], "/", 400, NULL);
}

/* Without default/, an unknown host is 404; known ones still served. */
static void
test_vhost_no_default_404(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;

	s = st_start(h->root, "--vhost-root", h->vroot2, NULL);
	st_vhost(s->port, "unknown.test", "/", 404, NULL);
	st_vhost(s->port, "[::1]", "/", 404, NULL);
	st_vhost(s->port, "example.org", "/", 200, "EX2");
	st_stop_all();
}

/* A path cannot climb from one host's directory into another's. */
static void
test_vhost_no_escape(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "example.org", "/../default/index.html", 400,
	    NULL);
	st_vhost(h->vsrv.port, "example.org", "/%2e%2e/default/index.html",
	    400, NULL);
	st_vhost(h->vsrv.port, "example.org", "/default/index.html", 404,
	    NULL);
}

/* The host's directory is its docroot: its own 404.html. */
static void
test_vhost_own_404_page(void **state)
{
	struct st	*h = *state;

	st_vhost(h->vsrv.port, "example.org", "/no-such-file", 404, "EX-404");
}

/*
 * DIR/HOST must be a directory: a regular file named like a host is not a
 * host, so that Host is served from DIR/default/ like any unknown one.
 */
static void
test_vhost_file_not_host(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	char			 vroot[320];

	snprintf(vroot, sizeof(vroot), "%s/vhosts3", h->outer);
	assert_int_equal(harness_write_file(vroot, "default/index.html",
	    "DEF3", 4, 0644), 0);
	assert_int_equal(harness_write_file(vroot, "real.test/index.html",
	    "REAL3", 5, 0644), 0);
	assert_int_equal(harness_write_file(vroot, "file.test", "A-FILE", 6,
	    0644), 0);
	s = st_start(h->root, "--vhost-root", vroot, NULL);
	st_vhost(s->port, "file.test", "/", 200, "DEF3");
	st_vhost(s->port, "File.Test:8080", "/index.html", 200, "DEF3");
	st_vhost(s->port, "real.test", "/", 200, "REAL3");
	st_stop_all();
	assert_int_equal(harness_rmtree(vroot), 0);
}

/* On keep-alive connection c: GET path with Host host; expect status. */
static void
st_keepalive_vhost(struct harness_client *c, const char *host,
    const char *path, int status, const char *body)
{
	struct harness_response	r;
	char			req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
	    path, host);
	st_describe(req);
	if (harness_client_send_str(c, req, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: send: %s", st_what, strerror(errno));
	if (harness_client_read_response(c, &r, 0, ST_TIMEOUT_MS) == -1)
		fail_msg("%s: no response: %s", st_what, strerror(errno));
	st_status(&r, status);
	if (body != NULL)
		st_body_eq(&r, body, strlen(body));
	harness_response_free(&r);
}

/*
 * ST_ROTATE_HOSTS different unknown Host names in a row (more than the
 * 32 host directories a worker keeps), then the real host: it is still
 * served from its own directory, with its own 404 page, and the unknown
 * names cost no descriptor of their own (they share the default's), so
 * the server holds no more descriptors than before them.
 */
static void
test_vhost_rotating_unknown_hosts(void **state)
{
	struct st		*h = *state;
	struct harness_server	*s;
	struct harness_client	 c;
	char			 host[32];
	int			 i, before, after;

	s = st_start(h->root, "--vhost-root", h->vroot, NULL);
	assert_int_equal(harness_client_connect(&c, s->port, 0), 0);
	st_keepalive_vhost(&c, "example.org", "/", 200, "EX");
	st_keepalive_vhost(&c, "warm.test", "/", 200, "DEF");
	before = harness_proc_fd_count(s->pid);
	assert_true(before > 0);
	for (i = 0; i < ST_ROTATE_HOSTS; i++) {
		snprintf(host, sizeof(host), "rot%02d.test", i);
		st_keepalive_vhost(&c, host, "/", 200, "DEF");
	}
	st_keepalive_vhost(&c, "example.org", "/", 200, "EX");
	st_keepalive_vhost(&c, "example.org", "/no-such-file", 404, "EX-404");
	st_keepalive_vhost(&c, "Example.Org:80", "/index.html", 200, "EX");
	after = harness_proc_fd_count(s->pid);
	if (after - before > ST_ROTATE_FD_SLACK)
		fail_msg("%d unknown hosts: the server holds %d descriptors, "
		    "%d before them (want at most %d more)", ST_ROTATE_HOSTS,
		    after, before, ST_ROTATE_FD_SLACK);
	st_keepalive_vhost(&c, "rot00.test", "/", 200, "DEF");
	harness_client_close(&c);
	st_stop_all();
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, st_test_setup, \
	    st_test_teardown)
		T(test_etag_strong_quoted),
		T(test_etag_stable),
		T(test_etag_changes_size),
		T(test_etag_changes_mtime),
		T(test_etag_equal_across_servers),
		T(test_cond_inm_exact_304),
		T(test_cond_inm_list_304),
		T(test_cond_inm_weak_304),
		T(test_cond_inm_star_304),
		T(test_cond_inm_nomatch_200),
		T(test_cond_304_fields),
		T(test_cond_ims_equal_304),
		T(test_cond_ims_later_304),
		T(test_cond_ims_earlier_200),
		T(test_cond_ims_invalid_200),
		T(test_cond_ims_future_200),
		T(test_cond_ims_ignored_with_inm_200),
		T(test_cond_ims_obsolete_formats_304),
		T(test_cond_304_large_no_body),
		T(test_cond_if_match_nomatch_412),
		T(test_cond_if_match_star_200),
		T(test_cond_if_match_exact_200),
		T(test_cond_if_match_weak_412),
		T(test_cond_ius_earlier_412),
		T(test_cond_ius_equal_200),
		T(test_cond_ius_invalid_200),
		T(test_cond_if_match_before_inm_412),
		T(test_range_single),
		T(test_range_open_ended),
		T(test_range_suffix),
		T(test_range_clipped_end),
		T(test_range_coalesced),
		T(test_range_multipart),
		T(test_range_16_multipart_17_ignored),
		T(test_range_unsatisfiable_416),
		T(test_range_malformed_200),
		T(test_range_if_range_etag),
		T(test_range_if_range_date),
		T(test_range_head_200),
		T(test_range_resume_exact),
		T(test_range_empty_file_416),
		T(test_range_pipelined_framing),
		T(test_precompressed_br_preferred),
		T(test_precompressed_gzip),
		T(test_precompressed_q_values),
		T(test_precompressed_identity_vary),
		T(test_precompressed_nothing_acceptable),
		T(test_precompressed_gz_only_sibling),
		T(test_precompressed_older_ignored),
		T(test_precompressed_older_same_second),
		T(test_precompressed_vary_206_416),
		T(test_precompressed_vary_412),
		T(test_precompressed_off),
		T(test_precompressed_304_vary),
		T(test_last_modified_epoch_absent),
		T(test_precompressed_range),
		T(test_types_table),
		T(test_types_nosniff_default),
		T(test_types_nosniff_off),
		T(test_dir_index_order),
		T(test_dir_redirect_301),
		T(test_dir_no_autoindex_403),
		T(test_dir_autoindex_html),
		T(test_dir_autoindex_json),
		T(test_dir_autoindex_large_slow_reader),
		T(test_dir_autoindex_byte_cap),
		T(test_policy_dotfile_404),
		T(test_policy_well_known_200),
		T(test_policy_dotfiles_allow),
		T(test_policy_symlink_inside_200),
		T(test_policy_symlink_escape_403),
		T(test_policy_symlinks_never_403),
		T(test_policy_symlinks_always_200),
		T(test_errpage_configured),
		T(test_errpage_default_404),
		T(test_errpage_missing_builtin),
		T(test_header_extra_everywhere),
		T(test_cache_control_rules),
		T(test_method_options_204),
		T(test_method_post_405),
		T(test_expect_100_continue),
		T(test_expect_other_417),
		T(test_expect_100_not_sent),
		T(test_chunked_body_bad_closes),
		T(test_chunked_body_pipelined),
		T(test_proto_http2_preface_505),
		T(test_proto_obs_fold_400),
		T(test_proto_space_before_colon_400),
		T(test_vhost_exact),
		T(test_vhost_case_and_port),
		T(test_vhost_trailing_dot),
		T(test_vhost_unknown_default),
		T(test_vhost_ip_literal_default),
		T(test_vhost_http10_no_host_default),
		T(test_vhost_invalid_400),
		T(test_vhost_no_default_404),
		T(test_vhost_no_escape),
		T(test_vhost_own_404_page),
		T(test_vhost_file_not_host),
		T(test_vhost_rotating_unknown_hosts),
#undef T
	};

	return cmocka_run_group_tests(tests, st_setup, st_teardown);
}
