/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_PROXY_H
#define SLUICE_PROXY_H

/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1 and
 * 2) that a load balancer sends before the client's bytes, so that the
 * server learns the real client address (--proxy-protocol).  Pure: no
 * I/O, no locks, no logging, no allocation.  Any thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_V1_MAX		107	/* a v1 line, CRLF included */
#define PROXY_V2_FIXED		16	/* signature, ver_cmd, fam, len */
/*
 * A whole v2 header, TLVs included.  The protocol allows 16 + 65535
 * bytes; balancers send tens (addresses) to a few hundred (TLVs such as
 * SNI, ALPN, a unique id, TLS details), so 4 KiB is generous and still a
 * small part of a connection's input buffer (conn.c asserts it fits).
 */
#define PROXY_V2_MAX		4096
#define PROXY_MAX		PROXY_V2_MAX	/* either version */

enum proxy_status {
	PROXY_MORE,	/* a valid prefix: read more */
	PROXY_DONE,	/* a whole, valid header: see struct proxy_result */
	PROXY_BAD	/* not a valid header: drop the connection */
};

struct proxy_result {
	size_t		 len;		/* DONE: header bytes to skip */
	int		 version;	/* DONE: 1 or 2 */
	/*
	 * DONE: whether a source address was given.  false for v1 UNKNOWN,
	 * v2 LOCAL, and v2 PROXY over other families or transports (UNSPEC,
	 * AF_UNIX, UDP): the connection's own peer stands.
	 */
	bool		 has_addr;
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* the source address, network order */
	uint16_t	 port;		/* the source port, host order */
	const char	*why;		/* BAD: a static reason, for the log */
};

/*
 * Parse a PROXY header at the start of buf[0..len), the bytes received so
 * far.  Returns PROXY_MORE while buf is a valid prefix of a header (never
 * longer than PROXY_MAX), PROXY_DONE with r->len and the source address,
 * or PROXY_BAD with r->why as soon as buf cannot start a valid header
 * (so a plain "GET / ..." is refused at its first byte).  Never reads
 * past len.  Pure.
 */
enum proxy_status proxy_parse(const char *buf, size_t len,
		    struct proxy_result *r);

#endif /* SLUICE_PROXY_H */
