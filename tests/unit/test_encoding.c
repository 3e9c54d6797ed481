/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for encoding.c: names, suffixes and the choice of a coding
 * by Accept-Encoding.
 *
 * Table-driven: each row is a field value (or an absent field), the
 * codings available on disk, and the choice.  Values are copied to end
 * at a PROT_NONE page so that a read past len faults, and every prefix
 * of every value is parsed too.
 */

#include "config.h"

#include <sys/mman.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "encoding.h"

#define GUARD_DATA	4096	/* room before the PROT_NONE page */

#define BR	ENCODING_MASK(ENCODING_BR)
#define ZSTD	ENCODING_MASK(ENCODING_ZSTD)
#define GZIP	ENCODING_MASK(ENCODING_GZIP)
#define ALL	(BR | ZSTD | GZIP)

#define ID	ENCODING_IDENTITY
#define E_BR	ENCODING_BR
#define E_ZSTD	ENCODING_ZSTD
#define E_GZIP	ENCODING_GZIP
#define NONE	ENCODING_NONE

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct choose_case {
	const char	*in;		/* NULL: no Accept-Encoding */
	unsigned	 available;
	enum encoding	 want;
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const char *, size_t);

static const struct choose_case choose_cases[] = {
	/* Absent and empty fields: identity only. */
	{ NULL, ALL, ID },
	{ NULL, 0, ID },
	{ "", ALL, ID },
	{ " ", ALL, ID },
	{ ", ,", ALL, ID },

	/* Preference on equal q: br, zstd, gzip, identity. */
	{ "gzip, br", ALL, E_BR },
	{ "br, gzip", ALL, E_BR },
	{ "gzip, zstd", ALL, E_ZSTD },
	{ "gzip, zstd, br, identity", ALL, E_BR },
	{ "gzip, br", GZIP, E_GZIP },
	{ "gzip, br", ZSTD, ID },
	{ "gzip", ALL, E_GZIP },
	{ "br", GZIP, ID },
	{ "gzip", 0, ID },
	{ "gzip;q=0.5, br;q=0.5, zstd;q=0.5", ALL, E_BR },
	{ "identity;q=0.5, gzip;q=0.5", GZIP, E_GZIP },

	/* The highest q wins. */
	{ "gzip;q=1, br;q=0.5", ALL, E_GZIP },
	{ "gzip;q=0.9, zstd;q=0.8", ALL, E_GZIP },
	{ "gzip;q=1, br;q=0.999", ALL, E_GZIP },
	{ "gzip;q=0.999, br;q=1", ALL, E_BR },
	{ "gzip;q=0.001, br;q=0", ALL, E_GZIP },
	{ "identity, gzip;q=0.5", GZIP, ID },
	{ "identity;q=0.6, gzip;q=0.5", GZIP, ID },

	/* An identity not mentioned is acceptable, but the last choice. */
	{ "gzip;q=0.5", GZIP, E_GZIP },
	{ "gzip;q=0.001", GZIP, E_GZIP },
	{ "deflate, compress", ALL, ID },

	/* "*": every coding not listed, identity included. */
	{ "*", ALL, E_BR },
	{ "*", GZIP, E_GZIP },
	{ "*", 0, ID },
	{ "*;q=0.5", ALL, E_BR },
	{ "*;q=0.5, gzip;q=0.4", GZIP, ID },
	{ "*;q=0.3, gzip;q=0.4", ALL, E_GZIP },
	{ "br;q=0, *", BR | GZIP, E_GZIP },
	{ "br;q=0, *", BR, ID },
	{ "*, br;q=0", BR | ZSTD, E_ZSTD },
	{ "gzip;q=0, *;q=0.5", GZIP, ID },

	/* Forbidding identity. */
	{ "identity;q=0", 0, NONE },
	{ "identity;q=0", GZIP, NONE },
	{ "identity;q=0, gzip", GZIP, E_GZIP },
	{ "identity;q=0, gzip;q=0", GZIP, NONE },
	{ "identity;q=0, *", 0, NONE },
	{ "identity;q=0, *", BR, E_BR },
	{ "*;q=0", 0, NONE },
	{ "*;q=0", ALL, NONE },
	{ "*;q=0, gzip", ALL, E_GZIP },
	{ "*;q=0, identity", ALL, ID },
	{ "*;q=0, identity;q=0.5", 0, ID },
	{ "*;q=0, identity;q=0.5, zstd;q=0.6", ALL, E_ZSTD },

	/* q=0 forbids a coding. */
	{ "br;q=0", BR, ID },
	{ "gzip;q=0", GZIP, ID },
	{ "gzip;q=0, br", BR | GZIP, E_BR },
	{ "gzip;q=0.000", GZIP, ID },
	{ "gzip;q=0.", GZIP, ID },

	/* Names: case, x-gzip, unknown codings. */
	{ "x-gzip", GZIP, E_GZIP },
	{ "X-GZIP", GZIP, E_GZIP },
	{ "GZIP", GZIP, E_GZIP },
	{ "Br", BR, E_BR },
	{ "ZSTD", ZSTD, E_ZSTD },
	{ "IDENTITY;Q=0", 0, NONE },
	{ "x-gzip;q=0.2, br;q=0.1", BR | GZIP, E_GZIP },
	{ "gzip;q=0, x-gzip", GZIP, E_GZIP },
	{ "x-gzip, gzip;q=0", GZIP, E_GZIP },
	{ "br;q=0.5, gzip;q=0.3, br;q=0.2", BR | GZIP, E_BR },
	{ "br;q=0.2, gzip;q=0.3, br;q=0.5", BR | GZIP, E_BR },
	{ "x-br, gzipx, zst", ALL, ID },

	/* OWS and empty members. */
	{ " gzip ; q=0.4 , br ; q=0.5 ", ALL, E_BR },
	{ "gzip;q = 0.4, br;q= 0.5", ALL, E_BR },
	{ "\tgzip\t;\tq=0.5\t", GZIP, E_GZIP },
	{ ",,gzip,,", GZIP, E_GZIP },
	{ "gzip,,,br;q=0.5", ALL, E_GZIP },

	/* q-value forms. */
	{ "gzip;q=1", GZIP, E_GZIP },
	{ "gzip;q=1.", GZIP, E_GZIP },
	{ "gzip;q=1.0", GZIP, E_GZIP },
	{ "gzip;q=1.000", GZIP, E_GZIP },
	{ "gzip;Q=0.5, br;q=0.4", ALL, E_GZIP },
	{ "gzip;q=0.125, br;q=0.12", ALL, E_GZIP },
	{ "gzip;q=0.12, br;q=0.125", ALL, E_BR },

	/* Malformed q-values count as q=0. */
	{ "gzip;q=1.0000", GZIP, ID },
	{ "gzip;q=1.001", GZIP, ID },
	{ "gzip;q=1.5", GZIP, ID },
	{ "gzip;q=2", GZIP, ID },
	{ "gzip;q=01", GZIP, ID },
	{ "gzip;q=0.0001", GZIP, ID },
	{ "gzip;q=0.5.5", GZIP, ID },
	{ "gzip;q=.5", GZIP, ID },
	{ "gzip;q=-1", GZIP, ID },
	{ "gzip;q=+1", GZIP, ID },
	{ "gzip;q=abc", GZIP, ID },
	{ "gzip;q=1e0", GZIP, ID },
	{ "gzip;q=", GZIP, ID },
	{ "gzip;q", GZIP, ID },
	{ "gzip;q=\"1\"", GZIP, ID },
	{ "gzip;q=0 5", GZIP, ID },
	{ "gzip;q=junk, br;q=0.1", BR | GZIP, E_BR },
	{ "identity;q=junk", 0, NONE },
	{ "*;q=junk", ALL, NONE },

	/* Other parameters are ignored; the first q counts. */
	{ "gzip;level=9", GZIP, E_GZIP },
	{ "gzip;foo;q=0.5, br;q=0.4", ALL, E_GZIP },
	{ "gzip;foo=bar;q=0, br;q=0.1", ALL, E_BR },
	{ "gzip;q=0.5;q=1, br;q=0.6", ALL, E_BR },
	{ "gzip;, br;q=0.5", ALL, E_GZIP },
	{ "gzip;qq=0, br;q=0.5", ALL, E_GZIP },

	/* Members that are not a coding and parameters are skipped. */
	{ "gzip br", ALL, ID },
	{ "gz ip", GZIP, ID },
	{ "\"gzip\"", GZIP, ID },
	{ "gzip/1", GZIP, ID },
	{ ";q=1", ALL, ID },
	{ "gzip br, zstd", ALL, E_ZSTD },
	{ "identity x;q=0", 0, ID },

	/* Bits beyond the known codings are harmless. */
	{ "*", ~0u, E_BR },
	{ "gzip", ~0u & ~GZIP, ID },
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

/* The Content-Encoding tokens. */
static void
test_encoding_name(void **state)
{
	(void)state;
	assert_null(encoding_name(ENCODING_IDENTITY));
	assert_string_equal(encoding_name(ENCODING_BR), "br");
	assert_string_equal(encoding_name(ENCODING_ZSTD), "zstd");
	assert_string_equal(encoding_name(ENCODING_GZIP), "gzip");
	assert_null(encoding_name(ENCODING_NONE));
}

/* The sibling suffixes. */
static void
test_encoding_suffix(void **state)
{
	(void)state;
	assert_string_equal(encoding_suffix(ENCODING_IDENTITY), "");
	assert_string_equal(encoding_suffix(ENCODING_BR), ".br");
	assert_string_equal(encoding_suffix(ENCODING_ZSTD), ".zst");
	assert_string_equal(encoding_suffix(ENCODING_GZIP), ".gz");
	assert_string_equal(encoding_suffix(ENCODING_NONE), "");
}

/* Every row of the table. */
static void
test_encoding_choose_table(void **state)
{
	const struct choose_case	*c;
	enum encoding			 got;
	size_t				 i, n;

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		c = &choose_cases[i];
		if (c->in == NULL)
			got = encoding_choose(NULL, 0, c->available);
		else {
			n = strlen(c->in);
			got = encoding_choose(guard_place(*state, c->in, n), n,
			    c->available);
		}
		if (got != c->want)
			fail_msg("'%s' available 0x%x: %d, want %d",
			    c->in != NULL ? c->in : "(absent)", c->available,
			    (int)got, (int)c->want);
	}
}

