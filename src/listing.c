/* sluice - ISC licence, see COPYING. */

/*
 * Directory listings for --autoindex.
 *
 * Entries come from a DIR stream on a duplicate of the caller's descriptor,
 * typed by d_type (by fstatat where the file system says DT_UNKNOWN): a
 * symlink is listed as itself ("other", shown as a file without a size) and
 * never followed, so a listing tells nothing of a target that may lie
 * outside the docroot.  Past LISTING_MAX_ENTRIES the kept entries form a
 * max-heap, so a huge directory shows its first entries in listing order,
 * not readdir order, in bounded memory; only the kept ones then get an
 * fstatat(AT_SYMLINK_NOFOLLOW) for size and mtime, so the event loop pays
 * one readdir pass and at most LISTING_MAX_ENTRIES fstatat calls.  They are
 * sorted, then rendered into a buffer that doubles as it grows, up to
 * LISTING_MAX_BYTES: a row that would leave no room for the closing markup
 * is taken back and counted, with the rows after it, as not shown.  Names
 * are bytes: HTML escapes them and percent-encodes hrefs; JSON passes valid
 * UTF-8 and escapes other bytes.  Worker only; no locks, no logging.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "listing.h"
#include "path.h"

#define LISTING_BUF_INIT	8192	/* first size of the output buffer */
#define LISTING_ENTRIES_INIT	64	/* first size of the entry array */
#define LISTING_FIELD_MAX	80	/* a size or time, any int fields */
#define LISTING_TAIL_MAX	256	/* room for the note and end tags */
#define LISTING_TIME_MIN	(-62167219200LL)  /* 0000-01-01T00:00:00Z */
#define LISTING_TIME_MAX	253402300799LL	  /* 9999-12-31T23:59:59Z */

enum listing_type {
	LISTING_DIR,
	LISTING_FILE,
	LISTING_OTHER		/* symlinks, fifos, sockets, devices */
};

struct listing_entry {
	char			*name;
	enum listing_type	 type;
	uintmax_t		 size;		/* regular files, else 0 */
	time_t			 mtime;
};

struct listing_buf {
	char			*p;
	size_t			 len;
	size_t			 cap;		/* > len: room for a NUL */
	size_t			 max;		/* >= len: appends stop there */
	int			 err;		/* errno of a failure, or 0 */
};

struct listing {
	struct listing_entry	*v;		/* a max-heap once full */
	size_t			 n;
	size_t			 cap;
	size_t			 omitted;	/* past LISTING_MAX_ENTRIES */
	struct listing_buf	 out;
	char			*href;		/* an encoded name */
	size_t			 hrefcap;
};

static int	 listing_read(struct listing *, int, bool);
static int	 listing_add(struct listing *, const char *,
		    enum listing_type);
static int	 listing_stat(struct listing *, int);
static int	 listing_cmp(const void *, const void *);
static void	 listing_sift(struct listing_entry *, size_t, size_t);
static void	 listing_html(struct listing *, const char *);
static void	 listing_json(struct listing *, const char *);
static bool	 listing_fits(struct listing *, size_t, size_t);
static const char *listing_href(struct listing *, const char *);
static bool	 listing_grow(struct listing_buf *, size_t);
static void	 listing_put(struct listing_buf *, const char *, size_t);
static void	 listing_puts(struct listing_buf *, const char *);
static void	 listing_put_html(struct listing_buf *, const char *);
static void	 listing_put_json(struct listing_buf *, const char *);
static size_t	 listing_utf8(const unsigned char *);
static void	 listing_size(char *, size_t, uintmax_t);
static void	 listing_time(char *, size_t, time_t);
static void	 listing_free(struct listing *);

