/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for path.c: decoding and confinement of request paths.
 *
 * Table-driven: resolutions that must succeed, then every traversal and
 * encoding trick we know, then the output-size limit at every length.  The
 * target is copied to end at a PROT_NONE page and the output buffer ends
 * at another, so reading past len or writing past outlen faults.  Every
 * PATH_OK result is also checked against the confinement invariants, and
 * an exhaustive pass over short targets compares path_resolve with a
 * straightforward reference.
 */

#include "config.h"

#include <sys/mman.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "path.h"

/* A string literal and its length, NUL bytes inside included. */
#define T(x)		(x), (sizeof(x) - 1)

#define GUARD_IN	16384	/* room for targets */
#define GUARD_OUT	(2 * PATH_OUT_MAX)	/* room for outputs */

/* Two areas, each followed by a PROT_NONE page. */
struct guard {
	char	*map;
	size_t	 maplen;
	char	*in;		/* ends at a PROT_NONE page */
	size_t	 insize;
	char	*out;		/* ends at another */
	size_t	 outsize;
};

struct path_case {
	const char		*target;
	size_t			 len;
	enum path_result	 result;
	const char		*out;		/* with PATH_OK */
	bool			 dir;		/* with PATH_OK */
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static enum path_result resolve(struct guard *, const char *, size_t,
		    size_t, char **, bool *);
static const char *result_name(enum path_result);
static void	 check_confined(const char *, const char *);
static void	 check_cases(struct guard *, const struct path_case *, size_t);
static int	 ref_hex(char);
static enum path_result reference(const char *, size_t, char *, size_t,
		    bool *);

static const struct path_case ok_cases[] = {
	{ T("/"), PATH_OK, "", true },
	{ T("//"), PATH_OK, "", true },
	{ T("/./"), PATH_OK, "", true },
	{ T("/."), PATH_OK, "", true },
	{ T("/a"), PATH_OK, "a", false },
	{ T("/a/b.html"), PATH_OK, "a/b.html", false },
	{ T("/a//b"), PATH_OK, "a/b", false },
	{ T("//a///b"), PATH_OK, "a/b", false },
	{ T("/a/./b"), PATH_OK, "a/b", false },
	{ T("/a/b/../c"), PATH_OK, "a/c", false },
	{ T("/a/./c/../b.html"), PATH_OK, "a/b.html", false },
	{ T("/a/b/c/../../d"), PATH_OK, "a/d", false },
	{ T("/a/"), PATH_OK, "a", true },
	{ T("/a//"), PATH_OK, "a", true },
	{ T("/a/."), PATH_OK, "a", true },
	{ T("/a/./"), PATH_OK, "a", true },
	{ T("/a/b/.."), PATH_OK, "a", true },
	{ T("/a/b/../"), PATH_OK, "a", true },
	{ T("/a/.."), PATH_OK, "", true },
	{ T("/a/../b"), PATH_OK, "b", false },
	{ T("/a/../b/../c/"), PATH_OK, "c", true },
	{ T("/%61"), PATH_OK, "a", false },
	{ T("/%41%42"), PATH_OK, "AB", false },
	{ T("/hello%2Ehtml"), PATH_OK, "hello.html", false },
	{ T("/hello%2ehtml"), PATH_OK, "hello.html", false },
	{ T("/a%20b"), PATH_OK, "a b", false },
	{ T("/%25"), PATH_OK, "%", false },
	{ T("/%2541"), PATH_OK, "%41", false },	/* decoded once only */
	{ T("/%252e%252e/x"), PATH_OK, "%2e%2e/x", false },
	{ T("/%3F"), PATH_OK, "?", false },
	{ T("/%23"), PATH_OK, "#", false },
	{ T("/%2e"), PATH_OK, "", true },
	{ T("/a/%2e%2e"), PATH_OK, "", true },
	{ T("/a/%2E%2e/b"), PATH_OK, "b", false },
	{ T("/?x=../../"), PATH_OK, "", true },
	{ T("/a?x=../../"), PATH_OK, "a", false },
	{ T("/a/?x"), PATH_OK, "a", true },
	{ T("/a?"), PATH_OK, "a", false },
	{ T("/a?%zz%00"), PATH_OK, "a", false },
	{ T("/a?q#frag"), PATH_OK, "a", false },
	{ T("/..."), PATH_OK, "...", false },
	{ T("/..a"), PATH_OK, "..a", false },
	{ T("/a.."), PATH_OK, "a..", false },
	{ T("/.a/b."), PATH_OK, ".a/b.", false },
	{ T("/..;/"), PATH_OK, "..;", true },
	/* A backslash is not a separator on POSIX: one name. */
	{ T("/..\\.."), PATH_OK, "..\\..", false },
	{ T("/%5c..%5c.."), PATH_OK, "\\..\\..", false },
	/* Overlong UTF-8 for '.' stays bytes; it is no escape. */
	{ T("/%c0%ae%c0%ae"), PATH_OK, "\xc0\xae\xc0\xae", false },
	{ T("/%c0%ae%c0%ae/x"), PATH_OK, "\xc0\xae\xc0\xae/x", false },
	{ T("/%e0%80%ae%e0%80%ae"), PATH_OK, "\xe0\x80\xae\xe0\x80\xae",
	    false },
	{ T("/caf%C3%A9"), PATH_OK, "caf\xc3\xa9", false },
};

static const struct path_case traversal_cases[] = {
	{ T("/.."), PATH_ESCAPE, NULL, false },
	{ T("/../"), PATH_ESCAPE, NULL, false },
	{ T("/../a"), PATH_ESCAPE, NULL, false },
	{ T("/a/../.."), PATH_ESCAPE, NULL, false },
	{ T("/a/../../"), PATH_ESCAPE, NULL, false },
	{ T("/a/./../.."), PATH_ESCAPE, NULL, false },
	{ T("/a/b/../../.."), PATH_ESCAPE, NULL, false },
	{ T("/a/b/../../../etc/passwd"), PATH_ESCAPE, NULL, false },
	{ T("/%2e%2e/"), PATH_ESCAPE, NULL, false },
	{ T("/%2E%2E"), PATH_ESCAPE, NULL, false },
	{ T("/%2e%2E/etc/passwd"), PATH_ESCAPE, NULL, false },
	{ T("/.%2e/"), PATH_ESCAPE, NULL, false },
	{ T("/%2e./"), PATH_ESCAPE, NULL, false },
	{ T("/a/%2e%2e/%2e%2e"), PATH_ESCAPE, NULL, false },
	{ T("//../"), PATH_ESCAPE, NULL, false },
	{ T("///.."), PATH_ESCAPE, NULL, false },
	{ T("/./../"), PATH_ESCAPE, NULL, false },
	{ T("/./.."), PATH_ESCAPE, NULL, false },
	{ T("/..?x"), PATH_ESCAPE, NULL, false },
	{ T("/a/..//../b"), PATH_ESCAPE, NULL, false },
	/* Encoded separators and NULs. */
	{ T("/..%2f"), PATH_BAD, NULL, false },
	{ T("/..%2F"), PATH_BAD, NULL, false },
	{ T("/%2f"), PATH_BAD, NULL, false },
	{ T("/%2F"), PATH_BAD, NULL, false },
	{ T("/a%2fb"), PATH_BAD, NULL, false },
	{ T("/%2e%2e%2f"), PATH_BAD, NULL, false },
	{ T("/%2e%2e%2fetc%2fpasswd"), PATH_BAD, NULL, false },
	{ T("/a%00b"), PATH_BAD, NULL, false },
	{ T("/%00"), PATH_BAD, NULL, false },
	{ T("/.%00."), PATH_BAD, NULL, false },
	{ T("/a\0b"), PATH_BAD, NULL, false },
	{ T("/\0"), PATH_BAD, NULL, false },
	/* Broken escapes. */
	{ T("/%"), PATH_BAD, NULL, false },
	{ T("/a%"), PATH_BAD, NULL, false },
	{ T("/%4"), PATH_BAD, NULL, false },
	{ T("/%4/"), PATH_BAD, NULL, false },
	{ T("/%zz"), PATH_BAD, NULL, false },
	{ T("/%g0"), PATH_BAD, NULL, false },
	{ T("/%0g"), PATH_BAD, NULL, false },
	{ T("/%%"), PATH_BAD, NULL, false },
	{ T("/%%32%65"), PATH_BAD, NULL, false },
	{ T("/%u002e%u002e"), PATH_BAD, NULL, false },
	{ T("/%-1"), PATH_BAD, NULL, false },
	{ T("/% 1"), PATH_BAD, NULL, false },
	{ T("/%4?1"), PATH_BAD, NULL, false },	/* escape cut by query */
	/* Fragments and other forms. */
	{ T("#frag"), PATH_BAD, NULL, false },
	{ T("/#frag"), PATH_BAD, NULL, false },
	{ T("/a#b"), PATH_BAD, NULL, false },
	{ T("/..#"), PATH_BAD, NULL, false },
	{ T("relative"), PATH_BAD, NULL, false },
	{ T("a/b"), PATH_BAD, NULL, false },
	{ T(".."), PATH_BAD, NULL, false },
	{ T("../etc/passwd"), PATH_BAD, NULL, false },
	{ T(""), PATH_BAD, NULL, false },
	{ T("*"), PATH_BAD, NULL, false },
	{ T("?/a"), PATH_BAD, NULL, false },
	{ T("\\..\\.."), PATH_BAD, NULL, false },
	{ T("%2f.."), PATH_BAD, NULL, false },
	{ T("http://h/a"), PATH_BAD, NULL, false },
	{ T("\0/a"), PATH_BAD, NULL, false },
};

static int
guard_setup(void **state)
{
	struct guard	*g;
	size_t		 pg;

	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	pg = (size_t)sysconf(_SC_PAGESIZE);
	g->insize = (GUARD_IN + pg - 1) / pg * pg;
	g->outsize = (GUARD_OUT + pg - 1) / pg * pg;
	g->maplen = g->insize + pg + g->outsize + pg;
	g->map = mmap(NULL, g->maplen, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->map != MAP_FAILED);
	g->in = g->map;
	g->out = g->map + g->insize + pg;
	assert_int_equal(mprotect(g->in + g->insize, pg, PROT_NONE), 0);
	assert_int_equal(mprotect(g->out + g->outsize, pg, PROT_NONE), 0);
	*state = g;
	return 0;
}

static int
guard_teardown(void **state)
{
	struct guard	*g = *state;

	munmap(g->map, g->maplen);
	free(g);
	return 0;
}

/*
 * Resolve target[0..len) copied to end at a PROT_NONE page, into outlen
 * bytes that end at another.  *outp is the output buffer.
 */
static enum path_result
resolve(struct guard *g, const char *target, size_t len, size_t outlen,
    char **outp, bool *dir)
{
	char	*in, *out;

	assert_true(len <= g->insize && outlen <= g->outsize);
	in = g->in + g->insize - len;
	if (len > 0)
		memcpy(in, target, len);
	out = g->out + g->outsize - outlen;
	memset(out, 'Z', outlen);
	*outp = out;
	*dir = false;
	return path_resolve(in, len, out, outlen, dir);
}

static const char *
result_name(enum path_result r)
{
	switch (r) {
	case PATH_OK:
		return "PATH_OK";
	case PATH_BAD:
		return "PATH_BAD";
	case PATH_ESCAPE:
		return "PATH_ESCAPE";
	case PATH_TOO_LONG:
		return "PATH_TOO_LONG";
	}
	return "?";
}

/*
 * The invariants of a PATH_OK result: relative, no empty, "." or ".."
 * segment, so no "//", no leading or trailing '/'.
 */
static void
check_confined(const char *what, const char *out)
{
	const char	*s, *e;
	size_t		 n;

	if (out[0] == '/')
		fail_msg("%s: \"%s\" starts with '/'", what, out);
	if (strstr(out, "//") != NULL)
		fail_msg("%s: \"%s\" holds \"//\"", what, out);
	n = strlen(out);
	if (n > 0 && out[n - 1] == '/')
		fail_msg("%s: \"%s\" ends with '/'", what, out);
	for (s = out; n > 0 && *s != '\0'; s = *e == '\0' ? e : e + 1) {
		e = strchr(s, '/');
		if (e == NULL)
			e = s + strlen(s);
		if ((e - s == 2 && s[0] == '.' && s[1] == '.') ||
		    (e - s == 1 && s[0] == '.'))
			fail_msg("%s: \"%s\" holds a dot segment", what, out);
	}
}

static void
check_cases(struct guard *g, const struct path_case *c, size_t n)
{
	enum path_result	 r;
	char			*out;
	bool			 dir;
	size_t			 i;

	for (i = 0; i < n; i++) {
		r = resolve(g, c[i].target, c[i].len, PATH_OUT_MAX, &out,
		    &dir);
		if (r != c[i].result)
			fail_msg("\"%.*s\": %s, want %s", (int)c[i].len,
			    c[i].target, result_name(r),
			    result_name(c[i].result));
		if (r != PATH_OK)
			continue;
		if (strcmp(out, c[i].out) != 0)
			fail_msg("\"%.*s\": \"%s\", want \"%s\"",
			    (int)c[i].len, c[i].target, out, c[i].out);
		if (dir != c[i].dir)
			fail_msg("\"%.*s\": dir %d, want %d", (int)c[i].len,
			    c[i].target, dir, c[i].dir);
		check_confined(c[i].target, out);
	}
}

static void
test_path_resolve_ok(void **state)
{
	check_cases(*state, ok_cases, sizeof(ok_cases) / sizeof(ok_cases[0]));
}

static void
test_path_resolve_traversal(void **state)
{
	check_cases(*state, traversal_cases,
	    sizeof(traversal_cases) / sizeof(traversal_cases[0]));
}

/* A query is cut before decoding: nothing after '?' can matter. */
static void
test_path_resolve_query_ignored(void **state)
{
	static const char	*queries[] = {
		"?", "?x=../../", "?%", "?%zz", "?/../..", "?#", "?a=%00",
		"?..%2f"
	};
	char			 t[64];
	char			*out;
	bool			 dir;
	size_t			 i;
	int			 n;

	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		n = snprintf(t, sizeof(t), "/a/b%s", queries[i]);
		assert_int_equal(resolve(*state, t, (size_t)n, PATH_OUT_MAX,
		    &out, &dir), PATH_OK);
		assert_string_equal(out, "a/b");
		assert_false(dir);
	}
}