/*
 * Every prefix of every value, ending at the guard page: no read past
 * len, and a choice that is available or identity or NONE.
 */
static void
test_encoding_choose_truncated(void **state)
{
	const struct choose_case	*c;
	enum encoding			 got;
	size_t				 i, k;

	for (i = 0; i < sizeof(choose_cases) / sizeof(choose_cases[0]); i++) {
		c = &choose_cases[i];
		if (c->in == NULL)
			continue;
		for (k = 0; k <= strlen(c->in); k++) {
			got = encoding_choose(guard_place(*state, c->in, k), k,
			    c->available);
			if (got != ENCODING_NONE && got != ENCODING_IDENTITY &&
			    (got >= ENCODING__COUNT ||
			    (c->available & ENCODING_MASK(got)) == 0))
				fail_msg("'%.*s': %d is not available",
				    (int)k, c->in, (int)got);
		}
	}
	/* A cut q-value changes the meaning as its bytes say. */
	assert_int_equal(encoding_choose(guard_place(*state, "gzip;q=0.5",
	    8), 8, GZIP), ENCODING_IDENTITY);
	assert_int_equal(encoding_choose(guard_place(*state, "gzip;q=0.5",
	    4), 4, GZIP), ENCODING_GZIP);
}

/* Only len bytes are the field, NUL bytes included. */
static void
test_encoding_choose_length_obeyed(void **state)
{
	(void)state;
	assert_int_equal(encoding_choose("gzip, br", 4, ALL), ENCODING_GZIP);
	assert_int_equal(encoding_choose("identity;q=0", 8, 0),
	    ENCODING_IDENTITY);
	assert_int_equal(encoding_choose("gzip\0, br", 9, ALL), ENCODING_BR);
	assert_int_equal(encoding_choose("br\0", 3, BR), ENCODING_IDENTITY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		cmocka_unit_test(test_encoding_name),
		cmocka_unit_test(test_encoding_suffix),
		G(test_encoding_choose_table),
		G(test_encoding_choose_truncated),
		cmocka_unit_test(test_encoding_choose_length_obeyed),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
