/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for cond.c: ETags, HTTP-dates, entity-tag lists and the
 * precondition order of RFC 9110 section 13.2.2.
 *
 * Every input is copied to end exactly at a PROT_NONE page (struct
 * guard), so a read past len faults; cond_etag writes into a buffer of
 * COND_ETAG_MAX bytes that ends at one too.  Valid dates are also parsed
 * at every truncated length, each of which must fail, and a sweep over
 * years 0 to 9999 compares cond_parse_date with gmtime_r(3).
 *
 * cond.c reads the clock, for RFC 850's two-digit years, through
 * time(3); this file defines time() (a link-time seam: the executable's
 * definition wins over libc's), so that "now" can be set to the
 * instants where the century rule turns.
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

#include "cond.h"

#define GUARD_DATA	4096	/* room before the PROT_NONE page */
#define DATE_BUF	64	/* a formatted test date */
#define SWEEP_STEP	(86400LL * 13 + 3607)	/* ~24000 instants */
#define YEAR0_T		(-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define YEAR9999_T	253402300799LL		/* 9999-12-31T23:59:59Z */

/* A string literal and its length. */
#define S(x)		(x), (sizeof(x) - 1)

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct date_case {
	const char	*in;
	long long	 t;
};

struct match_case {
	const char	*list;
	const char	*etag;
	bool		 weak;
	bool		 match;
};

struct eval_case {
	const char		*name;
	bool			 get_or_head;
	const char		*im;	/* If-Match; NULL: absent */
	const char		*inm;	/* If-None-Match */
	const char		*ims;	/* If-Modified-Since */
	const char		*ius;	/* If-Unmodified-Since */
	enum cond_result	 result;
};

time_t		 time(time_t *);
static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const char *, size_t);
static int	 parse_at(struct guard *, const char *, size_t, time_t *);
static bool	 match_at(struct guard *, const char *, const char *, bool);
static void	 format_date(int, const struct tm *, char *, size_t);

/* The clock the module sees, if fake_clock. */
static bool		 fake_clock;
static long long	 fake_now;

static const char *const wday_short[7] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const wday_long[7] = {
	"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	"Saturday"
};
static const char *const month_name[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * Two-digit RFC 850 years here are 94, which stays 1994 until 2044;
 * test_cond_parse_date_rfc850_century covers the rule around "now".
 */
static const struct date_case valid_dates[] = {
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 784111777 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 784111777 },
	{ "Sun Nov  6 08:49:37 1994", 784111777 },
	{ "Sun Nov 06 08:49:37 1994", 784111777 },
	{ "Wed, 16 Nov 1994 08:49:37 GMT", 784975777 },
	{ "Wednesday, 16-Nov-94 08:49:37 GMT", 784975777 },
	{ "Wed Nov 16 08:49:37 1994", 784975777 },
	{ "Thu, 01 Jan 1970 00:00:00 GMT", 0 },
	{ "Thu Jan  1 00:00:00 1970", 0 },
	{ "Wed, 31 Dec 1969 23:59:59 GMT", -1 },
	{ "Sun, 09 Sep 2001 01:46:40 GMT", 1000000000 },
	{ "Tue, 19 Jan 2038 03:14:07 GMT", 2147483647 },
	{ "Tue, 19 Jan 2038 03:14:08 GMT", 2147483648LL },
	{ "Sun, 07 Feb 2106 06:28:16 GMT", 4294967296LL },
	{ "Fri, 31 Dec 9999 23:59:59 GMT", YEAR9999_T },
	{ "Fri Dec 31 23:59:59 9999", YEAR9999_T },
	{ "Sat, 01 Jan 0000 00:00:00 GMT", YEAR0_T },
	{ "Mon, 01 Jan 0001 00:00:00 GMT", -62135596800LL },
	{ "Wed, 01 Jan 1000 00:00:00 GMT", -30610224000LL },
	{ "Thu, 01 Mar 1900 00:00:00 GMT", -2203891200LL },
	{ "Tue, 29 Feb 2000 12:00:00 GMT", 951825600 },
	{ "Thu, 29 Feb 2024 00:00:00 GMT", 1709164800 },
	/* A leap second is the next second. */
	{ "Sat, 31 Dec 2016 23:59:60 GMT", 1483228800 },
	{ "Sat, 31 Dec 2016 23:59:59 GMT", 1483228799 },
};

