/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for listing.c: directory listings in HTML and JSON.
 *
 * Each test gets a fresh temporary directory under /tmp (mode 0755) and
 * fills it: hostile names (markup, quotes, '&', '?' and '#', spaces,
 * UTF-8, a newline, invalid UTF-8, a "javascript:" name), dotfiles, a
 * symlink and a fifo, with mtimes set by utimensat.  The page is checked
 * against a small HTML tokenizer that knows only the tags and references
 * listing.c may write, so a name that breaks out of its context fails it;
 * JSON is checked against a strict validator and, for one directory, byte
 * for byte.  Truncation is tested at the real LISTING_MAX_ENTRIES and
 * LISTING_MAX_BYTES.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "listing.h"

#define T_FILE		1700000000	/* 2023-11-14 22:13:20 UTC */
#define T_DIR		1600000000	/* 2020-09-13 12:26:40 UTC */
#define T_EXACT		1000000000	/* 2001-09-09 01:46:40 UTC */
#define JSON_DEPTH	16
#define HREFS_MAX	(LISTING_MAX_ENTRIES + 16)
#define LONG_FILES	2000		/* of LONG_NAME bytes: over the cap */
#define LONG_NAME	250

struct fixture {
	char	 path[64];
	int	 fd;		/* the directory, O_RDONLY */
};

static int	 fx_setup(void **);
static int	 fx_teardown(void **);
static int	 rm_cb(const char *, const struct stat *, int, struct FTW *);
static void	 set_mtime(int, const char *, time_t);
static void	 mkfile(int, const char *, off_t, time_t);
static void	 mksub(int, const char *, time_t);
static void	 populate_hostile(int);
static char	*render(int, const char *, enum listing_format, bool);
static size_t	 hrefs(const char *, char **, size_t);
static void	 free_hrefs(char **, size_t);
static void	 check_hrefs(const char *, const char *const *, size_t);
static char	*row(const char *, const char *);
static size_t	 count(const char *, const char *);
static size_t	 html_ref(const char *);
static void	 check_html(const char *);
static size_t	 utf8_ref(const unsigned char *, size_t);
static bool	 json_value(const char **, const char *, int);
static void	 check_json(const char *);
static size_t	 not_shown(const char *);

/* The hostile directory's links, as listing.c must order and escape them. */
static const char *const hostile_hrefs[] = {
	"../",
	"./A%20dir/",
	"./b-dir/",
	"./%3Cscript%3E",
	"./a%22b",
	"./a&amp;b",
	"./a&#39;b",
	"./a%3Fb%23c",
	"./bad%FF",
	"./big",
	"./javascript:alert(1)",
	"./link-to-dir",
	"./new%0Aline",
	"./with%20space.txt",
	"./z-file",
	"./%C3%A9t%C3%A9.txt",
};

static int
fx_setup(void **state)
{
	struct fixture	*fx;

	fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	strcpy(fx->path, "/tmp/test_listing.XXXXXX");
	assert_non_null(mkdtemp(fx->path));
	assert_int_equal(chmod(fx->path, 0755), 0);
	fx->fd = open(fx->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->fd >= 0);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fixture	*fx = *state;

	close(fx->fd);
	nftw(fx->path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* nftw callback: remove one entry, children before their directory. */
static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) == -1 ? -1 : 0;
}

/* Set atime and mtime of dfd/name, a symlink itself rather than its target. */
static void
set_mtime(int dfd, const char *name, time_t t)
{
	struct timespec	 ts[2];

	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(dfd, name, ts, AT_SYMLINK_NOFOLLOW), 0);
}

/* A file of `size` bytes (sparse: sizes of terabytes cost nothing). */
static void
mkfile(int dfd, const char *name, off_t size, time_t t)
{
	int	 fd;

	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	close(fd);
	set_mtime(dfd, name, t);
}

/* An empty subdirectory. */
static void
mksub(int dfd, const char *name, time_t t)
{
	assert_int_equal(mkdirat(dfd, name, 0755), 0);
	set_mtime(dfd, name, t);
}

/* The hostile directory (hostile_hrefs above, plus two dotfiles). */
static void
populate_hostile(int dfd)
{
	mksub(dfd, "b-dir", T_DIR);
	mksub(dfd, "A dir", T_DIR);
	mksub(dfd, ".hiddendir", T_DIR);
	mkfile(dfd, "<script>", 1023, T_FILE);
	mkfile(dfd, "a\"b", 0, T_FILE);
	mkfile(dfd, "a&b", 0, T_FILE);
	mkfile(dfd, "a'b", 0, T_FILE);
	mkfile(dfd, "a?b#c", 1024, T_FILE);
	mkfile(dfd, "bad\xff", 0, T_FILE);
	mkfile(dfd, "big", 3670016, -1);
	mkfile(dfd, "javascript:alert(1)", 0, T_FILE);
	mkfile(dfd, "new\nline", 0, T_FILE);
	mkfile(dfd, "with space.txt", 1048575, T_FILE);
	mkfile(dfd, "z-file", 1536, T_FILE);
	mkfile(dfd, "\xc3\xa9t\xc3\xa9.txt", 5, T_FILE);
	mkfile(dfd, ".hidden", 0, T_FILE);
	assert_int_equal(symlinkat("b-dir", dfd, "link-to-dir"), 0);
	set_mtime(dfd, "link-to-dir", T_FILE);
}

