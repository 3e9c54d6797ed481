/* sluice - ISC licence, see COPYING. */

/*
 * Byte ranges (RFC 9110 section 14) and multipart/byteranges framing.
 *
 * range_parse reads the whole range set before deciding anything: one
 * syntax error anywhere, or one range-spec too many, and the field is
 * ignored (a 200 is always a correct answer).  Each spec is resolved
 * against the size as it is read; unsatisfiable ones are dropped, the
 * rest sorted (insertion sort: there are at most RANGE_MAX) and merged
 * when they overlap or touch, so that a client cannot make us send the
 * same bytes twice.  Numbers saturate at UINT64_MAX instead of failing:
 * a huge last-pos is clipped and a huge first-pos is past the end, which
 * is what RFC 9110 says of any large value.
 *
 * The multipart writers and range_multipart_length share the same
 * pieces, so the Content-Length always equals what is written.
 *
 * No I/O, locks, logging or allocation; any thread.
 */

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cond.h"
#include "range.h"

#define RANGE_UNIT		"bytes="
#define RANGE_UNIT_LEN		(sizeof(RANGE_UNIT) - 1)
#define RANGE_DIGITS_MAX	20	/* decimal digits of UINT64_MAX */

/*
 * A bounded appender, as http.c's: once over, nothing more is written.
 * A counting one writes nothing and only adds up len.
 */
struct range_out {
	char	*p;
	size_t	 len, cap;
	bool	 over;
	bool	 count;
};

static bool	 range_is_ows(char);
static int	 range_parse_spec(const char *, const char *, uint64_t,
		    struct range *, bool *);
static const char *range_number(const char *, const char *, uint64_t *);
static void	 range_sort_merge(struct range *, size_t *);
static void	 range_put(struct range_out *, const char *, size_t);
static void	 range_puts(struct range_out *, const char *);
static void	 range_putu(struct range_out *, uint64_t);
static void	 range_head(struct range_out *, const char *, const char *,
		    const struct range *, uint64_t);
static void	 range_tail(struct range_out *, const char *);
static uint64_t	 range_add(uint64_t, uint64_t);

enum range_result
range_parse(const char *s, size_t len, uint64_t size, struct range *out,
    size_t *n)
{
	const char	*p, *end = s + len, *e, *te;
	struct range	 r;
	size_t		 specs = 0, kept = 0;
	bool		 ok;

	*n = 0;
	if (len < RANGE_UNIT_LEN ||
	    strncasecmp(s, RANGE_UNIT, RANGE_UNIT_LEN) != 0)
		return RANGE_IGNORE;

	/* 1#range-spec: empty members and OWS around commas allowed. */
	for (p = s + RANGE_UNIT_LEN; p < end; p = e) {
		while (p < end && range_is_ows(*p))
			p++;
		e = p;
		while (e < end && *e != ',')
			e++;
		te = e;
		while (te > p && range_is_ows(te[-1]))
			te--;
		if (e < end)
			e++;
		if (te == p)
			continue;
		if (++specs > RANGE_MAX)
			return RANGE_IGNORE;
		if (range_parse_spec(p, te, size, &r, &ok) == -1)
			return RANGE_IGNORE;
		if (ok)
			out[kept++] = r;
	}
	if (specs == 0)
		return RANGE_IGNORE;
	if (kept == 0)
		return RANGE_UNSATISFIABLE;
	range_sort_merge(out, &kept);
	*n = kept;
	return RANGE_OK;
}

bool
range_if_range(const char *s, size_t len, const char *etag,
    time_t last_modified)
{
	const char	*p = s, *end = s + len, *q;
	time_t		 t;
	size_t		 elen;
	unsigned char	 c;

	while (p < end && range_is_ows(*p))
		p++;
	while (end > p && range_is_ows(end[-1]))
		end--;
	if (p == end)
		return false;

	/* An entity-tag: DQUOTE *etagc DQUOTE, never W/ (13.1.5). */
	if (*p == '"') {
		if (end - p < 2 || end[-1] != '"')
			return false;
		for (q = p + 1; q < end - 1; q++) {
			c = (unsigned char)*q;
			if (c < 0x21 || c == '"' || c == 0x7f)
				return false;
		}
		if (etag == NULL || etag[0] != '"')
			return false;
		elen = strlen(etag);
		return elen == (size_t)(end - p) && memcmp(p, etag, elen) == 0;
	}
	/*
	 * Else an HTTP-date, which must be the Last-Modified time exactly;
	 * a weak tag ("W/...") fails here as it is no date.
	 */
	return cond_parse_date(p, (size_t)(end - p), &t) == 0 &&
	    t == last_modified;
}

void
range_boundary(uint64_t seed, char *buf)
{
	static const char	 chars[] = "0123456789"
	    "abcdefghijklmnopqrstuvwxyz" "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	uint64_t		 z;
	size_t			 i;

	/*
	 * splitmix64, one step per character: every seed bit reaches every
	 * character, so seeds that differ in one bit (a counter) still give
	 * unrelated boundaries.  The slight bias of % 62 does not matter.
	 */
	for (i = 0; i < RANGE_BOUNDARY_LEN; i++) {
		seed += 0x9e3779b97f4a7c15ULL;
		z = seed;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		buf[i] = chars[z % (sizeof(chars) - 1)];
	}
	buf[RANGE_BOUNDARY_LEN] = '\0';
}