/* Light and dark themes; the system font; sizes and times aligned. */
static const char listing_css[] =
    ":root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--mu:#59636e;"
    "--ln:#d1d9e0;--hv:#f6f8fa;--a:#0969da}\n@media (prefers-color-scheme:"
    "dark){:root{--bg:#0d1117;--fg:#e6edf3;--mu:#9198a1;--ln:#3d444d;"
    "--hv:#151b23;--a:#4493f8}}\nbody{margin:0;background:var(--bg);"
    "color:var(--fg);font:15px/1.5 system-ui,-apple-system,\"Segoe UI\","
    "Roboto,sans-serif}\nmain{max-width:60rem;margin:0 auto;padding:2rem "
    "1rem}\nh1{font-size:1.35rem;font-weight:600;margin:0 0 1.25rem;"
    "overflow-wrap:anywhere}\ntable{width:100%;border-collapse:collapse}\n"
    "th,td{padding:.45rem .75rem;text-align:left;border-bottom:1px solid "
    "var(--ln)}\nth{color:var(--mu);font-size:.8rem;font-weight:600;"
    "text-transform:uppercase;letter-spacing:.04em}\ntd:first-child{"
    "overflow-wrap:anywhere}\n.s{text-align:right;white-space:nowrap;"
    "font-variant-numeric:tabular-nums}\n.m{white-space:nowrap;color:"
    "var(--mu);font-size:.875rem;font-family:ui-monospace,SFMono-Regular,"
    "Menlo,Consolas,monospace}\ntbody tr:hover{background:var(--hv)}\n"
    "a{color:var(--a);text-decoration:none}\na:hover{text-decoration:"
    "underline}\ntr.d a{font-weight:600}\n.e,.more{color:var(--mu);"
    "font-style:italic}\n";

int
listing_render(int dirfd, const char *urlpath, enum listing_format format,
    bool show_dotfiles, char **out, size_t *len)
{
	struct listing	 l;
	size_t		 ulen;
	int		 saved;

	memset(&l, 0, sizeof(l));
	*out = NULL;
	*len = 0;
	ulen = urlpath == NULL ? 0 : strlen(urlpath);
	if (ulen == 0 || urlpath[0] != '/' || urlpath[ulen - 1] != '/' ||
	    (format != LISTING_HTML && format != LISTING_JSON)) {
		errno = EINVAL;
		return -1;
	}
	if (listing_read(&l, dirfd, show_dotfiles) == -1)
		goto fail;
	if (l.n > 1)
		qsort(l.v, l.n, sizeof(*l.v), listing_cmp);
	l.out.max = LISTING_MAX_BYTES - LISTING_TAIL_MAX;
	if (format == LISTING_HTML)
		listing_html(&l, urlpath);
	else
		listing_json(&l, urlpath);
	if (l.out.err != 0) {
		errno = l.out.err;
		goto fail;
	}
	*out = l.out.p;
	*len = l.out.len;
	l.out.p = NULL;
	listing_free(&l);
	return 0;
 fail:
	saved = errno;
	listing_free(&l);
	errno = saved;
	return -1;
}

/*
 * Collect the entries.  The stream reads a duplicate (F_DUPFD_CLOEXEC, so
 * an exec elsewhere cannot inherit it), which shares the caller's file
 * offset: hence the rewind, and no two threads may list one descriptor at
 * once.  An entry that vanishes between readdir and fstatat is skipped;
 * any other failure fails the listing.
 */
static int
listing_read(struct listing *l, int dirfd, bool show_dotfiles)
{
	struct dirent		*de;
	struct stat		 st;
	const char		*name;
	enum listing_type	 type;
	DIR			*d;
	int			 fd, saved;

	if ((fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL)
		goto fail;
	rewinddir(d);
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				goto fail;
			break;
		}
		name = de->d_name;
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		if (name[0] == '.' && !show_dotfiles)
			continue;
		if (de->d_type == DT_DIR)
			type = LISTING_DIR;
		else if (de->d_type == DT_REG)
			type = LISTING_FILE;
		else if (de->d_type != DT_UNKNOWN)
			type = LISTING_OTHER;	/* DT_LNK among them */
		else if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			type = S_ISDIR(st.st_mode) ? LISTING_DIR :
			    S_ISREG(st.st_mode) ? LISTING_FILE : LISTING_OTHER;
		else if (errno == ENOENT)
			continue;
		else
			goto fail;
		if (listing_add(l, name, type) == -1)
			goto fail;
	}
	if (listing_stat(l, fd) == -1)
		goto fail;
	closedir(d);
	return 0;
 fail:
	saved = errno;
	if (d != NULL)
		closedir(d);
	else
		close(fd);
	errno = saved;
	return -1;
}

/*
 * Keep an entry: appended while there is room; past the limit it replaces
 * the heap's greatest entry if it sorts before it, and either way one
 * entry is counted as omitted.
 */