static const char *const invalid_dates[] = {
	"",
	"Sun",
	"Sun,",
	"GMT",
	/* Day names: unknown, wrong for the date, wrong case or form. */
	"Sux, 06 Nov 1994 08:49:37 GMT",
	"Mon, 06 Nov 1994 08:49:37 GMT",
	"sun, 06 Nov 1994 08:49:37 GMT",
	"SUN, 06 Nov 1994 08:49:37 GMT",
	"Sunday, 06 Nov 1994 08:49:37 GMT",
	"Sun, 06-Nov-94 08:49:37 GMT",
	"Sundae, 06-Nov-94 08:49:37 GMT",
	"Monday, 06-Nov-94 08:49:37 GMT",
	"Sunday 06-Nov-94 08:49:37 GMT",
	"Mon Nov  6 08:49:37 1994",
	"Sunday Nov  6 08:49:37 1994",
	/* Months. */
	"Sun, 06 Nok 1994 08:49:37 GMT",
	"Sun, 06 nov 1994 08:49:37 GMT",
	"Sun, 06 NOV 1994 08:49:37 GMT",
	"Sunday, 06-nov-94 08:49:37 GMT",
	"Sun Nvo  6 08:49:37 1994",
	/* Days of the month. */
	"Thu, 30 Feb 2023 00:00:00 GMT",
	"Fri, 30 Feb 2024 00:00:00 GMT",
	"Thu, 29 Feb 1900 00:00:00 GMT",
	"Wed, 29 Feb 2023 00:00:00 GMT",
	"Sat, 31 Apr 2023 00:00:00 GMT",
	"Wed, 32 Jan 2023 00:00:00 GMT",
	"Sat, 00 Jan 2000 00:00:00 GMT",
	"Sun Nov  0 08:49:37 1994",
	"Sun Nov 31 08:49:37 1994",
	/* Times. */
	"Mon, 07 Nov 1994 24:00:00 GMT",
	"Sun, 06 Nov 1994 23:60:00 GMT",
	"Sun, 06 Nov 1994 23:59:61 GMT",
	"Sun, 06 Nov 1994 99:99:99 GMT",
	"Sun, 06 Nov 1994 08:49 GMT",
	"Sun, 06 Nov 1994 08-49-37 GMT",
	"Sun, 06 Nov 1994 8:49:37 GMT",
	"Sun, 06 Nov 1994 08:49:3 GMT",
	"Sunday, 06-Nov-94 24:00:00 GMT",
	"Sun Nov  6 24:49:37 1994",
	/* Zone and trailing bytes. */
	"Sun, 06 Nov 1994 08:49:37",
	"Sun, 06 Nov 1994 08:49:37 UTC",
	"Sun, 06 Nov 1994 08:49:37 gmt",
	"Sun, 06 Nov 1994 08:49:37 GMT ",
	"Sun, 06 Nov 1994 08:49:37 GMTx",
	"Sun, 06 Nov 1994 08:49:37 GMT, x",
	"Sun, 06 Nov 1994 08:49:37 +0000",
	"Sunday, 06-Nov-94 08:49:37",
	"Sunday, 06-Nov-94 08:49:37 GMT ",
	"Sun Nov  6 08:49:37 1994 GMT",
	"Sun Nov  6 08:49:37 1994 ",
	/* Spacing and digits. */
	" Sun, 06 Nov 1994 08:49:37 GMT",
	"Sun,  06 Nov 1994 08:49:37 GMT",
	"Sun, 6 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov 94 08:49:37 GMT",
	"Sun, 06 Nov 01994 08:49:37 GMT",
	"Sun, +6 Nov 1994 08:49:37 GMT",
	"Sun, 06 Nov 19x4 08:49:37 GMT",
	"Sun,\t06 Nov 1994 08:49:37 GMT",
	"Sunday, 06-Nov-1994 08:49:37 GMT",
	"Sunday, 6-Nov-94 08:49:37 GMT",
	"Sunday,06-Nov-94 08:49:37 GMT",
	"Sun Nov 6 08:49:37 1994",
	"Sun Nov  6 08:49:37 94",
	"Sun Nov 6  08:49:37 1994",
	"Sun  Nov 6 08:49:37 1994",
	"Sun Nov x6 08:49:37 1994",
	"1994-11-06T08:49:37Z",
	"784111777",
};