/* len bounds the target: bytes after it are never looked at. */
static void
test_path_resolve_len_bounds_target(void **state)
{
	char	*out;
	bool	 dir;

	assert_int_equal(resolve(*state, "/abc/../..", 4, PATH_OUT_MAX,
	    &out, &dir), PATH_OK);
	assert_string_equal(out, "abc");
	assert_int_equal(resolve(*state, "/a%2f", 3, PATH_OUT_MAX, &out,
	    &dir), PATH_BAD);
	assert_int_equal(resolve(*state, "/", 0, PATH_OUT_MAX, &out, &dir),
	    PATH_BAD);
}

/*
 * Without dot segments the output needs exactly strlen(out) + 1 bytes:
 * every smaller outlen is PATH_TOO_LONG and writes nothing past outlen.
 */
static void
test_path_resolve_too_long_exact(void **state)
{
	static const struct path_case	 cases[] = {
		{ T("/"), PATH_OK, "", true },
		{ T("/a"), PATH_OK, "a", false },
		{ T("/a/"), PATH_OK, "a", true },
		{ T("/a/b.html"), PATH_OK, "a/b.html", false },
		{ T("//a//b//"), PATH_OK, "a/b", true },
		{ T("/%61%62c/d%2Ehtml"), PATH_OK, "abc/d.html", false },
		{ T("/abc?zzzzzzzzzz"), PATH_OK, "abc", false },
	};
	enum path_result		 r;
	char				*out;
	bool				 dir;
	size_t				 i, need, outlen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		need = strlen(cases[i].out) + 1;
		for (outlen = 0; outlen < need; outlen++) {
			r = resolve(*state, cases[i].target, cases[i].len,
			    outlen, &out, &dir);
			if (r != PATH_TOO_LONG)
				fail_msg("\"%s\" outlen %zu: %s, want "
				    "PATH_TOO_LONG", cases[i].target, outlen,
				    result_name(r));
		}
		for (outlen = need; outlen < need + 3; outlen++) {
			r = resolve(*state, cases[i].target, cases[i].len,
			    outlen, &out, &dir);
			if (r != PATH_OK)
				fail_msg("\"%s\" outlen %zu: %s, want PATH_OK",
				    cases[i].target, outlen, result_name(r));
			assert_string_equal(out, cases[i].out);
			assert_int_equal(dir, cases[i].dir);
		}
	}
}

