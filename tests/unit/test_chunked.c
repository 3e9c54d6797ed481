/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for the chunked-body skipper in chunked.c (chunked_init,
 * chunked_skip).
 *
 * Each valid body is fed whole, one byte per call, and in every split
 * into two pieces, each piece copied to end at a PROT_NONE page so that
 * a read past len faults.  It is followed by the next request, which
 * must not be consumed.  Malformed and oversized bodies are fed the
 * same ways and must be refused, never accepted, at whatever split.
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/types.h>

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

#include "chunked.h"
#include "http.h"

#define GUARD_DATA	(4 * CHUNKED_LINE_MAX + 8192)
#define NO_LIMIT	UINT64_MAX	/* max_body for most cases */

/* A string literal and its length, NUL bytes inside included. */
#define S(x)		(x), (sizeof(x) - 1)

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct valid_case {
	const char	*name;
	const char	*body;
	size_t		 len;
	uint64_t	 total;		/* data bytes */
};

struct bad_case {
	const char			*body;
	size_t				 len;
	uint64_t			 max_body;
	enum chunked_result	 want;
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const char *, size_t);
static enum chunked_result feed(struct guard *, struct chunked *,
		    const char *, size_t, uint64_t, size_t *);
static void	 check_valid(struct guard *, const char *, const char *,
		    size_t, uint64_t, uint64_t);
static size_t	 check_refused(struct guard *, const char *, const char *,
		    size_t, uint64_t, enum chunked_result);
static char	*repeat(const char *, const char *, size_t, const char *,
		    size_t *);

static const char	 rest_next[] = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

#define V(name, body, total)	{ name, body, sizeof(body) - 1, total }

