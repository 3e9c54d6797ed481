/* sluice - ISC licence, see COPYING. */

/*
 * Validators and conditional requests (RFC 9110 sections 8.8 and 13).
 *
 * An ETag is built from the size and the nanosecond mtime alone, so that
 * replicas serving copies of the same files hand out the same tags.
 * HTTP-dates are parsed by position, one parser per form, with every field
 * range-checked, the weekday checked against the date, and the instant
 * computed with days-from-civil arithmetic: timegm(3) is not standard C,
 * and mktime(3) depends on TZ and takes a lock inside libc.  Entity-tag
 * lists are scanned once, to the end, because a malformed list must match
 * nothing even if an earlier member matched.
 *
 * No I/O, locks, logging or allocation; any thread.  The one outside
 * input is the clock, read for the two-digit years of RFC 850 dates.
 */

#include "config.h"

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "cond.h"

#define COND_SECS_PER_DAY	86400
#define COND_YEAR2_AHEAD	50	/* RFC 9110 5.6.7: later is the past */
#define COND_IMF_LEN		29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define COND_ASCTIME_LEN	24	/* "Sun Nov  6 08:49:37 1994" */
#define COND_RFC850_TAIL	22	/* "06-Nov-94 08:49:37 GMT" */
#define COND_HEX_NSEC		0xffffffffUL	/* nsec < 10^9 fits 8 digits */
/* The longest tag before its variant: '"', 16 hex, '-', 16, '.', 8. */
#define COND_ETAG_FIXED		(1 + 16 + 1 + 16 + 1 + 8)

/* Room for the fixed part, "-" and one variant byte, '"' and NUL. */
_Static_assert(COND_ETAG_MAX >= COND_ETAG_FIXED + 4, "COND_ETAG_MAX");

/* A broken-down UTC time as it appears in an HTTP-date. */
struct cond_tm {
	int	 wday;		/* 0 = Sunday */
	int	 year;
	int	 mon;		/* 1-12 */
	int	 mday;
	int	 hour;
	int	 min;
	int	 sec;
};

static size_t	 cond_puthex(char *, uint64_t);
static int	 cond_digits(const char *, size_t);
static int	 cond_month(const char *);
static int	 cond_wday_short(const char *);
static int	 cond_wday_long(const char *, size_t);
static int	 cond_time(const char *, struct cond_tm *);
static int	 cond_parse_imf(const char *, size_t, struct cond_tm *);
static int	 cond_parse_rfc850(const char *, size_t, struct cond_tm *);
static int	 cond_parse_asctime(const char *, size_t, struct cond_tm *);
static int	 cond_year2(int);
static int64_t	 cond_days_from_civil(int64_t, int, int);
static int64_t	 cond_year_of_days(int64_t);
static int	 cond_make_time(const struct cond_tm *, time_t *);
static int	 cond_parse_tag(const char **, const char *, bool *,
		    const char **, size_t *);
static bool	 cond_is_ows(char);