/* The longest path that fits PATH_OUT_MAX, and one byte more. */
static void
test_path_resolve_too_long_at_max(void **state)
{
	char	*t, *out;
	bool	 dir;

	t = malloc(PATH_OUT_MAX + 2);
	assert_non_null(t);
	t[0] = '/';
	memset(t + 1, 'a', PATH_OUT_MAX);
	assert_int_equal(resolve(*state, t, PATH_OUT_MAX, PATH_OUT_MAX,
	    &out, &dir), PATH_OK);
	assert_int_equal(strlen(out), PATH_OUT_MAX - 1);
	assert_int_equal(resolve(*state, t, PATH_OUT_MAX + 1, PATH_OUT_MAX,
	    &out, &dir), PATH_TOO_LONG);
	/* Segments of 255 bytes with separators. */
	memset(t + 1, 'b', PATH_OUT_MAX);
	t[256] = t[512] = t[768] = '/';
	assert_int_equal(resolve(*state, t, PATH_OUT_MAX + 1, PATH_OUT_MAX,
	    &out, &dir), PATH_TOO_LONG);
	free(t);
}

/*
 * With dot segments, a small outlen may refuse a path whose result would
 * fit (the segment is copied before it is resolved), but any outlen gives
 * PATH_TOO_LONG or the right answer, larger ones never refuse what
 * smaller ones accepted, and outlen == len always suffices.
 */