static const struct valid_case valid_cases[] = {
	V("minimum", "0\r\n\r\n", 0),
	V("minimum, bare LF", "0\n\n", 0),
	V("minimum, mixed", "0\n\r\n", 0),
	V("one chunk", "5\r\nhello\r\n0\r\n\r\n", 5),
	V("two chunks", "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 11),
	V("bare LF everywhere", "5\nhello\n6\n world\n0\n\n", 11),
	V("one-byte chunks", "1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\n\r\n", 3),
	V("hex lowercase", "a\r\n0123456789\r\n0\r\n\r\n", 10),
	V("hex uppercase", "A\r\n0123456789\r\n0\r\n\r\n", 10),
	V("hex two digits", "1f\r\n0123456789012345678901234567890\r\n"
	    "1F\r\n0123456789012345678901234567890\r\n0\r\n\r\n", 62),
	V("hex mixed case", "1a\r\nabcdefghijklmnopqrstuvwxyz\r\n"
	    "1A\r\nABCDEFGHIJKLMNOPQRSTUVWXYZ\r\n0\r\n\r\n", 52),
	V("leading zeros", "0005\r\nhello\r\n000\r\n\r\n", 5),
	V("twenty digits", "00000000000000000005\r\nhello\r\n"
	    "00000000000000000000\r\n\r\n", 5),
	V("extension", "5;name=value\r\nhello\r\n0\r\n\r\n", 5),
	V("extensions", "5;a;b=c;d=\"e f;g\"\r\nhello\r\n0;last\r\n\r\n", 5),
	V("extension after BWS", "5 ;a=b\r\nhello\r\n0\t;x\r\n\r\n", 5),
	V("extension, bare LF", "5;x\nhello\n0;y\n\n", 5),
	V("extension with BWS inside", "5 ; a = b \r\nhello\r\n0\r\n\r\n", 5),
	V("trailer", "5\r\nhello\r\n0\r\nExpires: never\r\n\r\n", 5),
	V("trailers", "5\r\nhello\r\n0\r\nA: 1\r\nB-C:two\r\nD:\r\n\r\n", 5),
	V("trailer, bare LF", "5\nhello\n0\nA: 1\nB: 2\n\n", 5),
	V("trailer with tabs", "0\r\nA:\t1\t\r\n\r\n", 0),
	V("data that looks like the end",
	    "7\r\n0\r\n\r\nx\r\n0\r\n\r\n", 7),
	V("data with CR and LF", "4\r\n\r\n\r\n\r\n0\r\n\r\n", 4),
	V("data with NUL bytes", "3\r\n\0\0\0\r\n0\r\n\r\n", 3),
	V("data with high bytes", "2\r\n\xff\x80\r\n0\r\n\r\n", 2),
};

/*
 * Each body ends at the byte that makes it bad, which must be where it
 * is refused: not earlier, and not later (as when a stray byte is taken
 * for a line end).
 */
static const struct bad_case bad_cases[] = {
	/* Size lines. */
	{ S("n"), NO_LIMIT, CHUNKED_BAD },
	{ S("\r"), NO_LIMIT, CHUNKED_BAD },
	{ S("\n"), NO_LIMIT, CHUNKED_BAD },
	{ S(";"), NO_LIMIT, CHUNKED_BAD },
	{ S(" "), NO_LIMIT, CHUNKED_BAD },
	{ S("-"), NO_LIMIT, CHUNKED_BAD },
	{ S("+"), NO_LIMIT, CHUNKED_BAD },
	{ S("0x"), NO_LIMIT, CHUNKED_BAD },
	{ S("g"), NO_LIMIT, CHUNKED_BAD },
	{ S("5x"), NO_LIMIT, CHUNKED_BAD },
	{ S("5 \r"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\t\n"), NO_LIMIT, CHUNKED_BAD },
	{ S("5 5"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\rh"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\r"), NO_LIMIT, CHUNKED_BAD },
	{ S("5;a\x01"), NO_LIMIT, CHUNKED_BAD },
	{ S("5;a\0"), NO_LIMIT, CHUNKED_BAD },
	{ S("5;a\x7f"), NO_LIMIT, CHUNKED_BAD },
	{ S("5;a\rb"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\nhello\r\n\r"), NO_LIMIT, CHUNKED_BAD },
	/* Overflow: the 17th significant hex digit. */
	{ S("10000000000000000"), NO_LIMIT, CHUNKED_BAD },
	{ S("fffffffffffffffff"), NO_LIMIT, CHUNKED_BAD },
	{ S("0000010000000000000000"), NO_LIMIT, CHUNKED_BAD },
	/* The line end after chunk data. */
	{ S("5\r\nhelloX"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\nhello0"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\nhello "), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\nhello\rX"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\r\nhello\r\r"), NO_LIMIT, CHUNKED_BAD },
	{ S("5\nhello\rX"), NO_LIMIT, CHUNKED_BAD },
	{ S("4\r\nhello"), NO_LIMIT, CHUNKED_BAD },
	/* Trailers and the final line. */
	{ S("0\r\n:"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\n "), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\n\t"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nNo "), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA "), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nnocolon\r"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nnocolon\n"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA: a\x01"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA: a\0"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA: a\x7f"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA: a\rb"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\nA: 1\r\n\rX"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\n\rX"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\n\r\r"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\r\n\x7f"), NO_LIMIT, CHUNKED_BAD },
	{ S("0\n\x80"), NO_LIMIT, CHUNKED_BAD },

	/* max_body: the size line that passes it, at its line end. */
	{ S("b\r\n"), 10, CHUNKED_TOO_LARGE },
	{ S("b\n"), 10, CHUNKED_TOO_LARGE },
	{ S("B;ext\r\n"), 10, CHUNKED_TOO_LARGE },
	{ S("5\r\nhello\r\n6\r\n"), 10, CHUNKED_TOO_LARGE },
	{ S("5\r\nhello\r\n5\r\nworld\r\n1\n"), 10,
	    CHUNKED_TOO_LARGE },
	{ S("1\r\n"), 0, CHUNKED_TOO_LARGE },
	{ S("ffffffffffffffff\r\n"), UINT64_MAX - 1,
	    CHUNKED_TOO_LARGE },
	{ S("1\r\nx\r\nffffffffffffffff\r\n"), UINT64_MAX,
	    CHUNKED_TOO_LARGE },
};

static int
guard_setup(void **state)
{
	struct guard	*g;
	long		 pg;

	pg = sysconf(_SC_PAGESIZE);
	assert_true(pg > 0);
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->pagesz = (size_t)pg;
	g->size = (GUARD_DATA + g->pagesz - 1) / g->pagesz * g->pagesz;
	g->base = mmap(NULL, g->size + g->pagesz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->base != MAP_FAILED);
	assert_int_equal(mprotect(g->base + g->size, g->pagesz, PROT_NONE), 0);
	*state = g;
	return 0;
}

static int
guard_teardown(void **state)
{
	struct guard	*g = *state;

	munmap(g->base, g->size + g->pagesz);
	free(g);
	return 0;
}

/* Copy s[0..n) to end at the PROT_NONE page; returns the copy. */
static char *
guard_place(struct guard *g, const char *s, size_t n)
{
	char	*p;

	assert_true(n <= g->size);
	p = g->base + g->size - n;
	if (n > 0)
		memcpy(p, s, n);
	return p;
}

/* chunked_skip on a guarded copy of s[0..n). */
static enum chunked_result
feed(struct guard *g, struct chunked *c, const char *s, size_t n,
    uint64_t max_body, size_t *used)
{
	*used = (size_t)-1;
	return chunked_skip(c, guard_place(g, s, n), n, max_body, used);
}

/*
 * A valid body of blen bytes, followed by the next request: whole, byte
 * by byte, and in every split into two pieces, it ends exactly at blen
 * with total data bytes, and the request after it is left alone.
 */
static void
check_valid(struct guard *g, const char *name, const char *body,
    size_t blen, uint64_t total, uint64_t max_body)
{
	struct chunked		 c;
	enum chunked_result	 r;
	char				*in;
	size_t				 rlen = sizeof(rest_next) - 1, len, k;
	size_t				 used;

	len = blen + rlen;
	in = malloc(len);
	assert_non_null(in);
	memcpy(in, body, blen);
	memcpy(in + blen, rest_next, rlen);

	/* Whole, then again: nothing more is taken after DONE. */
	chunked_init(&c);
	r = feed(g, &c, in, len, max_body, &used);
	if (r != CHUNKED_DONE || used != blen)
		fail_msg("%s: whole: %d used %zu, want DONE %zu", name, (int)r,
		    used, blen);
	if (c.total != total)
		fail_msg("%s: total %llu, want %llu", name,
		    (unsigned long long)c.total, (unsigned long long)total);
	r = feed(g, &c, in + blen, rlen, max_body, &used);
	if (r != CHUNKED_DONE || used != 0)
		fail_msg("%s: after DONE: %d used %zu", name, (int)r, used);

	/* One byte per call. */
	chunked_init(&c);
	for (k = 0; k < blen; k++) {
		r = feed(g, &c, in + k, 1, max_body, &used);
		if (r != (k + 1 < blen ? CHUNKED_MORE :
		    CHUNKED_DONE) || used != 1)
			fail_msg("%s: byte %zu of %zu: %d used %zu", name, k,
			    blen, (int)r, used);
	}
	if (c.total != total)
		fail_msg("%s: bytewise total %llu", name,
		    (unsigned long long)c.total);

	/* Every split in two, including empty pieces. */
	for (k = 0; k <= len; k++) {
		chunked_init(&c);
		r = feed(g, &c, in, k, max_body, &used);
		if (k < blen) {
			if (r != CHUNKED_MORE || used != k)
				fail_msg("%s: first %zu: %d used %zu", name, k,
				    (int)r, used);
			r = feed(g, &c, in + k, len - k, max_body, &used);
			if (r != CHUNKED_DONE || used != blen - k)
				fail_msg("%s: rest after %zu: %d used %zu",
				    name, k, (int)r, used);
		} else if (r != CHUNKED_DONE || used != blen)
			fail_msg("%s: first %zu: %d used %zu, want DONE",
			    name, k, (int)r, used);
		if (c.total != total)
			fail_msg("%s: split %zu: total %llu", name, k,
			    (unsigned long long)c.total);
	}
	free(in);
}

/*
 * A malformed or oversized body gives `want`, whole, byte by byte and
 * at every split; before the byte that decides, only MORE with every
 * byte used, never DONE.  The refusal is sticky.  Returns the offset of
 * the deciding byte.
 */
static size_t
check_refused(struct guard *g, const char *name, const char *body,
    size_t len, uint64_t max_body, enum chunked_result want)
{
	struct chunked		 c;
	enum chunked_result	 r;
	size_t				 at, k, used;

	/* Byte by byte, to find the deciding byte. */
	chunked_init(&c);
	for (at = 0; at < len; at++) {
		r = feed(g, &c, body + at, 1, max_body, &used);
		if (r == want)
			break;
		if (r != CHUNKED_MORE || used != 1)
			fail_msg("%s: byte %zu: %d used %zu", name, at, (int)r,
			    used);
	}
	if (at == len)
		fail_msg("%s: bytewise never refused", name);
	r = feed(g, &c, S("0\r\n\r\n"), max_body, &used);
	if (r != want)
		fail_msg("%s: not sticky: %d", name, (int)r);
	r = feed(g, &c, "", 0, max_body, &used);
	if (r != want)
		fail_msg("%s: not sticky on no input: %d", name, (int)r);

	/* Whole, and in every split: refused once the byte is in. */
	for (k = 0; k <= len; k++) {
		chunked_init(&c);
		r = feed(g, &c, body, k, max_body, &used);
		if (k <= at) {
			if (r != CHUNKED_MORE || used != k)
				fail_msg("%s: first %zu: %d used %zu", name, k,
				    (int)r, used);
			r = feed(g, &c, body + k, len - k, max_body, &used);
		}
		if (r != want)
			fail_msg("%s: split at %zu: %d, want %d", name, k,
			    (int)r, (int)want);
	}
	return at;
}

/* head, then n copies of unit, then tail, in a new buffer. */
static char *
repeat(const char *head, const char *unit, size_t n, const char *tail,
    size_t *len)
{
	size_t	 hl = strlen(head), ul = strlen(unit), tl = strlen(tail), i;
	char	*p;

	*len = hl + n * ul + tl;
	p = malloc(*len + 1);
	assert_non_null(p);
	memcpy(p, head, hl);
	for (i = 0; i < n; i++)
		memcpy(p + hl + i * ul, unit, ul);
	memcpy(p + hl + n * ul, tail, tl);
	p[*len] = '\0';
	return p;
}

/* The harness itself: the byte after a placed string is unreadable. */
static void
test_guard_place_ends_at_page(void **state)
{
	struct guard	*g = *state;
	char		*p;

	p = guard_place(g, S("abc"));
	assert_ptr_equal(p + 3, g->base + g->size);
	assert_int_equal((uintptr_t)(p + 3) % g->pagesz, 0);
}

/* Init gives a fresh state, whatever was there. */
static void
test_chunked_init(void **state)
{
	struct chunked	 c;
	size_t			 used;

	memset(&c, 0xa5, sizeof(c));
	chunked_init(&c);
	assert_true(c.total == 0 && c.left == 0 && c.line == 0);
	assert_int_equal(feed(*state, &c, S("0\r\n\r\n"), 0, &used),
	    CHUNKED_DONE);
	assert_int_equal(used, 5);
	/* And a finished one can be reused for the next body. */
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("1\r\nx\r\n0\r\n\r\n"), 1,
	    &used), CHUNKED_DONE);
	assert_int_equal(used, 11);
}

/* Every valid body, at every split, followed by the next request. */
static void
test_chunked_skip_valid(void **state)
{
	const struct valid_case	*v;
	size_t			 i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++) {
		v = &valid_cases[i];
		check_valid(*state, v->name, v->body, v->len, v->total,
		    NO_LIMIT);
		/*
		 * A limit of exactly the data is enough; extension bytes
		 * count against it too, so there the whole length is.
		 */
		check_valid(*state, v->name, v->body, v->len, v->total,
		    memchr(v->body, ';', v->len) == NULL ? v->total : v->len);
	}
}

