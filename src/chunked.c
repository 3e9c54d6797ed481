/* sluice - ISC licence, see COPYING. */

/*
 * The chunked-body skipper: a state machine over the grammar of RFC 9112
 * section 7.1 that consumes a chunked request body split at any byte,
 * dropping chunk data in one step per call and checking the framing
 * byte by byte.  What it lets through is bounded: chunk data and chunk
 * extensions together by max_body, the trailer section by
 * CHUNKED_TRAILER_MAX, each line by CHUNKED_LINE_MAX.  Split out of
 * http.c, which parses heads.
 */

#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "chunked.h"
#include "http.h"

/*
 * States of the chunked-body skipper (struct chunked's state), one
 * per place in the grammar of RFC 9112 section 7.1 where a byte can
 * arrive, so that input may be split anywhere.
 */
enum chunked_state {
	CHUNKED_ST_SIZE0 = 0,	/* a chunk-size line: first digit */
	CHUNKED_ST_SIZE,		/* more hex digits */
	CHUNKED_ST_SIZE_WS,	/* BWS after them: ';' must follow */
	CHUNKED_ST_EXT,		/* chunk-ext, ignored to the EOL */
	CHUNKED_ST_SIZE_LF,	/* the CR of the size line seen */
	CHUNKED_ST_DATA,		/* chunk-data, c->left bytes */
	CHUNKED_ST_DATA_CR,	/* the line end after the data */
	CHUNKED_ST_DATA_LF,	/* its CR seen */
	CHUNKED_ST_TRAILER,	/* a trailer field or the last EOL */
	CHUNKED_ST_NAME,		/* a trailer field name */
	CHUNKED_ST_VALUE,		/* its value, ignored */
	CHUNKED_ST_FIELD_LF,	/* the CR of a trailer field seen */
	CHUNKED_ST_END_LF,		/* the CR of the last line seen */
	CHUNKED_ST_DONE,		/* the body ended */
	CHUNKED_ST_BAD,		/* BAD was returned */
	CHUNKED_ST_TOO_LARGE	/* TOO_LARGE was returned */
};

void
chunked_init(struct chunked *c)
{
	memset(c, 0, sizeof(*c));
	c->state = CHUNKED_ST_SIZE0;
}

/*
 * A byte-at-a-time state machine, except over chunk data, which is
 * skipped in one step.  Line ends are CRLF or, as in the head parser, a
 * bare LF; a CR must be followed by LF.  The declared size is checked
 * against max_body as soon as its line ends, so a client announcing a
 * huge chunk gets its 413 before sending it.  BWS is allowed only before
 * the ';' of an extension ("5 \r\n" is BAD), extensions are otherwise
 * skipped but may hold no control bytes, and a trailer line must look
 * like a field ("name:value") although its value is not used.  Errors
 * are sticky: a later call gives the same answer.
 */