static int
listing_add(struct listing *l, const char *name, enum listing_type type)
{
	struct listing_entry	 e = { .type = type }, *v;
	size_t			 cap, i;

	if ((e.name = strdup(name)) == NULL)
		return -1;
	if (l->n == LISTING_MAX_ENTRIES) {
		l->omitted++;
		if (listing_cmp(&e, &l->v[0]) >= 0) {
			free(e.name);
			return 0;
		}
		free(l->v[0].name);
		l->v[0] = e;
		listing_sift(l->v, l->n, 0);
		return 0;
	}
	if (l->n == l->cap) {
		cap = l->cap == 0 ? LISTING_ENTRIES_INIT : l->cap * 2;
		if (cap > LISTING_MAX_ENTRIES)
			cap = LISTING_MAX_ENTRIES;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL) {
			free(e.name);
			return -1;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	if (l->n == LISTING_MAX_ENTRIES) {
		for (i = l->n / 2; i-- > 0;)
			listing_sift(l->v, l->n, i);
	}
	return 0;
}

/*
 * Size and mtime of the kept entries, once the heap has chosen them.  An
 * entry gone since readdir is dropped, the last one taking its place (the
 * sort comes after); its slot is not refilled, which would take a second
 * pass.  The type stays the one the heap ordered by, and only what is
 * still a regular file gets a size.
 */
static int
listing_stat(struct listing *l, int fd)
{
	struct listing_entry	*e;
	struct stat		 st;
	size_t			 i;

	for (i = 0; i < l->n;) {
		e = &l->v[i];
		if (fstatat(fd, e->name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno != ENOENT)
				return -1;
			free(e->name);
			*e = l->v[--l->n];
			continue;
		}
		if (e->type == LISTING_FILE && S_ISREG(st.st_mode))
			e->size = (uintmax_t)st.st_size;
		e->mtime = st.st_mtim.tv_sec;
		i++;
	}
	return 0;
}

/* The listing order: directories first, then bytewise by name. */
static int
listing_cmp(const void *a, const void *b)
{
	const struct listing_entry	*x = a, *y = b;

	if ((x->type == LISTING_DIR) != (y->type == LISTING_DIR))
		return x->type == LISTING_DIR ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Restore the max-heap property of v[0..n) below index i. */
static void
listing_sift(struct listing_entry *v, size_t n, size_t i)
{
	struct listing_entry	 t;
	size_t			 c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && listing_cmp(&v[c + 1], &v[c]) > 0)
			c++;
		if (listing_cmp(&v[c], &v[i]) <= 0)
			break;
		t = v[i];
		v[i] = v[c];
		v[c] = t;
		i = c;
	}
}

/*
 * The page.  Each href is "./" and the percent-encoded name, so that a
 * name such as "javascript:x" or "a:b" reads as a path, never a scheme;
 * path_encode keeps '&', so the href is HTML-escaped as well.
 */
static void
listing_html(struct listing *l, const char *urlpath)
{
	struct listing_buf		*b = &l->out;
	const struct listing_entry	*e;
	const char			*href, *dir;
	char				 size[LISTING_FIELD_MAX];
	char				 when[LISTING_FIELD_MAX];
	char				 row[4 * LISTING_FIELD_MAX];
	size_t				 i, mark;

	listing_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n"
	    "<title>Index of ");
	listing_put_html(b, urlpath);
	listing_puts(b, "</title>\n<style>\n");
	listing_puts(b, listing_css);
	listing_puts(b, "</style>\n</head>\n<body>\n<main>\n<h1>Index of ");
	listing_put_html(b, urlpath);
	listing_puts(b, "</h1>\n<table>\n<thead><tr><th>Name</th>"
	    "<th class=\"s\">Size</th><th class=\"m\">Modified</th></tr>"
	    "</thead>\n<tbody>\n");
	if (strcmp(urlpath, "/") != 0)
		listing_puts(b, "<tr class=\"d\"><td><a href=\"../\">../</a>"
		    "</td><td class=\"s\">-</td><td class=\"m\"></td></tr>\n");
	for (i = 0; i < l->n && b->err == 0; i++) {
		mark = b->len;
		e = &l->v[i];
		if ((href = listing_href(l, e->name)) == NULL)
			return;
		dir = e->type == LISTING_DIR ? "/" : "";
		listing_puts(b, *dir != '\0' ? "<tr class=\"d\">" : "<tr>");
		listing_puts(b, "<td><a href=\"./");
		listing_put_html(b, href);
		listing_puts(b, dir);
		listing_puts(b, "\">");
		listing_put_html(b, e->name);
		listing_puts(b, dir);
		if (e->type == LISTING_FILE)
			listing_size(size, sizeof(size), e->size);
		else
			strcpy(size, "-");
		listing_time(when, sizeof(when), e->mtime);
		when[10] = ' ';
		snprintf(row, sizeof(row), "</a></td><td class=\"s\">%s</td>"
		    "<td class=\"m\">%.16s</td></tr>\n", size, when);
		listing_puts(b, row);
		if (!listing_fits(l, mark, i))
			break;
	}
	b->max = LISTING_MAX_BYTES;
	if (l->n == 0)
		listing_puts(b, "<tr><td class=\"e\" colspan=\"3\">Empty "
		    "directory</td></tr>\n");
	listing_puts(b, "</tbody>\n</table>\n");
	if (l->omitted > 0) {
		snprintf(row, sizeof(row), "<p class=\"more\">%zu more %s not "
		    "shown</p>\n", l->omitted, l->omitted == 1 ? "entry" :
		    "entries");
		listing_puts(b, row);
	}
	listing_puts(b, "</main>\n</body>\n</html>\n");
}

