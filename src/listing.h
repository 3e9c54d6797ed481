/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_LISTING_H
#define SLUICE_LISTING_H

/*
 * Directory listings (--autoindex): an HTML page, or the same listing as
 * JSON.  Reads the directory (the accepted exception to "nothing blocks":
 * like opening a file, it is served from the page cache) and renders into
 * a buffer it allocates.  No locks, no logging.  Worker only.
 */

#include <stdbool.h>
#include <stddef.h>

#define LISTING_MAX_ENTRIES	10000	/* more are left out, and said so */
#define LISTING_MAX_BYTES	(1024 * 1024)	/* the most a listing renders */

enum listing_format {
	LISTING_HTML,
	LISTING_JSON
};

/*
 * List directory `dirfd` (borrowed: it is duplicated, not closed), whose
 * URL path is `urlpath` (decoded, starting and ending with '/'), sorted
 * directories first, then by name (bytewise).  Dotfiles are left out
 * unless show_dotfiles.  Every name is escaped for its context (HTML text,
 * attribute values with percent-encoded hrefs, JSON strings).  HTML: a
 * self-contained page (inline CSS, no external file) with a link to the
 * parent (except at "/"), and for each entry its name (directories end
 * with '/'), size (human-readable, "-" for directories) and modification
 * time (UTC, "YYYY-MM-DD HH:MM").  JSON: {"path": "...", "entries":
 * [{"name": "...", "type": "dir"|"file"|"other", "size": N,
 * "mtime": "YYYY-MM-DDTHH:MM:SSZ"}, ...], "truncated": false|true}.
 * At most the first LISTING_MAX_ENTRIES entries in that order are listed,
 * and *len never exceeds LISTING_MAX_BYTES: rendering stops before the
 * first row that would pass it.  Either way the rows left out are said so,
 * "N more entries not shown" (HTML) or "truncated": true (JSON), and the
 * output stays complete (closing markup, valid JSON).
 * On success *out is a malloc'd buffer (caller must free) of *len bytes
 * and 0 is returned; -1 with errno on failure (ENOBUFS if the page's head
 * alone, with urlpath escaped twice, would pass LISTING_MAX_BYTES: only a
 * urlpath of tens of kilobytes can do that).
 */
int		 listing_render(int dirfd, const char *urlpath,
		    enum listing_format, bool show_dotfiles, char **out,
		    size_t *len);

#endif /* SLUICE_LISTING_H */