static const struct match_case match_cases[] = {
	/* Strong comparison (If-Match). */
	{ "\"abc\"", "\"abc\"", false, true },
	{ "\"abc\"", "\"abd\"", false, false },
	{ "\"abc\"", "\"ab\"", false, false },
	{ "\"ab\"", "\"abc\"", false, false },
	{ "W/\"abc\"", "\"abc\"", false, false },
	{ "\"abc\"", "W/\"abc\"", false, false },
	{ "W/\"abc\"", "W/\"abc\"", false, false },
	{ "\"\"", "\"\"", false, true },
	{ "\"x\", \"abc\"", "\"abc\"", false, true },
	{ "W/\"abc\", \"abc\"", "\"abc\"", false, true },
	{ "\"ABC\"", "\"abc\"", false, false },
	/* Weak comparison (If-None-Match). */
	{ "\"abc\"", "\"abc\"", true, true },
	{ "W/\"abc\"", "\"abc\"", true, true },
	{ "\"abc\"", "W/\"abc\"", true, true },
	{ "W/\"abc\"", "W/\"abc\"", true, true },
	{ "W/\"abd\"", "\"abc\"", true, false },
	/* "*". */
	{ "*", "\"abc\"", false, true },
	{ "*", "\"abc\"", true, true },
	{ " * ", "\"abc\"", true, true },
	{ "*", NULL, true, false },
	{ "*, \"abc\"", "\"abc\"", true, false },
	{ "\"abc\", *", "\"abc\"", true, false },
	{ "**", "\"abc\"", true, false },
	/* Lists: OWS, empty members. */
	{ "\"a\",\"b\",\"abc\"", "\"abc\"", true, true },
	{ "\"a\" , \"abc\" ", "\"abc\"", true, true },
	{ "\t\"a\"\t,\t\"abc\"\t", "\"abc\"", true, true },
	{ ",\"abc\"", "\"abc\"", true, true },
	{ "\"abc\",", "\"abc\"", true, true },
	{ "\"a\",,, ,\"abc\"", "\"abc\"", true, true },
	{ "\"a\", \"b\"", "\"abc\"", true, false },
	{ "", "\"abc\"", true, false },
	{ ", ,", "\"abc\"", true, false },
	/* Malformed: the whole list matches nothing. */
	{ "abc", "\"abc\"", true, false },
	{ "\"abc", "\"abc\"", true, false },
	{ "abc\"", "\"abc\"", true, false },
	{ "\"abc\" \"abc\"", "\"abc\"", true, false },
	{ "\"abc\"\"abc\"", "\"abc\"", true, false },
	{ "\"abc\", xyz", "\"abc\"", true, false },
	{ "\"abc\", \"x", "\"abc\"", true, false },
	{ "w/\"abc\"", "\"abc\"", true, false },
	{ "W /\"abc\"", "\"abc\"", true, false },
	{ "W/ \"abc\"", "\"abc\"", true, false },
	{ "W\"abc\"", "\"abc\"", true, false },
	{ "W/", "\"abc\"", true, false },
	{ "\"a c\"", "\"a c\"", true, false },
	{ "\"a\tc\"", "\"a\tc\"", true, false },
	{ "\"a\x7f" "c\"", "\"a\x7f" "c\"", true, false },
	{ "\"a\\\"", "\"a\\\"", true, true },
	{ "\"\xc3\xa9\"", "\"\xc3\xa9\"", true, true },
	/* Our own tag must be one well-formed tag. */
	{ "\"abc\"", "abc", true, false },
	{ "*", "abc", true, true },
};

static const char	 ev_etag[] = "\"3e8-2ebc98a1.0\"";
#define EV_LM		784111777	/* Last-Modified */
#define EV_NOW		1000000000
#define EV_SAME		"Sun, 06 Nov 1994 08:49:37 GMT"	/* == EV_LM */
#define EV_BEFORE	"Sun, 06 Nov 1994 08:49:36 GMT"	/* EV_LM - 1 */
#define EV_AFTER	"Sun, 06 Nov 1994 08:49:38 GMT"	/* EV_LM + 1 */
#define EV_FUTURE	"Sun, 09 Sep 2001 01:46:41 GMT"	/* EV_NOW + 1 */
#define EV_AT_NOW	"Sun, 09 Sep 2001 01:46:40 GMT"	/* EV_NOW */