enum chunked_result
chunked_skip(struct chunked *c, const char *buf, size_t len,
    uint64_t max_body, size_t *used)
{
	size_t		 i = 0, n;
	unsigned char	 ch;
	int		 d;

	*used = 0;
	if (c->state == CHUNKED_ST_DONE)
		return CHUNKED_DONE;
	if (c->state == CHUNKED_ST_BAD)
		return CHUNKED_BAD;
	if (c->state == CHUNKED_ST_TOO_LARGE)
		return CHUNKED_TOO_LARGE;

	while (i < len) {
		if (c->state == CHUNKED_ST_DATA) {
			n = len - i;
			if ((uint64_t)n > c->left)
				n = (size_t)c->left;
			i += n;
			c->left -= n;
			c->total += n;
			if (c->left == 0)
				c->state = CHUNKED_ST_DATA_CR;
			continue;
		}
		ch = (unsigned char)buf[i++];
		if (c->state >= CHUNKED_ST_TRAILER &&
		    ++c->trailer > CHUNKED_TRAILER_MAX)
			goto too_large;
		switch (c->state) {
		case CHUNKED_ST_SIZE0:
		case CHUNKED_ST_SIZE:
			if (ch >= '0' && ch <= '9')
				d = ch - '0';
			else if (ch >= 'a' && ch <= 'f')
				d = ch - 'a' + 10;
			else if (ch >= 'A' && ch <= 'F')
				d = ch - 'A' + 10;
			else
				d = -1;
			if (d != -1) {
				if (c->left > UINT64_MAX >> 4)
					goto bad;
				c->left = c->left << 4 | (uint64_t)d;
				c->state = CHUNKED_ST_SIZE;
			} else if (c->state == CHUNKED_ST_SIZE0)
				goto bad;
			else if (ch == ';')
				c->state = CHUNKED_ST_EXT;
			else if (ch == ' ' || ch == '\t')
				c->state = CHUNKED_ST_SIZE_WS;
			else if (ch == '\r') {
				c->state = CHUNKED_ST_SIZE_LF;
				break;
			} else if (ch == '\n')
				goto size_line;
			else
				goto bad;
			if (++c->line > CHUNKED_LINE_MAX)
				goto bad;
			break;
		case CHUNKED_ST_SIZE_WS:
			if (ch == ';')
				c->state = CHUNKED_ST_EXT;
			else if (ch != ' ' && ch != '\t')
				goto bad;
			if (++c->line > CHUNKED_LINE_MAX)
				goto bad;
			break;
		case CHUNKED_ST_EXT:
			if (ch == '\r') {
				c->state = CHUNKED_ST_SIZE_LF;
				break;
			}
			if (ch == '\n')
				goto size_line;
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				goto bad;
			if (++c->line > CHUNKED_LINE_MAX)
				goto bad;
			/* Extensions count as body: they cost a reader too. */
			if (++c->ext > max_body - (c->total < max_body ?
			    c->total : max_body))
				goto too_large;
			break;
		case CHUNKED_ST_SIZE_LF:
			if (ch != '\n')
				goto bad;
			goto size_line;
		case CHUNKED_ST_DATA_CR:
			if (ch == '\r') {
				c->state = CHUNKED_ST_DATA_LF;
				break;
			}
			if (ch != '\n')
				goto bad;
			c->state = CHUNKED_ST_SIZE0;
			c->line = 0;
			break;
		case CHUNKED_ST_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->state = CHUNKED_ST_SIZE0;
			c->line = 0;
			break;
		case CHUNKED_ST_TRAILER:
			if (ch == '\r') {
				c->state = CHUNKED_ST_END_LF;
				break;
			}
			if (ch == '\n')
				goto done;
			/* Not SP or HTAB (obs-fold), nor an empty name. */
			if (!http_is_tchar(ch))
				goto bad;
			c->state = CHUNKED_ST_NAME;
			c->line = 1;
			break;
		case CHUNKED_ST_NAME:
			if (ch == ':')
				c->state = CHUNKED_ST_VALUE;
			else if (!http_is_tchar(ch))
				goto bad;
			if (++c->line > CHUNKED_LINE_MAX)
				goto bad;
			break;
		case CHUNKED_ST_VALUE:
			if (ch == '\r') {
				c->state = CHUNKED_ST_FIELD_LF;
				break;
			}
			if (ch == '\n') {
				c->state = CHUNKED_ST_TRAILER;
				c->line = 0;
				break;
			}
			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				goto bad;
			if (++c->line > CHUNKED_LINE_MAX)
				goto bad;
			break;
		case CHUNKED_ST_FIELD_LF:
			if (ch != '\n')
				goto bad;
			c->state = CHUNKED_ST_TRAILER;
			c->line = 0;
			break;
		case CHUNKED_ST_END_LF:
			if (ch != '\n')
				goto bad;
			goto done;
		default:
			goto bad;
		}
		continue;
 size_line:
		/* A chunk-size line ended; c->left is the size. */
		if (c->left == 0) {
			c->state = CHUNKED_ST_TRAILER;
			continue;
		}
		if (c->total + c->ext > max_body ||
		    c->left > max_body - c->total - c->ext)
			goto too_large;
		c->state = CHUNKED_ST_DATA;
	}
	*used = len;
	return CHUNKED_MORE;
 done:
	c->state = CHUNKED_ST_DONE;
	*used = i;
	return CHUNKED_DONE;
 too_large:
	c->state = CHUNKED_ST_TOO_LARGE;
	*used = i;
	return CHUNKED_TOO_LARGE;
 bad:
	c->state = CHUNKED_ST_BAD;
	*used = i;
	return CHUNKED_BAD;
}

