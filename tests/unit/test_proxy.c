/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for the PROXY protocol parser in proxy.c (proxy_parse).
 *
 * Every valid header is fed followed by an HTTP request, and every
 * prefix of it alone: the prefixes must all ask for more, the whole must
 * be DONE with exactly the header's length and the address it carries.
 * Every input is copied to end at a PROT_NONE page, so a read past len
 * faults.  Malformed headers must be refused, and no prefix of them may
 * be taken for a header; inputs that are wrong from their first bytes
 * (a plain request, a wrong version) must be refused at those bytes
 * without waiting for more.
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "proxy.h"

#define GUARD_DATA	(2 * PROXY_V2_MAX + 4096)

/* A string literal and its length, NUL bytes inside included. */
#define S(x)		(x), (sizeof(x) - 1)

/* The v2 signature, and the fixed part of a v2 header after it. */
#define SIG		"\r\n\r\n\0\r\nQUIT\n"
#define V2(cmd, fam, hi, lo)	SIG cmd fam hi lo

/* Data pages followed by one PROT_NONE page. */
struct guard {
	char	*base;
	size_t	 size;		/* bytes before the PROT_NONE page */
	size_t	 pagesz;
};

struct valid_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	int		 version;
	const char	*addr;		/* the source address, or NULL */
	unsigned	 port;
};

struct bad_case {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 refused_at;	/* refused from here on; 0: whole */
};

static int	 guard_setup(void **);
static int	 guard_teardown(void **);
static char	*guard_place(struct guard *, const char *, size_t);
static enum proxy_status feed(struct guard *, const char *, size_t,
		    struct proxy_result *);
static void	 check_valid(struct guard *, const struct valid_case *);
static void	 check_bad(struct guard *, const struct bad_case *);

