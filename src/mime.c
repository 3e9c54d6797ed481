/* sluice - ISC licence, see COPYING. */

/*
 * Media types by extension.
 *
 * The text of a mime.types file is copied once and split in place into
 * (extension, type) pairs, which are sorted so that a lookup is a binary
 * search.  A built-in table, also sorted, answers for extensions the file
 * does not know (and for every extension where the file is missing, as on
 * a minimal system without media-types).  Nothing changes after creation,
 * so workers share one table without a lock.
 */

#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mime.h"

#define MIME_FILE_MAX	(4 * 1024 * 1024)	/* refuse larger files */

struct mime_entry {
	const char	*ext;
	const char	*type;
};

struct mime {
	char			*text;		/* owned copy, split in place */
	struct mime_entry	*entries;	/* sorted by ext, no case */
	size_t			 n;
};

/* Sorted by extension (case-insensitive); checked by the unit tests. */
static const struct mime_entry mime_builtin[] = {
	{ "avif", "image/avif" },
	{ "css", "text/css" },
	{ "gif", "image/gif" },
	{ "htm", "text/html" },
	{ "html", "text/html" },
	{ "ico", "image/vnd.microsoft.icon" },
	{ "jpeg", "image/jpeg" },
	{ "jpg", "image/jpeg" },
	{ "js", "text/javascript" },
	{ "json", "application/json" },
	{ "mjs", "text/javascript" },
	{ "mp4", "video/mp4" },
	{ "pdf", "application/pdf" },
	{ "png", "image/png" },
	{ "svg", "image/svg+xml" },
	{ "txt", "text/plain" },
	{ "wasm", "application/wasm" },
	{ "webm", "video/webm" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "xml", "application/xml" },
};

static int	 mime_cmp(const void *, const void *);
static const char *mime_search(const struct mime_entry *, size_t,
		    const char *);

struct mime *
mime_create(const char *text, size_t len)
{
	struct mime		*m;
	struct mime_entry	*e;
	char			*p, *end, *line, *eol, *type, *tok;
	size_t			 cap = 0;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (text == NULL || len == 0)
		return m;
	if ((m->text = malloc(len + 1)) == NULL)
		goto fail;
	memcpy(m->text, text, len);
	m->text[len] = '\0';

	p = m->text;
	end = m->text + len;
	for (line = p; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (eol == NULL)
			eol = end;
		*eol = '\0';
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		/* "type ext ext ..." separated by blanks. */
		type = strtok_r(line, " \t\r", &p);
		if (type == NULL || strchr(type, '/') == NULL)
			continue;
		while ((tok = strtok_r(NULL, " \t\r", &p)) != NULL) {
			if (m->n == cap) {
				cap = cap == 0 ? 512 : cap * 2;
				e = reallocarray(m->entries, cap,
				    sizeof(*m->entries));
				if (e == NULL)
					goto fail;
				m->entries = e;
			}
			m->entries[m->n].ext = tok;
			m->entries[m->n].type = type;
			m->n++;
		}
	}
	if (m->n > 0)
		qsort(m->entries, m->n, sizeof(*m->entries), mime_cmp);
	return m;
 fail:
	mime_destroy(m);
	return NULL;
}

struct mime *
mime_load(const char *path)
{
	struct mime	*m;
	struct stat	 sb;
	char		*buf = NULL;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if (path == NULL)
		path = MIME_DEFAULT_FILE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > MIME_FILE_MAX ||
	    (buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		if (fd != -1)
			close(fd);
		return mime_create(NULL, 0);
	}
	while (off < (size_t)sb.st_size) {
		n = read(fd, buf + off, (size_t)sb.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	m = mime_create(buf, off);
	free(buf);
	return m;
}

void
mime_destroy(struct mime *m)
{
	if (m == NULL)
		return;
	free(m->entries);
	free(m->text);
	free(m);
}

const char *
mime_lookup(const struct mime *m, const char *name)
{
	const char	*dot, *slash, *t;

	dot = strrchr(name, '.');
	slash = strrchr(name, '/');
	if (dot == NULL || dot[1] == '\0' || (slash != NULL && slash > dot))
		return MIME_DEFAULT_TYPE;
	dot++;
	if (m != NULL && m->n > 0 &&
	    (t = mime_search(m->entries, m->n, dot)) != NULL)
		return t;
	t = mime_search(mime_builtin,
	    sizeof(mime_builtin) / sizeof(mime_builtin[0]), dot);
	return t != NULL ? t : MIME_DEFAULT_TYPE;
}

/* qsort order: extension without case, then file order. */
static int
mime_cmp(const void *a, const void *b)
{
	const struct mime_entry	*x = a, *y = b;
	int			 c;

	/* Ties keep file order: types point into the text in line order. */
	if ((c = strcasecmp(x->ext, y->ext)) != 0)
		return c;
	return (x->type > y->type) - (x->type < y->type);
}

/* Binary search of a sorted table; the first of equal entries, or NULL. */
static const char *
mime_search(const struct mime_entry *v, size_t n, const char *ext)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcasecmp(ext, v[mid].ext);
		if (c == 0) {
			/* Several types may claim an extension: take the first. */
			while (mid > 0 && strcasecmp(ext, v[mid - 1].ext) == 0)
				mid--;
			return v[mid].type;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}