static const struct eval_case eval_cases[] = {
	{ "nothing", true, NULL, NULL, NULL, NULL, COND_PROCEED },
	{ "nothing, POST", false, NULL, NULL, NULL, NULL, COND_PROCEED },

	/* Step 1: If-Match, strong. */
	{ "IM match", true, ev_etag, NULL, NULL, NULL, COND_PROCEED },
	{ "IM *", false, "*", NULL, NULL, NULL, COND_PROCEED },
	{ "IM list", false, "\"x\", \"3e8-2ebc98a1.0\"", NULL, NULL, NULL,
	    COND_PROCEED },
	{ "IM mismatch", true, "\"x\"", NULL, NULL, NULL, COND_FAILED },
	{ "IM weak never", true, "W/\"3e8-2ebc98a1.0\"", NULL, NULL, NULL,
	    COND_FAILED },
	{ "IM malformed", true, "3e8-2ebc98a1.0", NULL, NULL, NULL,
	    COND_FAILED },
	{ "IM empty", true, "", NULL, NULL, NULL, COND_FAILED },
	{ "IM mismatch beats INM", true, "\"x\"", "\"y\"", NULL, NULL,
	    COND_FAILED },
	{ "IM mismatch beats INM match", true, "\"x\"", ev_etag, NULL, NULL,
	    COND_FAILED },

	/* Step 2: If-Unmodified-Since, only without If-Match. */
	{ "IUS same", true, NULL, NULL, NULL, EV_SAME, COND_PROCEED },
	{ "IUS later", false, NULL, NULL, NULL, EV_AFTER, COND_PROCEED },
	{ "IUS earlier", true, NULL, NULL, NULL, EV_BEFORE, COND_FAILED },
	{ "IUS earlier, POST", false, NULL, NULL, NULL, EV_BEFORE,
	    COND_FAILED },
	{ "IUS invalid ignored", true, NULL, NULL, NULL, "yesterday",
	    COND_PROCEED },
	{ "IUS ignored after IM", true, ev_etag, NULL, NULL, EV_BEFORE,
	    COND_PROCEED },
	{ "IUS ignored after IM *", false, "*", NULL, NULL, EV_BEFORE,
	    COND_PROCEED },

	/* Step 3: If-None-Match, weak. */
	{ "INM match GET", true, NULL, ev_etag, NULL, NULL,
	    COND_NOT_MODIFIED },
	{ "INM weak match GET", true, NULL, "W/\"3e8-2ebc98a1.0\"", NULL,
	    NULL, COND_NOT_MODIFIED },
	{ "INM * GET", true, NULL, "*", NULL, NULL, COND_NOT_MODIFIED },
	{ "INM list GET", true, NULL, "\"a\", W/\"3e8-2ebc98a1.0\"", NULL,
	    NULL, COND_NOT_MODIFIED },
	{ "INM match POST", false, NULL, ev_etag, NULL, NULL, COND_FAILED },
	{ "INM * POST", false, NULL, "*", NULL, NULL, COND_FAILED },
	{ "INM mismatch", true, NULL, "\"x\"", NULL, NULL, COND_PROCEED },
	{ "INM malformed", true, NULL, "x", NULL, NULL, COND_PROCEED },
	{ "IM and INM match", true, ev_etag, ev_etag, NULL, NULL,
	    COND_NOT_MODIFIED },
	{ "IUS ok and INM match", true, NULL, ev_etag, NULL, EV_SAME,
	    COND_NOT_MODIFIED },
	{ "IUS fails before INM", true, NULL, ev_etag, NULL, EV_BEFORE,
	    COND_FAILED },

	/* INM present makes IMS ignored, whatever INM says. */
	{ "INM mismatch ignores IMS", true, NULL, "\"x\"", EV_SAME, NULL,
	    COND_PROCEED },
	{ "INM malformed ignores IMS", true, NULL, "x", EV_SAME, NULL,
	    COND_PROCEED },
	{ "INM empty ignores IMS", true, NULL, "", EV_SAME, NULL,
	    COND_PROCEED },
	{ "INM match with stale IMS", true, NULL, ev_etag, EV_BEFORE, NULL,
	    COND_NOT_MODIFIED },

	/* Step 4: If-Modified-Since, GET and HEAD only. */
	{ "IMS same", true, NULL, NULL, EV_SAME, NULL, COND_NOT_MODIFIED },
	{ "IMS later", true, NULL, NULL, EV_AFTER, NULL, COND_NOT_MODIFIED },
	{ "IMS at now", true, NULL, NULL, EV_AT_NOW, NULL,
	    COND_NOT_MODIFIED },
	{ "IMS RFC 850", true, NULL, NULL, "Sunday, 06-Nov-94 08:49:37 GMT",
	    NULL, COND_NOT_MODIFIED },
	{ "IMS asctime", true, NULL, NULL, "Sun Nov  6 08:49:37 1994", NULL,
	    COND_NOT_MODIFIED },
	{ "IMS earlier", true, NULL, NULL, EV_BEFORE, NULL, COND_PROCEED },
	{ "IMS future ignored", true, NULL, NULL, EV_FUTURE, NULL,
	    COND_PROCEED },
	{ "IMS invalid ignored", true, NULL, NULL, "Sun, 06 Nov 1994", NULL,
	    COND_PROCEED },
	{ "IMS empty ignored", true, NULL, NULL, "", NULL, COND_PROCEED },
	{ "IMS two dates ignored", true, NULL, NULL, EV_SAME ", " EV_SAME,
	    NULL, COND_PROCEED },
	{ "IMS POST ignored", false, NULL, NULL, EV_SAME, NULL,
	    COND_PROCEED },
	{ "IM match then IMS", true, ev_etag, NULL, EV_SAME, NULL,
	    COND_NOT_MODIFIED },
	{ "IUS ok then IMS", true, NULL, NULL, EV_SAME, EV_SAME,
	    COND_NOT_MODIFIED },
	{ "IUS fails before IMS", true, NULL, NULL, EV_SAME, EV_BEFORE,
	    COND_FAILED },
};