/*
 * Render, and return the output as a C string (caller frees), after
 * checking that it holds no NUL byte.
 */
static char *
render(int fd, const char *urlpath, enum listing_format fmt, bool dot)
{
	char	*out = NULL, *s;
	size_t	 len = 0;

	assert_int_equal(listing_render(fd, urlpath, fmt, dot, &out, &len), 0);
	assert_non_null(out);
	assert_true(len > 0);
	assert_null(memchr(out, '\0', len));
	s = strndup(out, len);
	assert_non_null(s);
	free(out);
	return s;
}

/* Collect the href values of an HTML page, in order (caller frees them). */
static size_t
hrefs(const char *html, char **v, size_t max)
{
	const char	*p = html, *q;
	size_t		 n = 0;

	while ((p = strstr(p, "<a href=\"")) != NULL) {
		p += strlen("<a href=\"");
		q = strchr(p, '"');
		assert_non_null(q);
		assert_true(n < max);
		v[n] = strndup(p, (size_t)(q - p));
		assert_non_null(v[n]);
		n++;
		p = q;
	}
	return n;
}

/* Free what hrefs() collected. */
static void
free_hrefs(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
}

/* The page's links are exactly want[0..n), in this order. */
static void
check_hrefs(const char *html, const char *const *want, size_t n)
{
	char	*got[64];
	size_t	 i, k;

	k = hrefs(html, got, 64);
	for (i = 0; i < n && i < k; i++)
		if (strcmp(got[i], want[i]) != 0)
			fail_msg("link %zu: \"%s\", want \"%s\"", i, got[i],
			    want[i]);
	if (k != n)
		fail_msg("%zu links, want %zu", k, n);
	free_hrefs(got, k);
}

/* The line of the page holding the link to href (caller frees). */
static char *
row(const char *html, const char *href)
{
	char		 pat[256];
	const char	*p, *start, *end;
	char		*r;

	snprintf(pat, sizeof(pat), "<a href=\"%s\">", href);
	p = strstr(html, pat);
	if (p == NULL)
		fail_msg("no link to \"%s\"", href);
	start = p;
	while (start > html && start[-1] != '\n')
		start--;
	end = strchr(p, '\n');
	assert_non_null(end);
	r = strndup(start, (size_t)(end - start));
	assert_non_null(r);
	return r;
}