size_t
cond_etag(uint64_t size, time_t sec, long nsec, const char *variant,
    char *buf)
{
	size_t	 n = 0, room;

	/*
	 * A negative sec is written as its 64-bit two's complement and nsec
	 * is cut to 32 bits (a valid one is below 10^9), so the part before
	 * the variant takes at most COND_ETAG_FIXED bytes.  The variant gets
	 * what is left of COND_ETAG_MAX and is cut rather than let overflow
	 * buf; "-br", "-zstd" and "-gzip" always fit for a real file, whose
	 * size and mtime need far fewer digits than the worst case.
	 */
	buf[n++] = '"';
	n += cond_puthex(buf + n, size);
	buf[n++] = '-';
	n += cond_puthex(buf + n, (uint64_t)sec);
	buf[n++] = '.';
	n += cond_puthex(buf + n, (uint64_t)((unsigned long)nsec &
	    COND_HEX_NSEC));
	if (variant != NULL && *variant != '\0') {
		buf[n++] = '-';
		/* Leave room for '"' and NUL. */
		room = COND_ETAG_MAX - n - 2;
		while (*variant != '\0' && room > 0) {
			buf[n++] = *variant++;
			room--;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return n;
}

int
cond_parse_date(const char *s, size_t len, time_t *t)
{
	struct cond_tm	 tm;

	/* The fourth byte tells the forms apart: ',' IMF, ' ' asctime. */
	if (len < 4)
		return -1;
	if (s[3] == ',') {
		if (cond_parse_imf(s, len, &tm) == -1)
			return -1;
	} else if (s[3] == ' ') {
		if (cond_parse_asctime(s, len, &tm) == -1)
			return -1;
	} else if (cond_parse_rfc850(s, len, &tm) == -1)
		return -1;
	return cond_make_time(&tm, t);
}

bool
cond_etag_match(const char *s, size_t len, const char *etag, bool weak)
{
	const char	*p = s, *end = s + len, *e, *eop = NULL, *op;
	size_t		 eoplen = 0, oplen;
	bool		 eweak = false, tweak, matched = false, have;

	/* Our own tag; one that does not parse matches only "*". */
	have = false;
	if (etag != NULL) {
		e = etag;
		have = cond_parse_tag(&e, etag + strlen(etag), &eweak, &eop,
		    &eoplen) == 0 && *e == '\0';
	}

	while (p < end && cond_is_ows(*p))
		p++;
	if (p < end && *p == '*') {
		/* "*" stands alone: it is not a member of a list. */
		p++;
		while (p < end && cond_is_ows(*p))
			p++;
		return p == end && etag != NULL;
	}

	/* #entity-tag: empty members and OWS around commas are allowed. */
	for (;;) {
		while (p < end && (cond_is_ows(*p) || *p == ','))
			p++;
		if (p == end)
			break;
		if (cond_parse_tag(&p, end, &tweak, &op, &oplen) == -1)
			return false;
		if (have && oplen == eoplen && memcmp(op, eop, oplen) == 0 &&
		    (weak || (!tweak && !eweak)))
			matched = true;
		while (p < end && cond_is_ows(*p))
			p++;
		if (p < end && *p != ',')
			return false;
	}
	return matched;
}

enum cond_result
cond_evaluate(const struct cond_request *r, const char *etag,
    time_t last_modified, time_t now)
{
	time_t	 date;

	/* Steps 1 and 2: If-Match, or else If-Unmodified-Since. */
	if (r->if_match != NULL) {
		if (!cond_etag_match(r->if_match, r->if_match_len, etag,
		    false))
			return COND_FAILED;
	} else if (r->if_unmodified_since != NULL &&
	    cond_parse_date(r->if_unmodified_since,
	    r->if_unmodified_since_len, &date) == 0 &&
	    last_modified > date)
		return COND_FAILED;

	/* Steps 3 and 4: If-None-Match, or else If-Modified-Since. */
	if (r->if_none_match != NULL) {
		if (cond_etag_match(r->if_none_match, r->if_none_match_len,
		    etag, true))
			return r->get_or_head ? COND_NOT_MODIFIED : COND_FAILED;
	} else if (r->get_or_head && r->if_modified_since != NULL &&
	    cond_parse_date(r->if_modified_since, r->if_modified_since_len,
	    &date) == 0 && date <= now && last_modified <= date)
		return COND_NOT_MODIFIED;
	return COND_PROCEED;
}

/* Write v in lowercase hex, no leading zeros; returns the digits. */
static size_t
cond_puthex(char *buf, uint64_t v)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 tmp[16];
	size_t			 i = sizeof(tmp), n;

	do {
		tmp[--i] = hex[v & 0xf];
		v >>= 4;
	} while (v != 0);
	n = sizeof(tmp) - i;
	memcpy(buf, tmp + i, n);
	return n;
}

/* The value of exactly n decimal digits at s, or -1. */
static int
cond_digits(const char *s, size_t n)
{
	int	 v = 0;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The month (1-12) named by the three bytes at s, or -1. */
static int
cond_month(const char *s)
{
	static const char	 months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	int			 i;

	/* HTTP-date is case-sensitive (RFC 9110 section 5.6.7). */
	for (i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			return i + 1;
	return -1;
}

/* The weekday (0 = Sunday) abbreviated by the three bytes at s, or -1. */
static int
cond_wday_short(const char *s)
{
	static const char	 days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	int			 i;

	for (i = 0; i < 7; i++)
		if (memcmp(s, days[i], 3) == 0)
			return i;
	return -1;
}

/* The weekday whose full name is s[0..len), or -1. */
static int
cond_wday_long(const char *s, size_t len)
{
	static const char	*days[7] = {
		"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday",
		"Friday", "Saturday"
	};
	int			 i;

	for (i = 0; i < 7; i++)
		if (len == strlen(days[i]) && memcmp(s, days[i], len) == 0)
			return i;
	return -1;
}

/* "HH:MM:SS" at s (eight bytes); ranges are checked later. */
static int
cond_time(const char *s, struct cond_tm *tm)
{
	if (s[2] != ':' || s[5] != ':')
		return -1;
	tm->hour = cond_digits(s, 2);
	tm->min = cond_digits(s + 3, 2);
	tm->sec = cond_digits(s + 6, 2);
	if (tm->hour == -1 || tm->min == -1 || tm->sec == -1)
		return -1;
	return 0;
}

/* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT". */
static int
cond_parse_imf(const char *s, size_t len, struct cond_tm *tm)
{
	if (len != COND_IMF_LEN || s[3] != ',' || s[4] != ' ' ||
	    s[7] != ' ' || s[11] != ' ' || s[16] != ' ' || s[25] != ' ' ||
	    memcmp(s + 26, "GMT", 3) != 0)
		return -1;
	if ((tm->wday = cond_wday_short(s)) == -1 ||
	    (tm->mday = cond_digits(s + 5, 2)) == -1 ||
	    (tm->mon = cond_month(s + 8)) == -1 ||
	    (tm->year = cond_digits(s + 12, 4)) == -1)
		return -1;
	return cond_time(s + 17, tm);
}

/* RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". */
static int
cond_parse_rfc850(const char *s, size_t len, struct cond_tm *tm)
{
	const char	*c, *d;
	int		 yy;

	c = memchr(s, ',', len);
	if (c == NULL || (size_t)(s + len - c) != 2 + COND_RFC850_TAIL ||
	    c[1] != ' ')
		return -1;
	d = c + 2;
	if (d[2] != '-' || d[6] != '-' || d[9] != ' ' || d[18] != ' ' ||
	    memcmp(d + 19, "GMT", 3) != 0)
		return -1;
	if ((tm->wday = cond_wday_long(s, (size_t)(c - s))) == -1 ||
	    (tm->mday = cond_digits(d, 2)) == -1 ||
	    (tm->mon = cond_month(d + 3)) == -1 ||
	    (yy = cond_digits(d + 7, 2)) == -1)
		return -1;
	tm->year = cond_year2(yy);
	return cond_time(d + 10, tm);
}

/* asctime: "Sun Nov  6 08:49:37 1994" (the day is " 6" or "06"). */
static int
cond_parse_asctime(const char *s, size_t len, struct cond_tm *tm)
{
	if (len != COND_ASCTIME_LEN || s[3] != ' ' || s[7] != ' ' ||
	    s[10] != ' ' || s[19] != ' ')
		return -1;
	if ((tm->wday = cond_wday_short(s)) == -1 ||
	    (tm->mon = cond_month(s + 4)) == -1 ||
	    (tm->year = cond_digits(s + 20, 4)) == -1)
		return -1;
	if (s[8] == ' ')
		tm->mday = cond_digits(s + 9, 1);
	else
		tm->mday = cond_digits(s + 8, 2);
	if (tm->mday == -1)
		return -1;
	return cond_time(s + 11, tm);
}

/*
 * The year of a two-digit RFC 850 year: the latest year ending in those
 * digits that is at most COND_YEAR2_AHEAD years after the current one
 * (RFC 9110 section 5.6.7), so that "94" stays 1994 until 2044.  One
 * modulo instead of a century guess and corrections: the same code runs
 * whatever the current year.
 */
static int
cond_year2(int yy)
{
	int64_t	 cur, limit;
	time_t	 now;

	now = time(NULL);
	cur = cond_year_of_days((int64_t)(now / COND_SECS_PER_DAY -
	    (now % COND_SECS_PER_DAY < 0)));
	/* limit - yy > 0 for any clock after year 49, so % is a modulo. */
	limit = cur + COND_YEAR2_AHEAD;
	return (int)(limit - (limit - yy) % 100);
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (Howard Hinnant's days_from_civil): the year is taken to start in
 * March so that the leap day is last, and eras of 400 years repeat.
 */
static int64_t
cond_days_from_civil(int64_t y, int m, int d)
{
	int64_t	 era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The civil year of a day count from 1970-01-01 (the inverse of above). */
static int64_t
cond_year_of_days(int64_t z)
{
	int64_t	 era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);
}

/*
 * Check the fields (a leap second, :60, is allowed and counts as the
 * next second) and the weekday, and compute the instant.  A date that
 * time_t cannot hold is invalid.
 */
static int
cond_make_time(const struct cond_tm *tm, time_t *t)
{
	static const int	 mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int64_t			 days, v;
	bool			 leap;

	if (tm->mon < 1 || tm->mon > 12 || tm->mday < 1 ||
	    tm->mday > mdays[tm->mon - 1] || tm->hour > 23 || tm->min > 59 ||
	    tm->sec > 60)
		return -1;
	leap = (tm->year % 4 == 0 && tm->year % 100 != 0) ||
	    tm->year % 400 == 0;
	if (tm->mon == 2 && tm->mday == 29 && !leap)
		return -1;
	days = cond_days_from_civil(tm->year, tm->mon, tm->mday);
	/* 1970-01-01 was a Thursday. */
	if (((days + 4) % 7 + 7) % 7 != tm->wday)
		return -1;
	v = days * COND_SECS_PER_DAY + tm->hour * 3600 + tm->min * 60 +
	    tm->sec;
	if ((int64_t)(time_t)v != v)
		return -1;
	*t = (time_t)v;
	return 0;
}

/*
 * Parse one entity-tag at *pp: [W/] DQUOTE *etagc DQUOTE, etagc being
 * %x21 / %x23-7E / obs-text (RFC 9110 section 8.8.3).  Sets *weak and
 * the opaque bytes between the quotes, advances *pp past the tag.
 * Returns 0 or -1.  The W is case-sensitive; there is no escaping.
 */
static int
cond_parse_tag(const char **pp, const char *end, bool *weak,
    const char **op, size_t *oplen)
{
	const char	*p = *pp;
	unsigned char	 c;

	*weak = false;
	if (end - p >= 2 && p[0] == 'W' && p[1] == '/') {
		*weak = true;
		p += 2;
	}
	if (p == end || *p != '"')
		return -1;
	*op = ++p;
	for (; p < end && *p != '"'; p++) {
		c = (unsigned char)*p;
		if (c < 0x21 || c == 0x7f)
			return -1;
	}
	if (p == end)
		return -1;
	*oplen = (size_t)(p - *op);
	*pp = p + 1;
	return 0;
}

/* Optional whitespace: SP or HTAB. */
static bool
cond_is_ows(char c)
{
	return c == ' ' || c == '\t';
}