/* The JSON document, one entry a line for the sake of curl users. */
static void
listing_json(struct listing *l, const char *urlpath)
{
	static const char *const types[] = { "dir", "file", "other" };
	struct listing_buf		*b = &l->out;
	const struct listing_entry	*e;
	char				 when[LISTING_FIELD_MAX];
	char				 row[4 * LISTING_FIELD_MAX];
	size_t				 i, mark;

	listing_puts(b, "{\"path\": ");
	listing_put_json(b, urlpath);
	listing_puts(b, ", \"entries\": [");
	for (i = 0; i < l->n && b->err == 0; i++) {
		mark = b->len;
		e = &l->v[i];
		listing_puts(b, i == 0 ? "\n{\"name\": " : ",\n{\"name\": ");
		listing_put_json(b, e->name);
		listing_time(when, sizeof(when), e->mtime);
		snprintf(row, sizeof(row), ", \"type\": \"%s\", \"size\": %ju, "
		    "\"mtime\": \"%s\"}", types[e->type], e->size, when);
		listing_puts(b, row);
		if (!listing_fits(l, mark, i))
			break;
	}
	b->max = LISTING_MAX_BYTES;
	listing_puts(b, l->n == 0 ? "]" : "\n]");
	listing_puts(b, l->omitted > 0 ? ", \"truncated\": true}\n" :
	    ", \"truncated\": false}\n");
}

/*
 * After row i, begun at offset mark: true if it fit.  If not, take it back
 * and count it and the rest as not shown, so that the note and closing
 * markup follow in the room kept for them.  Only the bound sets ENOBUFS.
 */
static bool
listing_fits(struct listing *l, size_t mark, size_t i)
{
	if (l->out.err != ENOBUFS)
		return true;
	l->out.err = 0;
	l->out.len = mark;
	l->out.p[mark] = '\0';
	l->omitted += l->n - i;
	return false;
}

/*
 * Percent-encode name into l->href, grown to the worst case (three bytes
 * a byte: a d_name is short, so this cannot overflow) rather than sized
 * by NAME_MAX, which not every file system keeps to.  NULL, with the error
 * recorded in the output buffer, if memory runs out.
 */
static const char *
listing_href(struct listing *l, const char *name)
{
	size_t	 need = 3 * strlen(name) + 1;
	char	*p;

	if (need > l->hrefcap) {
		if ((p = realloc(l->href, need)) == NULL) {
			l->out.err = errno;
			return NULL;
		}
		l->href = p;
		l->hrefcap = need;
	}
	if (path_encode(name, l->href, l->hrefcap) == 0) {
		l->out.err = EINVAL;	/* only an empty name: impossible */
		return NULL;
	}
	return l->href;
}

/*
 * Make room for `more` bytes and a NUL, doubling, but never past b->max:
 * that fails with ENOBUFS (max is a few megabytes at most, so the doubling
 * cannot overflow).  After a failure every later append is a no-op, so the
 * renderers need not check each call.
 */