/*
 * What a client can push past --max-body is bounded: chunk extensions
 * count against it, and the trailer section against CHUNKED_TRAILER_MAX.
 * Without these, "1;<4 KiB>" lines or endless trailers went uncounted.
 */
static void
test_chunked_skip_framing_counted(void **state)
{
	char		*body;
	size_t		 len;

	body = repeat("1;", "x", 100, "\r\nA\r\n0\r\n\r\n", &len);
	check_refused(*state, "extensions past max_body", body, len, 50,
	    CHUNKED_TOO_LARGE);
	free(body);
	body = repeat("0\r\n", "A:vvvvvvvvvvvvvv\r\n", CHUNKED_TRAILER_MAX / 16,
	    "\r\n", &len);
	check_refused(*state, "trailer section too large", body, len,
	    NO_LIMIT, CHUNKED_TOO_LARGE);
	free(body);
}

/* What follows the body stays, even when it looks like more body. */
static void
test_chunked_skip_stops_at_end(void **state)
{
	struct chunked	 c;
	size_t			 used;

	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("0\r\n\r\n5\r\nhello\r\n"),
	    NO_LIMIT, &used), CHUNKED_DONE);
	assert_int_equal(used, 5);
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("0\n\n\r\n"), NO_LIMIT, &used),
	    CHUNKED_DONE);
	assert_int_equal(used, 3);
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("0\r\nA: b\r\n\r\nX: y\r\n\r\n"),
	    NO_LIMIT, &used), CHUNKED_DONE);
	assert_int_equal(used, 11);
	/* Nothing at all is not an end. */
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, "", 0, NO_LIMIT, &used),
	    CHUNKED_MORE);
	assert_int_equal(used, 0);
}

