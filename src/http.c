/* sluice - ISC licence, see COPYING. */

/*
 * HTTP/1.1 request parsing and response-head writing (RFC 9112).
 *
 * The parser is re-entrant and stateless: the caller hands it the bytes it
 * has so far and it either finds a complete head, asks for more, or says
 * why the head is bad.  Re-parsing a partial head from the start costs
 * little because heads are small and limits cap them.  Every access is
 * bounds-checked against len; the unit tests run it on input that ends at
 * an unreadable page.  Limits are checked on incomplete input too, so a
 * client can never make a connection buffer more than HTTP_MAX_HEAD bytes.
 */

#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"

/* A bounded appender for response heads (see http_write_head). */
struct http_out {
	char	*p;
	size_t	 len, cap;
	int	 over;
};

static const char *http_find_eol(const char *, const char *);
static void	 http_put(struct http_out *, const char *, size_t);
static void	 http_puts(struct http_out *, const char *);
static void	 http_putu(struct http_out *, uint64_t);
static int	 http_parse_method(struct http_request *);
static int	 http_parse_target(struct http_request *);
static int	 http_parse_version(const char *, size_t, int *);
static int	 http_parse_headers(const char *, const char *,
		    struct http_request *, size_t *);
static int	 http_interpret(struct http_request *);
static int	 http_slice_eq(const struct http_slice *, const char *);
static int	 http_token_list_has(const struct http_slice *, const char *);
static int	 http_token_list_count(const struct http_slice *,
		    const char *);
static int	 http_parse_length(const struct http_slice *, uint64_t *);
static bool	 http_host_valid(const char *, size_t);

ssize_t
http_parse_request(const char *buf, size_t len, struct http_request *req)
{
	const char	*p = buf, *end = buf + len, *eol, *sp1, *sp2, *q;
	const char	*line_end;
	size_t		 used;
	int		 status;

	req->nheaders = 0;
	req->status = 0;
	/* What a log line of a refused request may show: nothing stale. */
	req->line.p = req->referer.p = req->user_agent.p = NULL;
	req->line.len = req->referer.len = req->user_agent.len = 0;

	/* RFC 9112 section 2.2: ignore empty lines before the request line. */
	while (p < end && (*p == '\r' || *p == '\n')) {
		if (*p == '\r' && (p + 1 >= end || p[1] != '\n')) {
			if (p + 1 >= end)
				return HTTP_PARSE_INCOMPLETE;
			req->status = 400;
			return HTTP_PARSE_BAD;
		}
		p += *p == '\r' ? 2 : 1;
		if ((size_t)(p - buf) > HTTP_MAX_LEADING) {
			req->status = 400;
			return HTTP_PARSE_BAD;
		}
	}

	eol = http_find_eol(p, end);
	if (eol == NULL) {
		/* A final CR may be the line's own terminator arriving. */
		if ((size_t)(end - p) - (end > p && end[-1] == '\r') >
		    HTTP_MAX_REQUEST_LINE) {
			req->status = 414;
			return HTTP_PARSE_BAD;
		}
		return HTTP_PARSE_INCOMPLETE;
	}
	line_end = eol;
	if (line_end > p && line_end[-1] == '\r')
		line_end--;
	if ((size_t)(line_end - p) > HTTP_MAX_REQUEST_LINE) {
		req->status = 414;
		return HTTP_PARSE_BAD;
	}
	req->line.p = p;
	req->line.len = (size_t)(line_end - p);

	/* method SP request-target SP HTTP-version, single spaces. */
	sp1 = memchr(p, ' ', (size_t)(line_end - p));
	if (sp1 == NULL || sp1 == p)
		goto bad;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1));
	if (sp2 == NULL || sp2 == sp1 + 1)
		goto bad;
	if (memchr(sp2 + 1, ' ', (size_t)(line_end - sp2 - 1)) != NULL)
		goto bad;
	req->method_name.p = p;
	req->method_name.len = (size_t)(sp1 - p);
	req->target.p = sp1 + 1;
	req->target.len = (size_t)(sp2 - sp1 - 1);
	for (q = p; q < sp1; q++)
		if (!http_is_tchar((unsigned char)*q))
			goto bad;
	for (q = req->target.p; q < sp2; q++)
		if ((unsigned char)*q <= 0x20 || (unsigned char)*q >= 0x7f)
			goto bad;

	/* A version we cannot parse is 400; a well-formed other one, 505. */
	status = http_parse_version(sp2 + 1, (size_t)(line_end - sp2 - 1),
	    &req->minor);
	if (status != 0) {
		req->status = status;
		return HTTP_PARSE_BAD;
	}
	if (http_parse_method(req) == -1 || http_parse_target(req) == -1)
		goto bad;

	status = http_parse_headers(eol + 1, end, req, &used);
	if (status == HTTP_PARSE_INCOMPLETE)
		return HTTP_PARSE_INCOMPLETE;
	if (status != 0) {
		req->status = status;
		return HTTP_PARSE_BAD;
	}
	if (http_interpret(req) == -1)
		return HTTP_PARSE_BAD;
	return (ssize_t)((size_t)(eol + 1 - buf) + used);
 bad:
	req->status = 400;
	return HTTP_PARSE_BAD;
}

