/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_HTTP_H
#define SLUICE_HTTP_H

/*
 * HTTP/1.1 request parser and response-head writer over byte buffers
 * (RFC 9112).  Pure: no I/O, no locks, no logging, no allocation.  The
 * parser fills a caller-owned struct http_request whose slices point into
 * the caller's buffer; they stay valid as long as that buffer does.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define HTTP_MAX_REQUEST_LINE	8192	/* longer: 414 */
#define HTTP_MAX_HEADER_BYTES	16384	/* header section, longer: 431 */
#define HTTP_MAX_HEADERS	100	/* more fields: 431 */
#define HTTP_MAX_LEADING	4	/* bytes of empty lines before a request */
/* The most bytes a request head can take before the parser decides. */
#define HTTP_MAX_HEAD	(HTTP_MAX_LEADING + HTTP_MAX_REQUEST_LINE + 2 + \
			    HTTP_MAX_HEADER_BYTES + 2)
#define HTTP_DATE_LEN	29	/* "Sun, 06 Nov 1994 08:49:37 GMT" */

/* Return values of http_parse_request besides a byte count. */
#define HTTP_PARSE_INCOMPLETE	(-1)
#define HTTP_PARSE_BAD		(-2)

enum http_method {
	HTTP_METHOD_OTHER = 0,	/* a valid token we do not implement: 501 */
	HTTP_METHOD_GET,
	HTTP_METHOD_HEAD,
	HTTP_METHOD_POST,
	HTTP_METHOD_PUT,
	HTTP_METHOD_DELETE,
	HTTP_METHOD_OPTIONS,
	HTTP_METHOD_TRACE,
	HTTP_METHOD_PATCH,
	HTTP_METHOD_CONNECT
};

struct http_slice {
	const char	*p;
	size_t		 len;
};

struct http_header {
	struct http_slice	 name;
	struct http_slice	 value;	/* without surrounding whitespace */
};

struct http_request {
	enum http_method	 method;
	struct http_slice	 method_name;
	struct http_slice	 target;	/* as received */
	struct http_slice	 path;		/* origin-form path and query; "/"
						   (static) for "http://h" */
	struct http_slice	 line;		/* the request line, no CRLF */
	int			 minor;		/* HTTP/1.<minor>: 0 or 1 */
	struct http_header	 headers[HTTP_MAX_HEADERS];
	size_t			 nheaders;

	/* Derived from the fields above. */
	struct http_slice	 host;		/* Host, or the absolute-form authority */
	struct http_slice	 referer;
	struct http_slice	 user_agent;
	bool			 has_host;
	bool			 keep_alive;	/* version and Connection */
	bool			 has_content_length;
	uint64_t		 content_length;
	bool			 chunked;	/* Transfer-Encoding ends in chunked */
	int			 status;	/* with HTTP_PARSE_BAD: 400 414 431 501 505 */
};

/*
 * Parse one request head from buf[0..len).  Returns the number of bytes the
 * head took (request line through the empty line, leading empty lines
 * included), HTTP_PARSE_INCOMPLETE if more bytes are needed, or
 * HTTP_PARSE_BAD with req->status set to the status to answer (400 bad
 * syntax, 414 request line too long, 431 headers too large or too many,
 * 501 unsupported transfer coding, 505 version).  Never reads outside
 * buf[0..len).  Any thread.
 */
ssize_t		 http_parse_request(const char *buf, size_t len,
		    struct http_request *req);

/*
 * Find header `name` (case-insensitive).  Returns its first occurrence or
 * NULL.  Any thread.
 */
const struct http_header *http_find_header(const struct http_request *,
		    const char *name);

/*
 * The value of field `name` as one list (RFC 9110 5.3): a single line's
 * value as it is in the request, or the values of several lines joined
 * with ", " into buf (cap bytes; HTTP_MAX_HEADER_BYTES always suffices).
 * Sets *len; returns NULL if the field is absent (or, defensively, if
 * the join does not fit).  Any thread.
 */
const char	*http_field_join(const struct http_request *, const char *name,
		    char *buf, size_t cap, size_t *len);

/* Whether c is a tchar (RFC 9110 5.6.2), a byte of a token.  Pure. */
int		 http_is_tchar(unsigned char c);

/* Reason phrase of a status ("Not Found"); "Unknown" for others. */
const char	*http_reason(int status);

/* Format t as an IMF-fixdate into buf (HTTP_DATE_LEN + 1 bytes). */
void		 http_format_date(time_t t, char *buf);

/* The head of a response; strings are NUL-terminated or NULL. */
struct http_head {
	int		 status;
	int		 minor;		/* 0: answer as HTTP/1.0 (still "HTTP/1.1") */
	const char	*date;		/* preformatted IMF-fixdate */
	const char	*content_type;
	uint64_t	 content_length;
	bool		 has_length;
	time_t		 last_modified;	/* 0: none */
	const char	*last_modified_str; /* preformatted, or NULL */
	const char	*location;
	const char	*allow;
	bool		 keep_alive;
	const char	*etag;		/* with its quotes */
	const char	*content_range;	/* "bytes 0-9/100" */
	const char	*content_encoding;
	const char	*cache_control;
	bool		 accept_ranges;	/* "Accept-Ranges: bytes" */
	bool		 vary_encoding;	/* "Vary: Accept-Encoding" */
	bool		 nosniff;	/* "X-Content-Type-Options: nosniff" */
	const char	*extra;		/* preformatted "Name: value\r\n" lines */
};

/*
 * Write the status line and header fields of h, and the empty line, into
 * buf.  Returns the length, or 0 if it does not fit in cap.  Any thread.
 */
size_t		 http_write_head(char *buf, size_t cap,
		    const struct http_head *h);

#endif /* SLUICE_HTTP_H */
