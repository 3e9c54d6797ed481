/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_PATH_H
#define SLUICE_PATH_H

/*
 * Lexical decoding and confinement of a request target's path (DESIGN.md,
 * "Path confinement").  Pure: no I/O, no allocation.  serve.c still opens
 * the result beneath a docroot descriptor, so the file system cannot be
 * escaped either.
 */

#include <stdbool.h>
#include <stddef.h>

#define PATH_OUT_MAX	4096	/* the decoded path's buffer, NUL included */

enum path_result {
	PATH_OK = 0,
	PATH_BAD,	/* not origin-form, bad %-escape, NUL, %2F: 400 */
	PATH_ESCAPE,	/* a ".." climbs above the root: 400 */
	PATH_TOO_LONG	/* decoded path does not fit: 404, as ENAMETOOLONG */
};

/*
 * Decode the path of an origin-form target (target[0] must be '/'; a query
 * after '?' is ignored) and resolve its dot segments.  On PATH_OK, out
 * (outlen bytes) holds the path relative to the docroot, NUL-terminated,
 * without a leading slash, with empty segments removed: "" for "/",
 * "a/b.html" for "/a/./c/../b.html".  *dir is set when the decoded path
 * ends in '/' (so "" and "a/" name directories).  Any thread.
 */
enum path_result path_resolve(const char *target, size_t len, char *out,
		    size_t outlen, bool *dir);

/*
 * Percent-encode a decoded path for a URL (a Location field): bytes other
 * than unreserved characters, '/' and the sub-delims, ':' and '@' become
 * %XX.  Writes a NUL-terminated string into out (outlen bytes).  Returns
 * its length, or 0 if it does not fit.  Any thread.
 */
size_t		 path_encode(const char *in, char *out, size_t outlen);

/*
 * The same for a query (in[0..len), '?' included): existing %XX escapes,
 * '?' and the characters path_encode keeps are kept; anything else a URI
 * may not carry (a backslash, '"', '<', '{', ...) becomes %XX.  Returns
 * the length written, or 0 if it does not fit.  Any thread.
 */
size_t		 path_encode_query(const char *in, size_t len, char *out,
		    size_t outlen);

/*
 * The HTTP status for a result other than PATH_OK: 400, or 404 for a path
 * too long to name a file (the request line itself is bounded by http.c,
 * 414).
 */
int		 path_status(enum path_result);

#endif /* SLUICE_PATH_H */