/* Occurrences of needle in s. */
static size_t
count(const char *s, const char *needle)
{
	size_t	 n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The length of the character reference at s that listing.c may write. */
static size_t
html_ref(const char *s)
{
	static const char *const refs[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#xFFFD;"
	};
	size_t	 i;

	for (i = 0; i < sizeof(refs) / sizeof(*refs); i++)
		if (strncmp(s, refs[i], strlen(refs[i])) == 0)
			return strlen(refs[i]);
	fail_msg("unknown reference at \"%.20s\"", s);
	return 0;
}

/*
 * A tokenizer for the page: text may hold no '>' and only known
 * references; a tag must be one listing.c writes, with double-quoted
 * attribute values free of '<', '>', '"' and bare '&'; the stylesheet may
 * hold no '<'.  A name that escaped its context would trip one of these.
 */
static void
check_html(const char *h)
{
	static const char *const tags[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body",
		"main", "h1", "table", "thead", "tbody", "tr", "th", "td", "a",
		"p"
	};
	const char	*p = h, *end;
	size_t		 n, i;
	bool		 closing, style;

	assert_true(strncmp(h, "<!DOCTYPE html>\n", 16) == 0);
	while (*p != '\0') {
		if (*p == '&') {
			p += html_ref(p);
			continue;
		}
		if (*p == '>')
			fail_msg("raw '>' in text at \"%.40s\"", p);
		if (*p++ != '<')
			continue;
		closing = *p == '/';
		p += closing;
		n = strspn(p, "!ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "abcdefghijklmnopqrstuvwxyz0123456789");
		for (i = 0; i < sizeof(tags) / sizeof(*tags); i++)
			if (strlen(tags[i]) == n && strncmp(p, tags[i], n) == 0)
				break;
		if (i == sizeof(tags) / sizeof(*tags))
			fail_msg("unexpected tag at \"%.40s\"",
			    p - 1 - closing);
		style = !closing && strncmp(p, "style", n) == 0;
		p += n;
		for (;;) {
			p += strspn(p, " ");
			if (*p == '>')
				break;
			n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
			if (n == 0)
				fail_msg("bad attribute at \"%.40s\"", p);
			p += n;
			if (*p != '=')
				continue;
			if (*++p != '"')
				fail_msg("unquoted value at \"%.40s\"", p);
			for (p++; *p != '"'; ) {
				if (*p == '\0' || *p == '<' || *p == '>')
					fail_msg("bad value at \"%.40s\"", p);
				p += *p == '&' ? html_ref(p) : 1;
			}
			p++;
		}
		p++;
		if (style) {
			end = strstr(p, "</style>");
			assert_non_null(end);
			assert_null(memchr(p, '<', (size_t)(end - p)));
			p = end;
		}
	}
}

/*
 * The length of the well-formed UTF-8 character at s (avail bytes), or 0;
 * decoded by code point, unlike listing.c's table, to cross-check it.
 */
static size_t
utf8_ref(const unsigned char *s, size_t avail)
{
	uint32_t	 cp;
	size_t		 n, i;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Parse one JSON value (RFC 8259) at *pp, moving past it and the white
 * space after it; false if it is not valid.
 */
static bool
json_value(const char **pp, const char *end, int depth)
{
	const char	*p = *pp;
	size_t		 n, k;
	char		 open;

	if (depth > JSON_DEPTH || p == end)
		return false;
	if (*p == '{' || *p == '[') {
		open = *p++;
		p += strspn(p, " \t\r\n");
		if (*p == (open == '{' ? '}' : ']')) {
			p++;
			goto done;
		}
		for (;;) {
			if (open == '{') {
				if (*p != '"' ||
				    !json_value(&p, end, depth + 1))
					return false;
				if (*p++ != ':')
					return false;
				p += strspn(p, " \t\r\n");
			}
			if (!json_value(&p, end, depth + 1))
				return false;
			if (*p == (open == '{' ? '}' : ']')) {
				p++;
				goto done;
			}
			if (*p++ != ',')
				return false;
			p += strspn(p, " \t\r\n");
		}
	}
	if (*p == '"') {
		for (p++; p < end && *p != '"'; p += n) {
			n = 1;
			if ((unsigned char)*p < 0x20)
				return false;
			if (*p == '\\' && p[1] == 'u') {
				for (k = 2; k < 6; k++)
					if (!isxdigit((unsigned char)p[k]))
						return false;
				n = 6;
			} else if (*p == '\\') {
				if (p[1] == '\0' || strchr("\"\\/bfnrt", p[1])
				    == NULL)
					return false;
				n = 2;
			} else if ((n = utf8_ref((const unsigned char *)p,
			    (size_t)(end - p))) == 0)
				return false;
		}
		if (p == end)
			return false;
		p++;
		goto done;
	}
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0) {
		p += 4;
		goto done;
	}
	if (strncmp(p, "false", 5) == 0) {
		p += 5;
		goto done;
	}
	/* A number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
	p += *p == '-';
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		p += strspn(p, "0123456789");
	else
		return false;
	if (*p == '.') {
		if ((n = strspn(++p, "0123456789")) == 0)
			return false;
		p += n;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		p += *p == '+' || *p == '-';
		if ((n = strspn(p, "0123456789")) == 0)
			return false;
		p += n;
	}
 done:
	p += strspn(p, " \t\r\n");
	*pp = p;
	return true;
}

/* The count in the page's "N more entries not shown" note; 0 if none. */
static size_t
not_shown(const char *html)
{
	const char	*p;
	size_t		 n;
	int		 end = 0;

	if ((p = strstr(html, "<p class=\"more\">")) == NULL)
		return 0;
	if (sscanf(p, "<p class=\"more\">%zu more %*s not shown</p>\n%n", &n,
	    &end) != 1 || end == 0)
		fail_msg("bad note at \"%.60s\"", p);
	assert_string_equal(p + end, "</main>\n</body>\n</html>\n");
	return n;
}

/* s is exactly one valid JSON text. */
static void
check_json(const char *s)
{
	const char	*p = s, *end = s + strlen(s);

	p += strspn(p, " \t\r\n");
	if (!json_value(&p, end, 0) || p != end)
		fail_msg("invalid JSON near offset %td: \"%.40s\"", p - s, p);
}

/* Directories first, then files bytewise; dotfiles left out. */
static void
test_listing_render_html_order(void **state)
{
	struct fixture	*fx = *state;
	char		*h;

	populate_hostile(fx->fd);
	h = render(fx->fd, "/sub/", LISTING_HTML, false);
	check_hrefs(h, hostile_hrefs,
	    sizeof(hostile_hrefs) / sizeof(*hostile_hrefs));
	check_html(h);
	free(h);
}

/* Every hostile name is escaped for its context, text and href alike. */
static void
test_listing_render_html_escaping(void **state)
{
	struct fixture	*fx = *state;
	char		*h, *r;

	populate_hostile(fx->fd);
	h = render(fx->fd, "/sub/", LISTING_HTML, false);
	assert_null(strstr(h, "<script>"));
	assert_null(strstr(h, "new\nline"));
	r = row(h, "./%3Cscript%3E");
	assert_string_equal(r, "<tr><td><a href=\"./%3Cscript%3E\">"
	    "&lt;script&gt;</a></td><td class=\"s\">1023 B</td>"
	    "<td class=\"m\">2023-11-14 22:13</td></tr>");
	free(r);
	r = row(h, "./a%22b");
	assert_non_null(strstr(r, ">a&quot;b</a>"));
	free(r);
	r = row(h, "./a&amp;b");
	assert_non_null(strstr(r, ">a&amp;b</a>"));
	free(r);
	r = row(h, "./a&#39;b");
	assert_non_null(strstr(r, ">a&#39;b</a>"));
	free(r);
	r = row(h, "./a%3Fb%23c");
	assert_non_null(strstr(r, ">a?b#c</a>"));
	free(r);
	r = row(h, "./new%0Aline");
	assert_non_null(strstr(r, ">new&#xFFFD;line</a>"));
	free(r);
	r = row(h, "./%C3%A9t%C3%A9.txt");
	assert_non_null(strstr(r, ">\xc3\xa9t\xc3\xa9.txt</a>"));
	free(r);
	r = row(h, "./bad%FF");
	assert_non_null(strstr(r, ">bad\xff</a>"));
	free(r);
	/* A path, not a scheme. */
	assert_null(strstr(h, "href=\"javascript:"));
	assert_non_null(strstr(h, "href=\"./javascript:alert(1)\""));
	check_html(h);
	free(h);
}

/* The URL path is escaped in the title and the heading. */
static void
test_listing_render_html_urlpath_escaped(void **state)
{
	struct fixture	*fx = *state;
	char		*h;

	mkfile(fx->fd, "f", 0, T_FILE);
	h = render(fx->fd, "/<b>&\"'x/", LISTING_HTML, false);
	assert_non_null(strstr(h, "<title>Index of /&lt;b&gt;&amp;&quot;"
	    "&#39;x/</title>"));
	assert_non_null(strstr(h, "<h1>Index of /&lt;b&gt;&amp;&quot;"
	    "&#39;x/</h1>"));
	assert_null(strstr(h, "<b>"));
	check_html(h);
	free(h);
}

/* A self-contained page: doctype, charset, viewport, inline styles. */
static void
test_listing_render_html_page(void **state)
{
	struct fixture	*fx = *state;
	char		*h;

	h = render(fx->fd, "/", LISTING_HTML, false);
	assert_non_null(strstr(h, "<meta charset=\"utf-8\">"));
	assert_non_null(strstr(h, "<meta name=\"viewport\" "));
	assert_non_null(strstr(h, "<style>"));
	assert_non_null(strstr(h, "system-ui"));
	assert_non_null(strstr(h, "prefers-color-scheme:dark"));
	assert_non_null(strstr(h, "<th>Name</th><th class=\"s\">Size</th>"
	    "<th class=\"m\">Modified</th>"));
	assert_null(strstr(h, "http"));	/* nothing external */
	assert_true(strlen(h) > 0 && h[strlen(h) - 1] == '\n');
	check_html(h);
	free(h);
}

/* A link to the parent everywhere but at "/". */
static void
test_listing_render_html_parent(void **state)
{
	struct fixture	*fx = *state;
	char		*h, *r;

	mksub(fx->fd, "d", T_DIR);
	h = render(fx->fd, "/", LISTING_HTML, false);
	assert_null(strstr(h, "href=\"../\""));
	free(h);
	h = render(fx->fd, "/a/b/", LISTING_HTML, false);
	assert_int_equal(count(h, "href=\"../\""), 1);
	r = row(h, "../");
	assert_string_equal(r, "<tr class=\"d\"><td><a href=\"../\">../</a>"
	    "</td><td class=\"s\">-</td><td class=\"m\"></td></tr>");
	free(r);
	/* The parent comes first. */
	assert_true(strstr(h, "href=\"../\"") < strstr(h, "href=\"./d/\""));
	free(h);
}

/* Directories: trailing slash, "-" for the size; a symlink is a file. */
static void
test_listing_render_html_rows(void **state)
{
	struct fixture	*fx = *state;
	char		*h, *r;

	populate_hostile(fx->fd);
	h = render(fx->fd, "/sub/", LISTING_HTML, false);
	r = row(h, "./A%20dir/");
	assert_string_equal(r, "<tr class=\"d\"><td><a href=\"./A%20dir/\">"
	    "A dir/</a></td><td class=\"s\">-</td><td class=\"m\">"
	    "2020-09-13 12:26</td></tr>");
	free(r);
	r = row(h, "./big");
	assert_string_equal(r, "<tr><td><a href=\"./big\">big</a></td>"
	    "<td class=\"s\">3.5 MiB</td><td class=\"m\">1969-12-31 23:59</td>"
	    "</tr>");
	free(r);
	r = row(h, "./link-to-dir");
	assert_string_equal(r, "<tr><td><a href=\"./link-to-dir\">"
	    "link-to-dir</a></td><td class=\"s\">-</td><td class=\"m\">"
	    "2023-11-14 22:13</td></tr>");
	free(r);
	free(h);
}

/* Human-readable sizes, at and around each unit's boundaries. */
static void
test_listing_render_html_sizes(void **state)
{
	static const struct {
		off_t		 size;
		const char	*text;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1.0 KiB" },
		{ 1075, "1.0 KiB" },
		{ 1076, "1.1 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1048524, "1023.9 KiB" },
		{ 1048525, "1.0 MiB" },
		{ 1048576, "1.0 MiB" },
		{ 3670016, "3.5 MiB" },
		{ 1073741824, "1.0 GiB" },
		{ 1099511627776LL, "1.0 TiB" },
		{ 6047313952768LL, "5.5 TiB" },
	};
	struct fixture	*fx = *state;
	char		 name[32], href[32], want[64];
	char		*h, *r;
	size_t		 i;

	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(name, sizeof(name), "s%02zu", i);
		mkfile(fx->fd, name, cases[i].size, T_FILE);
	}
	h = render(fx->fd, "/", LISTING_HTML, false);
	for (i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		snprintf(href, sizeof(href), "./s%02zu", i);
		snprintf(want, sizeof(want), "<td class=\"s\">%s</td>",
		    cases[i].text);
		r = row(h, href);
		if (strstr(r, want) == NULL)
			fail_msg("%jd bytes: \"%s\", want %s",
			    (intmax_t)cases[i].size, r, want);
		free(r);
	}
	free(h);
}

/* Dotfiles appear only when asked for; "." and ".." never. */
static void
test_listing_render_dotfiles(void **state)
{
	static const char *const want[] = {
		"./.hiddendir/", "./A%20dir/", "./b-dir/", "./.hidden"
	};
	struct fixture	*fx = *state;
	char		*h, *v[64];
	size_t		 n, i;

	populate_hostile(fx->fd);
	h = render(fx->fd, "/", LISTING_HTML, false);
	assert_null(strstr(h, "hidden"));
	free(h);
	h = render(fx->fd, "/", LISTING_JSON, false);
	assert_null(strstr(h, "hidden"));
	free(h);

	h = render(fx->fd, "/", LISTING_HTML, true);
	n = hrefs(h, v, 64);
	assert_int_equal(n, sizeof(hostile_hrefs) / sizeof(*hostile_hrefs) +
	    1);		/* two dotfiles more, no "../" at "/" */
	for (i = 0; i < 4; i++)
		assert_string_equal(v[i], want[i]);
	for (i = 0; i < n; i++) {
		assert_string_not_equal(v[i], "./");
		assert_string_not_equal(v[i], "./../");
		assert_string_not_equal(v[i], "./.");
		assert_string_not_equal(v[i], "./..");
	}
	free_hrefs(v, n);
	check_html(h);
	free(h);
	h = render(fx->fd, "/", LISTING_JSON, true);
	assert_non_null(strstr(h, "{\"name\": \".hidden\", \"type\": "
	    "\"file\""));
	assert_null(strstr(h, "\"name\": \".\""));
	assert_null(strstr(h, "\"name\": \"..\""));
	check_json(h);
	free(h);
}

/* A small directory's JSON, byte for byte: types, sizes, times, escapes. */
static void
test_listing_render_json_exact(void **state)
{
	static const char want[] =
	    "{\"path\": \"/x/\", \"entries\": [\n"
	    "{\"name\": \"d\", \"type\": \"dir\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"a\\\"b\\\\c\", \"type\": \"file\", \"size\": 7, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"bad\\u00ff\", \"type\": \"file\", \"size\": 0, "
	    "\"mtime\": \"1969-12-31T23:59:59Z\"},\n"
	    "{\"name\": \"ctl\\u0001\\u001f\\u007f\\u000a\", "
	    "\"type\": \"file\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"fifo\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"link\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"over\\u00c0\\u00af\", \"type\": \"file\", "
	    "\"size\": 0, \"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"sur\\u00ed\\u00a0\\u0080\", \"type\": \"file\", "
	    "\"size\": 0, \"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"trunc\\u00e2\\u0082\", \"type\": \"file\", "
	    "\"size\": 0, \"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"\xc3\xa9\", \"type\": \"file\", \"size\": 2, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"\xf0\x9f\x98\x80\", \"type\": \"file\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"\\u00f4\\u0090\\u0080\\u0080\", \"type\": \"file\", "
	    "\"size\": 0, \"mtime\": \"2001-09-09T01:46:40Z\"}\n"
	    "], \"truncated\": false}\n";
	struct fixture	*fx = *state;
	char		*j;

	mksub(fx->fd, "d", T_EXACT);
	mkfile(fx->fd, "a\"b\\c", 7, T_EXACT);
	mkfile(fx->fd, "bad\xff", 0, -1);
	mkfile(fx->fd, "ctl\x01\x1f\x7f\n", 0, T_EXACT);
	mkfile(fx->fd, "over\xc0\xaf", 0, T_EXACT);
	mkfile(fx->fd, "sur\xed\xa0\x80", 0, T_EXACT);
	mkfile(fx->fd, "trunc\xe2\x82", 0, T_EXACT);
	mkfile(fx->fd, "\xc3\xa9", 2, T_EXACT);
	mkfile(fx->fd, "\xf0\x9f\x98\x80", 0, T_EXACT);
	mkfile(fx->fd, "\xf4\x90\x80\x80", 0, T_EXACT);
	assert_int_equal(mkfifoat(fx->fd, "fifo", 0644), 0);
	set_mtime(fx->fd, "fifo", T_EXACT);
	assert_int_equal(symlinkat("d", fx->fd, "link"), 0);
	set_mtime(fx->fd, "link", T_EXACT);
	j = render(fx->fd, "/x/", LISTING_JSON, false);
	assert_string_equal(j, want);
	check_json(j);
	free(j);
}

/* The hostile directory and a hostile URL path give valid JSON. */
static void
test_listing_render_json_valid(void **state)
{
	static const char want[] = "{\"path\": \"/q\\\"\\\\\\u0001<\\u00ff/\", "
	    "\"entries\": [\n{\"name\": \"A dir\", \"type\": \"dir\"";
	struct fixture	*fx = *state;
	char		*j;

	populate_hostile(fx->fd);
	j = render(fx->fd, "/q\"\\\x01<\xff/", LISTING_JSON, false);
	assert_memory_equal(j, want, sizeof(want) - 1);
	assert_int_equal(count(j, "{\"name\": "),
	    sizeof(hostile_hrefs) / sizeof(*hostile_hrefs) - 1);
	assert_non_null(strstr(j, "{\"name\": \"new\\u000aline\", "));
	assert_non_null(strstr(j, "{\"name\": \"big\", \"type\": \"file\", "
	    "\"size\": 3670016, \"mtime\": \"1969-12-31T23:59:59Z\"}"));
	assert_non_null(strstr(j, "{\"name\": \"link-to-dir\", \"type\": "
	    "\"other\", \"size\": 0, "));
	assert_non_null(strstr(j, "], \"truncated\": false}\n"));
	check_json(j);
	free(j);
}

/* An empty directory: a page with nothing but its note, an empty array. */
static void
test_listing_render_empty(void **state)
{
	struct fixture	*fx = *state;
	char		*s, *v[4];
	size_t		 n;

	s = render(fx->fd, "/e/", LISTING_HTML, false);
	n = hrefs(s, v, 4);
	assert_int_equal(n, 1);
	assert_string_equal(v[0], "../");
	free_hrefs(v, n);
	assert_non_null(strstr(s, "Empty directory"));
	assert_null(strstr(s, "not shown"));
	check_html(s);
	free(s);
	s = render(fx->fd, "/", LISTING_HTML, false);
	assert_int_equal(count(s, "<a href="), 0);
	free(s);
	s = render(fx->fd, "/e/", LISTING_JSON, false);
	assert_string_equal(s,
	    "{\"path\": \"/e/\", \"entries\": [], \"truncated\": false}\n");
	check_json(s);
	free(s);
	/* Only dotfiles, not shown: empty too. */
	mkfile(fx->fd, ".a", 0, T_FILE);
	s = render(fx->fd, "/", LISTING_HTML, false);
	assert_non_null(strstr(s, "Empty directory"));
	free(s);
}

/* Fifty files and five directories: all there, in order, no note. */
static void
test_listing_render_many(void **state)
{
	struct fixture	*fx = *state;
	char		 name[32], want[32];
	char		*s, *v[64];
	size_t		 n, i;

	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "f%02zu", 49 - i);
		mkfile(fx->fd, name, (off_t)i, T_FILE);
	}
	for (i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "z%zu", 4 - i);
		mksub(fx->fd, name, T_DIR);
	}
	s = render(fx->fd, "/", LISTING_HTML, false);
	n = hrefs(s, v, 64);
	assert_int_equal(n, 55);
	for (i = 0; i < n; i++) {
		if (i < 5)
			snprintf(want, sizeof(want), "./z%zu/", i);
		else
			snprintf(want, sizeof(want), "./f%02zu", i - 5);
		assert_string_equal(v[i], want);
	}
	free_hrefs(v, n);
	assert_int_equal(count(s, "<tr class=\"d\">"), 5);
	assert_int_equal(count(s, "<tr>"), 50 + 1);	/* and the header */
	assert_null(strstr(s, "not shown"));
	check_html(s);
	free(s);
	s = render(fx->fd, "/", LISTING_JSON, false);
	assert_int_equal(count(s, "{\"name\": "), 55);
	assert_int_equal(count(s, "\"type\": \"dir\""), 5);
	assert_non_null(strstr(s, "\"truncated\": false"));
	check_json(s);
	free(s);
}