static const char	 request[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";

#define V(name, in, ver, addr, port)	\
	{ name, in, sizeof(in) - 1, ver, addr, port }

static const struct valid_case valid_cases[] = {
	V("v1 TCP4", "PROXY TCP4 192.0.2.1 192.0.2.11 56324 443\r\n", 1,
	    "192.0.2.1", 56324),
	V("v1 TCP4 longest", "PROXY TCP4 255.255.255.255 255.255.255.255 "
	    "65535 65535\r\n", 1, "255.255.255.255", 65535),
	V("v1 TCP4 zeros", "PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n", 1,
	    "0.0.0.0", 0),
	V("v1 TCP4 zero octets", "PROXY TCP4 10.0.0.100 10.0.0.1 80 8080\r\n",
	    1, "10.0.0.100", 80),
	V("v1 TCP6", "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", 1,
	    "2001:db8::1", 1),
	V("v1 TCP6 upper case", "PROXY TCP6 2001:DB8::A ::1 1024 80\r\n", 1,
	    "2001:db8::a", 1024),
	V("v1 TCP6 loopback", "PROXY TCP6 ::1 ::1 40000 80\r\n", 1, "::1",
	    40000),
	V("v1 TCP6 mapped", "PROXY TCP6 ::ffff:192.0.2.7 ::1 5 6\r\n", 1,
	    "::ffff:192.0.2.7", 5),
	V("v1 TCP6 longest", "PROXY TCP6 "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", 1,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535),
	V("v1 UNKNOWN", "PROXY UNKNOWN\r\n", 1, NULL, 0),
	V("v1 UNKNOWN with fields", "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n",
	    1, NULL, 0),
	V("v1 UNKNOWN anything", "PROXY UNKNOWN whatever \x01 it says\r\n",
	    1, NULL, 0),
	V("v1 UNKNOWN longest (107)", "PROXY UNKNOWN "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", 1,
	    NULL, 0),
	V("v2 TCP4", V2("\x21", "\x11", "\x00", "\x0c")
	    "\xc0\x00\x02\x01" "\xc0\x00\x02\x0b" "\xdc\x04" "\x01\xbb", 2,
	    "192.0.2.1", 56324),
	V("v2 TCP6", V2("\x21", "\x21", "\x00", "\x24")
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02" "\x9c\x40" "\x00\x50",
	    2, "2001:db8::1", 40000),
	V("v2 TCP4 with TLVs", V2("\x21", "\x11", "\x00", "\x21")
	    "\x7f\x00\x00\x02" "\x7f\x00\x00\x01" "\x30\x39" "\x00\x50"
	    "\x04\x00\x03" "\0\0\0"		/* NOOP */
	    "\x02\x00\x09" "localhost"		/* AUTHORITY */
	    "\x05\x00\x00",			/* UNIQUE_ID, empty */
	    2, "127.0.0.2", 12345),
	V("v2 LOCAL", V2("\x20", "\x00", "\x00", "\x00"), 2, NULL, 0),
	V("v2 LOCAL with addresses", V2("\x20", "\x11", "\x00", "\x0c")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02", 2,
	    NULL, 0),
	V("v2 PROXY UNSPEC", V2("\x21", "\x00", "\x00", "\x00"), 2, NULL, 0),
	V("v2 PROXY UNSPEC with bytes", V2("\x21", "\x00", "\x00", "\x03")
	    "abc", 2, NULL, 0),
	V("v2 UDP4", V2("\x21", "\x12", "\x00", "\x0c")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02", 2,
	    NULL, 0),
};

#define B(name, in, at)	{ name, in, sizeof(in) - 1, at }

static const struct bad_case bad_cases[] = {
	B("plain request", "GET / HTTP/1.1\r\nHost: h\r\n\r\n", 1),
	B("TLS hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 1),
	B("lower case", "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 1),
	B("no space", "PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", 6),
	B("HTTP method PRO", "PROPFIND / HTTP/1.1\r\n\r\n", 4),
	B("two spaces", "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("TCP5", "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("UDP4", "PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("UNKNOWNX", "PROXY UNKNOWNX\r\n", 0),
	B("empty protocol", "PROXY \r\n", 0),
	B("bare LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", 0),
	B("bare LF after UNKNOWN", "PROXY UNKNOWN\n", 0),
	B("double space in fields", "PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", 0),
	B("trailing space", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", 0),
	B("too few fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", 0),
	B("too many fields", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", 0),
	B("no fields", "PROXY TCP4\r\n", 0),
	B("leading zero in address", "PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("leading zero in last octet", "PROXY TCP4 1.2.3.4 5.6.7.08 1 2\r\n",
	    0),
	B("three octets", "PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n", 0),
	B("octet over 255", "PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("hex octet", "PROXY TCP4 0x1.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("NUL in address", "PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 0),
	B("tab in address", "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n", 0),
	B("IPv6 in TCP4", "PROXY TCP4 ::1 ::1 1 2\r\n", 0),
	B("IPv4 in TCP6", "PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", 0),
	B("mixed families", "PROXY TCP4 1.2.3.4 ::1 1 2\r\n", 0),
	B("two double colons", "PROXY TCP6 2001::1::2 ::1 1 2\r\n", 0),
	B("IPv6 zone", "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n", 0),
	B("port 65536", "PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", 0),
	B("port leading zero", "PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n", 0),
	B("port sign", "PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n", 0),
	B("port negative", "PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", 0),
	B("port letters", "PROXY TCP4 1.2.3.4 5.6.7.8 1a 2\r\n", 0),
	B("port six digits", "PROXY TCP4 1.2.3.4 5.6.7.8 1 100000\r\n", 0),
	B("CR CR LF", "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n", 0),
	B("v2 signature wrong", "\r\n\r\n\0\r\nQUIT\r", 12),
	B("v2 signature truncated as v1", "\r\nPROXY TCP4", 3),
	B("v2 version 1", V2("\x11", "\x11", "\x00", "\x0c"), 13),
	B("v2 version 3", V2("\x31", "\x11", "\x00", "\x0c"), 13),
	B("v2 command 2", V2("\x22", "\x11", "\x00", "\x0c"), 13),
	B("v2 family 4", V2("\x21", "\x41", "\x00", "\x0c"), 14),
	B("v2 transport 3", V2("\x21", "\x13", "\x00", "\x0c"), 14),
	B("v2 LOCAL family 5", V2("\x20", "\x50", "\x00", "\x00"), 14),
	B("v2 TCP4 address short", V2("\x21", "\x11", "\x00", "\x0b")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00", 0),
	B("v2 TCP6 with IPv4 length", V2("\x21", "\x21", "\x00", "\x0c")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02", 0),
	B("v2 UNIX address short", V2("\x21", "\x31", "\x00", "\x04")
	    "/tmp", 0),
	B("v2 TLV header truncated", V2("\x21", "\x11", "\x00", "\x0e")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"
	    "\x04\x00", 0),
	B("v2 TLV one byte", V2("\x21", "\x11", "\x00", "\x0d")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"
	    "\x04", 0),
	B("v2 TLV overruns", V2("\x21", "\x11", "\x00", "\x11")
	    "\x01\x02\x03\x04" "\x05\x06\x07\x08" "\x00\x01" "\x00\x02"
	    "\x02\x00\x03" "ab", 0),
	B("v2 over the cap", V2("\x21", "\x11", "\x0f", "\xf1"), 16),
	B("v2 largest length", V2("\x21", "\x11", "\xff", "\xff"), 16),
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

/* Copy s[0..n) to end at the PROT_NONE page; returns the copy. */
static char *
guard_place(struct guard *g, const char *s, size_t n)
{
	char	*p;

	assert_true(n <= g->size);
	p = g->base + g->size - n;
	if (n > 0)
		memcpy(p, s, n);
	return p;
}

/* proxy_parse on a guarded copy of s[0..n). */
static enum proxy_status
feed(struct guard *g, const char *s, size_t n, struct proxy_result *r)
{
	return proxy_parse(guard_place(g, s, n), n, r);
}

/*
 * A valid header: every proper prefix asks for more; the header alone
 * and the header with a request after it are DONE, consume exactly the
 * header, and give its version and source address.
 */
static void
check_valid(struct guard *g, const struct valid_case *vc)
{
	struct proxy_result	 r;
	enum proxy_status	 st;
	char			*in, text[INET6_ADDRSTRLEN];
	size_t			 k, rlen = sizeof(request) - 1, total;
	int			 pass;

	for (k = 0; k < vc->len; k++) {
		st = feed(g, vc->in, k, &r);
		if (st != PROXY_MORE)
			fail_msg("%s: prefix of %zu bytes: status %d, want "
			    "MORE (%s)", vc->name, k, (int)st,
			    r.why != NULL ? r.why : "");
	}
	total = vc->len + rlen;
	in = malloc(total);
	assert_non_null(in);
	memcpy(in, vc->in, vc->len);
	memcpy(in + vc->len, request, rlen);
	for (pass = 0; pass < 2; pass++) {
		st = feed(g, in, pass == 0 ? vc->len : total, &r);
		if (st != PROXY_DONE)
			fail_msg("%s: status %d, want DONE (%s)", vc->name,
			    (int)st, r.why != NULL ? r.why : "");
		assert_int_equal(r.len, vc->len);
		assert_int_equal(r.version, vc->version);
		if (vc->addr == NULL) {
			assert_false(r.has_addr);
			continue;
		}
		assert_true(r.has_addr);
		assert_non_null(inet_ntop(r.family, r.addr, text,
		    sizeof(text)));
		if (strcmp(text, vc->addr) != 0)
			fail_msg("%s: address %s, want %s", vc->name, text,
			    vc->addr);
		assert_int_equal(r.port, vc->port);
	}
	free(in);
}

/*
 * A bad header is refused whole and with a request after it, never
 * accepted at any prefix, and refused at every prefix from refused_at
 * on (when given), without waiting for the rest.
 */
static void
check_bad(struct guard *g, const struct bad_case *bc)
{
	struct proxy_result	 r;
	enum proxy_status	 st;
	char			*in;
	size_t			 k, rlen = sizeof(request) - 1;

	for (k = 0; k <= bc->len; k++) {
		st = feed(g, bc->in, k, &r);
		if (st == PROXY_DONE)
			fail_msg("%s: prefix of %zu bytes accepted", bc->name,
			    k);
		if (bc->refused_at != 0 && k >= bc->refused_at &&
		    st != PROXY_BAD)
			fail_msg("%s: prefix of %zu bytes not refused",
			    bc->name, k);
		if (st == PROXY_BAD)
			assert_non_null(r.why);
	}
	in = malloc(bc->len + rlen);
	assert_non_null(in);
	memcpy(in, bc->in, bc->len);
	memcpy(in + bc->len, request, rlen);
	st = feed(g, in, bc->len + rlen, &r);
	free(in);
	if (st != PROXY_BAD)
		fail_msg("%s: status %d, want BAD", bc->name, (int)st);
}

/* The guard page is where it should be: reading it would fault. */
static void
test_guard_place_ends_at_page(void **state)
{
	struct guard	*g = *state;
	char		*p;

	p = guard_place(g, "abc", 3);
	assert_ptr_equal(p + 3, g->base + g->size);
	assert_int_equal((uintptr_t)(p + 3) % g->pagesz, 0);
}

static void
test_proxy_parse_empty(void **state)
{
	struct proxy_result	 r;

	(void)state;
	assert_int_equal(proxy_parse("", 0, &r), PROXY_MORE);
}

static void
test_proxy_parse_valid(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(valid_cases) / sizeof(valid_cases[0]); i++)
		check_valid(*state, &valid_cases[i]);
}

static void
test_proxy_parse_bad(void **state)
{
	size_t	 i;

	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++)
		check_bad(*state, &bad_cases[i]);
}

/*
 * v1: a line of 107 bytes with its CRLF is the longest read; without a
 * CRLF in the first 107 bytes the header is refused at the 107th.
 */
static void
test_proxy_parse_v1_limit(void **state)
{
	struct guard		*g = *state;
	struct proxy_result	 r;
	char			 line[256];
	size_t			 n;

	n = (size_t)snprintf(line, sizeof(line), "PROXY UNKNOWN ");
	memset(line + n, 'x', sizeof(line) - n);
	memcpy(line + PROXY_V1_MAX - 2, "\r\n", 2);
	assert_int_equal(feed(g, line, PROXY_V1_MAX, &r), PROXY_DONE);
	assert_int_equal(r.len, PROXY_V1_MAX);

	/* One byte longer: the CRLF is past the limit. */
	memset(line + n, 'x', sizeof(line) - n);
	memcpy(line + PROXY_V1_MAX - 1, "\r\n", 2);
	assert_int_equal(feed(g, line, PROXY_V1_MAX - 1, &r), PROXY_MORE);
	assert_int_equal(feed(g, line, PROXY_V1_MAX, &r), PROXY_BAD);
	assert_int_equal(feed(g, line, PROXY_V1_MAX + 1, &r), PROXY_BAD);
	assert_int_equal(feed(g, line, sizeof(line), &r), PROXY_BAD);

	/* A TCP4 line padded out with spaces never ends in time. */
	n = (size_t)snprintf(line, sizeof(line),
	    "PROXY TCP4 1.2.3.4 5.6.7.8 1 2");
	memset(line + n, ' ', sizeof(line) - n);
	assert_int_equal(feed(g, line, PROXY_V1_MAX - 1, &r), PROXY_MORE);
	assert_int_equal(feed(g, line, sizeof(line), &r), PROXY_BAD);
}

/*
 * v2: a header of exactly PROXY_V2_MAX bytes (one TLV filling it) is
 * read; one byte more is refused as soon as its length is known.
 */
static void
test_proxy_parse_v2_limit(void **state)
{
	struct guard		*g = *state;
	struct proxy_result	 r;
	static const char	 head[] = V2("\x21", "\x11", "\x00", "\x00")
	    "\x7f\x00\x00\x02" "\x7f\x00\x00\x01" "\x30\x39" "\x00\x50";
	char			*buf;
	size_t			 fixed = sizeof(head) - 1, n, tlv;

	buf = calloc(1, PROXY_V2_MAX + 1);
	assert_non_null(buf);
	for (n = PROXY_V2_MAX; n <= PROXY_V2_MAX + 1; n++) {
		memcpy(buf, head, fixed);
		buf[14] = (char)((n - PROXY_V2_FIXED) >> 8);
		buf[15] = (char)((n - PROXY_V2_FIXED) & 0xff);
		tlv = n - fixed - 3;
		buf[fixed] = 0x04;		/* NOOP */
		buf[fixed + 1] = (char)(tlv >> 8);
		buf[fixed + 2] = (char)(tlv & 0xff);
		if (n == PROXY_V2_MAX) {
			assert_int_equal(feed(g, buf, n - 1, &r), PROXY_MORE);
			assert_int_equal(feed(g, buf, n, &r), PROXY_DONE);
			assert_int_equal(r.len, n);
			assert_true(r.has_addr);
			assert_int_equal(r.port, 12345);
		} else {
			assert_int_equal(feed(g, buf, PROXY_V2_FIXED, &r),
			    PROXY_BAD);
			assert_int_equal(feed(g, buf, n, &r), PROXY_BAD);
		}
	}
	free(buf);
}

/* AF_UNIX addresses (216 bytes) are skipped; the socket's peer stands. */
static void
test_proxy_parse_v2_unix(void **state)
{
	struct guard		*g = *state;
	struct proxy_result	 r;
	static const char	 head[] = V2("\x21", "\x31", "\x00", "\xd8");
	char			 buf[sizeof(head) - 1 + 216];

	memcpy(buf, head, sizeof(head) - 1);
	memset(buf + sizeof(head) - 1, 0, 216);
	memcpy(buf + sizeof(head) - 1, "/run/client.sock", 16);
	assert_int_equal(feed(g, buf, sizeof(buf) - 1, &r), PROXY_MORE);
	assert_int_equal(feed(g, buf, sizeof(buf), &r), PROXY_DONE);
	assert_int_equal(r.len, sizeof(buf));
	assert_false(r.has_addr);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define G(f)	cmocka_unit_test_setup_teardown(f, guard_setup, guard_teardown)
		G(test_guard_place_ends_at_page),
		cmocka_unit_test(test_proxy_parse_empty),
		G(test_proxy_parse_valid),
		G(test_proxy_parse_bad),
		G(test_proxy_parse_v1_limit),
		G(test_proxy_parse_v2_limit),
		G(test_proxy_parse_v2_unix),
#undef G
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