static void
test_path_resolve_too_long_dots(void **state)
{
	static const struct path_case	 cases[] = {
		{ T("/a/b/../c"), PATH_OK, "a/c", false },
		{ T("/a/./c/../b.html"), PATH_OK, "a/b.html", false },
		{ T("/a/."), PATH_OK, "a", true },
		{ T("/x/%2e%2e/y"), PATH_OK, "y", false },
		{ T("/longname/../s"), PATH_OK, "s", false },
		{ T("/a/.."), PATH_OK, "", true },
	};
	enum path_result		 r;
	char				*out;
	bool				 dir, ok;
	size_t				 i, outlen;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ok = false;
		for (outlen = 0; outlen <= cases[i].len; outlen++) {
			r = resolve(*state, cases[i].target, cases[i].len,
			    outlen, &out, &dir);
			if (r == PATH_TOO_LONG && !ok)
				continue;
			if (r != PATH_OK)
				fail_msg("\"%s\" outlen %zu: %s",
				    cases[i].target, outlen, result_name(r));
			ok = true;
			assert_string_equal(out, cases[i].out);
			assert_int_equal(dir, cases[i].dir);
		}
		assert_true(ok);
		/* Never fewer bytes than the result needs. */
		r = resolve(*state, cases[i].target, cases[i].len,
		    strlen(cases[i].out), &out, &dir);
		assert_int_equal(r, PATH_TOO_LONG);
	}
}