/*
 * Past LISTING_MAX_ENTRIES: the first entries in listing order are kept,
 * whatever order readdir returns them in, and the rest are counted.  The
 * directories are named to sort last by name, so they are kept only if
 * directories really come first.  The names have five bytes, so that
 * LISTING_MAX_ENTRIES rows fit in LISTING_MAX_BYTES (about 103 bytes a
 * row); test_listing_render_both_caps has longer ones.
 */
static void
test_listing_render_truncated(void **state)
{
	struct fixture	*fx = *state;
	char		 name[32], want[64];
	char		*s, **v;
	size_t		 n, i;
	int		 fd;

	for (i = 0; i < LISTING_MAX_ENTRIES + 7; i++) {
		snprintf(name, sizeof(name), "%05zu", i);
		fd = openat(fx->fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "z%zu", i);
		mksub(fx->fd, name, T_DIR);
	}
	v = calloc(HREFS_MAX, sizeof(*v));
	assert_non_null(v);
	s = render(fx->fd, "/", LISTING_HTML, false);
	n = hrefs(s, v, HREFS_MAX);
	assert_int_equal(n, LISTING_MAX_ENTRIES);
	assert_string_equal(v[0], "./z0/");
	assert_string_equal(v[2], "./z2/");
	assert_string_equal(v[3], "./00000");
	snprintf(want, sizeof(want), "./%05d", LISTING_MAX_ENTRIES - 4);
	assert_string_equal(v[n - 1], want);
	for (i = 4; i < n; i++)
		assert_true(strcmp(v[i - 1], v[i]) < 0);
	free_hrefs(v, n);
	free(v);
	assert_non_null(strstr(s, "<p class=\"more\">10 more entries not "
	    "shown</p>"));
	assert_true(strlen(s) <= LISTING_MAX_BYTES);
	check_html(s);
	free(s);
	s = render(fx->fd, "/", LISTING_JSON, false);
	assert_int_equal(count(s, "{\"name\": "), LISTING_MAX_ENTRIES);
	assert_non_null(strstr(s, "\n], \"truncated\": true}\n"));
	check_json(s);
	free(s);
	/* One entry past the limit: the singular. */
	for (i = LISTING_MAX_ENTRIES - 3; i <= LISTING_MAX_ENTRIES + 5; i++) {
		snprintf(name, sizeof(name), "%05zu", i);
		assert_int_equal(unlinkat(fx->fd, name, 0), 0);
	}
	s = render(fx->fd, "/", LISTING_HTML, false);
	assert_non_null(strstr(s, "<p class=\"more\">1 more entry not "
	    "shown</p>"));
	free(s);
}

