/* sluice - ISC licence, see COPYING. */

/*
 * The PROXY protocol parser (HAProxy's proxy-protocol.txt).  It is given
 * the bytes of a connection received so far, every time more arrive, and
 * decides from the first byte which version it reads: "P" starts a v1
 * text line, "\r" the v2 binary signature, anything else is refused at
 * once.  A prefix that can still become a valid header asks for more, so
 * a header split anywhere (one byte per segment) is read whole, while
 * the length of what it waits for is bounded (PROXY_V1_MAX, PROXY_V2_MAX).
 * The spec wants a receiver strict: v1 fields are separated by exactly
 * one space, addresses are canonical (no leading zeros), ports are plain
 * decimal; v2 version and command nibbles, families and transports take
 * only their assigned values, and TLVs must fit the announced length.
 * What is not used (destination, TLV contents, AF_UNIX or UDP addresses)
 * is checked for framing and skipped.
 */

#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy.h"

#define PROXY_V1_PREFIX		"PROXY "
#define PROXY_V2_SIG		"\r\n\r\n\0\r\nQUIT\n"
#define PROXY_V2_SIG_LEN	12
#define PROXY_V2_VERSION	0x2
#define PROXY_V2_CMD_LOCAL	0x0
#define PROXY_V2_CMD_PROXY	0x1
#define PROXY_V2_AF_UNSPEC	0x0
#define PROXY_V2_AF_INET	0x1
#define PROXY_V2_AF_INET6	0x2
#define PROXY_V2_AF_UNIX	0x3
#define PROXY_V2_TP_UNSPEC	0x0
#define PROXY_V2_TP_STREAM	0x1
#define PROXY_V2_TP_DGRAM	0x2
#define PROXY_V2_TLV_HEAD	3	/* type, length (2 bytes) */
#define PROXY_ADDR_TEXT_MAX	46	/* INET6_ADDRSTRLEN */
#define PROXY_ADDR_CHARS	"0123456789abcdefABCDEF.:"

static enum proxy_status proxy_v1(const char *, size_t,
		    struct proxy_result *);
static enum proxy_status proxy_v2(const unsigned char *, size_t,
		    struct proxy_result *);
static bool	 proxy_v1_addr(const char *, size_t, int, unsigned char *);
static bool	 proxy_v1_port(const char *, size_t, uint16_t *);
static enum proxy_status proxy_bad(struct proxy_result *, const char *);

enum proxy_status
proxy_parse(const char *buf, size_t len, struct proxy_result *r)
{
	memset(r, 0, sizeof(*r));
	if (len == 0)
		return PROXY_MORE;
	if (buf[0] == PROXY_V1_PREFIX[0])
		return proxy_v1(buf, len, r);
	if (buf[0] == PROXY_V2_SIG[0])
		return proxy_v2((const unsigned char *)buf, len, r);
	return proxy_bad(r, "no PROXY protocol header");
}

/*
 * Version 1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN"
 * and anything up to the CRLF.  The line is decoded only once its CRLF
 * is in (section 2.1); without one in the first 107 bytes it is invalid.
 */
static enum proxy_status
proxy_v1(const char *buf, size_t len, struct proxy_result *r)
{
	const char	*p, *end, *lf, *f[4];
	size_t		 n = sizeof(PROXY_V1_PREFIX) - 1, flen[4];
	int		 af, i;

	if (memcmp(buf, PROXY_V1_PREFIX, len < n ? len : n) != 0)
		return proxy_bad(r, "no PROXY protocol header");
	lf = memchr(buf, '\n', len < PROXY_V1_MAX ? len : PROXY_V1_MAX);
	if (lf == NULL)
		return len < PROXY_V1_MAX ? PROXY_MORE :
		    proxy_bad(r, "v1 line longer than 107 bytes");
	if (lf - buf < (ptrdiff_t)n + 1 || lf[-1] != '\r')
		return proxy_bad(r, "v1 line not ended by CRLF");
	p = buf + n;
	end = lf - 1;		/* the CR */
	r->len = (size_t)(lf + 1 - buf);
	r->version = 1;

	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (end - p == 7 || p[7] == ' '))
		return PROXY_DONE;	/* the rest is to be ignored */
	if ((size_t)(end - p) < 5 || memcmp(p, "TCP", 3) != 0 ||
	    (p[3] != '4' && p[3] != '6') || p[4] != ' ')
		return proxy_bad(r, "v1 protocol not TCP4, TCP6 or UNKNOWN");
	af = p[3] == '4' ? AF_INET : AF_INET6;
	p += 5;
	/* Exactly four fields, each separated by exactly one space. */
	for (i = 0; i < 4; i++) {
		f[i] = p;
		if (i < 3) {
			if ((p = memchr(p, ' ', (size_t)(end - p))) == NULL)
				return proxy_bad(r, "v1 line with too few "
				    "fields");
		} else
			p = end;
		flen[i] = (size_t)(p - f[i]);
		if (flen[i] == 0)
			return proxy_bad(r, "v1 line with an empty field");
		if (i < 3)
			p++;
	}
	if (!proxy_v1_addr(f[0], flen[0], af, r->addr) ||
	    !proxy_v1_addr(f[1], flen[1], af, NULL))
		return proxy_bad(r, "v1 address invalid");
	if (!proxy_v1_port(f[2], flen[2], &r->port) ||
	    !proxy_v1_port(f[3], flen[3], NULL))
		return proxy_bad(r, "v1 port invalid");
	r->has_addr = true;
	r->family = af;
	return PROXY_DONE;
}