/* path_encode: what a Location field may carry, and only that. */
static void
test_path_encode_table(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} cases[] = {
		{ "", "" },
		{ "sub", "sub" },
		{ "a/b.html", "a/b.html" },
		{ "a b", "a%20b" },
		{ "100%", "100%25" },
		{ "q?x", "q%3Fx" },
		{ "h#f", "h%23f" },
		{ "\\evil", "%5Cevil" },
		{ "quo\"te<>", "quo%22te%3C%3E" },
		{ "\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9" },
		{ "~user/-._!$&'()*+,;=:@", "~user/-._!$&'()*+,;=:@" },
		{ "\x01\x7f", "%01%7F" },
	};
	char	 out[64];
	size_t	 i, n, k;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = path_encode(cases[i].in, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		/* Every buffer too small by one or more refuses. */
		for (k = 0; k <= n; k++)
			assert_int_equal(path_encode(cases[i].in, out, k), 0);
		assert_int_equal(path_encode(cases[i].in, out, n + 1), n);
	}
}

static void
test_path_status_mapping(void **state)
{
	assert_int_equal(path_status(PATH_BAD), 400);
	assert_int_equal(path_status(PATH_ESCAPE), 400);
	assert_int_equal(path_status(PATH_TOO_LONG), 404);
}

