/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_CHUNKED_H
#define SLUICE_CHUNKED_H

/*
 * Skipping a chunked request body (RFC 9112 section 7.1) without keeping
 * it: a static server reads request bodies only to drop them.  Pure: no
 * I/O, no locks, no logging, no allocation.  Any thread.
 */

#include <stddef.h>
#include <stdint.h>

/* Incremental skipping of a chunked request body (RFC 9112 section 7.1). */
struct chunked {
	int		 state;		/* private to chunked.c */
	uint64_t	 left;		/* bytes left in the current chunk */
	uint64_t	 total;		/* data bytes seen so far */
	size_t		 line;		/* bytes of the current size/trailer line */
	size_t		 trailer;	/* bytes of the trailer section so far */
	uint64_t	 ext;		/* chunk-extension bytes so far */
};

enum chunked_result {
	CHUNKED_MORE,	/* all of buf consumed; the body goes on */
	CHUNKED_DONE,	/* the body (last chunk, trailers) ended */
	CHUNKED_BAD,	/* malformed: 400 */
	CHUNKED_TOO_LARGE	/* more than max_body data bytes: 413 */
};

#define CHUNKED_LINE_MAX	4096	/* a chunk-size or trailer line */
#define CHUNKED_TRAILER_MAX	(16 * 1024)	/* trailer section, as a head's */

/* Start skipping a new chunked body. */
void		 chunked_init(struct chunked *);

/*
 * Consume bytes of a chunked body from buf[0..len): chunk-size lines (hex,
 * extensions ignored), chunk data, the last chunk and trailer fields, with
 * no allocation and across any split of the input.  *used is set to the
 * bytes consumed: len for MORE, the end of the body for DONE (what
 * follows is the next request), undefined for BAD and TOO_LARGE.  A line
 * longer than CHUNKED_LINE_MAX, a bad size or a missing CRLF after
 * chunk data is BAD; chunk data and extension bytes beyond max_body, or a
 * trailer section beyond CHUNKED_TRAILER_MAX, is TOO_LARGE.  Any thread.
 */
enum chunked_result chunked_skip(struct chunked *,
		    const char *buf, size_t len, uint64_t max_body,
		    size_t *used);

#endif /* SLUICE_CHUNKED_H */