/* A large chunk, skipped across every split. */
static void
test_chunked_skip_large_chunk(void **state)
{
	char	*body;
	size_t	 len;

	body = repeat("1000\r\n", "0123456789abcdef", 256, "\r\n0\r\n\r\n",
	    &len);
	check_valid(*state, "4096-byte chunk", body, len, 4096, NO_LIMIT);
	free(body);
}

/* The largest size the field can hold is not an overflow. */
static void
test_chunked_skip_largest_size(void **state)
{
	struct chunked	 c;
	size_t			 used;

	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("ffffffffffffffff\r\nabc"),
	    UINT64_MAX, &used), CHUNKED_MORE);
	assert_int_equal(used, 21);
	assert_true(c.total == 3 && c.left == UINT64_MAX - 3);
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("0FFFFFFFFFFFFFFF\r\n"),
	    UINT64_MAX, &used), CHUNKED_MORE);
	assert_true(c.left == UINT64_MAX >> 4);
}

/* Every malformed or oversized body, at every split. */
static void
test_chunked_skip_refused(void **state)
{
	const struct bad_case	*b;
	size_t			 i;
	char			 name[80];

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		b = &bad_cases[i];
		snprintf(name, sizeof(name), "bad case %zu (%.40s)", i,
		    b->body);
		if (check_refused(*state, name, b->body, b->len, b->max_body,
		    b->want) != b->len - 1)
			fail_msg("%s: refused before its last byte", name);
	}
}

