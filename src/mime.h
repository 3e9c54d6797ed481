/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_MIME_H
#define SLUICE_MIME_H

/*
 * Media types by file extension: the table of /etc/mime.types (Debian's
 * media-types) read once at start-up, then a built-in table for the types
 * a static site needs, then application/octet-stream.  After creation the
 * table is read-only, so every worker may look up without a lock.
 */

#include <stddef.h>

#define MIME_DEFAULT_FILE	"/etc/mime.types"
#define MIME_DEFAULT_TYPE	"application/octet-stream"

struct mime;

/*
 * Build a table from the text of a mime.types file (may be NULL/0 for the
 * built-in table alone).  Returns NULL on allocation failure.  Caller must
 * free with mime_destroy.  Pure (does no I/O).
 */
struct mime	*mime_create(const char *text, size_t len);

/*
 * Read `path` (NULL: MIME_DEFAULT_FILE) and build the table; a missing or
 * unreadable file gives the built-in table alone.  Main thread, start-up.
 */
struct mime	*mime_load(const char *path);

void		 mime_destroy(struct mime *);

/*
 * The media type for file name `name` (its last extension, compared
 * without case).  Never NULL; the string lives as long as the table.
 * Any thread.
 */
const char	*mime_lookup(const struct mime *, const char *name);

#endif /* SLUICE_MIME_H */
