/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for range.c: the Range field, If-Range, boundaries and the
 * multipart/byteranges framing.
 *
 * Inputs are copied to end exactly at a PROT_NONE page (struct guard),
 * and the writers write into buffers that end at one, so an overrun of
 * either kind faults.  Besides the tables, every prefix of the valid
 * Range values is parsed and checked against the invariants of a result,
 * and generated range sets on small files are compared with a byte map.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "range.h"

#define GUARD_DATA	8192	/* room before the PROT_NONE page */
#define CASE_RANGES	RANGE_MAX	/* expected ranges in a table row */
#define GEN_SIZE_MAX	24	/* file sizes of the generated sets */
#define GEN_SPECS_MAX	5	/* range-specs in a generated set */
#define GEN_ROUNDS	20000
#define SPEC_BUF	256

/* A string literal and its length. */
#define S(x)		(x), (sizeof(x) - 1)

#define U64MAX_S	"18446744073709551615"
#define U64OVER_S	"18446744073709551616"

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct range_case {
	const char		*in;
	enum range_result	 result;
	size_t			 n;
	struct range		 r[CASE_RANGES];
};

struct if_range_case {
	const char	*in;
	const char	*etag;
	bool		 ok;
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const char *, size_t);
static enum range_result parse_at(struct guard *, const char *, size_t,
		    uint64_t, struct range *, size_t *);
static void	 check_case(struct guard *, const struct range_case *,
		    uint64_t);
static void	 check_invariants(const char *, size_t, enum range_result,
		    const struct range *, size_t, uint64_t);
static uint32_t	 gen_next(uint32_t *);
static void	 check_multipart(struct guard *, const struct range *, size_t,
		    const char *, const char *, uint64_t);

