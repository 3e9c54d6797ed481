/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for http.c: the request parser, header lookup, reason phrases,
 * dates and the response-head writer.
 *
 * Every parse runs on input copied so that it ends exactly at a PROT_NONE
 * page (struct guard), so a read past buf[len) faults instead of passing
 * silently.  Each valid request is also parsed at every truncated length,
 * each of which must ask for more bytes, and each malformed one at every
 * length, none of which may crash or be accepted.
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "http.h"

/* Room before the PROT_NONE page: twice the largest head the tests use. */
#define GUARD_DATA	(2 * (HTTP_MAX_HEAD + 8192))

/* A string literal and its length, NUL bytes inside included. */
#define S(x)		(x), (sizeof(x) - 1)

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct valid_case {
	const char		*name;
	const char		*head;		/* the whole request head */
	const char		*rest;		/* bytes after it, left alone */
	enum http_method	 method;
	const char		*method_name;
	const char		*target;
	const char		*path;
	int			 minor;
	size_t			 nheaders;
	const char		*host;		/* NULL: none */
	bool			 keep_alive;
	bool			 has_content_length;
	uint64_t		 content_length;
	bool			 chunked;
	const char		*referer;	/* NULL: none */
	const char		*user_agent;	/* NULL: none */
};

struct bad_case {
	const char	*name;
	const char	*input;
	size_t		 len;
	int		 status;
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const void *, size_t);
static char	*build_request(size_t, size_t, size_t, bool);
static char	*many_fields(size_t, size_t *);
static void	 check_slice(const char *, const char *,
		    const struct http_slice *, const char *);
static void	 check_within(const char *, const char *,
		    const struct http_slice *, const char *, size_t);
static void	 check_valid(struct guard *, const struct valid_case *);
static void	 check_prefixes(struct guard *, const struct valid_case *);
static void	 check_bad(struct guard *, const struct bad_case *);
static size_t	 write_head_at(struct guard *, size_t,
		    const struct http_head *, char **);
static void	 check_field(const char *, const char *, const char *);
static size_t	 count_lines(const char *);

static const char	 rest_body[] = "hello";
static const char	 rest_next[] = "GET /next HTTP/1.1\r\nHost: h\r\n\r\n";

static const struct valid_case valid_cases[] = {
	{
		.name = "simple GET",
		.head = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 1,
		.host = "example.com", .keep_alive = true
	},
	{
		.name = "HEAD",
		.head = "HEAD /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_HEAD, .method_name = "HEAD",
		.target = "/a/b.html?x=1", .path = "/a/b.html?x=1",
		.minor = 1, .nheaders = 1, .host = "h", .keep_alive = true
	},
	{
		.name = "HTTP/1.0 without Host",
		.head = "GET /x HTTP/1.0\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/x", .path = "/x", .minor = 0, .nheaders = 0,
		.keep_alive = false
	},
	{
		.name = "HTTP/1.0 keep-alive",
		.head = "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n"
		    "User-Agent: curl/8.0\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/x", .path = "/x", .minor = 0, .nheaders = 2,
		.keep_alive = true, .user_agent = "curl/8.0"
	},
	{
		.name = "HTTP/1.0 keep-alive, close",
		.head = "GET /x HTTP/1.0\r\nHost: h\r\n"
		    "Connection: keep-alive, close\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/x", .path = "/x", .minor = 0, .nheaders = 2,
		.host = "h", .keep_alive = false
	},
	{
		.name = "leading CRLFs",
		.head = "\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 1,
		.host = "h", .keep_alive = true
	},
	{
		.name = "bare LF line endings",
		.head = "GET /lf HTTP/1.1\nHost: h\nReferer: http://r/\n\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/lf", .path = "/lf", .minor = 1, .nheaders = 2,
		.host = "h", .keep_alive = true, .referer = "http://r/"
	},
	{
		.name = "absolute-form",
		.head = "GET http://example.com:8080/a/b?q=1 HTTP/1.1\r\n"
		    "Host: other.example\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "http://example.com:8080/a/b?q=1",
		.path = "/a/b?q=1", .minor = 1, .nheaders = 1,
		.host = "example.com:8080", .keep_alive = true
	},
	{
		.name = "absolute-form, no path",
		.head = "GET HTTP://example.com HTTP/1.1\r\n"
		    "Host: example.com\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "HTTP://example.com", .path = "/",
		.minor = 1, .nheaders = 1, .host = "example.com",
		.keep_alive = true
	},
	{
		.name = "many headers",
		.head = "GET /many HTTP/1.1\r\n"
		    "Host: h\r\n"
		    "User-Agent:   Mozilla/5.0 (X11)  \r\n"
		    "Accept: */*\r\n"
		    "Accept-Encoding: gzip, br\r\n"
		    "Accept-Language: en\r\n"
		    "REFERER:\thttp://example.com/from\t\r\n"
		    "Cookie: a=b; c=d\r\n"
		    "X-Empty:\r\n"
		    "X-Obs-Text: caf\xc3\xa9\r\n"
		    "If-None-Match: \"abc\"\r\n"
		    "Cache-Control: no-cache\r\n"
		    "X_Under.score~!#$%&'*+-^`|: ok\r\n"
		    "\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/many", .path = "/many", .minor = 1,
		.nheaders = 12, .host = "h", .keep_alive = true,
		.referer = "http://example.com/from",
		.user_agent = "Mozilla/5.0 (X11)"
	},
	{
		.name = "Content-Length",
		.head = "POST /form HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 5\r\n\r\n",
		.rest = rest_body,
		.method = HTTP_METHOD_POST, .method_name = "POST",
		.target = "/form", .path = "/form", .minor = 1,
		.nheaders = 2, .host = "h", .keep_alive = true,
		.has_content_length = true, .content_length = 5
	},
	{
		.name = "Content-Length 5, 5",
		.head = "PUT /f HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 5, 5\r\n\r\n",
		.rest = rest_body,
		.method = HTTP_METHOD_PUT, .method_name = "PUT",
		.target = "/f", .path = "/f", .minor = 1,
		.nheaders = 2, .host = "h", .keep_alive = true,
		.has_content_length = true, .content_length = 5
	},
	{
		.name = "Content-Length twice, same value",
		.head = "PUT /f HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 5\r\ncontent-length: 005\r\n\r\n",
		.rest = rest_body,
		.method = HTTP_METHOD_PUT, .method_name = "PUT",
		.target = "/f", .path = "/f", .minor = 1,
		.nheaders = 3, .host = "h", .keep_alive = true,
		.has_content_length = true, .content_length = 5
	},
	{
		.name = "Content-Length of 19 digits",
		.head = "POST / HTTP/1.1\r\nHost: h\r\n"
		    "Content-Length: 1000000000000000000\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_POST, .method_name = "POST",
		.target = "/", .path = "/", .minor = 1,
		.nheaders = 2, .host = "h", .keep_alive = true,
		.has_content_length = true,
		.content_length = UINT64_C(1000000000000000000)
	},
	{
		.name = "Transfer-Encoding chunked",
		.head = "POST / HTTP/1.1\r\nHost: h\r\n"
		    "Transfer-Encoding: gzip, Chunked\r\n\r\n",
		.rest = "5\r\nhello\r\n0\r\n\r\n",
		.method = HTTP_METHOD_POST, .method_name = "POST",
		.target = "/", .path = "/", .minor = 1,
		.nheaders = 2, .host = "h", .keep_alive = true,
		.chunked = true
	},
	{
		.name = "Connection: keep-alive",
		.head = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: keep-alive\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 2,
		.host = "h", .keep_alive = true
	},
	{
		.name = "Connection: close",
		.head = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: close\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 2,
		.host = "h", .keep_alive = false
	},
	{
		.name = "Connection: Upgrade, close",
		.head = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: Upgrade, CLOSE\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 2,
		.host = "h", .keep_alive = false
	},
	{
		.name = "Connection: closed is not close",
		.head = "GET / HTTP/1.1\r\nHost: h\r\n"
		    "Connection: closed, xclose\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1, .nheaders = 2,
		.host = "h", .keep_alive = true
	},
	{
		.name = "Host last among several",
		.head = "GET /h HTTP/1.1\r\nAccept: */*\r\n"
		    "hOsT:  a.b:81 \r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/h", .path = "/h", .minor = 1, .nheaders = 2,
		.host = "a.b:81", .keep_alive = true
	},
	{
		.name = "unknown method token",
		.head = "BREW /pot HTTP/1.1\r\nHost: h\r\n\r\n",
		.rest = rest_next,
		.method = HTTP_METHOD_OTHER, .method_name = "BREW",
		.target = "/pot", .path = "/pot", .minor = 1, .nheaders = 1,
		.host = "h", .keep_alive = true
	},
	{
		.name = "OPTIONS *",
		.head = "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_OPTIONS, .method_name = "OPTIONS",
		.target = "*", .path = "*", .minor = 1, .nheaders = 1,
		.host = "h", .keep_alive = true
	},
	{
		.name = "CONNECT authority-form",
		.head = "CONNECT example.com:443 HTTP/1.1\r\n"
		    "Host: example.com:443\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_CONNECT, .method_name = "CONNECT",
		.target = "example.com:443", .path = "example.com:443",
		.minor = 1, .nheaders = 1, .host = "example.com:443",
		.keep_alive = true
	},
	{
		.name = "DELETE",
		.head = "DELETE /d HTTP/1.1\r\nHost: h\r\n\r\n",
		.rest = "",
		.method = HTTP_METHOD_DELETE, .method_name = "DELETE",
		.target = "/d", .path = "/d", .minor = 1, .nheaders = 1,
		.host = "h", .keep_alive = true
	},
};

