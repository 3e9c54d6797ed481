/* sluice - ISC licence, see COPYING. */

/*
 * Lexical confinement of request paths.
 *
 * The target is decoded and normalised in one pass into the caller's
 * buffer: each segment is percent-decoded as it is copied, "." segments
 * are dropped, ".." pops the last segment written, and a ".." with nothing
 * to pop is an escape.  Decoding before the dot check is what makes
 * "%2e%2e" a "..".  A decoded '/' ("%2F") or NUL is refused, so one
 * segment on the wire is one segment on disk.  This is the first of two
 * fences: serve.c also opens beneath a docroot descriptor.
 */

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "path.h"

static int	 path_hex(char);
static size_t	 path_encode_keep(const char *, size_t, const char *, char *,
		    size_t);

enum path_result
path_resolve(const char *target, size_t len, char *out, size_t outlen,
    bool *dir)
{
	const char	*p = target, *end;
	size_t		 o = 0, seg;
	int		 hi, lo;
	char		 c;

	*dir = false;
	if (outlen == 0)
		return PATH_TOO_LONG;
	out[0] = '\0';
	if (len == 0 || target[0] != '/')
		return PATH_BAD;
	end = memchr(target, '?', len);
	if (end == NULL)
		end = target + len;
	/* A fragment is never sent by a client (RFC 9110 4.2.4). */
	if (memchr(target, '#', (size_t)(end - target)) != NULL)
		return PATH_BAD;

	while (p < end) {
		/* Skip the separator(s); empty segments are dropped. */
		while (p < end && *p == '/')
			p++;
		if (p == end) {
			*dir = true;
			break;
		}
		/* Decode one segment at out[o...]. */
		seg = o;
		if (seg != 0) {
			if (o + 1 >= outlen)
				return PATH_TOO_LONG;
			out[o++] = '/';
		}
		while (p < end && *p != '/') {
			c = *p++;
			if (c == '%') {
				if (end - p < 2)
					return PATH_BAD;
				hi = path_hex(p[0]);
				lo = path_hex(p[1]);
				if (hi < 0 || lo < 0)
					return PATH_BAD;
				c = (char)(hi << 4 | lo);
				p += 2;
				if (c == '\0' || c == '/')
					return PATH_BAD;
			} else if (c == '\0')
				return PATH_BAD;
			if (o + 1 >= outlen)
				return PATH_TOO_LONG;
			out[o++] = c;
		}
		/* Now out[seg or seg+1 .. o) is the decoded segment. */
		{
			size_t	 s = seg == 0 ? 0 : seg + 1;
			size_t	 n = o - s;

			if (n == 1 && out[s] == '.') {
				o = seg;
				*dir = p == end;
			} else if (n == 2 && out[s] == '.' &&
			    out[s + 1] == '.') {
				if (seg == 0)
					return PATH_ESCAPE;
				/* Pop the previous segment. */
				o = seg;
				while (o > 0 && out[o - 1] != '/')
					o--;
				if (o > 0)
					o--;	/* drop its separator */
				*dir = p == end;
			} else
				*dir = false;
		}
	}
	out[o] = '\0';
	if (o == 0)
		*dir = true;
	return PATH_OK;
}

size_t
path_encode(const char *in, char *out, size_t outlen)
{
	return path_encode_keep(in, strlen(in), "-._~/!$&'()*+,;=:@", out,
	    outlen);
}

size_t
path_encode_query(const char *in, size_t len, char *out, size_t outlen)
{
	return path_encode_keep(in, len, "-._~/!$&'()*+,;=:@?%", out, outlen);
}

/*
 * Copy in[0..len) to out, keeping letters, digits and the bytes in `keep`
 * and writing every other byte as %XX.  0 if it does not fit.
 */
static size_t
path_encode_keep(const char *in, size_t len, const char *keep, char *out,
    size_t outlen)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 o = 0, i;
	unsigned char		 c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || (c != '\0' &&
		    strchr(keep, c) != NULL)) {
			if (o + 1 >= outlen)
				return 0;
			out[o++] = (char)c;
		} else {
			if (o + 3 >= outlen)
				return 0;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	if (o >= outlen)
		return 0;
	out[o] = '\0';
	return o;
}

int
path_status(enum path_result r)
{
	return r == PATH_TOO_LONG ? 404 : 400;
}

/* The value of hex digit c, or -1. */
static int
path_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