const char *
http_field_join(const struct http_request *req, const char *name, char *buf,
    size_t cap, size_t *len)
{
	const struct http_header	*h;
	const char			*first = NULL;
	size_t				 i, n = strlen(name), o = 0, k = 0;

	*len = 0;
	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		if (h->name.len != n || strncasecmp(h->name.p, name, n) != 0)
			continue;
		if (k++ == 0) {
			first = h->value.p;
			*len = h->value.len;
			continue;
		}
		if (k == 2) {
			/* A second line: start the joined copy. */
			if (*len > cap)
				return NULL;
			memcpy(buf, first, *len);
			o = *len;
		}
		if (o + 2 + h->value.len > cap)
			return NULL;
		memcpy(buf + o, ", ", 2);
		memcpy(buf + o + 2, h->value.p, h->value.len);
		o += 2 + h->value.len;
	}
	if (k <= 1)
		return first;
	*len = o;
	return buf;
}

const struct http_header *
http_find_header(const struct http_request *req, const char *name)
{
	size_t	 i, n = strlen(name);

	for (i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name.len == n &&
		    strncasecmp(req->headers[i].name.p, name, n) == 0)
			return &req->headers[i];
	}
	return NULL;
}

const char *
http_reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 204: return "No Content";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	default: return "Unknown";
	}
}

void
http_format_date(time_t t, char *buf)
{
	static const char	 days[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char	 months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct tm		 tm;
	char			*p = buf;
	int			 year;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 > 9999 ||
	    tm.tm_year + 1900 < 0) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		tm.tm_wday = 4;
	}
	year = tm.tm_year + 1900;
	/* "Sun, 06 Nov 1994 08:49:37 GMT", written digit by digit. */
	memcpy(p, days[tm.tm_wday % 7], 3);
	p += 3;
	*p++ = ',';
	*p++ = ' ';
	*p++ = (char)('0' + tm.tm_mday / 10);
	*p++ = (char)('0' + tm.tm_mday % 10);
	*p++ = ' ';
	memcpy(p, months[tm.tm_mon % 12], 3);
	p += 3;
	*p++ = ' ';
	*p++ = (char)('0' + year / 1000);
	*p++ = (char)('0' + year / 100 % 10);
	*p++ = (char)('0' + year / 10 % 10);
	*p++ = (char)('0' + year % 10);
	*p++ = ' ';
	*p++ = (char)('0' + tm.tm_hour / 10);
	*p++ = (char)('0' + tm.tm_hour % 10);
	*p++ = ':';
	*p++ = (char)('0' + tm.tm_min / 10);
	*p++ = (char)('0' + tm.tm_min % 10);
	*p++ = ':';
	*p++ = (char)('0' + tm.tm_sec / 10);
	*p++ = (char)('0' + tm.tm_sec % 10);
	memcpy(p, " GMT", 5);
}