static bool
listing_grow(struct listing_buf *b, size_t more)
{
	size_t	 cap;
	char	*p;

	if (b->err != 0)
		return false;
	if (more > b->max - b->len) {
		b->err = ENOBUFS;
		return false;
	}
	if (b->cap - b->len > more)
		return true;
	cap = b->cap == 0 ? LISTING_BUF_INIT : b->cap;
	while (cap - b->len <= more)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if ((p = realloc(b->p, cap)) == NULL) {
		b->err = errno;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

/* Append s[0..n), keeping the buffer NUL-terminated for the debugger. */
static void
listing_put(struct listing_buf *b, const char *s, size_t n)
{
	if (!listing_grow(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* Append a C string. */
static void
listing_puts(struct listing_buf *b, const char *s)
{
	listing_put(b, s, strlen(s));
}

/*
 * Append s as HTML text or a double-quoted attribute value.  C0 controls
 * and DEL (a newline in a name, say) become U+FFFD: HTML cannot show them,
 * and a visible mark beats a name that looks like another.  Bytes >= 0x80
 * pass as they are; a browser shows invalid UTF-8 as U+FFFD itself.
 */
static void
listing_put_html(struct listing_buf *b, const char *s)
{
	static const char	 special[] = "&<>\"'";
	static const char *const refs[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"
	};
	const char		*p;

	for (; *s != '\0'; s++) {
		if ((p = strchr(special, *s)) != NULL)
			listing_puts(b, refs[p - special]);
		else if ((unsigned char)*s < 0x20 || *s == 0x7f)
			listing_puts(b, "&#xFFFD;");
		else
			listing_put(b, s, 1);
	}
}

/*
 * Append s as a JSON string.  '"' and '\\' are escaped, controls and DEL
 * become \u00XX, well-formed UTF-8 passes through, and every other byte
 * becomes \u00XX too: JSON text must be Unicode, and reading a stray byte
 * as Latin-1 is the one mapping that keeps each byte (though "\xe9" and
 * "\xc3\xa9" then both read "é").
 */
static void
listing_put_json(struct listing_buf *b, const char *str)
{
	const unsigned char	*s = (const unsigned char *)str;
	char			 esc[8];
	size_t			 n;

	listing_put(b, "\"", 1);
	for (; *s != '\0'; s += n) {
		n = 1;
		if (*s == '"' || *s == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", *s);
			listing_puts(b, esc);
		} else if (*s >= 0x20 && *s < 0x7f)
			listing_put(b, (const char *)s, 1);
		else if (*s >= 0x80 && (n = listing_utf8(s)) > 0)
			listing_put(b, (const char *)s, n);
		else {
			n = 1;
			snprintf(esc, sizeof(esc), "\\u%04x", *s);
			listing_puts(b, esc);
		}
	}
	listing_put(b, "\"", 1);
}

/*
 * The length of the well-formed UTF-8 sequence at s (Unicode table 3-7: no
 * overlong form, surrogate or code point past U+10FFFF), or 0.  s is
 * NUL-terminated, and a NUL is no continuation byte, so nothing is read
 * past it.
 */
static size_t
listing_utf8(const unsigned char *s)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * A size in IEC units with one decimal ("1.5 KiB"), bytes below 1024
 * exactly ("1023 B").  Integer arithmetic, so that no locale changes the
 * decimal point and rounding carries into the next unit: 1048575 bytes
 * read "1.0 MiB", not "1024.0 KiB".
 */
static void
listing_size(char *buf, size_t len, uintmax_t size)
{
	static const char *const units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"
	};
	uintmax_t	 div = 1024, tenths;
	size_t		 u = 0;

	if (size < 1024) {
		snprintf(buf, len, "%ju B", size);
		return;
	}
	for (;;) {
		tenths = size / div * 10 + (size % div * 10 + div / 2) / div;
		if (tenths < 10240 || u + 1 == sizeof(units) / sizeof(*units))
			break;
		div *= 1024;
		u++;
	}
	snprintf(buf, len, "%ju.%ju %s", tenths / 10, tenths % 10, units[u]);
}

/*
 * A UTC time in RFC 3339 ("2023-11-14T22:13:20Z"; the page shows its first
 * 16 bytes with a space for the 'T').  A forged mtime is clamped to years
 * 0000-9999, so the year keeps four digits and gmtime_r cannot fail.
 */
static void
listing_time(char *buf, size_t len, time_t t)
{
	struct tm	 tm = { 0 };

	if ((long long)t < LISTING_TIME_MIN)
		t = (time_t)LISTING_TIME_MIN;
	else if ((long long)t > LISTING_TIME_MAX)
		t = (time_t)LISTING_TIME_MAX;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Free the entries, the href scratch and the output buffer. */
static void
listing_free(struct listing *l)
{
	size_t	 i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	free(l->href);
	free(l->out.p);
}