/*
 * max_body data bytes are allowed, max_body + 1 are TOO_LARGE, however
 * they are spread over chunks; the size line that would pass the limit
 * is refused as soon as it ends, before its data.
 */
static void
test_chunked_skip_too_large_boundary(void **state)
{
	struct chunked	 c;
	size_t			 used;

	check_valid(*state, "10 in one", S("a\r\n0123456789\r\n0\r\n\r\n"),
	    10, 10);
	check_valid(*state, "10 in two",
	    S("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), 10, 10);
	check_valid(*state, "0 of 0", S("0\r\n\r\n"), 0, 0);

	assert_int_equal(check_refused(*state, "11 in one", S("b\r\n"), 10,
	    CHUNKED_TOO_LARGE), 2);
	assert_int_equal(check_refused(*state, "11 in two",
	    S("5\r\nhello\r\n6\r\n"), 10, CHUNKED_TOO_LARGE), 12);
	assert_int_equal(check_refused(*state, "11 in three",
	    S("5\r\nhello\r\n5\r\nworld\r\n1\r\n"), 10,
	    CHUNKED_TOO_LARGE), 22);
	assert_int_equal(check_refused(*state, "1 of 0", S("1\r\n"), 0,
	    CHUNKED_TOO_LARGE), 2);

	/* The size line must end first: "b\r" is not yet refused. */
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, S("b\r"), 10, &used),
	    CHUNKED_MORE);
	assert_int_equal(feed(*state, &c, S("\n"), 10, &used),
	    CHUNKED_TOO_LARGE);
	assert_int_equal(c.total, 0);
}