/* The seam: cond.c's calls to time(3) land here. */
time_t
time(time_t *tp)
{
	struct timespec	 ts;
	time_t		 t;

	if (fake_clock)
		t = (time_t)fake_now;
	else {
		clock_gettime(CLOCK_REALTIME, &ts);
		t = ts.tv_sec;
	}
	if (tp != NULL)
		*tp = t;
	return t;
}

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

/* cond_parse_date on a guarded copy of s[0..n). */
static int
parse_at(struct guard *g, const char *s, size_t n, time_t *t)
{
	return cond_parse_date(guard_place(g, s, n), n, t);
}

/* cond_etag_match on a guarded copy of the list. */
static bool
match_at(struct guard *g, const char *list, const char *etag, bool weak)
{
	size_t	 n = strlen(list);

	return cond_etag_match(guard_place(g, list, n), n, etag, weak);
}

/*
 * Format tm in form 0 (IMF-fixdate), 1 (RFC 850) or 2 (asctime), from
 * our own tables: strftime's names and padding depend on the locale.
 */
static void
format_date(int form, const struct tm *tm, char *buf, size_t len)
{
	int	 y = tm->tm_year + 1900;

	if (form == 0)
		snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		    wday_short[tm->tm_wday], tm->tm_mday,
		    month_name[tm->tm_mon], y, tm->tm_hour, tm->tm_min,
		    tm->tm_sec);
	else if (form == 1)
		snprintf(buf, len, "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
		    wday_long[tm->tm_wday], tm->tm_mday,
		    month_name[tm->tm_mon], y % 100, tm->tm_hour,
		    tm->tm_min, tm->tm_sec);
	else
		snprintf(buf, len, "%s %s %2d %02d:%02d:%02d %04d",
		    wday_short[tm->tm_wday], month_name[tm->tm_mon],
		    tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, y);
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

/* The documented format, in lowercase hex. */
static void
test_cond_etag_format(void **state)
{
	char	 buf[COND_ETAG_MAX];
	size_t	 n;

	(void)state;
	n = cond_etag(1000, 784111777, 0, NULL, buf);
	assert_string_equal(buf, "\"3e8-2ebc98a1.0\"");
	assert_int_equal(n, strlen(buf));
	n = cond_etag(1000, 784111777, 999999999, NULL, buf);
	assert_string_equal(buf, "\"3e8-2ebc98a1.3b9ac9ff\"");
	assert_int_equal(n, strlen(buf));
	n = cond_etag(0, 0, 0, NULL, buf);
	assert_string_equal(buf, "\"0-0.0\"");
	assert_int_equal(n, 7);
	n = cond_etag(0xabcdef, 0x10, 0x1, "", buf);
	assert_string_equal(buf, "\"abcdef-10.1\"");
	assert_int_equal(n, strlen(buf));
}

/* A variant goes inside the quotes, so each encoding has its own tag. */
static void
test_cond_etag_variant(void **state)
{
	char	 a[COND_ETAG_MAX], b[COND_ETAG_MAX], c[COND_ETAG_MAX];
	size_t	 n;

	(void)state;
	n = cond_etag(1000, 784111777, 5, "br", a);
	assert_string_equal(a, "\"3e8-2ebc98a1.5-br\"");
	assert_int_equal(n, strlen(a));
	cond_etag(1000, 784111777, 5, "gzip", b);
	assert_string_equal(b, "\"3e8-2ebc98a1.5-gzip\"");
	cond_etag(1000, 784111777, 5, NULL, c);
	assert_string_equal(c, "\"3e8-2ebc98a1.5\"");
	/* Each tag matches itself only. */
	assert_true(cond_etag_match(a, strlen(a), a, false));
	assert_false(cond_etag_match(a, strlen(a), b, true));
	assert_false(cond_etag_match(c, strlen(c), a, true));
}