/* Ranges of a 1000-byte representation. */
static const struct range_case cases_1000[] = {
	/* One range of each form. */
	{ "bytes=0-499", RANGE_OK, 1, { { 0, 499 } } },
	{ "bytes=500-999", RANGE_OK, 1, { { 500, 999 } } },
	{ "bytes=500-", RANGE_OK, 1, { { 500, 999 } } },
	{ "bytes=-500", RANGE_OK, 1, { { 500, 999 } } },
	{ "bytes=0-0", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=999-999", RANGE_OK, 1, { { 999, 999 } } },
	{ "bytes=999-", RANGE_OK, 1, { { 999, 999 } } },
	{ "bytes=-1", RANGE_OK, 1, { { 999, 999 } } },
	{ "bytes=0-", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0000000000000000000000000001-02", RANGE_OK, 1,
	    { { 1, 2 } } },
	/* The unit is case-insensitive. */
	{ "BYTES=0-1", RANGE_OK, 1, { { 0, 1 } } },
	{ "Bytes=0-1", RANGE_OK, 1, { { 0, 1 } } },
	/* Clipping. */
	{ "bytes=0-999", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-1000", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=900-99999", RANGE_OK, 1, { { 900, 999 } } },
	{ "bytes=-999", RANGE_OK, 1, { { 1, 999 } } },
	{ "bytes=-1000", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=-1001", RANGE_OK, 1, { { 0, 999 } } },
	/* Unsatisfiable. */
	{ "bytes=1000-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-1000", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-2000", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-0", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-000", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1000-,-0, 5000-6000", RANGE_UNSATISFIABLE, 0,
	    { { 0, 0 } } },
	/* Unsatisfiable members are dropped from a satisfiable set. */
	{ "bytes=1000-,0-0", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=-0,5-9", RANGE_OK, 1, { { 5, 9 } } },
	/* Lists: OWS, empty members, sorting, merging. */
	{ "bytes=0-1, 3-4", RANGE_OK, 2, { { 0, 1 }, { 3, 4 } } },
	{ "bytes=0-1,,2-3", RANGE_OK, 1, { { 0, 3 } } },
	{ "bytes=0-1 , 2-3", RANGE_OK, 1, { { 0, 3 } } },
	{ "bytes=\t0-1\t,\t5-6\t", RANGE_OK, 2, { { 0, 1 }, { 5, 6 } } },
	{ "bytes=,0-1", RANGE_OK, 1, { { 0, 1 } } },
	{ "bytes=0-1,", RANGE_OK, 1, { { 0, 1 } } },
	{ "bytes= 0-1", RANGE_OK, 1, { { 0, 1 } } },
	{ "bytes=0-1 ", RANGE_OK, 1, { { 0, 1 } } },
	{ "bytes=5-9,0-4", RANGE_OK, 1, { { 0, 9 } } },
	{ "bytes=10-19,0-4", RANGE_OK, 2, { { 0, 4 }, { 10, 19 } } },
	{ "bytes=20-29,0-4,10-14", RANGE_OK, 3,
	    { { 0, 4 }, { 10, 14 }, { 20, 29 } } },
	{ "bytes=0-499,400-999", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-9,2-3", RANGE_OK, 1, { { 0, 9 } } },
	{ "bytes=2-3,0-9", RANGE_OK, 1, { { 0, 9 } } },
	{ "bytes=0-,-1", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-0,0-0,0-0", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=0-0,2-2,1-1", RANGE_OK, 1, { { 0, 2 } } },
	{ "bytes=0-0,2-2,4-4", RANGE_OK, 3,
	    { { 0, 0 }, { 2, 2 }, { 4, 4 } } },
	{ "bytes=-100,0-99", RANGE_OK, 2, { { 0, 99 }, { 900, 999 } } },
	{ "bytes=-100,0-899", RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-1,3-4,1-3", RANGE_OK, 1, { { 0, 4 } } },
	/* RANGE_MAX members, counted before merging. */
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,"
	    "20-20,22-22,24-24,26-26,28-28,30-30", RANGE_OK, 16,
	    { { 0, 0 }, { 2, 2 }, { 4, 4 }, { 6, 6 }, { 8, 8 },
	    { 10, 10 }, { 12, 12 }, { 14, 14 }, { 16, 16 }, { 18, 18 },
	    { 20, 20 }, { 22, 22 }, { 24, 24 }, { 26, 26 }, { 28, 28 },
	    { 30, 30 } } },
	{ "bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,"
	    "20-20,22-22,24-24,26-26,28-28,30-30,32-32", RANGE_IGNORE, 0,
	    { { 0, 0 } } },
	{ "bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,"
	    "0-0,0-0", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,0-0,"
	    "0-0,0-0,0-0", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=,,0-0,,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,"
	    "20-20,22-22,24-24,26-26,28-28,,,30-30,,", RANGE_OK, 16,
	    { { 0, 0 }, { 2, 2 }, { 4, 4 }, { 6, 6 }, { 8, 8 },
	    { 10, 10 }, { 12, 12 }, { 14, 14 }, { 16, 16 }, { 18, 18 },
	    { 20, 20 }, { 22, 22 }, { 24, 24 }, { 26, 26 }, { 28, 28 },
	    { 30, 30 } } },
	{ "bytes=2000-,2000-,2000-,2000-,2000-,2000-,2000-,2000-,2000-,"
	    "2000-,2000-,2000-,2000-,2000-,2000-,2000-,0-0", RANGE_IGNORE,
	    0, { { 0, 0 } } },
	/* Numbers past 64 bits saturate: clipped, or past the end. */
	{ "bytes=0-" U64MAX_S, RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-" U64OVER_S, RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=0-99999999999999999999999999999999999999", RANGE_OK, 1,
	    { { 0, 999 } } },
	{ "bytes=-" U64OVER_S, RANGE_OK, 1, { { 0, 999 } } },
	{ "bytes=" U64MAX_S "-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=" U64OVER_S "-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=" U64OVER_S "-" U64OVER_S, RANGE_UNSATISFIABLE, 0,
	    { { 0, 0 } } },
	{ "bytes=" U64OVER_S "-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	/* Syntax errors anywhere: the field is ignored. */
	{ "bytes=1-0", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1000-999", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1,5-4", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=,", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes= , ", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes 0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes =0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ " bytes=0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "byte=0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytesx=0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "items=0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes==0-1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=--1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-1-", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=-1-2", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1-2-3", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=a-b", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1x", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0x10-20", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=+1-2", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1-+2", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0 -1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0- 1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=- 1", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1 2-3", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1;2-3", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1,x", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1000-,x", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=0-1\r\n", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=1.5-2", RANGE_IGNORE, 0, { { 0, 0 } } },
};

/* A zero-length representation: nothing is satisfiable. */
static const struct range_case cases_0[] = {
	{ "bytes=0-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=0-0", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=0-99", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-1", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-0", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-1,0-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=1-0", RANGE_IGNORE, 0, { { 0, 0 } } },
	{ "bytes=", RANGE_IGNORE, 0, { { 0, 0 } } },
};

/* A one-byte representation. */
static const struct range_case cases_1[] = {
	{ "bytes=0-0", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=0-", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=-1", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=-5", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=0-5", RANGE_OK, 1, { { 0, 0 } } },
	{ "bytes=1-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
	{ "bytes=-0", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
};

/* The largest representation: the last byte is UINT64_MAX - 1. */
static const struct range_case cases_max[] = {
	{ "bytes=0-", RANGE_OK, 1, { { 0, UINT64_MAX - 1 } } },
	{ "bytes=0-" U64MAX_S, RANGE_OK, 1, { { 0, UINT64_MAX - 1 } } },
	{ "bytes=0-" U64OVER_S, RANGE_OK, 1, { { 0, UINT64_MAX - 1 } } },
	{ "bytes=-" U64MAX_S, RANGE_OK, 1, { { 0, UINT64_MAX - 1 } } },
	{ "bytes=-1", RANGE_OK, 1,
	    { { UINT64_MAX - 1, UINT64_MAX - 1 } } },
	{ "bytes=18446744073709551614-", RANGE_OK, 1,
	    { { UINT64_MAX - 1, UINT64_MAX - 1 } } },
	{ "bytes=-2,0-18446744073709551612", RANGE_OK, 1,
	    { { 0, UINT64_MAX - 1 } } },
	{ "bytes=" U64MAX_S "-", RANGE_UNSATISFIABLE, 0, { { 0, 0 } } },
};

/* For a representation with etag "abc" last modified at 784111777. */
static const struct if_range_case if_range_cases[] = {
	{ "\"abc\"", "\"abc\"", true },
	{ " \"abc\" ", "\"abc\"", true },
	{ "\"abd\"", "\"abc\"", false },
	{ "\"ab\"", "\"abc\"", false },
	{ "\"abcd\"", "\"abc\"", false },
	{ "\"ABC\"", "\"abc\"", false },
	{ "W/\"abc\"", "\"abc\"", false },
	{ "W/\"abc\"", "W/\"abc\"", false },
	{ "\"abc\"", "W/\"abc\"", false },
	{ "\"abc\"", NULL, false },
	{ "\"abc\", \"abc\"", "\"abc\"", false },
	{ "\"abc\" \"x\"", "\"abc\"", false },
	{ "\"ab\"c\"", "\"ab\"c\"", false },
	{ "\"a c\"", "\"a c\"", false },
	{ "\"abc", "\"abc\"", false },
	{ "abc\"", "\"abc\"", false },
	{ "abc", "\"abc\"", false },
	{ "\"", "\"", false },
	{ "\"\"", "\"\"", true },
	{ "*", "\"abc\"", false },
	{ "", "\"abc\"", false },
	{ "Sun, 06 Nov 1994 08:49:37 GMT", "\"abc\"", true },
	{ "Sun, 06 Nov 1994 08:49:37 GMT", NULL, true },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", "\"abc\"", true },
	{ "Sun Nov  6 08:49:37 1994", "\"abc\"", true },
	{ "Sun, 06 Nov 1994 08:49:38 GMT", "\"abc\"", false },
	{ "Sun, 06 Nov 1994 08:49:36 GMT", "\"abc\"", false },
	{ "Sun, 06 Nov 1994 08:49:37", "\"abc\"", false },
	{ "Mon, 06 Nov 1994 08:49:37 GMT", "\"abc\"", false },
	{ "784111777", "\"abc\"", false },
	{ "W/", "\"abc\"", false },
};
#define IF_RANGE_LM	784111777

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

/* range_parse on a guarded copy of s[0..n). */
static enum range_result
parse_at(struct guard *g, const char *s, size_t n, uint64_t size,
    struct range *out, size_t *nr)
{
	return range_parse(guard_place(g, s, n), n, size, out, nr);
}

/* One table row: result, count and ranges. */
static void
check_case(struct guard *g, const struct range_case *c, uint64_t size)
{
	struct range		 out[RANGE_MAX];
	enum range_result	 res;
	size_t			 n = 99, i;

	memset(out, 0xa5, sizeof(out));
	res = parse_at(g, c->in, strlen(c->in), size, out, &n);
	if (res != c->result)
		fail_msg("\"%s\" (size %llu): result %d, want %d", c->in,
		    (unsigned long long)size, (int)res, (int)c->result);
	if (n != c->n)
		fail_msg("\"%s\": %zu ranges, want %zu", c->in, n, c->n);
	for (i = 0; i < n; i++) {
		if (out[i].first != c->r[i].first ||
		    out[i].last != c->r[i].last)
			fail_msg("\"%s\": range %zu is %llu-%llu, want "
			    "%llu-%llu", c->in, i,
			    (unsigned long long)out[i].first,
			    (unsigned long long)out[i].last,
			    (unsigned long long)c->r[i].first,
			    (unsigned long long)c->r[i].last);
	}
	check_invariants(c->in, strlen(c->in), res, out, n, size);
}

/*
 * What every result must satisfy: no ranges unless RANGE_OK; otherwise
 * 1 to RANGE_MAX ranges within the representation, sorted, neither
 * overlapping nor touching.
 */
static void
check_invariants(const char *in, size_t len, enum range_result res,
    const struct range *r, size_t n, uint64_t size)
{
	size_t	 i;

	if (res != RANGE_OK) {
		if (n != 0)
			fail_msg("\"%.*s\": %zu ranges with result %d",
			    (int)len, in, n, (int)res);
		return;
	}
	if (n < 1 || n > RANGE_MAX)
		fail_msg("\"%.*s\": %zu ranges", (int)len, in, n);
	for (i = 0; i < n; i++) {
		if (r[i].first > r[i].last || r[i].last >= size)
			fail_msg("\"%.*s\": range %zu out of bounds", (int)len,
			    in, i);
		if (i > 0 && r[i].first <= r[i - 1].last + 1)
			fail_msg("\"%.*s\": ranges %zu and %zu not merged",
			    (int)len, in, i - 1, i);
	}
}

/* A small deterministic generator (an LCG's high bits). */
static uint32_t
gen_next(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 16;
}

/*
 * Lay out a whole multipart body with the writers, into buffers that
 * end at the guard page, and compare its length with
 * range_multipart_length.
 */
static void
check_multipart(struct guard *g, const struct range *r, size_t n,
    const char *boundary, const char *type, uint64_t size)
{
	char		*buf;
	uint64_t	 total = 0;
	size_t		 i, len;

	for (i = 0; i < n; i++) {
		buf = g->base + g->size - RANGE_PART_HEAD_MAX;
		len = range_part_head(buf, RANGE_PART_HEAD_MAX, boundary, type,
		    &r[i], size);
		assert_true(len > 0);
		/* Exactly len bytes is enough, one fewer is not. */
		buf = g->base + g->size - len;
		assert_int_equal(range_part_head(buf, len, boundary, type,
		    &r[i], size), len);
		assert_int_equal(range_part_head(buf + 1, len - 1, boundary,
		    type, &r[i], size), 0);
		total += len + (r[i].last - r[i].first + 1);
	}
	buf = g->base + g->size - RANGE_PART_HEAD_MAX;
	len = range_part_tail(buf, RANGE_PART_HEAD_MAX, boundary);
	assert_true(len > 0);
	total += len;
	assert_true(range_multipart_length(r, n, boundary, type, size) ==
	    total);
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

/* Every row of the table for a 1000-byte file. */
static void
test_range_parse_table_1000(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases_1000) / sizeof(cases_1000[0]); i++)
		check_case(*state, &cases_1000[i], 1000);
}

/* Zero-length, one-byte and the largest representations. */
static void
test_range_parse_table_sizes(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(cases_0) / sizeof(cases_0[0]); i++)
		check_case(*state, &cases_0[i], 0);
	for (i = 0; i < sizeof(cases_1) / sizeof(cases_1[0]); i++)
		check_case(*state, &cases_1[i], 1);
	for (i = 0; i < sizeof(cases_max) / sizeof(cases_max[0]); i++)
		check_case(*state, &cases_max[i], UINT64_MAX);
}

/*
 * Every prefix of every table value, ending at the guard page, parses
 * without reading past it and gives a result that keeps the invariants.
 */
static void
test_range_parse_truncated(void **state)
{
	struct range		 out[RANGE_MAX];
	enum range_result	 res;
	const char		*in;
	size_t			 i, k, n;

	for (i = 0; i < sizeof(cases_1000) / sizeof(cases_1000[0]); i++) {
		in = cases_1000[i].in;
		for (k = 0; k <= strlen(in); k++) {
			res = parse_at(*state, in, k, 1000, out, &n);
			check_invariants(in, k, res, out, n, 1000);
		}
	}
	/* Cut inside a number: a shorter range, or an error, never junk. */
	res = parse_at(*state, "bytes=10-299", 11, 1000, out, &n);
	assert_int_equal(res, RANGE_OK);
	assert_true(n == 1 && out[0].first == 10 && out[0].last == 29);
	res = parse_at(*state, "bytes=10-299", 8, 1000, out, &n);
	assert_int_equal(res, RANGE_IGNORE);
	res = parse_at(*state, "bytes=10-299", 9, 1000, out, &n);
	assert_true(res == RANGE_OK && n == 1 && out[0].first == 10 &&
	    out[0].last == 999);
	res = parse_at(*state, "bytes=100-299", 12, 1000, out, &n);
	assert_int_equal(res, RANGE_IGNORE);
}

/* Only len bytes are the field: what follows them is not read. */
static void
test_range_parse_length_obeyed(void **state)
{
	struct range	 out[RANGE_MAX];
	size_t		 n;

	(void)state;
	assert_int_equal(range_parse("bytes=0-1,junk", 9, 1000, out, &n),
	    RANGE_OK);
	assert_true(n == 1 && out[0].first == 0 && out[0].last == 1);
	assert_int_equal(range_parse(S("bytes=0-1\0,2-3"), 1000, out, &n),
	    RANGE_IGNORE);
}

/*
 * Generated sets of up to GEN_SPECS_MAX specs (int, open and suffix
 * ranges, satisfiable or not) on files of 0 to GEN_SIZE_MAX bytes: the
 * union of the result equals a byte map of the specs, and the result is
 * its maximal runs.
 */
static void
test_range_parse_generated(void **state)
{
	struct range		 out[RANGE_MAX];
	enum range_result	 res;
	char			 in[SPEC_BUF];
	bool			 want[GEN_SIZE_MAX + 8], got[GEN_SIZE_MAX + 8];
	uint32_t		 seed = 1;
	uint64_t		 size, first, last, x;
	size_t			 round, nspec, s, n, i, len;
	bool			 any;

	for (round = 0; round < GEN_ROUNDS; round++) {
		size = gen_next(&seed) % (GEN_SIZE_MAX + 1);
		nspec = 1 + gen_next(&seed) % GEN_SPECS_MAX;
		memset(want, 0, sizeof(want));
		len = (size_t)snprintf(in, sizeof(in), "bytes=");
		for (s = 0; s < nspec; s++) {
			first = gen_next(&seed) % (GEN_SIZE_MAX + 4);
			x = gen_next(&seed) % (GEN_SIZE_MAX + 4);
			switch (gen_next(&seed) % 3) {
			case 0:
				last = first + x % 6;
				len += (size_t)snprintf(in + len,
				    sizeof(in) - len, "%s%llu-%llu",
				    s > 0 ? ", " : "",
				    (unsigned long long)first,
				    (unsigned long long)last);
				break;
			case 1:
				last = UINT64_MAX;
				len += (size_t)snprintf(in + len,
				    sizeof(in) - len, "%s%llu-",
				    s > 0 ? "," : "",
				    (unsigned long long)first);
				break;
			default:
				first = x >= size ? 0 : size - x;
				last = x == 0 ? 0 : UINT64_MAX;
				len += (size_t)snprintf(in + len,
				    sizeof(in) - len, "%s-%llu",
				    s > 0 ? " ,\t" : "",
				    (unsigned long long)x);
				if (x == 0)
					continue;
				break;
			}
			for (i = first; i < size && i <= last; i++)
				want[i] = true;
		}
		assert_true(len < sizeof(in));
		res = parse_at(*state, in, len, size, out, &n);
		check_invariants(in, len, res, out, n, size);
		any = false;
		for (i = 0; i < size; i++)
			any = any || want[i];
		if (res != (any ? RANGE_OK : RANGE_UNSATISFIABLE))
			fail_msg("\"%s\" size %llu: result %d", in,
			    (unsigned long long)size, (int)res);
		memset(got, 0, sizeof(got));
		for (s = 0; s < n; s++)
			for (i = out[s].first; i <= out[s].last; i++)
				got[i] = true;
		if (memcmp(got, want, sizeof(got)) != 0)
			fail_msg("\"%s\" size %llu: wrong bytes", in,
			    (unsigned long long)size);
	}
}

/* Every row of the If-Range table. */
static void
test_range_if_range_table(void **state)
{
	const struct if_range_case	*c;
	size_t				 i, n;
	bool				 ok;

	for (i = 0; i < sizeof(if_range_cases) / sizeof(if_range_cases[0]);
	    i++) {
		c = &if_range_cases[i];
		n = strlen(c->in);
		ok = range_if_range(guard_place(*state, c->in, n), n, c->etag,
		    IF_RANGE_LM);
		if (ok != c->ok)
			fail_msg("If-Range '%s' etag '%s': %d, want %d", c->in,
			    c->etag != NULL ? c->etag : "(null)", ok, c->ok);
	}
}

/* Truncated If-Range values never match and never read past len. */
static void
test_range_if_range_truncated(void **state)
{
	static const char	*vals[] = {
		"\"abc\"", "Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun Nov  6 08:49:37 1994"
	};
	size_t			 i, k, n;

	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		n = strlen(vals[i]);
		for (k = 0; k < n; k++)
			assert_false(range_if_range(guard_place(*state,
			    vals[i], k), k, "\"abc\"", IF_RANGE_LM));
		assert_true(range_if_range(guard_place(*state, vals[i], n), n,
		    "\"abc\"", IF_RANGE_LM));
	}
}

/* A date that matches another time, or a file with another time, fails. */
static void
test_range_if_range_date_exact(void **state)
{
	(void)state;
	assert_true(range_if_range(S("Thu, 01 Jan 1970 00:00:00 GMT"),
	    "\"x\"", 0));
	assert_false(range_if_range(S("Thu, 01 Jan 1970 00:00:00 GMT"),
	    "\"x\"", 1));
	assert_false(range_if_range(S("Thu, 01 Jan 1970 00:00:01 GMT"),
	    "\"x\"", 0));
}

/* Deterministic, the right length and alphabet, seed-dependent. */
static void
test_range_boundary(void **state)
{
	struct guard	*g = *state;
	char		*a = g->base + g->size - (RANGE_BOUNDARY_LEN + 1);
	char		 b[RANGE_BOUNDARY_LEN + 1], c[RANGE_BOUNDARY_LEN + 1];
	uint64_t	 seed;
	size_t		 i;

	for (seed = 0; seed < 1000; seed++) {
		range_boundary(seed, a);
		range_boundary(seed, b);
		range_boundary(seed + 1, c);
		assert_int_equal(a[RANGE_BOUNDARY_LEN], '\0');
		assert_string_equal(a, b);
		assert_string_not_equal(a, c);
		for (i = 0; i < RANGE_BOUNDARY_LEN; i++) {
			if (!((a[i] >= '0' && a[i] <= '9') ||
			    (a[i] >= 'a' && a[i] <= 'z') ||
			    (a[i] >= 'A' && a[i] <= 'Z')))
				fail_msg("seed %llu: byte %zu is 0x%02x",
				    (unsigned long long)seed, i,
				    (unsigned char)a[i]);
		}
	}
	range_boundary(UINT64_MAX, a);
	range_boundary(UINT64_C(1) << 63, b);
	assert_string_not_equal(a, b);
}

/* The part head and tail, byte for byte. */
static void
test_range_part_head_tail_exact(void **state)
{
	struct guard	*g = *state;
	struct range	 r = { 0, 99 };
	char		*buf = g->base + g->size - RANGE_PART_HEAD_MAX;
	size_t		 n;

	n = range_part_head(buf, RANGE_PART_HEAD_MAX, "BOUNDARY",
	    "text/plain", &r, 1000);
	assert_int_equal(n, strlen("\r\n--BOUNDARY\r\nContent-Type: "
	    "text/plain\r\nContent-Range: bytes 0-99/1000\r\n\r\n"));
	assert_memory_equal(buf, "\r\n--BOUNDARY\r\nContent-Type: "
	    "text/plain\r\nContent-Range: bytes 0-99/1000\r\n\r\n", n);

	r.first = 5;
	r.last = UINT64_MAX - 1;
	n = range_part_head(buf, RANGE_PART_HEAD_MAX, "b", NULL, &r,
	    UINT64_MAX);
	assert_int_equal(n, strlen("\r\n--b\r\nContent-Range: bytes "
	    "5-18446744073709551614/18446744073709551615\r\n\r\n"));
	assert_memory_equal(buf, "\r\n--b\r\nContent-Range: bytes "
	    "5-18446744073709551614/18446744073709551615\r\n\r\n", n);

	n = range_part_tail(buf, RANGE_PART_HEAD_MAX, "BOUNDARY");
	assert_int_equal(n, strlen("\r\n--BOUNDARY--\r\n"));
	assert_memory_equal(buf, "\r\n--BOUNDARY--\r\n", n);
}

/* Every cap below the length gives 0 and writes nothing past cap. */
static void
test_range_part_too_small(void **state)
{
	struct guard	*g = *state;
	struct range	 r = { 10, 20 };
	size_t		 n, cap;

	n = range_part_head(g->base, RANGE_PART_HEAD_MAX, "BOUNDARY",
	    "text/html; charset=utf-8", &r, 1000);
	assert_true(n > 0);
	for (cap = 0; cap < n; cap++)
		assert_int_equal(range_part_head(g->base + g->size - cap, cap,
		    "BOUNDARY", "text/html; charset=utf-8", &r, 1000), 0);
	assert_int_equal(range_part_head(g->base + g->size - n, n,
	    "BOUNDARY", "text/html; charset=utf-8", &r, 1000), n);

	n = range_part_tail(g->base, RANGE_PART_HEAD_MAX, "BOUNDARY");
	for (cap = 0; cap < n; cap++)
		assert_int_equal(range_part_tail(g->base + g->size - cap, cap,
		    "BOUNDARY"), 0);
	assert_int_equal(range_part_tail(g->base + g->size - n, n,
	    "BOUNDARY"), n);
}

/*
 * The Content-Length equals what the writers produce plus the range
 * bytes, for parsed sets of several shapes and for extreme numbers.
 */
static void
test_range_multipart_length(void **state)
{
	static const char	*sets[] = {
		"bytes=0-0", "bytes=0-99,200-299", "bytes=-1,0-0,500-599",
		"bytes=0-0,2-2,4-4,6-6,8-8,10-10,12-12,14-14,16-16,18-18,"
		    "20-20,22-22,24-24,26-26,28-28,30-30",
		"bytes=0-",
	};
	struct range		 r[RANGE_MAX], big[2];
	char			 boundary[RANGE_BOUNDARY_LEN + 1];
	size_t			 i, n;
	uint64_t		 size = 1000;

	range_boundary(42, boundary);
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		assert_int_equal(range_parse(sets[i], strlen(sets[i]), size,
		    r, &n), RANGE_OK);
		check_multipart(*state, r, n, boundary, "text/plain", size);
		check_multipart(*state, r, n, boundary, NULL, size);
	}
	/* Known total: two 100-byte parts of a 1000-byte text/plain. */
	r[0].first = 0;
	r[0].last = 99;
	r[1].first = 200;
	r[1].last = 299;
	assert_true(range_multipart_length(r, 2, "B", "text/plain", 1000) ==
	    strlen("\r\n--B\r\nContent-Type: text/plain\r\n"
	    "Content-Range: bytes 0-99/1000\r\n\r\n") +
	    strlen("\r\n--B\r\nContent-Type: text/plain\r\n"
	    "Content-Range: bytes 200-299/1000\r\n\r\n") + 200 +
	    strlen("\r\n--B--\r\n"));
	/* The largest numbers. */
	big[0].first = 0;
	big[0].last = 0;
	big[1].first = UINT64_MAX - 10;
	big[1].last = UINT64_MAX - 1;
	check_multipart(*state, big, 2, boundary, "application/x-big",
	    UINT64_MAX);
	/* A body that would not fit in 64 bits saturates. */
	big[0].last = UINT64_MAX - 12;
	assert_true(range_multipart_length(big, 2, boundary, "a/b",
	    UINT64_MAX) == UINT64_MAX);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_guard_place_ends_at_page),
		G(test_range_parse_table_1000),
		G(test_range_parse_table_sizes),
		G(test_range_parse_truncated),
		cmocka_unit_test(test_range_parse_length_obeyed),
		G(test_range_parse_generated),
		G(test_range_if_range_table),
		G(test_range_if_range_truncated),
		cmocka_unit_test(test_range_if_range_date_exact),
		G(test_range_boundary),
		G(test_range_part_head_tail_exact),
		G(test_range_part_too_small),
		G(test_range_multipart_length),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