/*
 * A v1 address of family af (inet_pton decides), into out unless NULL.
 * Only the characters of a textual address pass (no NUL to end the
 * string early, no blanks that inet_pton might skip).
 * IPv4 numbers may not have leading zeros (section 2.1: no octal doubt);
 * some libcs' inet_pton allow them, so that is checked here too.
 */
static bool
proxy_v1_addr(const char *s, size_t len, int af, unsigned char *out)
{
	char		 text[PROXY_ADDR_TEXT_MAX];
	unsigned char	 bin[16];
	size_t		 i;

	if (len >= sizeof(text))
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || strchr(PROXY_ADDR_CHARS, s[i]) == NULL)
			return false;
	memcpy(text, s, len);
	text[len] = '\0';
	if (af == AF_INET) {
		for (i = 0; i + 1 < len; i++)
			if ((i == 0 || s[i - 1] == '.') && s[i] == '0' &&
			    s[i + 1] >= '0' && s[i + 1] <= '9')
				return false;
	}
	if (inet_pton(af, text, bin) != 1)
		return false;
	if (out != NULL)
		memcpy(out, bin, af == AF_INET ? 4 : 16);
	return true;
}

/* A v1 port: 0 to 65535 in decimal, no sign, no leading zero. */
static bool
proxy_v1_port(const char *s, size_t len, uint16_t *out)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (len == 0 || len > 5 || (s[0] == '0' && len > 1))
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > UINT16_MAX)
		return false;
	if (out != NULL)
		*out = (uint16_t)v;
	return true;
}

/*
 * Version 2: the 12-byte signature, version and command, family and
 * transport, the length of what follows (addresses, then TLVs).  Bytes
 * are checked as soon as they arrive, so that a wrong signature or
 * version is refused without waiting for the rest.
 */
static enum proxy_status
proxy_v2(const unsigned char *b, size_t len, struct proxy_result *r)
{
	size_t		 total, need, off, tlv;
	unsigned	 fam, tp;

	if (memcmp(b, PROXY_V2_SIG, len < PROXY_V2_SIG_LEN ? len :
	    PROXY_V2_SIG_LEN) != 0)
		return proxy_bad(r, "no PROXY protocol header");
	if (len > 12 && (b[12] >> 4 != PROXY_V2_VERSION ||
	    ((b[12] & 0xf) != PROXY_V2_CMD_LOCAL &&
	    (b[12] & 0xf) != PROXY_V2_CMD_PROXY)))
		return proxy_bad(r, "v2 version or command invalid");
	if (len > 13 && (b[13] >> 4 > PROXY_V2_AF_UNIX ||
	    (b[13] & 0xf) > PROXY_V2_TP_DGRAM))
		return proxy_bad(r, "v2 family or transport invalid");
	if (len < PROXY_V2_FIXED)
		return PROXY_MORE;
	total = PROXY_V2_FIXED + ((size_t)b[14] << 8 | b[15]);
	if (total > PROXY_V2_MAX)
		return proxy_bad(r, "v2 header larger than 4096 bytes");
	if (len < total)
		return PROXY_MORE;
	r->len = total;
	r->version = 2;
	/* LOCAL: the balancer's own connection (a health check). */
	if ((b[12] & 0xf) == PROXY_V2_CMD_LOCAL)
		return PROXY_DONE;

	fam = b[13] >> 4;
	tp = b[13] & 0xf;
	/* UNSPEC: the address block's size is unknown; all is skipped. */
	if (fam == PROXY_V2_AF_UNSPEC || tp == PROXY_V2_TP_UNSPEC)
		return PROXY_DONE;
	need = fam == PROXY_V2_AF_INET ? 12 : fam == PROXY_V2_AF_INET6 ?
	    36 : 216;
	if (total - PROXY_V2_FIXED < need)
		return proxy_bad(r, "v2 address block too short");
	for (off = PROXY_V2_FIXED + need; off < total; off += tlv) {
		if (total - off < PROXY_V2_TLV_HEAD)
			return proxy_bad(r, "v2 TLV truncated");
		tlv = PROXY_V2_TLV_HEAD + ((size_t)b[off + 1] << 8 |
		    b[off + 2]);
		if (total - off < tlv)
			return proxy_bad(r, "v2 TLV longer than the header");
	}
	/* Addresses are used for TCP only; UDP and AF_UNIX fall back. */
	if (tp != PROXY_V2_TP_STREAM || fam == PROXY_V2_AF_UNIX)
		return PROXY_DONE;
	r->has_addr = true;
	if (fam == PROXY_V2_AF_INET) {
		r->family = AF_INET;
		memcpy(r->addr, b + PROXY_V2_FIXED, 4);
		r->port = (uint16_t)(b[PROXY_V2_FIXED + 8] << 8 |
		    b[PROXY_V2_FIXED + 9]);
	} else {
		r->family = AF_INET6;
		memcpy(r->addr, b + PROXY_V2_FIXED, 16);
		r->port = (uint16_t)(b[PROXY_V2_FIXED + 32] << 8 |
		    b[PROXY_V2_FIXED + 33]);
	}
	return PROXY_DONE;
}

/* Refuse, saying why. */
static enum proxy_status
proxy_bad(struct proxy_result *r, const char *why)
{
	memset(r, 0, sizeof(*r));
	r->why = why;
	return PROXY_BAD;
}
