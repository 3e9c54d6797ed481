/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_COND_H
#define SLUICE_COND_H

/*
 * Validators and conditional requests (RFC 9110 sections 8.8 and 13).
 * Pure: no I/O, no locks, no logging, no allocation.  Any thread.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define COND_ETAG_MAX	64	/* an ETag with its quotes, and a NUL */

enum cond_result {
	COND_PROCEED,		/* answer normally (200 or 206) */
	COND_NOT_MODIFIED,	/* 304 */
	COND_FAILED		/* 412 */
};

/* The request's precondition fields; a NULL p means "absent". */
struct cond_request {
	bool		 get_or_head;
	const char	*if_match;
	size_t		 if_match_len;
	const char	*if_none_match;
	size_t		 if_none_match_len;
	const char	*if_modified_since;
	size_t		 if_modified_since_len;
	const char	*if_unmodified_since;
	size_t		 if_unmodified_since_len;
};

/*
 * Write the strong ETag of a representation of `size` bytes last modified
 * at mtime (seconds and nanoseconds) into buf (COND_ETAG_MAX bytes):
 * "\"<size hex>-<sec hex>.<nsec hex>\"".  `variant` (may be NULL), e.g.
 * "br", is appended as "-br" inside the quotes, so that each encoding of
 * a file has its own tag.  The inode is not used: replicas serving the
 * same files agree.  Returns the length.
 */
size_t		 cond_etag(uint64_t size, time_t sec, long nsec,
		    const char *variant, char *buf);

/*
 * Parse an HTTP-date (IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms, RFC 9110 section 5.6.7) into *t.  Returns 0, or -1 if the value
 * is not a valid date.
 */
int		 cond_parse_date(const char *s, size_t len, time_t *t);

/*
 * Whether the If-Match / If-None-Match list in s[0..len) matches etag
 * ("*" matches any).  `weak` selects the weak comparison (If-None-Match)
 * instead of the strong one (If-Match, where a W/ tag never matches).  A
 * malformed list matches nothing.
 */
bool		 cond_etag_match(const char *s, size_t len, const char *etag,
		    bool weak);

/*
 * Evaluate the preconditions in the order of RFC 9110 section 13.2.2 for
 * a representation with this etag and Last-Modified time.  If-Modified-
 * Since is ignored when If-None-Match is present, for methods other than
 * GET and HEAD, and when its date is invalid or in the future.
 */
enum cond_result cond_evaluate(const struct cond_request *,
		    const char *etag, time_t last_modified, time_t now);

#endif /* SLUICE_COND_H */