/* A change of size, second or nanosecond changes the tag. */
static void
test_cond_etag_distinct(void **state)
{
	char	 a[COND_ETAG_MAX], b[COND_ETAG_MAX];

	(void)state;
	cond_etag(10, 100, 1, NULL, a);
	cond_etag(10, 100, 2, NULL, b);
	assert_string_not_equal(a, b);
	cond_etag(11, 100, 1, NULL, b);
	assert_string_not_equal(a, b);
	cond_etag(10, 101, 1, NULL, b);
	assert_string_not_equal(a, b);
	/* The fields are delimited: 0x1-0x23 differs from 0x12-0x3. */
	cond_etag(0x1, 0x23, 0, NULL, a);
	cond_etag(0x12, 0x3, 0, NULL, b);
	assert_string_not_equal(a, b);
}

/*
 * The largest inputs stay within COND_ETAG_MAX, written into a buffer
 * that ends at the PROT_NONE page; the tag is still well-formed.
 */
static void
test_cond_etag_extremes(void **state)
{
	struct guard	*g = *state;
	char		*buf = g->base + g->size - COND_ETAG_MAX;
	const char	*variants[] = { NULL, "br", "zstd", "gzip",
	    "a-much-longer-variant-than-any-coding-name" };
	size_t		 i, n;

	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		n = cond_etag(UINT64_MAX, (time_t)-1, 999999999, variants[i],
		    buf);
		assert_true(n <= COND_ETAG_MAX - 1);
		assert_int_equal(strlen(buf), n);
		assert_int_equal(buf[0], '"');
		assert_int_equal(buf[n - 1], '"');
		assert_true(cond_etag_match(buf, n, buf, false));
		n = cond_etag(UINT64_MAX, (time_t)-1, -1L, variants[i], buf);
		assert_true(n <= COND_ETAG_MAX - 1);
		assert_int_equal(strlen(buf), n);
	}
	/* A real file's tag keeps its whole variant. */
	n = cond_etag(UINT64_C(1) << 40, (time_t)4102444800LL, 999999999,
	    "zstd", buf);
	assert_string_equal(buf, "\"10000000000-f4865700.3b9ac9ff-zstd\"");
	assert_int_equal(n, strlen(buf));
}

/* Every valid date in each form gives its instant. */
static void
test_cond_parse_date_valid(void **state)
{
	size_t	 i;
	time_t	 t;

	for (i = 0; i < sizeof(valid_dates) / sizeof(valid_dates[0]); i++) {
		t = 12345;
		/* With a 32-bit time_t, what it cannot hold is invalid. */
		if ((long long)(time_t)valid_dates[i].t != valid_dates[i].t) {
			if (parse_at(*state, valid_dates[i].in,
			    strlen(valid_dates[i].in), &t) != -1)
				fail_msg("\"%s\": accepted", valid_dates[i].in);
			continue;
		}
		if (parse_at(*state, valid_dates[i].in,
		    strlen(valid_dates[i].in), &t) != 0)
			fail_msg("\"%s\": rejected", valid_dates[i].in);
		if ((long long)t != valid_dates[i].t)
			fail_msg("\"%s\": %lld, want %lld", valid_dates[i].in,
			    (long long)t, valid_dates[i].t);
	}
}

/* The three forms of RFC 9110's example are the same instant. */
static void
test_cond_parse_date_forms_equal(void **state)
{
	time_t	 a = 0, b = 1, c = 2;

	assert_int_equal(parse_at(*state,
	    S("Sun, 06 Nov 1994 08:49:37 GMT"), &a), 0);
	assert_int_equal(parse_at(*state,
	    S("Sunday, 06-Nov-94 08:49:37 GMT"), &b), 0);
	assert_int_equal(parse_at(*state, S("Sun Nov  6 08:49:37 1994"), &c),
	    0);
	assert_true(a == 784111777);
	assert_true(a == b && b == c);
}

/* Every invalid date is refused and leaves *t alone. */
static void
test_cond_parse_date_invalid(void **state)
{
	size_t	 i;
	time_t	 t;

	for (i = 0; i < sizeof(invalid_dates) / sizeof(invalid_dates[0]);
	    i++) {
		t = 12345;
		if (parse_at(*state, invalid_dates[i],
		    strlen(invalid_dates[i]), &t) != -1)
			fail_msg("\"%s\": accepted as %lld", invalid_dates[i],
			    (long long)t);
		if (t != 12345)
			fail_msg("\"%s\": *t changed", invalid_dates[i]);
	}
}