/*
 * Each kind of entry is typed as before d_type was used (DT_UNKNOWN, the
 * fstatat fallback, cannot be forced on tmpfs or ext4, so it is not
 * tested): a directory is "dir" and sorts first; a regular file is "file"
 * with its size; symlinks (to a directory, a file, nothing), a fifo and a
 * socket are "other", size 0, their own mtime, sorted among the files.
 */
static void
test_listing_render_types(void **state)
{
	static const char want[] =
	    "{\"path\": \"/\", \"entries\": [\n"
	    "{\"name\": \"sub\", \"type\": \"dir\", \"size\": 0, "
	    "\"mtime\": \"2020-09-13T12:26:40Z\"},\n"
	    "{\"name\": \"dangling\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"fifo\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"file\", \"type\": \"file\", \"size\": 3, "
	    "\"mtime\": \"2023-11-14T22:13:20Z\"},\n"
	    "{\"name\": \"link-dir\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"link-file\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"},\n"
	    "{\"name\": \"sock\", \"type\": \"other\", \"size\": 0, "
	    "\"mtime\": \"2001-09-09T01:46:40Z\"}\n"
	    "], \"truncated\": false}\n";
	static const char *const links[] = {
		"./sub/", "./dangling", "./fifo", "./file", "./link-dir",
		"./link-file", "./sock"
	};
	struct fixture		*fx = *state;
	struct sockaddr_un	 sun;
	char			*s, *r;
	int			 sock;

	mksub(fx->fd, "sub", T_DIR);
	mkfile(fx->fd, "file", 3, T_FILE);
	assert_int_equal(symlinkat("sub", fx->fd, "link-dir"), 0);
	assert_int_equal(symlinkat("file", fx->fd, "link-file"), 0);
	assert_int_equal(symlinkat("nowhere", fx->fd, "dangling"), 0);
	assert_int_equal(mkfifoat(fx->fd, "fifo", 0644), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/sock", fx->path);
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(sock >= 0);
	assert_int_equal(bind(sock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(sock);
	set_mtime(fx->fd, "link-dir", T_EXACT);
	set_mtime(fx->fd, "link-file", T_EXACT);
	set_mtime(fx->fd, "dangling", T_EXACT);
	set_mtime(fx->fd, "fifo", T_EXACT);
	set_mtime(fx->fd, "sock", T_EXACT);

	s = render(fx->fd, "/", LISTING_JSON, false);
	assert_string_equal(s, want);
	free(s);
	s = render(fx->fd, "/", LISTING_HTML, false);
	check_hrefs(s, links, sizeof(links) / sizeof(*links));
	r = row(s, "./link-dir");
	assert_string_equal(r, "<tr><td><a href=\"./link-dir\">link-dir</a>"
	    "</td><td class=\"s\">-</td><td class=\"m\">2001-09-09 01:46</td>"
	    "</tr>");
	free(r);
	r = row(s, "./file");
	assert_non_null(strstr(r, "<td class=\"s\">3 B</td>"));
	free(r);
	check_html(s);
	free(s);
}

/*
 * LISTING_MAX_BYTES: 2000 names of 250 bytes, most of them escaping to
 * several bytes a byte (a control byte is 8 in HTML text and 6 in JSON),
 * would render several megabytes.  The output stops at the cap with whole
 * rows, the first ones in listing order; the note counts the rest; the
 * page is complete and the JSON valid.  The cap is not wasted either: the
 * output comes within one row and the closing markup of it.
 */
static void
test_listing_render_byte_cap(void **state)
{
	static const char fill[] = "\x01\x7f<&\"";
	static const char html_end[] = "</tbody>\n</table>\n<p class=\"more\">";
	struct fixture	*fx = *state;
	char		 name[LONG_NAME + 1], want[32];
	char		*s, **v, *out;
	const char	*p;
	size_t		 n, i, k, len;
	int		 fd;

	for (i = 0; i < LONG_FILES; i++) {
		snprintf(name, sizeof(name), "%04zu", i);
		memset(name + 4, fill[i % (sizeof(fill) - 1)], LONG_NAME - 4);
		name[LONG_NAME] = '\0';
		fd = openat(fx->fd, name, O_WRONLY | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}

	assert_int_equal(listing_render(fx->fd, "/d/", LISTING_HTML, false,
	    &out, &len), 0);
	assert_true(len <= LISTING_MAX_BYTES);
	assert_true(len > LISTING_MAX_BYTES - 8192);
	free(out);
	s = render(fx->fd, "/d/", LISTING_HTML, false);
	check_html(s);
	v = calloc(HREFS_MAX, sizeof(*v));
	assert_non_null(v);
	n = hrefs(s, v, HREFS_MAX);
	assert_true(n > 1 && n < LONG_FILES);
	assert_string_equal(v[0], "../");
	for (i = 1; i < n; i++) {
		snprintf(want, sizeof(want), "./%04zu", i - 1);
		assert_memory_equal(v[i], want, strlen(want));
	}
	free_hrefs(v, n);
	free(v);
	assert_int_equal(not_shown(s), LONG_FILES - (n - 1));
	p = strstr(s, html_end);
	assert_non_null(p);
	assert_true(p[-1] == '\n' && strncmp(p - 6, "</tr>", 5) == 0);
	free(s);

	assert_int_equal(listing_render(fx->fd, "/d/", LISTING_JSON, false,
	    &out, &len), 0);
	assert_true(len <= LISTING_MAX_BYTES);
	assert_true(len > LISTING_MAX_BYTES - 4096);
	free(out);
	s = render(fx->fd, "/d/", LISTING_JSON, false);
	check_json(s);
	assert_true(strlen(s) > 30);
	assert_string_equal(s + strlen(s) - 24, "}\n], \"truncated\": true}\n");
	k = count(s, "{\"name\": ");
	assert_true(k > 0 && k < LONG_FILES);
	for (p = s, i = 0; (p = strstr(p, "{\"name\": \"")) != NULL; i++) {
		p += strlen("{\"name\": \"");
		snprintf(want, sizeof(want), "%04zu", i);
		assert_memory_equal(p, want, 4);
	}
	assert_int_equal(i, k);
	free(s);
}

/*
 * Both caps at once: the old fixture of test_listing_render_truncated
 * (LISTING_MAX_ENTRIES + 10 entries, six-byte names) renders about 1.05 MB
 * of HTML, so the byte cap cuts the page below LISTING_MAX_ENTRIES rows and
 * the note counts both kinds of rows left out; its JSON fits, and holds
 * exactly LISTING_MAX_ENTRIES entries.
 */
static void
test_listing_render_both_caps(void **state)
{
	struct fixture	*fx = *state;
	char		 name[32], want[32];
	char		*s, **v;
	size_t		 n, i;
	int		 fd;

	for (i = 0; i < LISTING_MAX_ENTRIES + 7; i++) {
		snprintf(name, sizeof(name), "f%05zu", i);
		fd = openat(fx->fd, name, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "z%zu", i);
		mksub(fx->fd, name, T_DIR);
	}
	s = render(fx->fd, "/", LISTING_HTML, false);
	assert_true(strlen(s) <= LISTING_MAX_BYTES);
	check_html(s);
	v = calloc(HREFS_MAX, sizeof(*v));
	assert_non_null(v);
	n = hrefs(s, v, HREFS_MAX);
	assert_true(n > 3 && n < LISTING_MAX_ENTRIES);
	assert_string_equal(v[0], "./z0/");
	for (i = 3; i < n; i++) {
		snprintf(want, sizeof(want), "./f%05zu", i - 3);
		assert_string_equal(v[i], want);
	}
	free_hrefs(v, n);
	free(v);
	assert_int_equal(not_shown(s), LISTING_MAX_ENTRIES + 10 - n);
	free(s);
	s = render(fx->fd, "/", LISTING_JSON, false);
	assert_true(strlen(s) <= LISTING_MAX_BYTES);
	assert_int_equal(count(s, "{\"name\": "), LISTING_MAX_ENTRIES);
	assert_non_null(strstr(s, "\n], \"truncated\": true}\n"));
	check_json(s);
	free(s);
}

/*
 * dirfd is borrowed: it stays open, no descriptor leaks, and a second
 * render lists the same entries although the first one moved the offset
 * the duplicate shares (a missing rewind would list nothing).
 */
static void
test_listing_render_dirfd_borrowed(void **state)
{
	struct fixture	*fx = *state;
	char		*a, *b;
	int		 before, after;

	populate_hostile(fx->fd);
	before = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(before >= 0);
	close(before);
	a = render(fx->fd, "/", LISTING_JSON, true);
	b = render(fx->fd, "/", LISTING_JSON, true);
	assert_string_equal(a, b);
	assert_true(count(a, "{\"name\": ") > 10);
	free(a);
	free(b);
	assert_true(fcntl(fx->fd, F_GETFD) != -1);
	after = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(after, before);
	close(after);
}

/* Bad arguments and descriptors fail with errno, and *out is NULL. */
static void
test_listing_render_errors(void **state)
{
	static const char *const bad[] = { "", "x/", "/x", "a" };
	struct fixture	*fx = *state;
	char		 dummy, *out = &dummy;
	size_t		 len = 1, i;
	int		 fd;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		errno = 0;
		assert_int_equal(listing_render(fx->fd, bad[i], LISTING_HTML,
		    false, &out, &len), -1);
		assert_int_equal(errno, EINVAL);
		assert_null(out);
		assert_int_equal(len, 0);
	}
	assert_int_equal(listing_render(fx->fd, NULL, LISTING_HTML, false,
	    &out, &len), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(listing_render(fx->fd, "/", (enum listing_format)7,
	    false, &out, &len), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(listing_render(-1, "/", LISTING_JSON, false, &out,
	    &len), -1);
	assert_int_equal(errno, EBADF);
	mkfile(fx->fd, "f", 0, T_FILE);
	fd = openat(fx->fd, "f", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(listing_render(fd, "/", LISTING_JSON, false, &out,
	    &len), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_null(out);
	close(fd);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define F(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		F(test_listing_render_html_order),
		F(test_listing_render_html_escaping),
		F(test_listing_render_html_urlpath_escaped),
		F(test_listing_render_html_page),
		F(test_listing_render_html_parent),
		F(test_listing_render_html_rows),
		F(test_listing_render_html_sizes),
		F(test_listing_render_dotfiles),
		F(test_listing_render_json_exact),
		F(test_listing_render_json_valid),
		F(test_listing_render_empty),
		F(test_listing_render_many),
		F(test_listing_render_truncated),
		F(test_listing_render_types),
		F(test_listing_render_byte_cap),
		F(test_listing_render_both_caps),
		F(test_listing_render_dirfd_borrowed),
		F(test_listing_render_errors),
#undef F
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