size_t
range_part_head(char *buf, size_t cap, const char *boundary,
    const char *type, const struct range *r, uint64_t size)
{
	struct range_out	 o = { buf, 0, cap, false, false };

	range_head(&o, boundary, type, r, size);
	return o.over ? 0 : o.len;
}

size_t
range_part_tail(char *buf, size_t cap, const char *boundary)
{
	struct range_out	 o = { buf, 0, cap, false, false };

	range_tail(&o, boundary);
	return o.over ? 0 : o.len;
}

uint64_t
range_multipart_length(const struct range *r, size_t n, const char *boundary,
    const char *type, uint64_t size)
{
	struct range_out	 o = { NULL, 0, 0, false, true };
	uint64_t		 total = 0;
	size_t			 i;

	/* The same writers, counting, so that the two cannot disagree. */
	for (i = 0; i < n; i++) {
		o.len = 0;
		range_head(&o, boundary, type, &r[i], size);
		total = range_add(total, o.len);
		total = range_add(total, r[i].last - r[i].first + 1);
	}
	o.len = 0;
	range_tail(&o, boundary);
	return range_add(total, o.len);
}

/* Optional whitespace: SP or HTAB. */
static bool
range_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * One range-spec in [p, end), already trimmed: "first-[last]" or
 * "-suffix".  Returns -1 on a syntax error (including last < first),
 * else 0 with *ok telling whether it is satisfiable and *r the range,
 * clipped to the representation.
 */
static int
range_parse_spec(const char *p, const char *end, uint64_t size,
    struct range *r, bool *ok)
{
	uint64_t	 first, last, suffix;

	*ok = false;
	if (*p == '-') {
		p = range_number(p + 1, end, &suffix);
		if (p == NULL || p != end)
			return -1;
		/* A suffix of a zero-length body is unsatisfiable (14.1.3). */
		if (suffix == 0 || size == 0)
			return 0;
		r->first = suffix >= size ? 0 : size - suffix;
		r->last = size - 1;
		*ok = true;
		return 0;
	}
	p = range_number(p, end, &first);
	if (p == NULL || p == end || *p != '-')
		return -1;
	p++;
	if (p == end)
		last = UINT64_MAX;
	else {
		p = range_number(p, end, &last);
		if (p == NULL || p != end || last < first)
			return -1;
	}
	if (first >= size)
		return 0;
	r->first = first;
	r->last = last >= size ? size - 1 : last;
	*ok = true;
	return 0;
}

/*
 * 1*DIGIT at p, saturating at UINT64_MAX.  Returns the first byte after
 * the digits, or NULL if there are none.
 */
static const char *
range_number(const char *p, const char *end, uint64_t *v)
{
	const char	*start = p;
	uint64_t	 d;

	*v = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		d = (uint64_t)(*p - '0');
		if (*v > (UINT64_MAX - d) / 10)
			*v = UINT64_MAX;
		else
			*v = *v * 10 + d;
	}
	return p == start ? NULL : p;
}

/* Sort by first byte and merge ranges that overlap or touch; *n >= 1. */
static void
range_sort_merge(struct range *r, size_t *n)
{
	struct range	 t;
	size_t		 i, j, k;

	for (i = 1; i < *n; i++) {
		t = r[i];
		for (j = i; j > 0 && r[j - 1].first > t.first; j--)
			r[j] = r[j - 1];
		r[j] = t;
	}
	/* last < size <= UINT64_MAX, so last + 1 cannot wrap. */
	for (i = 0, k = 1; k < *n; k++) {
		if (r[k].first <= r[i].last + 1) {
			if (r[k].last > r[i].last)
				r[i].last = r[k].last;
		} else
			r[++i] = r[k];
	}
	*n = i + 1;
}

/* Append n bytes, or mark the output as not fitting; or only count. */
static void
range_put(struct range_out *o, const char *s, size_t n)
{
	if (o->count) {
		o->len += n;
		return;
	}
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Append a NUL-terminated string. */
static void
range_puts(struct range_out *o, const char *s)
{
	range_put(o, s, strlen(s));
}

/* Append v in decimal. */
static void
range_putu(struct range_out *o, uint64_t v)
{
	char	 tmp[RANGE_DIGITS_MAX];
	size_t	 i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	range_put(o, tmp + i, sizeof(tmp) - i);
}

/* One part's delimiter and fields; no Content-Type if type is NULL. */
static void
range_head(struct range_out *o, const char *boundary, const char *type,
    const struct range *r, uint64_t size)
{
	range_puts(o, "\r\n--");
	range_puts(o, boundary);
	if (type != NULL) {
		range_puts(o, "\r\nContent-Type: ");
		range_puts(o, type);
	}
	range_puts(o, "\r\nContent-Range: bytes ");
	range_putu(o, r->first);
	range_puts(o, "-");
	range_putu(o, r->last);
	range_puts(o, "/");
	range_putu(o, size);
	range_puts(o, "\r\n\r\n");
}

/* The close delimiter. */
static void
range_tail(struct range_out *o, const char *boundary)
{
	range_puts(o, "\r\n--");
	range_puts(o, boundary);
	range_puts(o, "--\r\n");
}

/* a + b, saturating: a Content-Length must never wrap to a small one. */
static uint64_t
range_add(uint64_t a, uint64_t b)
{
	return b > UINT64_MAX - a ? UINT64_MAX : a + b;
}