/* Every proper prefix of every valid date, ending at the guard, fails. */
static void
test_cond_parse_date_truncated(void **state)
{
	size_t	 i, k, n;
	time_t	 t;

	for (i = 0; i < sizeof(valid_dates) / sizeof(valid_dates[0]); i++) {
		n = strlen(valid_dates[i].in);
		for (k = 0; k < n; k++) {
			if (parse_at(*state, valid_dates[i].in, k, &t) != -1)
				fail_msg("\"%.*s\": prefix of %zu accepted",
				    (int)k, valid_dates[i].in, k);
		}
	}
}

/* A NUL inside the value is not the end of it. */
static void
test_cond_parse_date_embedded_nul(void **state)
{
	time_t	 t;

	assert_int_equal(parse_at(*state,
	    S("Sun, 06 Nov 1994 08:49:37 GMT\0"), &t), -1);
	assert_int_equal(parse_at(*state,
	    S("Sun, 06 Nov 1994 08:49:37 GM\0"), &t), -1);
	assert_int_equal(parse_at(*state,
	    S("Sun Nov \0006 08:49:37 1994"), &t), -1);
}

/*
 * The IMF-fixdate and asctime forms of instants from year 0 to 9999
 * agree with gmtime_r; so do RFC 850 dates within the 100 years that
 * the two-digit rule maps to themselves.
 */
static void
test_cond_parse_date_sweep(void **state)
{
	struct tm	 tm, ntm;
	char		 buf[DATE_BUF];
	long long	 v;
	time_t		 t, now, got;
	int		 form, cur;

	now = time(NULL);
	assert_non_null(gmtime_r(&now, &ntm));
	cur = ntm.tm_year + 1900;
	for (v = YEAR0_T; v <= YEAR9999_T; v += SWEEP_STEP) {
		if ((long long)(time_t)v != v)
			continue;
		t = (time_t)v;
		assert_non_null(gmtime_r(&t, &tm));
		for (form = 0; form < 3; form++) {
			if (form == 1 && (tm.tm_year + 1900 <= cur - 50 ||
			    tm.tm_year + 1900 > cur + 50))
				continue;
			format_date(form, &tm, buf, sizeof(buf));
			got = 0;
			if (parse_at(*state, buf, strlen(buf), &got) != 0)
				fail_msg("\"%s\": rejected", buf);
			if (got != t)
				fail_msg("\"%s\": %lld, want %lld", buf,
				    (long long)got, v);
		}
	}
}

/*
 * RFC 9110 5.6.7: a two-digit year more than 50 years in the future is
 * in the past century.  For each "now" (the real one, then the turns of
 * years and centuries, late February, before 1970) and each two-digit
 * year, the date must land in the latest year with those digits that is
 * at most 50 years after the current one.
 */
static void
test_cond_parse_date_rfc850_century(void **state)
{
	static const long long	 nows[] = {
		0,			/* unused: the real clock */
		0,			/* 1970-01-01T00:00:00 */
		-1,			/* 1969-12-31T23:59:59 */
		-86401,			/* 1969-12-30T23:59:59 */
		-2208988800LL,		/* 1900-01-01 */
		946684799,		/* 1999-12-31T23:59:59 */
		946684800,		/* 2000-01-01 */
		1709164800,		/* 2024-02-29 */
		1735689599,		/* 2024-12-31T23:59:59 */
		1735689600,		/* 2025-01-01 */
		1740787199,		/* 2025-02-28T23:59:59 */
		1740787200,		/* 2025-03-01 */
		2524607999LL,		/* 2049-12-31T23:59:59 */
		2524608000LL,		/* 2050-01-01 */
		2556143999LL,		/* 2050-12-31T23:59:59 */
		2556144000LL,		/* 2051-01-01 */
		4102444799LL,		/* 2099-12-31T23:59:59 */
		4102444800LL,		/* 2100-01-01 */
		4107542400LL,		/* 2100-03-01 */
	};
	struct tm		 tm, want;
	char			 buf[DATE_BUF];
	time_t			 now, t, got;
	size_t			 i;
	int			 cur, yy, y;

	for (i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		fake_clock = i > 0;
		fake_now = nows[i];
		now = time(NULL);
		assert_non_null(gmtime_r(&now, &tm));
		cur = tm.tm_year + 1900;
		for (yy = 0; yy < 100; yy++) {
			/* The latest year ending in yy, at most cur + 50. */
			for (y = cur + 50; y % 100 != yy; y--)
				;
			/* June 15th of it, noon, with its weekday. */
			memset(&want, 0, sizeof(want));
			want.tm_year = y - 1900;
			want.tm_mon = 5;
			want.tm_mday = 15;
			want.tm_hour = 12;
			t = timegm(&want);
			assert_non_null(gmtime_r(&t, &want));
			format_date(1, &want, buf, sizeof(buf));
			got = 0;
			if (parse_at(*state, buf, strlen(buf), &got) != 0)
				fail_msg("\"%s\" (now %lld): rejected", buf,
				    (long long)now);
			if (got != t)
				fail_msg("\"%s\" (now %lld): %lld, want %lld",
				    buf, (long long)now, (long long)got,
				    (long long)t);
		}
	}
	fake_clock = false;
}

