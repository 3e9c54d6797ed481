/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_RANGE_H
#define SLUICE_RANGE_H

/*
 * Byte ranges (RFC 9110 section 14): the Range field, If-Range, and the
 * framing of a multipart/byteranges body.  Pure: no I/O, no locks, no
 * logging, no allocation.  Any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define RANGE_MAX		16	/* ranges in one request; more: 200 */
#define RANGE_BOUNDARY_LEN	20	/* bytes of a multipart boundary */
#define RANGE_PART_HEAD_MAX	256	/* one part's boundary and fields */

struct range {
	uint64_t	 first;	/* first byte, inclusive */
	uint64_t	 last;	/* last byte, inclusive */
};

enum range_result {
	RANGE_IGNORE,		/* no usable Range: answer 200, whole body */
	RANGE_OK,		/* n ranges, sorted, coalesced: 206 */
	RANGE_UNSATISFIABLE	/* 416 with "Content-Range: bytes * /size" */
};

/*
 * Parse a Range field value for a representation of `size` bytes.  Only
 * the "bytes" unit is known; another unit, a syntax error, or more than
 * RANGE_MAX ranges give RANGE_IGNORE (RFC 9110 14.2 lets a server ignore
 * Range).  Single ("0-99"), open-ended ("100-") and suffix ("-100")
 * ranges; ranges past the end are clipped; ranges that overlap or touch
 * are merged and the result sorted by position.  If no range is
 * satisfiable (all start at or after size, or "-0"), RANGE_UNSATISFIABLE.
 * out has room for RANGE_MAX entries; *n gets the count.
 */
enum range_result range_parse(const char *s, size_t len, uint64_t size,
		    struct range *out, size_t *n);

/*
 * Whether an If-Range value lets the Range apply (RFC 9110 13.1.5): an
 * entity-tag must equal etag by the strong comparison (never a weak tag);
 * an HTTP-date must equal last_modified exactly.  Anything else: false.
 */
bool		 range_if_range(const char *s, size_t len, const char *etag,
		    time_t last_modified);

/*
 * Make a boundary of RANGE_BOUNDARY_LEN characters from a seed (any bits,
 * e.g. a counter and the time) into buf (RANGE_BOUNDARY_LEN + 1 bytes).
 */
void		 range_boundary(uint64_t seed, char *buf);

/*
 * Write the framing before part r of a multipart/byteranges body:
 * "\r\n--BOUNDARY\r\nContent-Type: TYPE\r\nContent-Range: bytes
 * F-L/SIZE\r\n\r\n" (the leading CRLF is part of the delimiter, RFC 2046;
 * the first part's is harmless preamble).  Returns the length, or 0 if
 * cap is too small.
 */
size_t		 range_part_head(char *buf, size_t cap, const char *boundary,
		    const char *type, const struct range *r, uint64_t size);

/* Write the closing "\r\n--BOUNDARY--\r\n".  Returns the length or 0. */
size_t		 range_part_tail(char *buf, size_t cap, const char *boundary);

/*
 * The Content-Length of a multipart/byteranges body of these n ranges
 * with this boundary and part type (what range_part_head/tail would write
 * plus the bytes of the ranges).
 */
uint64_t	 range_multipart_length(const struct range *, size_t n,
		    const char *boundary, const char *type, uint64_t size);

#endif /* SLUICE_RANGE_H */