/*
 * A chunk-size line (with an extension, or all leading zeros) or a
 * trailer line of exactly CHUNKED_LINE_MAX bytes passes; one more
 * byte is BAD, and is refused without waiting for the line end.
 */
static void
test_chunked_skip_line_max(void **state)
{
	struct chunked	 c;
	char			*body;
	size_t			 len, used;

	body = repeat("5;", "x", CHUNKED_LINE_MAX - 2,
	    "\r\nhello\r\n0\r\n\r\n", &len);
	check_valid(*state, "size line at max", body, len, 5, NO_LIMIT);
	free(body);
	body = repeat("5;", "x", CHUNKED_LINE_MAX - 2,
	    "\nhello\n0\n\n", &len);
	check_valid(*state, "size line at max, LF", body, len, 5, NO_LIMIT);
	free(body);
	body = repeat("", "0", CHUNKED_LINE_MAX - 1,
	    "5\r\nhello\r\n0\r\n\r\n", &len);
	check_valid(*state, "zeros at max", body, len, 5, NO_LIMIT);
	free(body);
	body = repeat("0\r\nA:", "v", CHUNKED_LINE_MAX - 2, "\r\n\r\n",
	    &len);
	check_valid(*state, "trailer at max", body, len, 0, NO_LIMIT);
	free(body);

	body = repeat("5;", "x", CHUNKED_LINE_MAX - 1, "", &len);
	assert_int_equal(check_refused(*state, "size line over max", body, len,
	    NO_LIMIT, CHUNKED_BAD), len - 1);
	free(body);
	body = repeat("", "0", CHUNKED_LINE_MAX + 1, "", &len);
	assert_int_equal(check_refused(*state, "zeros over max", body, len,
	    NO_LIMIT, CHUNKED_BAD), len - 1);
	free(body);
	body = repeat("0\r\nA:", "v", CHUNKED_LINE_MAX - 1, "", &len);
	assert_int_equal(check_refused(*state, "trailer over max", body, len,
	    NO_LIMIT, CHUNKED_BAD), len - 1);
	free(body);
	body = repeat("0\r\n", "A", CHUNKED_LINE_MAX + 1, "", &len);
	assert_int_equal(check_refused(*state, "trailer name over max", body,
	    len, NO_LIMIT, CHUNKED_BAD), len - 1);
	free(body);

	/* Lines are counted one by one: many long lines are fine. */
	body = repeat("0\r\n", "A:0123456789012345678901234567890\r\n",
	    CHUNKED_LINE_MAX / 16, "\r\n", &len);
	chunked_init(&c);
	assert_int_equal(feed(*state, &c, body, len, NO_LIMIT, &used),
	    CHUNKED_DONE);
	assert_int_equal(used, len);
	free(body);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_guard_place_ends_at_page),
		G(test_chunked_init),
		G(test_chunked_skip_valid),
		G(test_chunked_skip_framing_counted),
		G(test_chunked_skip_stops_at_end),
		G(test_chunked_skip_large_chunk),
		G(test_chunked_skip_largest_size),
		G(test_chunked_skip_refused),
		G(test_chunked_skip_too_large_boundary),
		G(test_chunked_skip_line_max),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