/*
 * Append n bytes, or mark the head as not fitting.  The head is built with
 * this appender rather than snprintf: it runs once per response, so it is
 * on the hot path.
 */
static void
http_put(struct http_out *o, const char *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* Append a NUL-terminated string. */
static void
http_puts(struct http_out *o, const char *s)
{
	http_put(o, s, strlen(s));
}

/* Append v in decimal. */
static void
http_putu(struct http_out *o, uint64_t v)
{
	char	 tmp[24];
	size_t	 i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	http_put(o, tmp + i, sizeof(tmp) - i);
}

size_t
http_write_head(char *buf, size_t cap, const struct http_head *h)
{
	struct http_out	 o = { buf, 0, cap, 0 };
	char		 date[HTTP_DATE_LEN + 1];

	http_puts(&o, "HTTP/1.1 ");
	http_putu(&o, (uint64_t)h->status);
	http_puts(&o, " ");
	http_puts(&o, http_reason(h->status));
	http_puts(&o, "\r\nServer: " PACKAGE_NAME "/" PACKAGE_VERSION);
	if (h->date != NULL) {
		http_puts(&o, "\r\nDate: ");
		http_puts(&o, h->date);
	}
	if (h->content_type != NULL) {
		http_puts(&o, "\r\nContent-Type: ");
		http_puts(&o, h->content_type);
	}
	if (h->has_length) {
		http_puts(&o, "\r\nContent-Length: ");
		http_putu(&o, h->content_length);
	}
	if (h->last_modified_str != NULL) {
		http_puts(&o, "\r\nLast-Modified: ");
		http_puts(&o, h->last_modified_str);
	} else if (h->last_modified != 0) {
		http_format_date(h->last_modified, date);
		http_puts(&o, "\r\nLast-Modified: ");
		http_puts(&o, date);
	}
	if (h->location != NULL) {
		http_puts(&o, "\r\nLocation: ");
		http_puts(&o, h->location);
	}
	if (h->allow != NULL) {
		http_puts(&o, "\r\nAllow: ");
		http_puts(&o, h->allow);
	}
	if (h->etag != NULL) {
		http_puts(&o, "\r\nETag: ");
		http_puts(&o, h->etag);
	}
	if (h->accept_ranges)
		http_puts(&o, "\r\nAccept-Ranges: bytes");
	if (h->content_range != NULL) {
		http_puts(&o, "\r\nContent-Range: ");
		http_puts(&o, h->content_range);
	}
	if (h->content_encoding != NULL) {
		http_puts(&o, "\r\nContent-Encoding: ");
		http_puts(&o, h->content_encoding);
	}
	if (h->vary_encoding)
		http_puts(&o, "\r\nVary: Accept-Encoding");
	if (h->cache_control != NULL) {
		http_puts(&o, "\r\nCache-Control: ");
		http_puts(&o, h->cache_control);
	}
	if (h->nosniff)
		http_puts(&o, "\r\nX-Content-Type-Options: nosniff");
	if (!h->keep_alive)
		http_puts(&o, "\r\nConnection: close");
	else if (h->minor == 0)
		http_puts(&o, "\r\nConnection: keep-alive");
	http_puts(&o, "\r\n");
	if (h->extra != NULL)
		http_puts(&o, h->extra);
	http_puts(&o, "\r\n");
	return o.over ? 0 : o.len;
}

/* The first '\n' in [p, end), or NULL. */
static const char *
http_find_eol(const char *p, const char *end)
{
	if (p >= end)
		return NULL;
	return memchr(p, '\n', (size_t)(end - p));
}

/*
 * RFC 9110 section 5.6.2: tchar.  A table, since header names are
 * checked byte by byte on every request.
 */
int
http_is_tchar(unsigned char c)
{
	static const unsigned char	 tchar[256] = {
		['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
		['\''] = 1, ['*'] = 1, ['+'] = 1, ['-'] = 1, ['.'] = 1,
		['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
		['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
		['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
		['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1,
		['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
		['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
		['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
		['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1,
		['Z'] = 1,
		['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1,
		['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
		['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
		['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
		['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1,
		['z'] = 1,
	};

	return tchar[c];
}

/* Set req->method from req->method_name (OTHER for unknown tokens). */
static int
http_parse_method(struct http_request *req)
{
	static const struct {
		const char		*name;
		enum http_method	 method;
	} methods[] = {
		{ "GET", HTTP_METHOD_GET },
		{ "HEAD", HTTP_METHOD_HEAD },
		{ "POST", HTTP_METHOD_POST },
		{ "PUT", HTTP_METHOD_PUT },
		{ "DELETE", HTTP_METHOD_DELETE },
		{ "OPTIONS", HTTP_METHOD_OPTIONS },
		{ "TRACE", HTTP_METHOD_TRACE },
		{ "PATCH", HTTP_METHOD_PATCH },
		{ "CONNECT", HTTP_METHOD_CONNECT },
	};
	size_t	 i;

	req->method = HTTP_METHOD_OTHER;
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		/* Methods are case-sensitive (RFC 9110 section 9.1). */
		if (req->method_name.len == strlen(methods[i].name) &&
		    memcmp(req->method_name.p, methods[i].name,
		    req->method_name.len) == 0) {
			req->method = methods[i].method;
			break;
		}
	}
	return 0;
}

/*
 * Classify the target.  origin-form ("/x") is used as is; absolute-form
 * ("http://host/x") gives its path and authority; asterisk-form is allowed
 * only for OPTIONS and authority-form only for CONNECT, which are answered
 * 405 later anyway.  Anything else is 400.
 */
static int
http_parse_target(struct http_request *req)
{
	const char	*t = req->target.p, *end = t + req->target.len, *a, *s;
	size_t		 n;

	req->host.p = NULL;
	req->host.len = 0;
	req->has_host = false;
	if (t < end && *t == '/') {
		req->path = req->target;
		return 0;
	}
	if (req->target.len == 1 && *t == '*' &&
	    req->method == HTTP_METHOD_OPTIONS) {
		req->path = req->target;
		return 0;
	}
	if (req->method == HTTP_METHOD_CONNECT) {
		req->path = req->target;
		return 0;
	}
	if ((size_t)(end - t) > 7 && strncasecmp(t, "http://", 7) == 0)
		n = 7;
	else if ((size_t)(end - t) > 8 && strncasecmp(t, "https://", 8) == 0)
		n = 8;
	else
		return -1;
	a = t + n;
	for (s = a; s < end && *s != '/' && *s != '?'; s++)
		;
	if (s == a || memchr(a, '@', (size_t)(s - a)) != NULL)
		return -1;	/* no host, or userinfo (RFC 9110 4.2.4) */
	req->host.p = a;
	req->host.len = (size_t)(s - a);
	req->has_host = true;
	if (s == end || *s == '?') {
		/* "http://h" and "http://h?q" mean "/" (RFC 9112 3.2.1). */
		req->path.p = "/";
		req->path.len = 1;
	} else {
		req->path.p = s;
		req->path.len = (size_t)(end - s);
	}
	return 0;
}

/*
 * 0 for HTTP/1.x (minor set: 0, or 1 for 1.1 and any later 1.x, which
 * RFC 9110 section 2.5 says to treat as the highest 1.x we speak), 505
 * for another major version, 400 for a malformed one.
 */
static int
http_parse_version(const char *v, size_t len, int *minor)
{
	if (len != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' ||
	    v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1')
		return 505;
	*minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/*
 * Parse header fields from p up to the empty line.  Returns 0 with *used
 * set to the bytes the section took (the empty line included),
 * HTTP_PARSE_INCOMPLETE, or a status (400, 431) to answer.
 */
static int
http_parse_headers(const char *p, const char *end, struct http_request *req,
    size_t *used)
{
	const char		*start = p, *eol, *le, *colon, *v, *ve, *q;
	struct http_header	*h;

	for (;;) {
		if ((size_t)(p - start) > HTTP_MAX_HEADER_BYTES)
			return 431;
		eol = http_find_eol(p, end);
		if (eol == NULL) {
			if ((size_t)(end - start) > HTTP_MAX_HEADER_BYTES)
				return 431;
			return HTTP_PARSE_INCOMPLETE;
		}
		le = eol;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) {
			if ((size_t)(eol + 1 - start) > HTTP_MAX_HEADER_BYTES)
				return 431;
			*used = (size_t)(eol + 1 - start);
			return 0;
		}
		/* obs-fold: a line that starts with whitespace (9112 5.2). */
		if (*p == ' ' || *p == '\t')
			return 400;
		colon = memchr(p, ':', (size_t)(le - p));
		if (colon == NULL || colon == p)
			return 400;
		for (q = p; q < colon; q++)
			if (!http_is_tchar((unsigned char)*q))
				return 400;	/* includes space before ':' */
		for (q = colon + 1; q < le; q++) {
			unsigned char c = (unsigned char)*q;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
		if (req->nheaders == HTTP_MAX_HEADERS)
			return 431;
		v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		ve = le;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
			ve--;
		h = &req->headers[req->nheaders++];
		h->name.p = p;
		h->name.len = (size_t)(colon - p);
		h->value.p = v;
		h->value.len = (size_t)(ve - v);
		p = eol + 1;
	}
}

/*
 * Derive the framing and connection fields from the headers, and reject
 * what RFC 9112 section 6.3 says cannot be framed safely.
 */
static int
http_interpret(struct http_request *req)
{
	const struct http_header	*h;
	const struct http_slice		*v;
	struct http_slice		 last;
	uint64_t			 n;
	size_t				 i, nhost = 0;
	bool				 has_te = false, close = false;
	bool				 ka = false;
	int				 nchunked = 0;
	const char			*c;

	req->has_content_length = false;
	req->content_length = 0;
	req->chunked = false;
	req->referer.p = req->user_agent.p = NULL;
	req->referer.len = req->user_agent.len = 0;

	for (i = 0; i < req->nheaders; i++) {
		h = &req->headers[i];
		v = &h->value;
		if (http_slice_eq(&h->name, "host")) {
			nhost++;
			if (!req->has_host) {
				/* absolute-form's authority wins (9112 3.2.2). */
				req->host = *v;
			}
		} else if (http_slice_eq(&h->name, "content-length")) {
			if (http_parse_length(v, &n) == -1 ||
			    (req->has_content_length &&
			    n != req->content_length)) {
				req->status = 400;
				return -1;
			}
			req->has_content_length = true;
			req->content_length = n;
		} else if (http_slice_eq(&h->name, "transfer-encoding")) {
			has_te = true;
			/* The final coding must be chunked (9112 6.3). */
			c = v->p + v->len;
			while (c > v->p && c[-1] != ',')
				c--;
			last.p = c;
			last.len = (size_t)(v->p + v->len - c);
			while (last.len > 0 && (*last.p == ' ' ||
			    *last.p == '\t')) {
				last.p++;
				last.len--;
			}
			req->chunked = http_slice_eq(&last, "chunked");
			nchunked += http_token_list_count(v, "chunked");
		} else if (http_slice_eq(&h->name, "connection")) {
			if (http_token_list_has(v, "close"))
				close = true;
			if (http_token_list_has(v, "keep-alive"))
				ka = true;
		} else if (http_slice_eq(&h->name, "referer"))
			req->referer = *v;
		else if (http_slice_eq(&h->name, "user-agent"))
			req->user_agent = *v;
	}
	/* RFC 9112 3.2: Host is required in 1.1, absolute-form too. */
	if (nhost > 1 || (req->minor == 1 && nhost == 0)) {
		req->status = 400;
		return -1;
	}
	if (nhost == 1 && !req->has_host)
		req->has_host = true;
	if (has_te && req->has_content_length) {
		req->status = 400;	/* request smuggling (9112 6.1) */
		return -1;
	}
	if (has_te && req->minor == 0) {
		req->status = 400;	/* 9112 6.1: TE in 1.0 is faulty */
		return -1;
	}
	if (nchunked > 1) {
		req->status = 400;	/* 9112 6.1: never chunked twice */
		return -1;
	}
	if (has_te && !req->chunked) {
		/* RFC 9112 6.3 item 4: the length cannot be known. */
		req->status = 400;
		return -1;
	}
	if (req->has_host && !http_host_valid(req->host.p, req->host.len)) {
		req->status = 400;	/* RFC 9112 3.2: an invalid Host */
		return -1;
	}
	if (req->minor == 1)
		req->keep_alive = !close;
	else
		req->keep_alive = ka && !close;
	return 0;
}

/*
 * RFC 3986 host [ ":" port ]: an IP-literal in brackets, or a reg-name /
 * IPv4 of unreserved, pct-encoded and sub-delim characters.  Empty is
 * valid (RFC 9110 7.2: a target without authority).
 */
static bool
http_host_valid(const char *p, size_t len)
{
	const char	*end = p + len, *colon;

	if (len > 0 && *p == '[') {
		for (p++; p < end && *p != ']'; p++)
			if (!(isxdigit((unsigned char)*p) || *p == ':' ||
			    *p == '.'))
				return false;
		if (p == end)
			return false;
		colon = ++p;
	} else {
		for (; p < end && *p != ':'; p++)
			if (!(isalnum((unsigned char)*p) ||
			    strchr("-._~%!$&'()*+,;=", *p) != NULL))
				return false;
		colon = p;
	}
	if (colon == end)
		return true;
	if (*colon != ':')
		return false;
	for (p = colon + 1; p < end; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	return true;
}

/* Case-insensitive equality of a slice and a NUL-terminated string. */
static int
http_slice_eq(const struct http_slice *s, const char *str)
{
	size_t	 n = strlen(str);

	return s->len == n && strncasecmp(s->p, str, n) == 0;
}

/* Whether the comma-separated list in v holds token tok (no case). */
static int
http_token_list_has(const struct http_slice *v, const char *tok)
{
	return http_token_list_count(v, tok) > 0;
}

/* How many times the comma-separated list in v holds token tok. */
static int
http_token_list_count(const struct http_slice *v, const char *tok)
{
	const char		*p = v->p, *end = v->p + v->len, *e;
	struct http_slice	 t;
	int			 count = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ','))
			p++;
		e = p;
		while (e < end && *e != ',')
			e++;
		t.p = p;
		t.len = (size_t)(e - p);
		while (t.len > 0 && (t.p[t.len - 1] == ' ' ||
		    t.p[t.len - 1] == '\t'))
			t.len--;
		if (t.len > 0 && http_slice_eq(&t, tok))
			count++;
		p = e;
	}
	return count;
}

/*
 * Content-Length: 1*DIGIT, or a list of identical values ("5, 5"), which
 * RFC 9110 section 8.6 lets a recipient accept.  Returns 0 or -1.
 */
static int
http_parse_length(const struct http_slice *v, uint64_t *out)
{
	const char	*p = v->p, *end = v->p + v->len;
	uint64_t	 n, first = 0;
	int		 seen = 0;

	while (p < end) {
		if (!(*p >= '0' && *p <= '9'))
			return -1;
		n = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			if (n > (UINT64_MAX - 9) / 10)
				return -1;
			n = n * 10 + (uint64_t)(*p - '0');
			p++;
		}
		if (seen && n != first)
			return -1;
		first = n;
		seen = 1;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (*p != ',')
			return -1;
		p++;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			return -1;
	}
	if (!seen)
		return -1;
	*out = first;
	return 0;
}