/* Every row of the entity-tag table. */
static void
test_cond_etag_match_table(void **state)
{
	const struct match_case	*c;
	size_t			 i;

	for (i = 0; i < sizeof(match_cases) / sizeof(match_cases[0]); i++) {
		c = &match_cases[i];
		if (match_at(*state, c->list, c->etag, c->weak) != c->match)
			fail_msg("list '%s' etag '%s' %s: want %s", c->list,
			    c->etag != NULL ? c->etag : "(null)",
			    c->weak ? "weak" : "strong",
			    c->match ? "match" : "no match");
	}
}

/* Truncated lists never read past their end, and match only if valid. */
static void
test_cond_etag_match_truncated(void **state)
{
	static const char	 list[] = "W/\"a\", \"3e8-2ebc98a1.0\" , \"b\"";
	size_t			 k, n = sizeof(list) - 1;
	bool			 m;

	for (k = 0; k <= n; k++) {
		m = cond_etag_match(guard_place(*state, list, k), k,
		    "\"3e8-2ebc98a1.0\"", true);
		/* The whole tag is needed, and a started "b" must be closed. */
		if (m != ((k >= 23 && k <= 26) || k == n))
			fail_msg("prefix of %zu: %d", k, m);
	}
}

/* Every row of the precondition table, and its documented reason. */
static void
test_cond_evaluate_table(void **state)
{
	const struct eval_case	*c;
	struct cond_request	 r;
	enum cond_result	 got;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(eval_cases) / sizeof(eval_cases[0]); i++) {
		c = &eval_cases[i];
		memset(&r, 0, sizeof(r));
		r.get_or_head = c->get_or_head;
		r.if_match = c->im;
		r.if_match_len = c->im != NULL ? strlen(c->im) : 0;
		r.if_none_match = c->inm;
		r.if_none_match_len = c->inm != NULL ? strlen(c->inm) : 0;
		r.if_modified_since = c->ims;
		r.if_modified_since_len = c->ims != NULL ? strlen(c->ims) : 0;
		r.if_unmodified_since = c->ius;
		r.if_unmodified_since_len = c->ius != NULL ?
		    strlen(c->ius) : 0;
		got = cond_evaluate(&r, ev_etag, EV_LM, EV_NOW);
		if (got != c->result)
			fail_msg("%s: %d, want %d", c->name, (int)got,
			    (int)c->result);
	}
}

/* A present but empty field is not an absent one; lengths are obeyed. */
static void
test_cond_evaluate_lengths(void **state)
{
	struct cond_request	 r;
	const char		*ims = EV_SAME "garbage";

	(void)state;
	memset(&r, 0, sizeof(r));
	r.get_or_head = true;
	r.if_match = ev_etag;
	r.if_match_len = 0;
	assert_int_equal(cond_evaluate(&r, ev_etag, EV_LM, EV_NOW),
	    COND_FAILED);

	/* Only the first 29 bytes are the field. */
	memset(&r, 0, sizeof(r));
	r.get_or_head = true;
	r.if_modified_since = ims;
	r.if_modified_since_len = strlen(EV_SAME);
	assert_int_equal(cond_evaluate(&r, ev_etag, EV_LM, EV_NOW),
	    COND_NOT_MODIFIED);
	r.if_modified_since_len = strlen(ims);
	assert_int_equal(cond_evaluate(&r, ev_etag, EV_LM, EV_NOW),
	    COND_PROCEED);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_guard_place_ends_at_page),
		cmocka_unit_test(test_cond_etag_format),
		cmocka_unit_test(test_cond_etag_variant),
		cmocka_unit_test(test_cond_etag_distinct),
		G(test_cond_etag_extremes),
		G(test_cond_parse_date_valid),
		G(test_cond_parse_date_forms_equal),
		G(test_cond_parse_date_invalid),
		G(test_cond_parse_date_truncated),
		G(test_cond_parse_date_embedded_nul),
		G(test_cond_parse_date_sweep),
		G(test_cond_parse_date_rfc850_century),
		G(test_cond_etag_match_table),
		G(test_cond_etag_match_truncated),
		cmocka_unit_test(test_cond_evaluate_table),
		cmocka_unit_test(test_cond_evaluate_lengths),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
