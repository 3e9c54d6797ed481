/* sluice: the conformance matrix runner, see tests/conformance/README. */

/*
 * Reads every *.txt file of $SLUICE_CONFORMANCE (tests/conformance), and
 * for each one copies the fixture docroot (htdocs/) to a temporary
 * directory, sets every mtime to CF_MTIME, adds the file's @file and @fill
 * files, starts a server with the file's @options on it, and runs every
 * row ("### " case) on a fresh connection: sends the raw bytes, reads the
 * responses, checks status, fields, body and whether the connection
 * closes.  Every row runs; each failing one is reported with its file,
 * line and section, and the test fails at the end if any did, after the
 * summary "conformance: N rows, M failed".
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* The fixture's mtime: Tue, 14 Nov 2023 22:13:20 GMT. */
#define CF_MTIME		1700000000
/* Per-response read timeout. */
#define CF_READ_MS		3000
/* "< closes": the server must close within this. */
#define CF_CLOSE_MS		2000
/* "< open": the connection must still be open after this. */
#define CF_OPEN_MS		200
/* Bound of the whole run (make check stays well under 3 minutes). */
#define CF_WATCHDOG_S		150
/* Most @options words of a file. */
#define CF_MAX_OPTS		32
/* Most distinct {etag:} paths cached per file. */
#define CF_MAX_ETAGS		32
/* Most bytes of a request or body shown in a failure report. */
#define CF_SHOW_MAX		400
/* Most {repeat:} count and @fill size. */
#define CF_MAX_REPEAT		(1 << 20)
#define CF_MAX_FILL		(64 << 20)
/* The wildcard of a header pattern ('*' unescaped). */
#define CF_WILD			'\001'

/* A growing byte buffer. */
struct cf_buf {
	char		*p;
	size_t		 len;
	size_t		 cap;
};

/* One line of a matrix file (points into the file's text). */
struct cf_line {
	int		 no;
	char		*s;
};

/* One row: "### " line, then its lines. */
struct cf_case {
	int		 no;
	const char	*title;
	struct cf_line	*lines;
	size_t		 nlines;
};

struct cf_file {
	char		 name[NAME_MAX + 1];
	char		*text;
	char		*opts[CF_MAX_OPTS];
	size_t		 nopts;
	struct cf_line	*setup;		/* @file and @fill lines */
	size_t		 nsetup;
	struct cf_case	*cases;
	size_t		 ncases;
	struct cf_line	*linebuf;	/* every case's lines */
	int		 syntax_errors;
};

struct cf_etag {
	char		*path;
	char		*etag;
};

/* Running one file. */
struct cf_run {
	struct cf_file		*f;
	char			 root[256];
	struct harness_server	 srv;
	bool			 started;
	struct cf_etag		 etags[CF_MAX_ETAGS];
	size_t			 netags;
	/* The current row's last response, for {header:NAME}. */
	const struct harness_response *cur;
	/* The current row's failure report. */
	struct cf_buf		 msg;
	bool			 failed;
};