static const struct bad_case bad_cases[] = {
	/* 400: request line. */
	{ "two spaces after method", S("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "two spaces before version", S("GET /  HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "leading space", S(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "trailing space", S("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), 400 },
	{ "no space before version", S("GET /HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "no target", S("GET HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "only spaces", S("   \r\n\r\n"), 400 },
	{ "tab as separator", S("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "lowercase version", S("GET / http/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "version without dot", S("GET / HTTP/11\r\nHost: h\r\n\r\n"), 400 },
	{ "version too long", S("GET / HTTP/1.10\r\nHost: h\r\n\r\n"), 400 },
	{ "version letters", S("GET / HTTP/x.y\r\nHost: h\r\n\r\n"), 400 },
	{ "CR CR LF", S("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n"), 400 },
	{ "bare CR before request", S("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "control byte in target", S("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "DEL in target", S("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "tab in target", S("GET /a\tb HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "NUL in target", S("GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "8-bit byte in target",
	    S("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "bad byte in method", S("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "NUL in method", S("G\0T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "asterisk-form with GET", S("GET * HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400 },
	{ "relative target", S("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "absolute-form with userinfo",
	    S("GET http://user:pw@example.com/ HTTP/1.1\r\n"
	    "Host: example.com\r\n\r\n"), 400 },
	{ "absolute-form, empty authority",
	    S("GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "absolute-form, scheme only",
	    S("GET http:// HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	{ "absolute-form, other scheme",
	    S("GET ftp://h/a HTTP/1.1\r\nHost: h\r\n\r\n"), 400 },
	/* 400: header fields. */
	{ "space before colon", S("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400 },
	{ "tab before colon", S("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), 400 },
	{ "obs-fold", S("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"),
	    400 },
	{ "obs-fold with tab",
	    S("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"), 400 },
	{ "header before request line is folded",
	    S("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), 400 },
	{ "no colon", S("GET / HTTP/1.1\r\nHost h\r\n\r\n"), 400 },
	{ "empty header name", S("GET / HTTP/1.1\r\nHost: h\r\n: v\r\n\r\n"),
	    400 },
	{ "bad byte in header name",
	    S("GET / HTTP/1.1\r\nHost: h\r\nX(y): v\r\n\r\n"), 400 },
	{ "NUL in header value",
	    S("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n"), 400 },
	{ "bare CR in header value",
	    S("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), 400 },
	{ "DEL in header value",
	    S("GET / HTTP/1.1\r\nHost: h\r\nX: a\x7f\r\n\r\n"), 400 },
	{ "CR CR LF after header",
	    S("GET / HTTP/1.1\r\nHost: h\r\n\r\r\n"), 400 },
	{ "Host missing in 1.1", S("GET / HTTP/1.1\r\nAccept: */*\r\n\r\n"),
	    400 },
	{ "two Host headers",
	    S("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400 },
	{ "two identical Host headers",
	    S("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), 400 },
	{ "two Host headers in 1.0",
	    S("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400 },
	/* 400: framing. */
	{ "two different Content-Length",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Content-Length: 6\r\n\r\n"), 400 },
	{ "Content-Length list differs",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 6\r\n\r\n"),
	    400 },
	{ "Content-Length trailing comma",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5,\r\n\r\n"),
	    400 },
	{ "Content-Length empty",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), 400 },
	{ "Content-Length plus sign",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n"),
	    400 },
	{ "Content-Length minus sign",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -5\r\n\r\n"),
	    400 },
	{ "Content-Length letters",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5a\r\n\r\n"),
	    400 },
	{ "Content-Length hex",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x5\r\n\r\n"),
	    400 },
	{ "Content-Length inner space",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n"),
	    400 },
	{ "Content-Length 2^64",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 18446744073709551616\r\n\r\n"), 400 },
	{ "Content-Length 10^20",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Content-Length: 100000000000000000000\r\n\r\n"), 400 },
	{ "Content-Length and Transfer-Encoding",
	    S("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 400 },
	{ "Transfer-Encoding and Content-Length",
	    S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
	    "Content-Length: 5\r\n\r\n"), 400 },
	{ "Transfer-Encoding in HTTP/1.0",
	    S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400 },
	/* 501, 505. */
	/* RFC 9112 6.3 item 4: chunked must be the final coding: 400. */
	{ "Transfer-Encoding gzip",
	    S("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n"),
	    400 },
	{ "Transfer-Encoding chunked, gzip",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, gzip\r\n\r\n"), 400 },
	/* RFC 9112 6.1: chunked is never applied twice, in one line or two. */
	{ "Transfer-Encoding chunked, chunked",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked, chunked\r\n\r\n"), 400 },
	{ "Transfer-Encoding chunked on two lines",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: chunked\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 400 },
	{ "Transfer-Encoding CHUNKED, chunked",
	    S("POST / HTTP/1.1\r\nHost: h\r\n"
	    "Transfer-Encoding: CHUNKED ,chunked\r\n\r\n"), 400 },
	{ "HTTP/2.0", S("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), 505 },
	{ "HTTP/3.0", S("GET / HTTP/3.0\r\nHost: h\r\n\r\n"), 505 },
	{ "HTTP/0.9", S("GET / HTTP/0.9\r\n\r\n"), 505 },
};

static int
guard_setup(void **state)
{
	struct guard	*g;
	long		 pg;

	pg = sysconf(_SC_PAGESIZE);
	assert_true(pg > 0);
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->pagesz = (size_t)pg;
	g->size = (GUARD_DATA + g->pagesz - 1) / g->pagesz * g->pagesz;
	g->base = mmap(NULL, g->size + g->pagesz, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->base != MAP_FAILED);
	assert_int_equal(mprotect(g->base + g->size, g->pagesz, PROT_NONE), 0);
	*state = g;
	return 0;
}

static int
guard_teardown(void **state)
{
	struct guard	*g = *state;

	munmap(g->base, g->size + g->pagesz);
	free(g);
	return 0;
}

/* Copy s[0..n) so that it ends at the PROT_NONE page; return its start. */
static char *
guard_place(struct guard *g, const void *s, size_t n)
{
	char	*p;

	assert_true(n <= g->size);
	p = g->base + g->size - n;
	if (n > 0)
		memcpy(p, s, n);
	return p;
}

/*
 * A request head, "GET /aaa... HTTP/1.1" whose request line is linelen
 * bytes, a Host field, then either one "X: bbb..." field that makes the
 * header section (empty line included) hdrbytes long, or, with hdrbytes 0,
 * nfields - 1 small fields after Host.  Without `end` the empty line is
 * left off.  Caller must free.
 */
static char *
build_request(size_t linelen, size_t hdrbytes, size_t nfields, bool end)
{
	static const char	 host[] = "Host: h\r\n";
	static const char	 field[] = "X-F: 1\r\n";
	size_t			 cap, i, vlen;
	char			*s, *p;

	assert_true(linelen >= 14);
	cap = linelen + 2 + hdrbytes + nfields * sizeof(field) + 64;
	s = malloc(cap);
	assert_non_null(s);
	p = s;
	memcpy(p, "GET /", 5);
	p += 5;
	memset(p, 'a', linelen - 14);
	p += linelen - 14;
	memcpy(p, " HTTP/1.1\r\n", 11);
	p += 11;
	memcpy(p, host, sizeof(host) - 1);
	p += sizeof(host) - 1;
	if (hdrbytes > 0) {
		/* host + "X: " + value + CRLF + CRLF */
		assert_true(hdrbytes > sizeof(host) - 1 + 7);
		vlen = hdrbytes - (sizeof(host) - 1) - 7;
		memcpy(p, "X: ", 3);
		p += 3;
		memset(p, 'b', vlen);
		p += vlen;
		memcpy(p, "\r\n", 2);
		p += 2;
	} else {
		for (i = 1; i < nfields; i++) {
			memcpy(p, field, sizeof(field) - 1);
			p += sizeof(field) - 1;
		}
	}
	if (end) {
		memcpy(p, "\r\n", 2);
		p += 2;
	}
	*p = '\0';
	assert_true((size_t)(p - s) < cap);
	return s;
}

/*
 * "GET / HTTP/1.1\r\n" and then `bytes` bytes of header fields of 200
 * bytes each, the last one cut short, with no empty line; *len is the
 * total.  Caller must free.
 */
static char *
many_fields(size_t bytes, size_t *len)
{
	char	*s, *p;
	size_t	 left;

	assert_true(bytes / 200 < HTTP_MAX_HEADERS);
	s = malloc(16 + bytes + 1);
	assert_non_null(s);
	memcpy(s, "GET / HTTP/1.1\r\n", 16);
	p = s + 16;
	for (left = bytes; left > 0; ) {
		if (left >= 200) {
			memcpy(p, "X: ", 3);
			memset(p + 3, 'c', 195);
			memcpy(p + 198, "\r\n", 2);
			p += 200;
			left -= 200;
		} else {
			memset(p, 'Y', left);
			p += left;
			left = 0;
		}
	}
	*p = '\0';
	*len = (size_t)(p - s);
	return s;
}

static void
check_slice(const char *name, const char *what, const struct http_slice *s,
    const char *want)
{
	if (want == NULL) {
		if (s->len != 0)
			fail_msg("%s: %s is \"%.*s\", want none", name, what,
			    (int)s->len, s->p);
		return;
	}
	if (s->len != strlen(want) || (s->len > 0 &&
	    memcmp(s->p, want, s->len) != 0))
		fail_msg("%s: %s is \"%.*s\", want \"%s\"", name, what,
		    s->len > 200 ? 200 : (int)s->len, s->p, want);
}

/* Slices must point into the caller's buffer (zero-copy contract). */
static void
check_within(const char *name, const char *what, const struct http_slice *s,
    const char *buf, size_t len)
{
	if (s->len == 0)
		return;
	if (s->p < buf || s->p + s->len > buf + len)
		fail_msg("%s: %s does not point into the buffer", name, what);
}

static void
check_valid(struct guard *g, const struct valid_case *c)
{
	struct http_request	 req;
	size_t			 hl, rl, len, i;
	ssize_t			 n;
	char			*buf;
	int			 pass;

	hl = strlen(c->head);
	rl = c->rest != NULL ? strlen(c->rest) : 0;

	/* Pass 0: the head alone; pass 1: the head and what follows it. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && rl == 0)
			break;
		len = pass == 0 ? hl : hl + rl;
		assert_true(len <= g->size);
		buf = g->base + g->size - len;
		memcpy(buf, c->head, hl);
		if (len > hl)
			memcpy(buf + hl, c->rest, rl);
		memset(&req, 0xa5, sizeof(req));
		n = http_parse_request(buf, len, &req);
		if (n != (ssize_t)hl)
			fail_msg("%s (pass %d): returned %zd (status %d), "
			    "want %zu", c->name, pass, n, req.status, hl);
		if (req.method != c->method)
			fail_msg("%s: method %d, want %d", c->name,
			    (int)req.method, (int)c->method);
		check_slice(c->name, "method_name", &req.method_name,
		    c->method_name);
		check_slice(c->name, "target", &req.target, c->target);
		check_slice(c->name, "path", &req.path, c->path);
		if (req.minor != c->minor)
			fail_msg("%s: minor %d, want %d", c->name, req.minor,
			    c->minor);
		if (req.nheaders != c->nheaders)
			fail_msg("%s: nheaders %zu, want %zu", c->name,
			    req.nheaders, c->nheaders);
		check_slice(c->name, "host", &req.host, c->host);
		if (req.has_host != (c->host != NULL))
			fail_msg("%s: has_host %d", c->name, req.has_host);
		if (req.keep_alive != c->keep_alive)
			fail_msg("%s: keep_alive %d, want %d", c->name,
			    req.keep_alive, c->keep_alive);
		if (req.has_content_length != c->has_content_length)
			fail_msg("%s: has_content_length %d", c->name,
			    req.has_content_length);
		if (c->has_content_length &&
		    req.content_length != c->content_length)
			fail_msg("%s: content_length %llu, want %llu",
			    c->name, (unsigned long long)req.content_length,
			    (unsigned long long)c->content_length);
		if (req.chunked != c->chunked)
			fail_msg("%s: chunked %d, want %d", c->name,
			    req.chunked, c->chunked);
		check_slice(c->name, "referer", &req.referer, c->referer);
		check_slice(c->name, "user_agent", &req.user_agent,
		    c->user_agent);
		check_within(c->name, "method_name", &req.method_name, buf,
		    hl);
		check_within(c->name, "target", &req.target, buf, hl);
		check_within(c->name, "host", &req.host, buf, hl);
		for (i = 0; i < req.nheaders && i < HTTP_MAX_HEADERS; i++) {
			check_within(c->name, "header name",
			    &req.headers[i].name, buf, hl);
			check_within(c->name, "header value",
			    &req.headers[i].value, buf, hl);
		}
	}

	/* A pipelined request right after the head parses on its own. */
	if (c->rest == rest_next) {
		buf = guard_place(g, c->rest, rl);
		n = http_parse_request(buf, rl, &req);
		if (n != (ssize_t)rl)
			fail_msg("%s: pipelined request returned %zd", c->name,
			    n);
		check_slice(c->name, "pipelined target", &req.target,
		    "/next");
	}
}

/* Every proper prefix of a valid head must ask for more bytes. */
static void
check_prefixes(struct guard *g, const struct valid_case *c)
{
	struct http_request	 req;
	size_t			 hl, k;
	ssize_t			 n;
	char			*buf;

	hl = strlen(c->head);
	for (k = 0; k < hl; k++) {
		buf = guard_place(g, c->head, k);
		req.status = 0;
		n = http_parse_request(buf, k, &req);
		if (n != HTTP_PARSE_INCOMPLETE)
			fail_msg("%s: prefix of %zu/%zu bytes returned %zd "
			    "(status %d), want HTTP_PARSE_INCOMPLETE", c->name,
			    k, hl, n, req.status);
	}
}

/*
 * A malformed head gives HTTP_PARSE_BAD and its status; every prefix of it
 * gives HTTP_PARSE_INCOMPLETE or HTTP_PARSE_BAD, never a head.
 */
static void
check_bad(struct guard *g, const struct bad_case *c)
{
	struct http_request	 req;
	size_t			 k;
	ssize_t			 n;
	char			*buf;

	buf = guard_place(g, c->input, c->len);
	req.status = 0;
	n = http_parse_request(buf, c->len, &req);
	if (n != HTTP_PARSE_BAD || req.status != c->status)
		fail_msg("%s: returned %zd status %d, want HTTP_PARSE_BAD "
		    "status %d", c->name, n, req.status, c->status);
	for (k = 0; k < c->len; k++) {
		buf = guard_place(g, c->input, k);
		n = http_parse_request(buf, k, &req);
		if (n != HTTP_PARSE_INCOMPLETE && n != HTTP_PARSE_BAD)
			fail_msg("%s: prefix of %zu bytes returned %zd",
			    c->name, k, n);
	}
}

/* The harness itself: a read at the boundary must fault. */
static void
test_guard_place_traps_overread(void **state)
{
	struct guard	*g = *state;
	volatile char	*p = (volatile char *)g->base + g->size;
	pid_t		 pid;
	int		 st;

	pid = fork();
	assert_true(pid != -1);
	if (pid == 0) {
		/* Not cmocka's handler: it would carry on with the tests. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		(void)*p;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_false(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Every valid request gives its head length and every derived field. */
static void
test_http_parse_request_valid(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(*state, &valid_cases[i]);
}

/* Every truncated valid request, ending at the guard page, asks for more. */
static void
test_http_parse_request_prefixes(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_prefixes(*state, &valid_cases[i]);
}

/* Nothing, or only empty lines, is not yet a request. */
static void
test_http_parse_request_empty(void **state)
{
	struct http_request	 req;
	char			*buf;

	buf = guard_place(*state, "", 0);
	assert_int_equal(http_parse_request(buf, 0, &req),
	    HTTP_PARSE_INCOMPLETE);
	buf = guard_place(*state, S("\r\n\r\n"));
	assert_int_equal(http_parse_request(buf, 4, &req),
	    HTTP_PARSE_INCOMPLETE);
}

/* Every malformed request gets its status, at every length. */
static void
test_http_parse_request_malformed(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(*state, &bad_cases[i]);
}

/* The largest request line and the most header fields still parse. */
static void
test_http_parse_request_at_limits(void **state)
{
	struct valid_case	 c = {
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.minor = 1, .host = "h", .keep_alive = true,
		.rest = rest_next
	};
	char			*s, *target;

	/* A request line of exactly HTTP_MAX_REQUEST_LINE bytes. */
	s = build_request(HTTP_MAX_REQUEST_LINE, 0, 1, true);
	target = strndup(s + 4, HTTP_MAX_REQUEST_LINE - 13);
	assert_non_null(target);
	c.name = "request line of HTTP_MAX_REQUEST_LINE bytes";
	c.head = s;
	c.target = c.path = target;
	c.nheaders = 1;
	check_valid(*state, &c);
	free(s);
	free(target);

	/* A header section of exactly HTTP_MAX_HEADER_BYTES bytes. */
	s = build_request(14, HTTP_MAX_HEADER_BYTES, 0, true);
	c.name = "header section of HTTP_MAX_HEADER_BYTES bytes";
	c.head = s;
	c.target = c.path = "/";
	c.nheaders = 2;
	check_valid(*state, &c);
	free(s);

	/* HTTP_MAX_HEADERS fields. */
	s = build_request(14, 0, HTTP_MAX_HEADERS, true);
	c.name = "HTTP_MAX_HEADERS fields";
	c.head = s;
	c.nheaders = HTTP_MAX_HEADERS;
	check_valid(*state, &c);
	free(s);
}

/*
 * Every prefix of the heads at the limits asks for more.  In particular a
 * request line of exactly HTTP_MAX_REQUEST_LINE bytes whose CR has arrived
 * but whose LF has not is still incomplete, not 414.
 */
static void
test_http_parse_request_prefixes_at_limits(void **state)
{
	struct valid_case	 c = { .name = NULL };
	char			*s;

	s = build_request(14, HTTP_MAX_HEADER_BYTES, 0, true);
	c.name = "header section of HTTP_MAX_HEADER_BYTES bytes";
	c.head = s;
	check_prefixes(*state, &c);
	free(s);

	s = build_request(14, 0, HTTP_MAX_HEADERS, true);
	c.name = "HTTP_MAX_HEADERS fields";
	c.head = s;
	check_prefixes(*state, &c);
	free(s);

	s = build_request(HTTP_MAX_REQUEST_LINE - 1, 0, 1, true);
	c.name = "request line of HTTP_MAX_REQUEST_LINE - 1 bytes";
	c.head = s;
	check_prefixes(*state, &c);
	free(s);
}

/*
 * A request line of exactly HTTP_MAX_REQUEST_LINE bytes is valid (see
 * test_http_parse_request_at_limits), so while its CR has arrived and its
 * LF has not, the parser must ask for more rather than answer 414.
 */
static void
test_http_parse_request_prefixes_line_at_limit(void **state)
{
	struct valid_case	 c = { .name = NULL };
	char			*s;

	s = build_request(HTTP_MAX_REQUEST_LINE, 0, 1, true);
	c.name = "request line of HTTP_MAX_REQUEST_LINE bytes";
	c.head = s;
	check_prefixes(*state, &c);
	free(s);
}

/* RFC 9110 section 9.1: "The method token is case-sensitive". */
static void
test_http_parse_request_method_case_sensitive(void **state)
{
	static const struct valid_case	 cases[] = {
		{
			.name = "get is not GET",
			.head = "get / HTTP/1.1\r\nHost: h\r\n\r\n",
			.method = HTTP_METHOD_OTHER, .method_name = "get",
			.target = "/", .path = "/", .minor = 1,
			.nheaders = 1, .host = "h", .keep_alive = true
		},
		{
			.name = "Head is not HEAD",
			.head = "Head / HTTP/1.1\r\nHost: h\r\n\r\n",
			.method = HTTP_METHOD_OTHER, .method_name = "Head",
			.target = "/", .path = "/", .minor = 1,
			.nheaders = 1, .host = "h", .keep_alive = true
		},
	};
	size_t				 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_valid(*state, &cases[i]);
}

/*
 * RFC 9110 section 2.5: a later 1.x minor version is processed as the
 * highest 1.x the server speaks, 1.1; only another major version is 505.
 */
static void
test_http_parse_request_later_minor_is_1_1(void **state)
{
	static const struct valid_case	 c = {
		.name = "HTTP/1.2 is handled as 1.1",
		.head = "GET / HTTP/1.2\r\nHost: h\r\n\r\n",
		.method = HTTP_METHOD_GET, .method_name = "GET",
		.target = "/", .path = "/", .minor = 1,
		.nheaders = 1, .host = "h", .keep_alive = true
	};

	check_valid(*state, &c);
}

/*
 * RFC 9112 section 3.2: "A server MUST respond with a 400 (Bad Request)
 * status code to any HTTP/1.1 request message that lacks a Host header
 * field", whatever the form of its target; HTTP/1.0 may omit it.
 */
static void
test_http_parse_request_absolute_form_needs_host(void **state)
{
	static const struct bad_case	 c = {
		"absolute-form in 1.1 without Host",
		S("GET http://example.com/ HTTP/1.1\r\n\r\n"), 400
	};
	static const char		 in10[] =
	    "GET http://example.com/ HTTP/1.0\r\n\r\n";
	struct http_request		 req;
	char				*buf;

	buf = guard_place(*state, S(in10));
	assert_int_equal(http_parse_request(buf, sizeof(in10) - 1, &req),
	    (ssize_t)(sizeof(in10) - 1));
	check_slice("1.0 absolute-form", "host", &req.host, "example.com");
	check_bad(*state, &c);
}

/* A request line over HTTP_MAX_REQUEST_LINE is 414, complete or not. */
static void
test_http_parse_request_too_long_line(void **state)
{
	struct bad_case	 c;
	char		*s;

	/* Complete, one byte over. */
	s = build_request(HTTP_MAX_REQUEST_LINE + 1, 0, 1, true);
	c.name = "complete request line of HTTP_MAX_REQUEST_LINE + 1";
	c.input = s;
	c.len = strlen(s);
	c.status = 414;
	check_bad(*state, &c);
	free(s);

	/* Complete, far over. */
	s = build_request(HTTP_MAX_REQUEST_LINE + 5000, 0, 1, true);
	c.name = "complete request line of HTTP_MAX_REQUEST_LINE + 5000";
	c.input = s;
	c.len = strlen(s);
	check_bad(*state, &c);
	free(s);

	/* Incomplete: no LF yet, but already too long. */
	s = build_request(HTTP_MAX_REQUEST_LINE + 20, 0, 1, true);
	c.name = "incomplete request line of HTTP_MAX_REQUEST_LINE + 1";
	c.input = s;
	c.len = HTTP_MAX_REQUEST_LINE + 1;
	check_bad(*state, &c);
	c.name = "incomplete request line with CR";
	s[HTTP_MAX_REQUEST_LINE + 1] = '\r';
	c.len = HTTP_MAX_REQUEST_LINE + 2;
	check_bad(*state, &c);
	free(s);
}

/* Over HTTP_MAX_HEADER_BYTES or HTTP_MAX_HEADERS is 431, complete or not. */
static void
test_http_parse_request_too_large_headers(void **state)
{
	struct bad_case	 c;
	char		*s;

	/* Complete, one byte over. */
	s = build_request(14, HTTP_MAX_HEADER_BYTES + 1, 0, true);
	c.name = "complete header section of HTTP_MAX_HEADER_BYTES + 1";
	c.input = s;
	c.len = strlen(s);
	c.status = 431;
	check_bad(*state, &c);
	free(s);

	/* Incomplete: one field already over the limit, no LF. */
	s = build_request(14, HTTP_MAX_HEADER_BYTES + 100, 0, false);
	c.name = "incomplete header section over HTTP_MAX_HEADER_BYTES";
	c.input = s;
	c.len = 16 + HTTP_MAX_HEADER_BYTES + 1;
	check_bad(*state, &c);
	free(s);

	/* Fewer than HTTP_MAX_HEADERS complete fields, no empty line yet. */
	s = many_fields(HTTP_MAX_HEADER_BYTES + 1, &c.len);
	c.name = "incomplete header section of complete fields";
	c.input = s;
	check_bad(*state, &c);
	free(s);

	/* HTTP_MAX_HEADERS + 1 fields, with and without the empty line. */
	s = build_request(14, 0, HTTP_MAX_HEADERS + 1, true);
	c.name = "HTTP_MAX_HEADERS + 1 fields";
	c.input = s;
	c.len = strlen(s);
	check_bad(*state, &c);
	c.name = "HTTP_MAX_HEADERS + 1 fields, no empty line";
	c.len -= 2;
	check_bad(*state, &c);
	free(s);
}

/*
 * http.h: HTTP_MAX_HEAD is "the most bytes a request head can take before
 * the parser decides".  Whatever the bytes, given that many the parser must
 * not ask for more, or a connection buffer of that size can deadlock.
 */
static void
test_http_parse_request_decides_within_max_head(void **state)
{
	struct http_request	 req;
	char			*s, *line, *buf;
	size_t			 o = 0, i;
	ssize_t			 n;

	s = malloc(HTTP_MAX_HEAD + 1);
	assert_non_null(s);

	/* Leading empty lines, as many as the parser ignores. */
	for (i = 0; i + 2 <= HTTP_MAX_REQUEST_LINE; i += 2) {
		memcpy(s + o, "\r\n", 2);
		o += 2;
	}
	/* Then a request line at the limit... */
	line = build_request(HTTP_MAX_REQUEST_LINE, 0, 1, false);
	memcpy(s + o, line, HTTP_MAX_REQUEST_LINE + 2);
	o += HTTP_MAX_REQUEST_LINE + 2;
	free(line);
	/* ...and fewer than HTTP_MAX_HEADERS fields up to HTTP_MAX_HEAD. */
	line = many_fields(HTTP_MAX_HEAD - o, &i);
	memcpy(s + o, line + 16, HTTP_MAX_HEAD - o);
	free(line);

	buf = guard_place(*state, s, HTTP_MAX_HEAD);
	n = http_parse_request(buf, HTTP_MAX_HEAD, &req);
	free(s);
	if (n == HTTP_PARSE_INCOMPLETE)
		fail_msg("%d bytes with leading empty lines: the parser still "
		    "asks for more", HTTP_MAX_HEAD);
	assert_int_equal(n, HTTP_PARSE_BAD);
}

/* Empty lines before the request line are ignored, but not without end. */
static void
test_http_parse_request_leading_empty_lines(void **state)
{
	struct http_request	 req;
	char			*s, *buf;
	size_t			 i;

	/* More than a request line's worth of empty lines is refused. */
	s = malloc(HTTP_MAX_REQUEST_LINE + 4);
	assert_non_null(s);
	for (i = 0; i < HTTP_MAX_REQUEST_LINE + 4; i += 2)
		memcpy(s + i, "\r\n", 2);
	buf = guard_place(*state, s, HTTP_MAX_REQUEST_LINE + 4);
	assert_int_equal(http_parse_request(buf, HTTP_MAX_REQUEST_LINE + 4,
	    &req), HTTP_PARSE_BAD);
	assert_int_equal(req.status, 400);
	free(s);
}

/* Names compare without case; the first of duplicates is returned. */
static void
test_http_find_header_case_insensitive(void **state)
{
	static const char		 in[] = "GET / HTTP/1.1\r\n"
	    "Host: h\r\nX-Dup: one\r\nAccept: */*\r\nx-dup: two\r\n\r\n";
	struct http_request		 req;
	const struct http_header	*h;
	char				*buf;

	buf = guard_place(*state, S(in));
	assert_int_equal(http_parse_request(buf, sizeof(in) - 1, &req),
	    (ssize_t)(sizeof(in) - 1));

	h = http_find_header(&req, "host");
	assert_non_null(h);
	check_slice("find", "host", &h->value, "h");
	assert_ptr_equal(http_find_header(&req, "HOST"), h);
	assert_ptr_equal(http_find_header(&req, "hOsT"), h);

	/* The first occurrence. */
	h = http_find_header(&req, "X-DUP");
	assert_non_null(h);
	check_slice("find", "x-dup", &h->value, "one");
	assert_ptr_equal(h, &req.headers[1]);

	h = http_find_header(&req, "accept");
	assert_ptr_equal(h, &req.headers[2]);

	assert_null(http_find_header(&req, "Hos"));
	assert_null(http_find_header(&req, "Hosts"));
	assert_null(http_find_header(&req, "X-Missing"));
	assert_null(http_find_header(&req, ""));
}

/* The phrases of RFC 9110 section 15, "Unknown" for anything else. */
static void
test_http_reason_known_and_unknown(void **state)
{
	assert_string_equal(http_reason(200), "OK");
	assert_string_equal(http_reason(206), "Partial Content");
	assert_string_equal(http_reason(301), "Moved Permanently");
	assert_string_equal(http_reason(304), "Not Modified");
	assert_string_equal(http_reason(400), "Bad Request");
	assert_string_equal(http_reason(403), "Forbidden");
	assert_string_equal(http_reason(404), "Not Found");
	assert_string_equal(http_reason(405), "Method Not Allowed");
	assert_string_equal(http_reason(408), "Request Timeout");
	assert_string_equal(http_reason(413), "Content Too Large");
	assert_string_equal(http_reason(414), "URI Too Long");
	assert_string_equal(http_reason(416), "Range Not Satisfiable");
	assert_string_equal(http_reason(417), "Expectation Failed");
	assert_string_equal(http_reason(431),
	    "Request Header Fields Too Large");
	assert_string_equal(http_reason(500), "Internal Server Error");
	assert_string_equal(http_reason(501), "Not Implemented");
	assert_string_equal(http_reason(503), "Service Unavailable");
	assert_string_equal(http_reason(505), "HTTP Version Not Supported");
	assert_string_equal(http_reason(0), "Unknown");
	assert_string_equal(http_reason(-1), "Unknown");
	assert_string_equal(http_reason(299), "Unknown");
	assert_string_equal(http_reason(999), "Unknown");
}

/* IMF-fixdate (RFC 9110 section 5.6.7), past 2038 too; 30 bytes written. */
static void
test_http_format_date_known(void **state)
{
	static const struct {
		time_t		 t;
		const char	*want;
	} cases[] = {
		{ 0, "Thu, 01 Jan 1970 00:00:00 GMT" },
		{ 784111777, "Sun, 06 Nov 1994 08:49:37 GMT" },
		{ 951782400, "Tue, 29 Feb 2000 00:00:00 GMT" },
		{ -1, "Wed, 31 Dec 1969 23:59:59 GMT" },
		{ (time_t)2147483647, "Tue, 19 Jan 2038 03:14:07 GMT" },
		{ (time_t)2147483648LL, "Tue, 19 Jan 2038 03:14:08 GMT" },
		{ (time_t)4102444800LL, "Fri, 01 Jan 2100 00:00:00 GMT" },
		{ (time_t)253402300799LL, "Fri, 31 Dec 9999 23:59:59 GMT" },
	};
	struct guard	*g = *state;
	char		*buf;
	size_t		 i;

	assert_true(sizeof(time_t) >= 8);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		/* Exactly HTTP_DATE_LEN + 1 bytes before the guard page. */
		buf = g->base + g->size - (HTTP_DATE_LEN + 1);
		memset(buf, 'x', HTTP_DATE_LEN + 1);
		http_format_date(cases[i].t, buf);
		assert_string_equal(buf, cases[i].want);
		assert_int_equal(strlen(buf), HTTP_DATE_LEN);
	}
}

/* Years that IMF-fixdate cannot hold still give 29 well-formed bytes. */
static void
test_http_format_date_out_of_range(void **state)
{
	static const time_t	 ts[] = {
		(time_t)253402300800LL, (time_t)INT64_MAX, (time_t)INT64_MIN,
		(time_t)-62167219201LL
	};
	struct guard		*g = *state;
	char			*buf;
	size_t			 i;

	for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
		buf = g->base + g->size - (HTTP_DATE_LEN + 1);
		memset(buf, 'x', HTTP_DATE_LEN + 1);
		http_format_date(ts[i], buf);
		assert_int_equal(strlen(buf), HTTP_DATE_LEN);
		assert_memory_equal(buf + HTTP_DATE_LEN - 4, " GMT", 4);
		assert_int_equal(buf[3], ',');
	}
}

/* Write the head into the cap bytes just before the guard page. */
static size_t
write_head_at(struct guard *g, size_t cap, const struct http_head *h,
    char **out)
{
	char	*buf = g->base + g->size - cap;

	memset(buf, 0, cap);
	*out = buf;
	return http_write_head(buf, cap, h);
}

/* head holds "\r\n<field>\r\n" exactly once. */
static void
check_field(const char *head, const char *name, const char *value)
{
	char		 line[512];
	const char	*p;

	snprintf(line, sizeof(line), "\r\n%s: %s\r\n", name, value);
	p = strstr(head, line);
	if (p == NULL)
		fail_msg("no \"%s: %s\" in:\n%s", name, value, head);
	if (strstr(p + 1, line) != NULL)
		fail_msg("\"%s: %s\" twice in:\n%s", name, value, head);
}

/* The number of CRLFs in s. */
static size_t
count_lines(const char *s)
{
	size_t	 n = 0;

	while ((s = strstr(s, "\r\n")) != NULL) {
		n++;
		s += 2;
	}
	return n;
}

/* Every optional field appears once, as "Name: value". */
static void
test_http_write_head_all_fields(void **state)
{
	struct http_head	 h = {
		.status = 301, .minor = 1, .date =
		    "Sun, 06 Nov 1994 08:49:37 GMT",
		.content_type = "text/html; charset=utf-8",
		.content_length = 1234, .has_length = true,
		.last_modified = 784111777, .location = "http://h/dir/",
		.allow = "GET, HEAD", .keep_alive = false
	};
	char			 head[1024];
	char			*buf;
	size_t			 n;

	n = write_head_at(*state, sizeof(head) - 1, &h, &buf);
	assert_true(n > 0 && n < sizeof(head));
	memcpy(head, buf, n);
	head[n] = '\0';
	assert_true(strncmp(head, "HTTP/1.1 301 Moved Permanently\r\n",
	    32) == 0);
	check_field(head, "Server", PACKAGE_NAME "/" PACKAGE_VERSION);
	check_field(head, "Date", "Sun, 06 Nov 1994 08:49:37 GMT");
	check_field(head, "Content-Type", "text/html; charset=utf-8");
	check_field(head, "Content-Length", "1234");
	check_field(head, "Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT");
	check_field(head, "Location", "http://h/dir/");
	check_field(head, "Allow", "GET, HEAD");
	check_field(head, "Connection", "close");
	/* Status line, 8 fields, empty line. */
	assert_int_equal(count_lines(head), 10);
	assert_int_equal(n, strlen(head));
	/* The empty line comes last, and only there. */
	assert_ptr_equal(strstr(head, "\r\n\r\n"), head + n - 4);
}

/* With nothing optional: status line, Server, empty line. */
static void
test_http_write_head_minimal(void **state)
{
	static const char	 want[] = "HTTP/1.1 200 OK\r\nServer: "
	    PACKAGE_NAME "/" PACKAGE_VERSION "\r\n\r\n";
	struct http_head	 h = {
		.status = 200, .minor = 1, .keep_alive = true
	};
	char			*buf;
	size_t			 n;

	n = write_head_at(*state, 256, &h, &buf);
	assert_int_equal(n, sizeof(want) - 1);
	assert_memory_equal(buf, want, n);
}

/* "close" unless kept alive; "keep-alive" only where 1.0 needs it. */
static void
test_http_write_head_connection(void **state)
{
	static const struct {
		int		 minor;
		bool		 keep_alive;
		const char	*want;	/* NULL: no Connection field */
	} cases[] = {
		{ 1, false, "close" },
		{ 0, false, "close" },
		{ 0, true, "keep-alive" },
		{ 1, true, NULL },
	};
	struct http_head	 h = { .status = 404 };
	char			 head[512];
	char			*buf;
	size_t			 i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h.minor = cases[i].minor;
		h.keep_alive = cases[i].keep_alive;
		n = write_head_at(*state, sizeof(head) - 1, &h, &buf);
		assert_true(n > 0 && n < sizeof(head));
		memcpy(head, buf, n);
		head[n] = '\0';
		/* Always answered as HTTP/1.1 (RFC 9110 section 6.2). */
		assert_true(strncmp(head, "HTTP/1.1 404 Not Found\r\n",
		    24) == 0);
		if (cases[i].want != NULL) {
			check_field(head, "Connection", cases[i].want);
			assert_int_equal(count_lines(head), 4);
		} else {
			assert_null(strstr(head, "Connection"));
			assert_int_equal(count_lines(head), 3);
		}
	}
}

/* Content-Length 0 and UINT64_MAX; an unknown status. */
static void
test_http_write_head_numbers(void **state)
{
	struct http_head	 h = {
		.status = 299, .minor = 1, .keep_alive = true,
		.has_length = true
	};
	char			 head[512];
	char			*buf;
	size_t			 n;

	h.content_length = 0;
	n = write_head_at(*state, sizeof(head) - 1, &h, &buf);
	assert_true(n > 0);
	memcpy(head, buf, n);
	head[n] = '\0';
	assert_true(strncmp(head, "HTTP/1.1 299 Unknown\r\n", 22) == 0);
	check_field(head, "Content-Length", "0");

	h.content_length = UINT64_MAX;
	n = write_head_at(*state, sizeof(head) - 1, &h, &buf);
	assert_true(n > 0);
	memcpy(head, buf, n);
	head[n] = '\0';
	check_field(head, "Content-Length", "18446744073709551615");
	assert_null(strstr(head, "Last-Modified"));
	assert_null(strstr(head, "Date"));
}

/* Every cap short of the length gives 0 and writes nothing past cap. */
static void
test_http_write_head_too_small(void **state)
{
	struct http_head	 full = {
		.status = 200, .minor = 0, .date =
		    "Sun, 06 Nov 1994 08:49:37 GMT",
		.content_type = "text/plain", .content_length = 42,
		.has_length = true, .last_modified = 784111777,
		.location = "/x/", .allow = "GET, HEAD", .keep_alive = true
	};
	struct http_head	 small = { .status = 404, .keep_alive = false };
	const struct http_head	*hs[2] = { &full, &small };
	char			 want[1024];
	char			*buf;
	size_t			 i, cap, need, n;

	for (i = 0; i < 2; i++) {
		need = write_head_at(*state, sizeof(want), hs[i], &buf);
		assert_true(need > 0 && need < sizeof(want));
		memcpy(want, buf, need);
		for (cap = 0; cap < need; cap++) {
			n = write_head_at(*state, cap, hs[i], &buf);
			if (n != 0)
				fail_msg("cap %zu of %zu: returned %zu", cap,
				    need, n);
		}
		for (cap = need; cap < need + 3; cap++) {
			n = write_head_at(*state, cap, hs[i], &buf);
			assert_int_equal(n, need);
			assert_memory_equal(buf, want, need);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_guard_place_traps_overread),
		G(test_http_parse_request_valid),
		G(test_http_parse_request_prefixes),
		G(test_http_parse_request_empty),
		G(test_http_parse_request_malformed),
		G(test_http_parse_request_at_limits),
		G(test_http_parse_request_prefixes_at_limits),
		G(test_http_parse_request_prefixes_line_at_limit),
		G(test_http_parse_request_method_case_sensitive),
		G(test_http_parse_request_later_minor_is_1_1),
		G(test_http_parse_request_absolute_form_needs_host),
		G(test_http_parse_request_too_long_line),
		G(test_http_parse_request_too_large_headers),
		G(test_http_parse_request_decides_within_max_head),
		G(test_http_parse_request_leading_empty_lines),
		G(test_http_find_header_case_insensitive),
		cmocka_unit_test(test_http_reason_known_and_unknown),
		G(test_http_format_date_known),
		G(test_http_format_date_out_of_range),
		G(test_http_write_head_all_fields),
		G(test_http_write_head_minimal),
		G(test_http_write_head_connection),
		G(test_http_write_head_numbers),
		G(test_http_write_head_too_small),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
