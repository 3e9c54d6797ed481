/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_ENCODING_H
#define SLUICE_ENCODING_H

/*
 * Content codings for precompressed siblings (FILE.br, FILE.zst, FILE.gz)
 * chosen by Accept-Encoding (RFC 9110 section 12.5.3).  Pure.  Any thread.
 */

#include <stddef.h>

enum encoding {
	ENCODING_IDENTITY = 0,
	ENCODING_BR,
	ENCODING_ZSTD,
	ENCODING_GZIP,
	ENCODING__COUNT,
	ENCODING_NONE = -1	/* nothing acceptable: 406 is allowed, we send identity */
};

#define ENCODING_MASK(e)	(1u << (e))

/* Content-Encoding token ("br", "zstd", "gzip"; NULL for identity). */
const char	*encoding_name(enum encoding);

/* File name suffix (".br", ".zst", ".gz"; "" for identity). */
const char	*encoding_suffix(enum encoding);

/*
 * Choose among the codings in `available` (a mask of ENCODING_MASK bits;
 * identity is always available) for an Accept-Encoding value s[0..len)
 * (s == NULL: the field is absent, which means identity only here, as a
 * static server need not guess).  The highest q-value wins; ties prefer
 * br, then zstd, then gzip, then identity.  "*" stands for every coding
 * not listed; "identity;q=0" or "*;q=0" without identity listed forbid
 * identity; q=0 forbids a coding; "x-gzip" is gzip.  Tokens compare
 * without case; a malformed q-value counts as q=0 for that entry.
 * Returns ENCODING_IDENTITY when identity is acceptable and nothing
 * better is, ENCODING_NONE when nothing available is acceptable.
 */
enum encoding	 encoding_choose(const char *s, size_t len,
		    unsigned available);

#endif /* SLUICE_ENCODING_H */