static int	cf_buf_add(struct cf_buf *, const void *, size_t);
static int	cf_buf_addc(struct cf_buf *, char);
static void	cf_buf_free(struct cf_buf *);
static void	cf_fail(struct cf_run *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	cf_show(struct cf_buf *, const char *, size_t);
static int	cf_load(const char *, const char *, struct cf_file *);
static void	cf_free_file(struct cf_file *);
static int	cf_check_title(const char *);
static int	cf_check_case(struct cf_file *, const struct cf_case *);
static void	cf_syntax(struct cf_file *, int, const char *);
static int	cf_expand(struct cf_run *, const char *, size_t, bool,
		    struct cf_buf *, char *, size_t);
static int	cf_placeholder(struct cf_run *, const char *, size_t, bool,
		    struct cf_buf *, char *, size_t);
static const char *cf_etag(struct cf_run *, const char *, char *, size_t);
static bool	cf_glob(const char *, size_t, const char *);
static int	cf_setup_root(struct cf_run *, const char *, char *, size_t);
static int	cf_touch_cb(const char *, const struct stat *, int,
		    struct FTW *);
static void	cf_fill(char *, size_t);
static int	cf_run_file(const char *, struct cf_file *, int *, int *);
static void	cf_run_case(struct cf_run *, const struct cf_case *);
static int	cf_is_txt(const struct dirent *);

/*
 * --- Buffers and reports ---------------------------------------------------
 */

static int
cf_buf_add(struct cf_buf *b, const void *p, size_t n)
{
	char	*np;
	size_t	 ncap;

	if (b->cap - b->len <= n) {
		ncap = b->cap == 0 ? 256 : b->cap;
		while (ncap - b->len <= n)
			ncap *= 2;
		if ((np = realloc(b->p, ncap)) == NULL)
			return (-1);
		b->p = np;
		b->cap = ncap;
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return (0);
}

static int
cf_buf_addc(struct cf_buf *b, char c)
{
	return (cf_buf_add(b, &c, 1));
}

static void
cf_buf_free(struct cf_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Add a line to the current row's failure report and mark it failed. */
static void
cf_fail(struct cf_run *r, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->failed = true;
	cf_buf_add(&r->msg, "    ", 4);
	cf_buf_add(&r->msg, line, strlen(line));
	cf_buf_addc(&r->msg, '\n');
}

/* Append bytes in C-escaped form, shortened to CF_SHOW_MAX. */
static void
cf_show(struct cf_buf *b, const char *p, size_t n)
{
	char	 tmp[8];
	size_t	 i, shown = n > CF_SHOW_MAX ? CF_SHOW_MAX : n;

	cf_buf_addc(b, '"');
	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '\r')
			cf_buf_add(b, "\\r", 2);
		else if (c == '\n')
			cf_buf_add(b, "\\n", 2);
		else if (c == '\t')
			cf_buf_add(b, "\\t", 2);
		else if (c == '\\' || c == '"') {
			cf_buf_addc(b, '\\');
			cf_buf_addc(b, (char)c);
		} else if (c == CF_WILD)
			cf_buf_addc(b, '*');
		else if (c < 0x20 || c >= 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
			cf_buf_add(b, tmp, strlen(tmp));
		} else
			cf_buf_addc(b, (char)c);
	}
	cf_buf_addc(b, '"');
	if (shown < n) {
		snprintf(tmp, sizeof(tmp), "...");
		cf_buf_add(b, tmp, strlen(tmp));
	}
}

/*
 * --- Loading a matrix file -------------------------------------------------
 */

static void
cf_syntax(struct cf_file *f, int no, const char *what)
{
	printf("SYNTAX %s:%d: %s\n", f->name, no, what);
	f->syntax_errors++;
}

/* "RFC <digits> <section>" or "sluice policy", then a description. */
static int
cf_check_title(const char *t)
{
	const char	*p;

	if (strncmp(t, "sluice policy ", 14) == 0 && t[14] != '\0')
		return (0);
	if (strncmp(t, "RFC ", 4) != 0 || !isdigit((unsigned char)t[4]))
		return (-1);
	for (p = t + 4; isdigit((unsigned char)*p); p++)
		;
	if (*p++ != ' ' || !isdigit((unsigned char)*p))
		return (-1);
	while (isdigit((unsigned char)*p) || *p == '.')
		p++;
	if (*p != ' ' || p[1] == '\0')
		return (-1);
	return (0);
}

/* A case sends something, expects a status, and ends with a "<" line. */
static int
cf_check_case(struct cf_file *f, const struct cf_case *c)
{
	size_t		 i;
	bool		 sent = false, status = false;
	const char	*s;
	int		 bad = 0;

	for (i = 0; i < c->nlines; i++) {
		s = c->lines[i].s;
		if (s[0] == '>') {
			sent = true;
			continue;
		}
		/* s[0] == '<' */
		if (isdigit((unsigned char)s[2])) {
			if (!isdigit((unsigned char)s[3]) ||
			    !isdigit((unsigned char)s[4]) ||
			    (s[5] != '\0' && strcmp(s + 5, " HEAD") != 0)) {
				cf_syntax(f, c->lines[i].no, "bad status line "
				    "(\"< NNN\" or \"< NNN HEAD\")");
				bad = -1;
			}
			status = true;
		} else if (strcmp(s + 2, "closes") == 0 ||
		    strcmp(s + 2, "open") == 0) {
			if (!sent) {
				cf_syntax(f, c->lines[i].no, "nothing sent "
				    "before this line");
				bad = -1;
			}
		} else if (!status) {
			cf_syntax(f, c->lines[i].no, "a check before any "
			    "\"< NNN\" line");
			bad = -1;
		} else if (s[2] != '!' && strchr(s + 2, ':') == NULL) {
			cf_syntax(f, c->lines[i].no, "expected \"< Name: "
			    "value\", \"< !Name\", \"< body...: \", "
			    "\"< closes\" or \"< open\"");
			bad = -1;
		}
	}
	if (!sent || !status) {
		cf_syntax(f, c->no, "a case needs a \">\" line and a \"< NNN\" "
		    "line");
		bad = -1;
	} else if (c->lines[c->nlines - 1].s[0] != '<') {
		cf_syntax(f, c->lines[c->nlines - 1].no, "a case must end "
		    "with a \"<\" line");
		bad = -1;
	}
	return (bad);
}

static int
cf_load(const char *dir, const char *name, struct cf_file *f)
{
	char		 path[PATH_MAX];
	char		*p, *nl, *w;
	size_t		 len, nlines = 0, i;
	struct cf_line	*lines;
	struct cf_case	*c = NULL;
	int		 no = 0;

	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (harness_read_file(path, &f->text, &len) == -1)
		return (-1);
	for (i = 0; i < len; i++)
		if (f->text[i] == '\n')
			nlines++;
	nlines++;
	/* Every line is at most one setup line or one case line. */
	if ((f->setup = calloc(nlines, sizeof(*f->setup))) == NULL ||
	    (f->cases = calloc(nlines, sizeof(*f->cases))) == NULL ||
	    (f->linebuf = calloc(nlines, sizeof(*f->linebuf))) == NULL)
		return (-1);
	lines = f->linebuf;
	for (p = f->text; p != NULL && p < f->text + len; p = nl) {
		no++;
		if ((nl = memchr(p, '\n', (size_t)(f->text + len - p))) !=
		    NULL)
			*nl++ = '\0';
		if (strlen(p) > 0 && p[strlen(p) - 1] == '\r')
			p[strlen(p) - 1] = '\0';
		if (strncmp(p, "### ", 4) == 0) {
			c = &f->cases[f->ncases++];
			c->no = no;
			c->title = p + 4;
			c->lines = lines;
			c->nlines = 0;
			if (cf_check_title(c->title) == -1)
				cf_syntax(f, no, "the title must start with "
				    "\"RFC <number> <section> \" or \"sluice "
				    "policy \"");
			continue;
		}
		if (p[0] == '\0' || p[0] == '#')
			continue;
		if (p[0] == '@') {
			if (c != NULL) {
				cf_syntax(f, no, "@ lines come before the "
				    "first case");
				continue;
			}
			if (strncmp(p, "@options ", 9) == 0) {
				for (w = strtok(p + 9, " \t"); w != NULL;
				    w = strtok(NULL, " \t")) {
					if (f->nopts == CF_MAX_OPTS) {
						cf_syntax(f, no, "too many "
						    "options");
						break;
					}
					f->opts[f->nopts++] = w;
				}
			} else if (strncmp(p, "@file ", 6) == 0 ||
			    strncmp(p, "@fill ", 6) == 0) {
				f->setup[f->nsetup].no = no;
				f->setup[f->nsetup++].s = p;
			} else
				cf_syntax(f, no, "unknown @ directive");
			continue;
		}
		if (p[0] == '>' && (p[1] == '\0' || p[1] == ' ' ||
		    (p[1] == '>' && (p[2] == '\0' || p[2] == ' '))))
			;
		else if (p[0] == '<' && p[1] == ' ' && p[2] != '\0')
			;
		else {
			cf_syntax(f, no, "expected \"### \", \"> \", \">> \", "
			    "\"< \", \"@\" or \"#\"");
			continue;
		}
		if (c == NULL) {
			cf_syntax(f, no, "a \">\" or \"<\" line before the "
			    "first \"### \" line");
			continue;
		}
		c->lines[c->nlines].no = no;
		c->lines[c->nlines++].s = p;
		lines++;
	}
	for (i = 0; i < f->ncases; i++)
		cf_check_case(f, &f->cases[i]);
	return (0);
}

static void
cf_free_file(struct cf_file *f)
{
	free(f->linebuf);
	free(f->cases);
	free(f->setup);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

/*
 * --- Escapes, placeholders, patterns ---------------------------------------
 */

/*
 * Decode s[0..len) into out: escapes (\r \n \t \\ \xNN \{ \} \*), and
 * placeholders {name:arg} when r is not NULL.  In a pattern, an unescaped
 * '*' becomes CF_WILD; what placeholders produce is always literal.
 * Returns 0, or -1 with a reason in err.
 */
static int
cf_expand(struct cf_run *r, const char *s, size_t len, bool pattern,
    struct cf_buf *out, char *err, size_t errlen)
{
	size_t		 i, j;
	int		 depth;
	unsigned int	 x;
	char		 hex[3];

	if (cf_buf_add(out, "", 0) == -1)
		goto nomem;
	for (i = 0; i < len; i++) {
		if (s[i] == '\\') {
			if (++i == len) {
				snprintf(err, errlen, "a backslash ends the "
				    "line");
				return (-1);
			}
			switch (s[i]) {
			case 'r':
				cf_buf_addc(out, '\r');
				break;
			case 'n':
				cf_buf_addc(out, '\n');
				break;
			case 't':
				cf_buf_addc(out, '\t');
				break;
			case '\\': case '{': case '}': case '*':
				cf_buf_addc(out, s[i]);
				break;
			case 'x':
				if (i + 2 >= len ||
				    !isxdigit((unsigned char)s[i + 1]) ||
				    !isxdigit((unsigned char)s[i + 2])) {
					snprintf(err, errlen, "\\x needs two "
					    "hex digits");
					return (-1);
				}
				hex[0] = s[i + 1];
				hex[1] = s[i + 2];
				hex[2] = '\0';
				sscanf(hex, "%x", &x);
				cf_buf_addc(out, (char)x);
				i += 2;
				break;
			default:
				snprintf(err, errlen, "unknown escape \\%c",
				    s[i]);
				return (-1);
			}
		} else if (s[i] == '{' && r != NULL) {
			/* Find the matching brace, past escapes and nesting. */
			for (depth = 1, j = i + 1; j < len; j++) {
				if (s[j] == '\\') {
					j++;
					continue;
				}
				if (s[j] == '{')
					depth++;
				else if (s[j] == '}' && --depth == 0)
					break;
			}
			if (j >= len) {
				snprintf(err, errlen, "a '{' without its '}' "
				    "(write \\{ for a brace)");
				return (-1);
			}
			if (cf_placeholder(r, s + i + 1, j - i - 1, pattern,
			    out, err, errlen) == -1)
				return (-1);
			i = j;
		} else if (s[i] == '*' && pattern)
			cf_buf_addc(out, CF_WILD);
		else
			cf_buf_addc(out, s[i]);
	}
	if (out->p == NULL)
		goto nomem;
	return (0);
 nomem:
	snprintf(err, errlen, "out of memory");
	return (-1);
}

/* Expand the placeholder "name:arg" (without its braces) into out. */
static int
cf_placeholder(struct cf_run *r, const char *s, size_t len, bool pattern,
    struct cf_buf *out, char *err, size_t errlen)
{
	struct cf_buf	 tmp;
	struct stat	 sb;
	struct tm	 tm;
	char		 arg[PATH_MAX], fpath[PATH_MAX + 300], num[32];
	char		*data, *colon, *e;
	const char	*etag;
	size_t		 nlen, dlen;
	unsigned long	 n, first, last;
	int		 ret;

	if ((colon = memchr(s, ':', len)) == NULL) {
		snprintf(err, errlen, "placeholder {%.*s}: expected "
		    "{name:argument}", (int)len, s);
		return (-1);
	}
	nlen = (size_t)(colon - s);
	if (nlen == 6 && strncmp(s, "repeat", 6) == 0) {
		/* {repeat:N:TEXT} */
		n = strtoul(colon + 1, &e, 10);
		if (e == colon + 1 || e >= s + len || *e != ':' ||
		    n > CF_MAX_REPEAT) {
			snprintf(err, errlen, "placeholder {%.*s}: expected "
			    "{repeat:N:TEXT}", (int)len, s);
			return (-1);
		}
		memset(&tmp, 0, sizeof(tmp));
		if (cf_expand(r, e + 1, (size_t)(s + len - e - 1), pattern,
		    &tmp, err, errlen) == -1) {
			cf_buf_free(&tmp);
			return (-1);
		}
		for (; n > 0; n--)
			cf_buf_add(out, tmp.p, tmp.len);
		cf_buf_free(&tmp);
		return (0);
	}
	if (nlen == 6 && strncmp(s, "header", 6) == 0) {
		/* {header:NAME}: a field of the row's last response. */
		snprintf(arg, sizeof(arg), "%.*s", (int)(len - nlen - 1),
		    colon + 1);
		if (r->cur == NULL) {
			snprintf(err, errlen, "{header:%.200s}: no response "
			    "read yet", arg);
			return (-1);
		}
		if ((etag = harness_response_header(r->cur, arg)) == NULL) {
			snprintf(err, errlen, "{header:%.200s}: the response "
			    "has no such field", arg);
			return (-1);
		}
		return (cf_buf_add(out, etag, strlen(etag)));
	}
	if (len - nlen - 1 >= sizeof(arg)) {
		snprintf(err, errlen, "placeholder argument too long");
		return (-1);
	}
	memcpy(arg, colon + 1, len - nlen - 1);
	arg[len - nlen - 1] = '\0';
	if (arg[0] != '/') {
		snprintf(err, errlen, "placeholder {%.*s}: the path must "
		    "start with '/'", (int)len, s);
		return (-1);
	}
	if (nlen == 4 && strncmp(s, "etag", 4) == 0) {
		if ((etag = cf_etag(r, arg, err, errlen)) == NULL)
			return (-1);
		return (cf_buf_add(out, etag, strlen(etag)));
	}
	first = last = 0;
	if (nlen == 4 && strncmp(s, "file", 4) == 0 &&
	    (colon = strrchr(arg, ':')) != NULL) {
		/* {file:/PATH:F-L} */
		first = strtoul(colon + 1, &e, 10);
		if (e == colon + 1 || *e != '-')
			goto bad;
		data = e + 1;
		last = strtoul(data, &e, 10);
		if (e == data || *e != '\0' || last < first)
			goto bad;
		*colon = '\0';
		last++;		/* exclusive from here */
	}
	snprintf(fpath, sizeof(fpath), "%s%s", r->root, arg);
	if (stat(fpath, &sb) == -1) {
		snprintf(err, errlen, "placeholder {%.*s}: %.200s: %s",
		    (int)len, s, fpath, strerror(errno));
		return (-1);
	}
	if (nlen == 7 && strncmp(s, "lastmod", 7) == 0) {
		gmtime_r(&sb.st_mtime, &tm);
		strftime(num, sizeof(num), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		return (cf_buf_add(out, num, strlen(num)));
	}
	if (nlen == 4 && strncmp(s, "size", 4) == 0) {
		snprintf(num, sizeof(num), "%lld", (long long)sb.st_size);
		return (cf_buf_add(out, num, strlen(num)));
	}
	if (nlen == 4 && strncmp(s, "file", 4) == 0) {
		if (harness_read_file(fpath, &data, &dlen) == -1) {
			snprintf(err, errlen, "placeholder {%.*s}: %s",
			    (int)len, s, strerror(errno));
			return (-1);
		}
		if (last == 0) {
			first = 0;
			last = dlen;
		}
		if (last > dlen) {
			free(data);
			goto bad;
		}
		ret = cf_buf_add(out, data + first, last - first);
		free(data);
		return (ret);
	}
 bad:
	snprintf(err, errlen, "placeholder {%.*s}: unknown or malformed "
	    "(etag, lastmod, size, file, repeat, header)", (int)len, s);
	return (-1);
}

/* The ETag of "HEAD path", asked once per file and kept. */
static const char *
cf_etag(struct cf_run *r, const char *path, char *err, size_t errlen)
{
	struct harness_response	 resp;
	struct cf_etag		*e;
	const char		*v;
	char			 req[PATH_MAX + 100];
	size_t			 i;

	for (i = 0; i < r->netags; i++)
		if (strcmp(r->etags[i].path, path) == 0)
			return (r->etags[i].etag);
	if (r->netags == CF_MAX_ETAGS) {
		snprintf(err, errlen, "too many {etag:} paths");
		return (NULL);
	}
	snprintf(req, sizeof(req), "HEAD %s HTTP/1.1\r\nHost: t\r\n"
	    "Connection: close\r\n\r\n", path);
	if (harness_request(r->srv.port, req, strlen(req), HARNESS_RESP_HEAD,
	    CF_READ_MS, &resp) == -1) {
		snprintf(err, errlen, "{etag:%.200s}: HEAD failed: %s", path,
		    strerror(errno));
		harness_response_free(&resp);
		return (NULL);
	}
	if ((v = harness_response_header(&resp, "ETag")) == NULL) {
		snprintf(err, errlen, "{etag:%.200s}: HEAD gave %d without "
		    "ETag", path, resp.status);
		harness_response_free(&resp);
		return (NULL);
	}
	e = &r->etags[r->netags];
	if ((e->path = strdup(path)) == NULL ||
	    (e->etag = strdup(v)) == NULL) {
		free(e->path);
		harness_response_free(&resp);
		snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	r->netags++;
	harness_response_free(&resp);
	return (e->etag);
}

/* Whether s matches pattern p[0..plen), CF_WILD matching any run. */
static bool
cf_glob(const char *p, size_t plen, const char *s)
{
	size_t		 pi = 0, star = SIZE_MAX;
	const char	*mark = NULL;

	while (*s != '\0') {
		if (pi < plen && p[pi] == CF_WILD) {
			star = pi++;
			mark = s;
		} else if (pi < plen && p[pi] == *s) {
			pi++;
			s++;
		} else if (star != SIZE_MAX) {
			pi = star + 1;
			s = ++mark;
		} else
			return (false);
	}
	while (pi < plen && p[pi] == CF_WILD)
		pi++;
	return (pi == plen);
}

/*
 * --- The temporary docroot -------------------------------------------------
 */

static int
cf_touch_cb(const char *path, const struct stat *sb, int type,
    struct FTW *ftw)
{
	struct timespec	 ts[2];

	ts[0].tv_sec = ts[1].tv_sec = CF_MTIME;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return (utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW));
}

/* SIZE bytes of 16-byte lines, each its own offset in decimal. */
static void
cf_fill(char *p, size_t size)
{
	char	 line[32];
	size_t	 off, n;

	for (off = 0; off < size; off += 16) {
		snprintf(line, sizeof(line), "%015zu\n", off);
		n = size - off < 16 ? size - off : 16;
		memcpy(p + off, line, n);
	}
}

/*
 * Copy the fixture to a new temporary docroot, give it CF_MTIME, then
 * make the file's @file and @fill files.  Returns 0, or -1 with a reason.
 */
static int
cf_setup_root(struct cf_run *r, const char *fixture, char *err,
    size_t errlen)
{
	struct cf_file	*f = r->f;
	struct cf_buf	 path, data;
	struct timespec	 ts[2];
	char		*s, *sp, *sp2, *e, *mt, full[PATH_MAX + 300];
	time_t		 base;
	long		 off;
	unsigned long	 size;
	size_t		 i;
	int		 ret = -1;

	memset(&path, 0, sizeof(path));
	memset(&data, 0, sizeof(data));
	if (harness_tmpdir_create(r->root, sizeof(r->root), "conf") == -1 ||
	    harness_copy_tree(fixture, r->root) == -1 ||
	    nftw(r->root, cf_touch_cb, 16, FTW_PHYS) == -1) {
		snprintf(err, errlen, "cannot make the docroot from %.200s: %s",
		    fixture, strerror(errno));
		return (-1);
	}
	for (i = 0; i < f->nsetup; i++) {
		s = f->setup[i].s;
		path.len = data.len = 0;
		/*
		 * "@file PATH MTIME TEXT" or "@fill PATH MTIME SIZE", MTIME
		 * "+N"/"-N" from CF_MTIME or "now+N"/"now-N" from now.
		 */
		if ((sp = strchr(s + 6, ' ')) == NULL)
			goto syntax;
		base = CF_MTIME;
		mt = sp + 1;
		if (strncmp(mt, "now", 3) == 0) {
			base = time(NULL);
			mt += 3;
		}
		if ((mt[0] != '+' && mt[0] != '-') ||
		    (off = strtol(mt, &e, 10), e <= mt + 1) ||
		    (*e != ' ' && *e != '\0'))
			goto syntax;
		sp2 = e;
		if (cf_expand(NULL, s + 6, (size_t)(sp - s - 6), false, &path,
		    err, errlen) == -1)
			goto out;
		if (strncmp(s, "@file", 5) == 0) {
			if (*sp2 == ' ')
				sp2++;
			if (cf_expand(NULL, sp2, strlen(sp2), false, &data,
			    err, errlen) == -1)
				goto out;
		} else {
			size = strtoul(sp2, &e, 10);
			if (e == sp2 || *e != '\0' || size > CF_MAX_FILL) {
				snprintf(err, errlen, "%s:%d: expected \"@fill "
				    "PATH +-SECONDS SIZE\"", f->name,
				    f->setup[i].no);
				goto out;
			}
			free(data.p);
			memset(&data, 0, sizeof(data));
			if ((data.p = malloc(size + 1)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto out;
			}
			data.cap = size + 1;
			data.len = size;
			cf_fill(data.p, size);
		}
		if (harness_write_file(r->root, path.p, data.p, data.len,
		    0644) == -1) {
			snprintf(err, errlen, "%s:%d: cannot write %s: %s",
			    f->name, f->setup[i].no, path.p, strerror(errno));
			goto out;
		}
		snprintf(full, sizeof(full), "%s/%s", r->root, path.p);
		ts[0].tv_sec = ts[1].tv_sec = base + off;
		ts[0].tv_nsec = ts[1].tv_nsec = 0;
		if (utimensat(AT_FDCWD, full, ts, 0) == -1) {
			snprintf(err, errlen, "utimensat %.200s: %s", full,
			    strerror(errno));
			goto out;
		}
	}
	ret = 0;
 out:
	cf_buf_free(&path);
	cf_buf_free(&data);
	return (ret);
 syntax:
	snprintf(err, errlen, "%s:%d: expected \"%.5s PATH [now]+-SECONDS "
	    "...\"", f->name, f->setup[i].no, s);
	goto out;
}

/*
 * --- Running -----------------------------------------------------------------
 */

/* Check one "<" line (not a status line) against response resp. */
static void
cf_check_line(struct cf_run *r, const struct cf_line *l,
    const struct harness_response *resp)
{
	struct cf_buf	 want, got, expect;
	const char	*s = l->s + 2, *colon, *v;
	char		 name[256], err[512], *e;
	unsigned long	 n;
	size_t		 nlen;
	bool		 pattern, any = false;
	int		 i;

	memset(&want, 0, sizeof(want));
	memset(&got, 0, sizeof(got));
	memset(&expect, 0, sizeof(expect));
	if (s[0] == '!') {
		if (harness_response_header(resp, s + 1) != NULL)
			cf_fail(r, "line %d: expected no %s field, got \"%s\"",
			    l->no, s + 1, harness_response_header(resp, s + 1));
		return;
	}
	colon = strchr(s, ':');
	nlen = (size_t)(colon - s);
	if (nlen >= sizeof(name))
		nlen = sizeof(name) - 1;
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	v = colon + 1;
	if (*v == ' ')
		v++;
	pattern = strcmp(name, "body") != 0 &&
	    strcmp(name, "body-contains") != 0 &&
	    strcmp(name, "body-length") != 0;
	if (cf_expand(r, v, strlen(v), pattern, &want, err,
	    sizeof(err)) == -1) {
		cf_fail(r, "line %d: %s", l->no, err);
		goto out;
	}
	if (strcmp(name, "body") == 0) {
		if (resp->body_len != want.len ||
		    memcmp(resp->body, want.p, want.len) != 0) {
			cf_show(&got, want.p, want.len);
			cf_buf_add(&got, " (", 2);
			snprintf(err, sizeof(err), "%zu bytes), got ",
			    want.len);
			cf_buf_add(&got, err, strlen(err));
			cf_show(&got, resp->body, resp->body_len);
			snprintf(err, sizeof(err), " (%zu bytes)",
			    resp->body_len);
			cf_buf_add(&got, err, strlen(err));
			cf_fail(r, "line %d: expected body %s", l->no, got.p);
		}
	} else if (strcmp(name, "body-contains") == 0) {
		if (memmem(resp->body, resp->body_len, want.p,
		    want.len) == NULL) {
			cf_show(&got, want.p, want.len);
			cf_buf_add(&got, " in ", 4);
			cf_show(&got, resp->body, resp->body_len);
			cf_fail(r, "line %d: expected the body to contain %s",
			    l->no, got.p);
		}
	} else if (strcmp(name, "body-length") == 0) {
		n = strtoul(want.p, &e, 10);
		if (e == want.p || *e != '\0')
			cf_fail(r, "line %d: body-length needs a number",
			    l->no);
		else if (resp->body_len != n)
			cf_fail(r, "line %d: expected a body of %lu bytes, got "
			    "%zu", l->no, n, resp->body_len);
	} else {
		for (i = 0; i < resp->nheaders; i++) {
			if (strcasecmp(resp->names[i], name) != 0)
				continue;
			if (got.len > 0)
				cf_buf_add(&got, ", ", 2);
			cf_show(&got, resp->values[i],
			    strlen(resp->values[i]));
			if (cf_glob(want.p, want.len, resp->values[i]))
				any = true;
		}
		if (!any) {
			cf_buf_add(&got, "", 0);
			expect.len = 0;
			cf_show(&expect, want.p, want.len);
			cf_fail(r, "line %d: expected %s: %s; got %s", l->no,
			    name, expect.p, got.len > 0 ? got.p :
			    "no such field");
		}
	}
 out:
	cf_buf_free(&want);
	cf_buf_free(&got);
	cf_buf_free(&expect);
}

/* Run one row on a fresh connection; report it if it fails. */
static void
cf_run_case(struct cf_run *r, const struct cf_case *c)
{
	struct harness_client	 cl;
	struct harness_response	 resp;
	struct cf_buf		 out, sent;
	const struct cf_line	*l;
	const char		*s;
	char			 err[512];
	size_t			 i;
	int			 flags, finals = 0, send_errno = 0, rc;
	bool			 have = false, first_head;

	memset(&out, 0, sizeof(out));
	memset(&sent, 0, sizeof(sent));
	memset(&resp, 0, sizeof(resp));
	memset(&cl, 0, sizeof(cl));
	cl.fd = -1;
	r->msg.len = 0;
	r->failed = false;
	first_head = strncmp(c->lines[0].s, "> HEAD ", 7) == 0 ||
	    strncmp(c->lines[0].s, ">> HEAD ", 8) == 0;
	if (!r->started) {
		cf_fail(r, "the server is not running");
		goto report;
	}
	if (harness_client_connect(&cl, r->srv.port, 0) == -1) {
		cf_fail(r, "connect: %s", strerror(errno));
		goto report;
	}
	for (i = 0; i < c->nlines; i++) {
		l = &c->lines[i];
		s = l->s;
		if (s[0] == '>') {
			/* Collect; sent when a "<" line needs the server. */
			s += s[1] == '>' ? 2 : 1;
			if (*s == ' ')
				s++;
			if (cf_expand(r, s, strlen(s), false, &out, err,
			    sizeof(err)) == -1) {
				cf_fail(r, "line %d: %s", l->no, err);
				goto report;
			}
			if (l->s[1] != '>')
				cf_buf_add(&out, "\r\n", 2);
			continue;
		}
		if (out.len > 0) {
			if (harness_client_send(&cl, out.p, out.len,
			    CF_READ_MS) == -1 && send_errno == 0)
				send_errno = errno;
			cf_buf_add(&sent, out.p, out.len);
			out.len = 0;
		}
		s += 2;
		if (isdigit((unsigned char)s[0])) {
			harness_response_free(&resp);
			have = false;
			r->cur = NULL;
			flags = 0;
			if (strcmp(s + 3, " HEAD") == 0 ||
			    (first_head && finals == 0))
				flags = HARNESS_RESP_HEAD;
			if (harness_client_read_response(&cl, &resp, flags,
			    CF_READ_MS) == -1) {
				rc = errno;
				cf_fail(r, "line %d: expected %.3s, got no "
				    "response: %s%s%s", l->no, s,
				    rc == ENODATA ? "the connection closed" :
				    strerror(rc), send_errno != 0 ?
				    "; the send failed: " : "", send_errno !=
				    0 ? strerror(send_errno) : "");
				if (cl.len > 0) {
					cf_buf_add(&r->msg, "    bytes: ", 11);
					cf_show(&r->msg, cl.buf, cl.len);
					cf_buf_addc(&r->msg, '\n');
				}
				goto report;
			}
			have = true;
			r->cur = &resp;
			if (resp.status >= 200)
				finals++;
			if (resp.status != atoi(s))
				cf_fail(r, "line %d: expected status %.3s, got "
				    "%d", l->no, s, resp.status);
		} else if (strcmp(s, "closes") == 0) {
			rc = harness_client_wait_closed(&cl, CF_CLOSE_MS);
			if (rc != 1)
				cf_fail(r, "line %d: expected the server to "
				    "close the connection: %s", l->no,
				    rc == 0 ? "still open after 2 s" :
				    strerror(errno));
			if (cl.len > 0) {
				cf_fail(r, "line %d: %zu more bytes were sent "
				    "before the close:", l->no, cl.len);
				cf_buf_add(&r->msg, "      ", 6);
				cf_show(&r->msg, cl.buf, cl.len);
				cf_buf_addc(&r->msg, '\n');
			}
		} else if (strcmp(s, "open") == 0) {
			rc = harness_client_wait_closed(&cl, CF_OPEN_MS);
			if (rc != 0)
				cf_fail(r, "line %d: expected the connection "
				    "to stay open: it closed", l->no);
			if (cl.len > 0) {
				cf_fail(r, "line %d: %zu unexpected bytes "
				    "followed:", l->no, cl.len);
				cf_buf_add(&r->msg, "      ", 6);
				cf_show(&r->msg, cl.buf, cl.len);
				cf_buf_addc(&r->msg, '\n');
			}
		} else if (have)
			cf_check_line(r, l, &resp);
	}
 report:
	if (r->failed) {
		printf("FAIL %s:%d: %s\n", r->f->name, c->no, c->title);
		fputs(r->msg.p, stdout);
		if (out.len > 0)
			cf_buf_add(&sent, out.p, out.len);
		if (sent.len > 0) {
			r->msg.len = 0;
			cf_show(&r->msg, sent.p, sent.len);
			printf("    request: %s\n", r->msg.p);
		}
		if (have) {
			r->msg.len = 0;
			cf_show(&r->msg, resp.head, resp.head_len);
			printf("    last response head: %s\n", r->msg.p);
			if (resp.body_len > 0) {
				r->msg.len = 0;
				cf_show(&r->msg, resp.body, resp.body_len);
				printf("    its body: %s\n", r->msg.p);
			}
		}
		fflush(stdout);
	}
	r->cur = NULL;
	harness_response_free(&resp);
	harness_client_close(&cl);
	cf_buf_free(&out);
	cf_buf_free(&sent);
}

/*
 * Run every row of file f against a server of its own.  Adds to *rows and
 * *failed; returns -1 if the file could not be run at all (counted as a
 * failure too).
 */
static int
cf_run_file(const char *dir, struct cf_file *f, int *rows, int *failed)
{
	struct cf_run		 r;
	struct harness_opts	 o;
	const char		*args[CF_MAX_OPTS + 16];
	char			 fixture[PATH_MAX], err[512], *log;
	size_t			 i, n = 0;
	int			 st, before = *failed, ret = 0;

	memset(&r, 0, sizeof(r));
	r.f = f;
	snprintf(fixture, sizeof(fixture), "%s/htdocs", dir);
	if (cf_setup_root(&r, fixture, err, sizeof(err)) == -1) {
		printf("FAIL %s: %s\n", f->name, err);
		*rows += (int)f->ncases;
		*failed += (int)f->ncases;
		ret = -1;
		goto out;
	}
	args[n++] = "--root";
	args[n++] = r.root;
	args[n++] = "--workers";
	args[n++] = "2";
	args[n++] = "--header-timeout";
	args[n++] = "5";
	for (i = 0; i < f->nopts; i++)
		args[n++] = f->opts[i];
	args[n] = NULL;
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&r.srv, &o) == -1) {
		printf("FAIL %s: the server did not start: %s\n", f->name,
		    strerror(errno));
		if (harness_log_read(&r.srv, &log, NULL) == 0) {
			printf("%s", log);
			free(log);
		}
	} else
		r.started = true;
	for (i = 0; i < f->ncases; i++) {
		cf_run_case(&r, &f->cases[i]);
		(*rows)++;
		if (r.failed)
			(*failed)++;
	}
	if (r.started) {
		if (harness_server_stop(&r.srv, &st) == -1 ||
		    harness_exit_code(st) != 0) {
			printf("FAIL %s: the server did not exit 0 after "
			    "SIGTERM (status %d)\n", f->name,
			    harness_exit_code(st));
			ret = -1;
		}
		if (ret == -1 || *failed > before) {
			/* Its log may say why. */
			if (harness_log_read(&r.srv, &log, NULL) == 0) {
				printf("--- server log of %s:\n%s---\n",
				    f->name, log);
				free(log);
			}
		}
	}
	printf("%s: %zu rows, %d failed\n", f->name, f->ncases,
	    *failed - before);
 out:
	harness_server_cleanup(&r.srv);
	if (r.root[0] != '\0')
		harness_rmtree(r.root);
	for (i = 0; i < r.netags; i++) {
		free(r.etags[i].path);
		free(r.etags[i].etag);
	}
	cf_buf_free(&r.msg);
	return (ret);
}

static int
cf_is_txt(const struct dirent *de)
{
	size_t	 n = strlen(de->d_name);

	return (n > 4 && strcmp(de->d_name + n - 4, ".txt") == 0 &&
	    de->d_name[0] != '.');
}

static void
test_conformance_matrix(void **state)
{
	struct dirent	**list = NULL;
	struct cf_file	  f;
	const char	 *dir = getenv("SLUICE_CONFORMANCE");
	int		  i, n, rows = 0, failed = 0, syntax = 0, bad = 0;

	harness_watchdog_arm(CF_WATCHDOG_S);
	if (dir == NULL || *dir == '\0' || harness_bin() == NULL)
		fail_msg("SLUICE_CONFORMANCE and SLUICE_BIN must be set (run "
		    "through make check)");
	if ((n = scandir(dir, &list, cf_is_txt, alphasort)) == -1)
		fail_msg("%s: %s", dir, strerror(errno));
	if (n == 0)
		fail_msg("%s: no *.txt matrix file", dir);
	for (i = 0; i < n; i++) {
		if (cf_load(dir, list[i]->d_name, &f) == -1) {
			printf("FAIL %s: cannot read: %s\n", list[i]->d_name,
			    strerror(errno));
			bad++;
		} else {
			syntax += f.syntax_errors;
			if (f.ncases == 0) {
				printf("FAIL %s: no rows\n", f.name);
				bad++;
			} else if (f.syntax_errors == 0 &&
			    cf_run_file(dir, &f, &rows, &failed) == -1)
				bad++;
		}
		cf_free_file(&f);
		free(list[i]);
	}
	free(list);
	printf("conformance: %d rows, %d failed", rows, failed);
	if (syntax > 0)
		printf(", %d syntax errors", syntax);
	if (bad > 0)
		printf(", %d files not run or server failures", bad);
	printf("\n");
	fflush(stdout);
	harness_watchdog_disarm();
	assert_int_equal(syntax, 0);
	assert_int_equal(bad, 0);
	assert_int_equal(failed, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conformance_matrix),
	};

	/* Failure reports go to stdout, unbuffered against the cmocka lines. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	return (cmocka_run_group_tests(tests, NULL, NULL));
}