static int
ref_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * A second, deliberately naive implementation of the header's contract:
 * split on '/', decode each segment, then keep a stack of names.
 */
static enum path_result
reference(const char *t, size_t len, char *out, size_t outlen, bool *dir)
{
	char		 seg[64], names[64][64];
	const char	*p, *end, *q;
	size_t		 n, depth = 0, i, o;
	bool		 last_dir = true;

	*dir = false;
	if (len == 0 || t[0] != '/')
		return PATH_BAD;
	end = memchr(t, '?', len);
	if (end == NULL)
		end = t + len;
	if (memchr(t, '#', (size_t)(end - t)) != NULL)
		return PATH_BAD;
	for (p = t + 1; p <= end; p = q + 1) {
		q = memchr(p, '/', (size_t)(end - p));
		if (q == NULL)
			q = end;
		for (n = 0; p < q; n++) {
			if (*p == '%') {
				if (q - p < 3 || ref_hex(p[1]) < 0 ||
				    ref_hex(p[2]) < 0)
					return PATH_BAD;
				seg[n] = (char)(ref_hex(p[1]) * 16 +
				    ref_hex(p[2]));
				p += 3;
			} else
				seg[n] = *p++;
			if (seg[n] == '\0' || seg[n] == '/')
				return PATH_BAD;
		}
		seg[n] = '\0';
		if (n == 0 || strcmp(seg, ".") == 0)
			last_dir = true;
		else if (strcmp(seg, "..") == 0) {
			if (depth == 0)
				return PATH_ESCAPE;
			depth--;
			last_dir = true;
		} else {
			memcpy(names[depth++], seg, n + 1);
			last_dir = false;
		}
	}
	for (i = 0, o = 0; i < depth; i++) {
		n = strlen(names[i]);
		if (o + n + (i > 0) + 1 > outlen)
			return PATH_TOO_LONG;
		if (i > 0)
			out[o++] = '/';
		memcpy(out + o, names[i], n);
		o += n;
	}
	out[o] = '\0';
	*dir = last_dir || depth == 0;
	return PATH_OK;
}

/*
 * Every target "/" + up to 6 bytes over an alphabet of separators, dots,
 * escapes and a letter (about 140,000 targets) agrees with the reference.
 */
static void
test_path_resolve_exhaustive_short(void **state)
{
	static const char	 alpha[] = "/.%2eFa";
	const size_t		 na = sizeof(alpha) - 1;
	char			 t[8], want[64];
	char			*out;
	enum path_result	 r, w;
	bool			 dir, wdir;
	size_t			 len, k, idx, total;
	size_t			 nok = 0, nesc = 0;

	for (len = 0; len <= 6; len++) {
		total = 1;
		for (k = 0; k < len; k++)
			total *= na;
		for (idx = 0; idx < total; idx++) {
			size_t	 v = idx;

			t[0] = '/';
			for (k = 0; k < len; k++) {
				t[1 + k] = alpha[v % na];
				v /= na;
			}
			r = resolve(*state, t, len + 1, PATH_OUT_MAX, &out,
			    &dir);
			w = reference(t, len + 1, want, sizeof(want), &wdir);
			if (r != w)
				fail_msg("\"%.*s\": %s, reference %s",
				    (int)len + 1, t, result_name(r),
				    result_name(w));
			if (r == PATH_ESCAPE)
				nesc++;
			if (r != PATH_OK)
				continue;
			nok++;
			if (strcmp(out, want) != 0 || dir != wdir)
				fail_msg("\"%.*s\": \"%s\" dir %d, reference "
				    "\"%s\" dir %d", (int)len + 1, t, out, dir,
				    want, wdir);
			check_confined("exhaustive", out);
		}
	}
	/* The alphabet reaches every outcome. */
	assert_true(nok > 1000);
	assert_true(nesc > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_path_resolve_ok),
		G(test_path_resolve_traversal),
		G(test_path_resolve_query_ignored),
		G(test_path_resolve_len_bounds_target),
		G(test_path_resolve_too_long_exact),
		G(test_path_resolve_too_long_at_max),
		G(test_path_resolve_too_long_dots),
		G(test_path_resolve_exhaustive_short),
		cmocka_unit_test(test_path_encode_table),
		cmocka_unit_test(test_path_status_mapping),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
