/* sluice - ISC licence, see COPYING. */

/*
 * Choice of a precompressed sibling by Accept-Encoding (RFC 9110 section
 * 12.5.3).
 *
 * One pass over the field records a q-value, in thousandths, for each
 * coding we know and for "*"; codings we do not know are skipped.  Then
 * each available coding gets its own q, or the q of "*", or 0, and the
 * highest wins, ties going to the smaller file (br, zstd, gzip).  An
 * identity that the field does not mention at all is acceptable but the
 * last choice: a client that lists gzip wants gzip, whatever its q.
 * Parameters other than q are skipped, without the quoted-string syntax
 * that the field's grammar never uses.
 *
 * No I/O, locks, logging or allocation; any thread.
 */

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "encoding.h"

#define ENCODING_Q_ONE		1000	/* q=1, in thousandths */
#define ENCODING_Q_DIGITS	3	/* at most three decimals */
#define ENCODING_Q_IMPLICIT	1	/* an unmentioned identity: last */
#define ENCODING_UNLISTED	(-1)

static bool	 encoding_is_ows(char);
static bool	 encoding_is_tchar(unsigned char);
static bool	 encoding_eq(const char *, size_t, const char *);
static int	 encoding_qvalue(const char *, size_t);
static int	 encoding_weight(const char *, const char *);

const char *
encoding_name(enum encoding e)
{
	switch (e) {
	case ENCODING_BR:
		return "br";
	case ENCODING_ZSTD:
		return "zstd";
	case ENCODING_GZIP:
		return "gzip";
	default:
		return NULL;
	}
}

const char *
encoding_suffix(enum encoding e)
{
	switch (e) {
	case ENCODING_BR:
		return ".br";
	case ENCODING_ZSTD:
		return ".zst";
	case ENCODING_GZIP:
		return ".gz";
	default:
		return "";
	}
}

enum encoding
encoding_choose(const char *s, size_t len, unsigned available)
{
	const char	*p, *end, *e, *te, *t;
	int		 q[ENCODING__COUNT], star = ENCODING_UNLISTED, w, i;
	int		 best_q = 0, *slot;
	enum encoding	 best = ENCODING_NONE;

	if (s == NULL)
		return ENCODING_IDENTITY;
	for (i = 0; i < ENCODING__COUNT; i++)
		q[i] = ENCODING_UNLISTED;

	end = s + len;
	for (p = s; p < end; p = e) {
		/* One member: [p, te), trimmed; e is past its comma. */
		while (p < end && encoding_is_ows(*p))
			p++;
		e = p;
		while (e < end && *e != ',')
			e++;
		te = e;
		while (te > p && encoding_is_ows(te[-1]))
			te--;
		if (e < end)
			e++;
		for (t = p; t < te && encoding_is_tchar((unsigned char)*t);
		    t++)
			;
		if (t == p)
			continue;	/* empty, or no token */
		if ((w = encoding_weight(t, te)) == -1)
			continue;	/* junk after the token */

		if (encoding_eq(p, (size_t)(t - p), "br"))
			slot = &q[ENCODING_BR];
		else if (encoding_eq(p, (size_t)(t - p), "zstd"))
			slot = &q[ENCODING_ZSTD];
		else if (encoding_eq(p, (size_t)(t - p), "gzip") ||
		    encoding_eq(p, (size_t)(t - p), "x-gzip"))
			slot = &q[ENCODING_GZIP];
		else if (encoding_eq(p, (size_t)(t - p), "identity"))
			slot = &q[ENCODING_IDENTITY];
		else if (encoding_eq(p, (size_t)(t - p), "*"))
			slot = &star;
		else
			continue;
		/* Listed twice ("gzip;q=0, x-gzip"): any yes is a yes. */
		if (w > *slot)
			*slot = w;
	}

	/* Strictly greater: on a tie the earlier, smaller coding stays. */
	for (i = ENCODING_BR; i < ENCODING__COUNT; i++) {
		if ((available & ENCODING_MASK(i)) == 0)
			continue;
		w = q[i] != ENCODING_UNLISTED ? q[i] :
		    star != ENCODING_UNLISTED ? star : 0;
		if (w > best_q) {
			best_q = w;
			best = (enum encoding)i;
		}
	}
	w = q[ENCODING_IDENTITY] != ENCODING_UNLISTED ? q[ENCODING_IDENTITY] :
	    star != ENCODING_UNLISTED ? star : ENCODING_Q_IMPLICIT;
	if (w > best_q)
		best = ENCODING_IDENTITY;
	return best;
}

/* Optional whitespace: SP or HTAB. */
static bool
encoding_is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110 section 5.6.2: tchar. */
static bool
encoding_is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Case-insensitive equality of s[0..n) and a NUL-terminated token. */
static bool
encoding_eq(const char *s, size_t n, const char *tok)
{
	return n == strlen(tok) && strncasecmp(s, tok, n) == 0;
}

/*
 * qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), RFC 9110
 * section 12.4.2.  Returns thousandths, or -1 if malformed.
 */
static int
encoding_qvalue(const char *s, size_t n)
{
	size_t	 i;
	int	 v = 0, scale = ENCODING_Q_ONE;

	if (n == 0 || (s[0] != '0' && s[0] != '1'))
		return -1;
	if (n == 1)
		return s[0] == '1' ? ENCODING_Q_ONE : 0;
	if (s[1] != '.' || n - 2 > ENCODING_Q_DIGITS)
		return -1;
	for (i = 2; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || (s[0] == '1' && s[i] != '0'))
			return -1;
		scale /= 10;
		v += (s[i] - '0') * scale;
	}
	return s[0] == '1' ? ENCODING_Q_ONE : v;
}

/*
 * The weight in the parameters [p, end) that follow a coding: q=1 when
 * there is none, 0 when the q parameter is malformed (the contract: a
 * bad q never makes a coding acceptable), the first q when there are
 * several.  OWS is allowed around ';' and '='.  Returns -1 if what
 * follows the coding is not a parameter list at all.
 */
static int
encoding_weight(const char *p, const char *end)
{
	const char	*e, *eq, *ne, *v, *ve;
	int		 w = ENCODING_Q_ONE, q;
	bool		 seen = false;

	while (p < end && encoding_is_ows(*p))
		p++;
	if (p < end && *p != ';')
		return -1;
	while (p < end) {
		/* p is at a ';'. */
		p++;
		for (e = p; e < end && *e != ';'; e++)
			;
		while (p < e && encoding_is_ows(*p))
			p++;
		for (eq = p; eq < e && *eq != '='; eq++)
			;
		ne = eq;
		while (ne > p && encoding_is_ows(ne[-1]))
			ne--;
		if (!seen && encoding_eq(p, (size_t)(ne - p), "q")) {
			seen = true;
			q = -1;
			if (eq < e) {
				v = eq + 1;
				while (v < e && encoding_is_ows(*v))
					v++;
				ve = e;
				while (ve > v && encoding_is_ows(ve[-1]))
					ve--;
				q = encoding_qvalue(v, (size_t)(ve - v));
			}
			w = q == -1 ? 0 : q;
		}
		p = e;
	}
	return w;
}
