/* sluice - ISC licence, see COPYING. */

/*
 * The configuration and its one option table.
 *
 * Each option is described once (name, short letter, argument, kind,
 * range, where it lands in struct conf, help text); getopt_long's table
 * and --help are generated from it, and a value is checked against its
 * range in one place, so a bad value always gets the same kind of
 * message: the option, the value, what is accepted.  Main thread only.
 */

#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"

enum conf_kind {
	CONF_K_LISTEN,		/* appends to listen[] */
	CONF_K_PATH,		/* char[PATH_MAX] */
	CONF_K_LOG,		/* char[PATH_MAX]: a file, syslog[:PATH] */
	CONF_K_UINT,		/* unsigned, [min, max] */
	CONF_K_SECONDS,		/* unsigned ms, [min, max] ms */
	CONF_K_BYTES,		/* uint64_t with k/m/g suffix */
	CONF_K_COUNT,		/* int, incremented (-v) */
	CONF_K_FLAG,		/* bool set to true, no argument */
	CONF_K_BOOL,		/* bool: on|off */
	CONF_K_ENUM,		/* int: the index of the word in `choices` */
	CONF_K_INDEX,		/* index[]: a list of file names */
	CONF_K_ERROR_PAGE,	/* error_pages[]: STATUS=FILE */
	CONF_K_HEADER,		/* headers: NAME:VALUE */
	CONF_K_CACHE,		/* cache_rules[]: SUFFIXES=VALUE */
	CONF_K_NAME,		/* char[CONF_NAME_MAX]: a user or group */
	CONF_K_CONFIG,		/* -c: read a file (command line only) */
	CONF_K_HELP,
	CONF_K_VERSION
};

struct conf_option {
	const char	*name;
	int		 letter;	/* 0: long only */
	const char	*arg;		/* NULL: takes no argument */
	enum conf_kind	 kind;
	size_t		 offset;
	uint64_t	 min, max;
	const char	*help;
	const char	*def;
	const char	*choices;	/* CONF_K_ENUM: "a|b|c" */
};

#define OFF(f)	offsetof(struct conf, f)
#define MS(s)	((uint64_t)(s) * 1000)

static const struct conf_option conf_options[] = {
	{ "listen", 'l', "ADDR:PORT", CONF_K_LISTEN, 0, 0, 0,
	    "listen on ADDR:PORT, [IPv6]:PORT; repeatable; port 0: any",
	    CONF_DEFAULT_LISTEN, NULL },
	{ "root", 'r', "DIR", CONF_K_PATH, OFF(root), 0, 0,
	    "serve files from DIR (also the ROOT argument)",
	    "./" CONF_DEFAULT_ROOT, NULL },
	{ "workers", 'w', "N", CONF_K_UINT, OFF(workers), 1, CONF_MAX_WORKERS,
	    "worker threads, 1-1024", "the number of CPUs", NULL },
	{ "max-connections", 'm', "N", CONF_K_UINT, OFF(max_conns), 1, 1000000,
	    "open connections at most; accept pauses there, 1-1000000",
	    "10000", NULL },
	{ "header-timeout", 0, "S", CONF_K_SECONDS, OFF(header_timeout_ms),
	    100, MS(CONF_MAX_SECONDS),
	    "seconds to receive a whole request head", "10", NULL },
	{ "keepalive-timeout", 0, "S", CONF_K_SECONDS,
	    OFF(keepalive_timeout_ms), 0, MS(CONF_MAX_SECONDS),
	    "seconds an idle connection is kept; 0: no keep-alive", "60", NULL },
	{ "send-timeout", 0, "S", CONF_K_SECONDS, OFF(send_timeout_ms),
	    100, MS(CONF_MAX_SECONDS),
	    "seconds a write may make no progress", "60", NULL },
	{ "shutdown-timeout", 0, "S", CONF_K_SECONDS, OFF(shutdown_timeout_ms),
	    0, MS(CONF_MAX_SECONDS),
	    "seconds responses in flight get to finish at exit", "30", NULL },
	{ "backlog", 0, "N", CONF_K_UINT, OFF(backlog), 1, 65535,
	    "listen backlog, 1-65535", "4096", NULL },
	{ "max-body", 0, "BYTES", CONF_K_BYTES, OFF(max_body), 0,
	    (uint64_t)1 << 40,
	    "request body bytes read and discarded; more: 413 (k, m, g)",
	    "1048576", NULL },
	{ "sleep-route", 0, "S", CONF_K_SECONDS, OFF(sleep_ms), 0, MS(3600),
	    "answer /sleep like / after S seconds; 0: off", "0", NULL },
	{ "port-file", 0, "FILE", CONF_K_PATH, OFF(port_file), 0, 0,
	    "write the first listener's port to FILE once listening",
	    "none", NULL },
	{ "access-log", 0, "DEST", CONF_K_LOG, OFF(access_log), 0, 0,
	    "access log: a FILE, - (standard output), syslog, syslog:SOCKET",
	    "none", NULL },
	{ "log-format", 0, "combined|common|json", CONF_K_ENUM,
	    OFF(log_format), 0, 0, "format of the access log's lines",
	    "combined", "combined|common|json" },
	{ "error-log", 0, "DEST", CONF_K_LOG, OFF(error_log), 0, 0,
	    "error log: stderr, syslog, syslog:SOCKET or a FILE",
	    CONF_DEFAULT_ERROR_LOG, NULL },
	{ "log-level", 0, "warn|info|debug|trace", CONF_K_ENUM, OFF(log_level),
	    0, 0, "least severe error-log messages written; -v raises it",
	    "info", "warn|info|debug|trace" },
	{ "index", 0, "NAMES", CONF_K_INDEX, 0, 0, 0,
	    "index files of a directory, in order (space or comma list)",
	    CONF_DEFAULT_INDEX, NULL },
	{ "autoindex", 0, NULL, CONF_K_FLAG, OFF(autoindex), 0, 0,
	    "list directories that have no index file", "off", NULL },
	{ "dotfiles", 0, "deny|allow", CONF_K_ENUM, OFF(dotfiles), 0, 0,
	    "serve names starting with '.' (/.well-known/ always)", "deny",
	    "deny|allow" },
	{ "symlinks", 0, "inside|never|always", CONF_K_ENUM, OFF(symlinks),
	    0, 0, "follow symbolic links", "inside", "inside|never|always" },
	{ "precompressed", 0, "on|off", CONF_K_BOOL, OFF(precompressed), 0, 0,
	    "serve FILE.br, FILE.zst, FILE.gz to clients that accept them",
	    "on", NULL },
	{ "nosniff", 0, "on|off", CONF_K_BOOL, OFF(nosniff), 0, 0,
	    "send X-Content-Type-Options: nosniff", "on", NULL },
	{ "error-page", 0, "STATUS=FILE", CONF_K_ERROR_PAGE, 0, 0, 0,
	    "body of error STATUS from FILE under the docroot; repeatable",
	    "404=404.html", NULL },
	{ "header", 0, "NAME:VALUE", CONF_K_HEADER, 0, 0, 0,
	    "add a header field to every response; repeatable", "none", NULL },
	{ "cache-control", 0, "SUFFIXES=VALUE", CONF_K_CACHE, 0, 0, 0,
	    "Cache-Control for paths ending in one of SUFFIXES (.css,.js)",
	    "none", NULL },
	{ "daemon", 'd', NULL, CONF_K_FLAG, OFF(daemon), 0, 0,
	    "detach; the command returns once sluice serves", "off", NULL },
	{ "pidfile", 0, "FILE", CONF_K_PATH, OFF(pidfile), 0, 0,
	    "write the process id to FILE, removed at exit", "none", NULL },
	{ "user", 0, "USER", CONF_K_NAME, OFF(user), 0, 0,
	    "after binding, run as USER (and its group)", "none", NULL },
	{ "group", 0, "GROUP", CONF_K_NAME, OFF(group), 0, 0,
	    "with --user, run as GROUP instead of USER's group", "none",
	    NULL },
	{ "chroot", 0, "DIR", CONF_K_PATH, OFF(chroot), 0, 0,
	    "after binding, confine the process to DIR (needs --user)",
	    "none", NULL },
	{ "vhost-root", 0, "DIR", CONF_K_PATH, OFF(vhost_root), 0, 0,
	    "serve host H from DIR/H/ (unknown hosts: DIR/default/)", "off", NULL },
	{ "proxy-protocol", 0, NULL, CONF_K_FLAG, OFF(proxy_protocol), 0, 0,
	    "expect a PROXY protocol v1 or v2 header on every connection",
	    "off", NULL },
	{ "verbose", 'v', NULL, CONF_K_COUNT, OFF(verbose), 0, 0,
	    "more log output; repeat for more", NULL, NULL },
	{ "config", 'c', "FILE", CONF_K_CONFIG, OFF(config), 0, 0,
	    "read \"option value\" lines from FILE; the command line wins",
	    "none", NULL },
	{ "check", 't', NULL, CONF_K_FLAG, OFF(check), 0, 0,
	    "check the configuration (files, directories) and exit", NULL,
	    NULL },
	{ "print-config", 'T', NULL, CONF_K_FLAG, OFF(print_config), 0, 0,
	    "print the effective configuration and exit", NULL, NULL },
	{ "version", 'V', NULL, CONF_K_VERSION, 0, 0, 0,
	    "print the version and exit", NULL, NULL },
	{ "help", 'h', NULL, CONF_K_HELP, 0, 0, 0,
	    "print this help and exit", NULL, NULL },
};

#define CONF_NOPTIONS	(sizeof(conf_options) / sizeof(conf_options[0]))
#define CONF_ROOT_OPTION 1	/* conf_options[] index of --root (ROOT) */

static int	 conf_apply(struct conf *, const struct conf_option *,
		    const char *, char *, size_t);
static int	 conf_parse_uint(const char *, uint64_t, uint64_t, uint64_t *);
static int	 conf_parse_bytes(const char *, uint64_t, uint64_t *);
static int	 conf_choose(const char *, const char *, int *);
static const struct conf_option *conf_find(int);
static void	 conf_bad_option(int, const char *, char *, size_t);
static void	 conf_clear(struct conf *, const struct conf_option *);
static int	 conf_load(struct conf *, const char *, int, char *, size_t);
static int	 conf_apply_line(struct conf *, const struct conf_option *,
		    const char *, char *, size_t);
static int	 conf_include(struct conf *, const char *, unsigned,
		    const char *, int, char *, size_t);
static int	 conf_set_index(struct conf *, const char *);
static int	 conf_add_error_page(struct conf *, const char *);
static bool	 conf_path_climbs(const char *);
static int	 conf_add_header(struct conf *, const char *);
static int	 conf_check_log(const struct conf_option *, const char *);
static int	 conf_add_cache_rule(struct conf *, const char *);
static void	 conf_err(char *, size_t, const struct conf_option *,
		    const char *, const char *, ...)
		    __attribute__((format(printf, 5, 6)));

void
conf_init(struct conf *c)
{
	long	 n;

	memset(c, 0, sizeof(*c));
	snprintf(c->root, sizeof(c->root), "%s", CONF_DEFAULT_ROOT);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n < 1 ? 1 : n > CONF_MAX_WORKERS ? CONF_MAX_WORKERS :
	    (unsigned)n;
	c->max_conns = CONF_DEFAULT_MAXCONN;
	c->header_timeout_ms = MS(CONF_DEFAULT_HEADER_S);
	c->keepalive_timeout_ms = MS(CONF_DEFAULT_KEEPALIVE_S);
	c->send_timeout_ms = MS(CONF_DEFAULT_SEND_S);
	c->shutdown_timeout_ms = MS(CONF_DEFAULT_SHUTDOWN_S);
	c->backlog = CONF_DEFAULT_BACKLOG;
	c->max_body = CONF_DEFAULT_MAX_BODY;
	c->precompressed = true;
	c->nosniff = true;
	snprintf(c->error_log, sizeof(c->error_log), "%s",
	    CONF_DEFAULT_ERROR_LOG);
	c->log_level = CONF_DEFAULT_LOG_LEVEL;
	(void)conf_set_index(c, CONF_DEFAULT_INDEX);
}

enum conf_result
conf_parse_args(struct conf *c, int argc, char **argv, FILE *out, char *err,
    size_t errlen)
{
	struct option		 longopts[CONF_NOPTIONS + 1];
	char			 shortopts[CONF_NOPTIONS * 2 + 2];
	bool			 cleared[CONF_NOPTIONS];
	const struct conf_option *o;
	size_t			 i, s = 0;
	int			 ch, idx, pass;

	memset(longopts, 0, sizeof(longopts));
	memset(cleared, 0, sizeof(cleared));
	shortopts[s++] = ':';	/* report a missing argument as ':' */
	for (i = 0; i < CONF_NOPTIONS; i++) {
		o = &conf_options[i];
		longopts[i].name = o->name;
		longopts[i].has_arg = o->arg != NULL ? required_argument :
		    no_argument;
		longopts[i].val = o->letter != 0 ? o->letter : 256 + (int)i;
		if (o->letter != 0) {
			shortopts[s++] = (char)o->letter;
			if (o->arg != NULL)
				shortopts[s++] = ':';
		}
	}
	shortopts[s] = '\0';

	/*
	 * Two passes: the first finds -c (and -h, -V, and any syntax
	 * error), so that the file is read before the other options, which
	 * the second pass applies over it: the command line wins.
	 */
	opterr = 0;
	for (pass = 0; pass < 2; pass++) {
		optind = 0;	/* glibc: start getopt afresh */
		for (;;) {
			idx = -1;
			ch = getopt_long(argc, argv, shortopts, longopts, &idx);
			if (ch == -1)
				break;
			if (ch == '?' || ch == ':') {
				conf_bad_option(ch, argv[optind - 1], err,
				    errlen);
				return CONF_ERROR;
			}
			o = conf_find(ch);
			if (o == NULL) {
				snprintf(err, errlen, "unknown option; see "
				    "--help");
				return CONF_ERROR;
			}
			if (pass == 0) {
				if (o->kind == CONF_K_HELP) {
					conf_usage(out);
					return CONF_EXIT;
				}
				if (o->kind == CONF_K_VERSION) {
					fprintf(out, "%s %s\n", PACKAGE_NAME,
					    PACKAGE_VERSION);
					return CONF_EXIT;
				}
				if (o->kind == CONF_K_CONFIG &&
				    conf_apply(c, o, optarg, err, errlen) == -1)
					return CONF_ERROR;
				continue;
			}
			if (o->kind == CONF_K_CONFIG)
				continue;
			/* A list given on the command line replaces the file's. */
			i = (size_t)(o - conf_options);
			if (!cleared[i]) {
				conf_clear(c, o);
				cleared[i] = true;
			}
			if (conf_apply(c, o, optarg, err, errlen) == -1)
				return CONF_ERROR;
		}
		if (pass == 0 && c->config[0] != '\0' &&
		    conf_load(c, c->config, 0, err, errlen) == -1)
			return CONF_ERROR;
	}
	if (optind < argc) {
		if (argc - optind > 1) {
			snprintf(err, errlen, "one ROOT at most, got \"%s\" "
			    "and \"%s\"; see --help", argv[optind],
			    argv[optind + 1]);
			return CONF_ERROR;
		}
		if (conf_apply(c, &conf_options[CONF_ROOT_OPTION],
		    argv[optind], err, errlen) == -1)
			return CONF_ERROR;
	}
	if (c->nlisten == 0 && conf_parse_listen(CONF_DEFAULT_LISTEN,
	    &c->listen[c->nlisten++], err, errlen) == -1)
		return CONF_ERROR;
	return CONF_OK;
}

void
conf_print(const struct conf *c, FILE *out)
{
	const struct conf_option	*o;
	const char			*base = (const char *)c, *p, *e;
	unsigned			 v;
	size_t				 i, k;

	fprintf(out, "# %s %s: the effective configuration\n", PACKAGE_NAME,
	    PACKAGE_VERSION);
	for (i = 0; i < CONF_NOPTIONS; i++) {
		o = &conf_options[i];
		switch (o->kind) {
		case CONF_K_LISTEN:
			for (k = 0; k < c->nlisten; k++)
				fprintf(out, "%s %s\n", o->name,
				    c->listen[k].spec);
			break;
		case CONF_K_PATH:
		case CONF_K_LOG:
			if (base[o->offset] != '\0')
				fprintf(out, "%s %s\n", o->name, base +
				    o->offset);
			break;
		case CONF_K_UINT:
			fprintf(out, "%s %u\n", o->name,
			    *(const unsigned *)(const void *)(base + o->offset));
			break;
		case CONF_K_SECONDS:
			v = *(const unsigned *)(const void *)(base + o->offset);
			if (v % 1000 == 0)
				fprintf(out, "%s %u\n", o->name, v / 1000);
			else
				fprintf(out, "%s %u.%03u\n", o->name, v / 1000,
				    v % 1000);
			break;
		case CONF_K_BYTES:
			fprintf(out, "%s %llu\n", o->name, (unsigned long long)
			    *(const uint64_t *)(const void *)(base + o->offset));
			break;
		case CONF_K_COUNT:
			/* Levels past 3 add nothing; a file takes 0 to 3. */
			if (c->verbose > 0)
				fprintf(out, "%s %d\n", o->name,
				    c->verbose > 3 ? 3 : c->verbose);
			break;
		case CONF_K_FLAG:
		case CONF_K_BOOL:
			if (o->offset == OFF(check) ||
			    o->offset == OFF(print_config))
				break;	/* actions, not settings */
			fprintf(out, "%s %s\n", o->name,
			    *(const bool *)(const void *)(base + o->offset) ?
			    "on" : "off");
			break;
		case CONF_K_ENUM:
			v = (unsigned)*(const int *)(const void *)(base +
			    o->offset);
			for (p = o->choices; v > 0 && p != NULL; v--)
				if ((p = strchr(p, '|')) != NULL)
					p++;
			if (p != NULL)
				fprintf(out, "%s %.*s\n", o->name,
				    (int)strcspn(p, "|"), p);
			break;
		case CONF_K_INDEX:
			fprintf(out, "%s", o->name);
			for (k = 0; k < c->nindex; k++)
				fprintf(out, " %s", c->index[k]);
			fputc('\n', out);
			break;
		case CONF_K_ERROR_PAGE:
			for (k = 0; k < c->nerror_pages; k++)
				fprintf(out, "%s %d=%s\n", o->name,
				    c->error_pages[k].status,
				    c->error_pages[k].path);
			break;
		case CONF_K_HEADER:
			for (p = c->headers; *p != '\0'; p = e + 2) {
				e = strstr(p, "\r\n");
				if (e == NULL)
					break;
				fprintf(out, "%s %.*s\n", o->name, (int)(e - p),
				    p);
			}
			break;
		case CONF_K_CACHE:
			for (k = 0; k < c->ncache_rules; k++)
				fprintf(out, "%s %s=%s\n", o->name,
				    c->cache_rules[k].suffixes,
				    c->cache_rules[k].value);
			break;
		case CONF_K_NAME:
			if (base[o->offset] != '\0')
				fprintf(out, "%s %s\n", o->name, base +
				    o->offset);
			break;
		case CONF_K_CONFIG:
		case CONF_K_HELP:
		case CONF_K_VERSION:
			break;
		}
	}
}

int
conf_parse_listen(const char *spec, struct conf_listen *l, char *err,
    size_t errlen)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)&l->addr;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&l->addr;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*colon, *h, *hend;
	uint64_t		 port;
	size_t			 hlen;

	memset(l, 0, sizeof(*l));
	if (strlen(spec) >= sizeof(l->spec))
		goto bad;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	if (spec[0] == '[') {
		hend = strchr(spec, ']');
		if (hend == NULL || hend[1] != ':')
			goto bad;
		h = spec + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(spec, ':');
		if (colon == NULL)
			goto bad;
		h = spec;
		hend = colon;
	}
	hlen = (size_t)(hend - h);
	if (hlen == 0 || hlen >= sizeof(host))
		goto bad;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (conf_parse_uint(colon + 1, 0, 65535, &port) == -1)
		goto bad;
	if (spec[0] != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		l->addrlen = sizeof(*sin);
		return 0;
	}
	if (spec[0] == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		l->addrlen = sizeof(*sin6);
		return 0;
	}
 bad:
	snprintf(err, errlen, "--listen: invalid value \"%s\": expected "
	    "IPV4:PORT (e.g. 0.0.0.0:80) or [IPV6]:PORT (e.g. [::]:80), "
	    "port 0-65535", spec);
	return -1;
}

int
conf_parse_seconds(const char *s, unsigned min_ms, unsigned max_ms,
    unsigned *ms)
{
	uint64_t	 whole = 0, frac = 0, scale = 100;
	const char	*p = s;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		whole = whole * 10 + (uint64_t)(*p++ - '0');
		if (whole > UINT32_MAX / 1000)
			return -1;
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9') {
			frac += (uint64_t)(*p++ - '0') * scale;
			scale /= 10;	/* digits past milliseconds count 0 */
		}
	}
	if (*p != '\0')
		return -1;
	whole = whole * 1000 + frac;
	if (whole < min_ms || whole > max_ms)
		return -1;
	*ms = (unsigned)whole;
	return 0;
}

void
conf_usage(FILE *out)
{
	const struct conf_option *o;
	char			 lhs[64];
	size_t			 i;

	fprintf(out, "usage: %s [options] [ROOT]\n\n"
	    "Serve the files under ROOT over HTTP/1.1.\n\n", PACKAGE_NAME);
	for (i = 0; i < CONF_NOPTIONS; i++) {
		o = &conf_options[i];
		if (o->letter != 0)
			snprintf(lhs, sizeof(lhs), "-%c, --%s%s%s", o->letter,
			    o->name, o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		else
			snprintf(lhs, sizeof(lhs), "    --%s%s%s", o->name,
			    o->arg != NULL ? " " : "",
			    o->arg != NULL ? o->arg : "");
		if (strlen(lhs) > 26)
			fprintf(out, "  %s\n  %-26s %s", lhs, "", o->help);
		else
			fprintf(out, "  %-26s %s", lhs, o->help);
		if (o->def != NULL)
			fprintf(out, " [%s]", o->def);
		fputc('\n', out);
	}
}

/* Store one option's value, checking its range. */
static int
conf_apply(struct conf *c, const struct conf_option *o, const char *v,
    char *err, size_t errlen)
{
	char		*base = (char *)c;
	uint64_t	 n;
	unsigned	 ms;

	switch (o->kind) {
	case CONF_K_LISTEN:
		if (c->nlisten == CONF_MAX_LISTEN) {
			conf_err(err, errlen, o, v, "at most %d listeners",
			    CONF_MAX_LISTEN);
			return -1;
		}
		if (conf_parse_listen(v, &c->listen[c->nlisten], err,
		    errlen) == -1)
			return -1;
		c->nlisten++;
		return 0;
	case CONF_K_PATH:
		if (*v == '\0' || strlen(v) >= PATH_MAX) {
			conf_err(err, errlen, o, v, "a path of 1 to %d bytes",
			    PATH_MAX - 1);
			return -1;
		}
		snprintf(base + o->offset, PATH_MAX, "%s", v);
		if (o->offset == OFF(root))
			c->root_given = true;
		return 0;
	case CONF_K_LOG:
		if (conf_check_log(o, v) == -1) {
			conf_err(err, errlen, o, v, "%s, syslog, "
			    "syslog:/PATH/TO/SOCKET (under %zu bytes) or a "
			    "file name", o->offset == OFF(error_log) ?
			    "stderr" : "- (standard output)",
			    sizeof(((struct sockaddr_un *)NULL)->sun_path));
			return -1;
		}
		snprintf(base + o->offset, PATH_MAX, "%s", v);
		return 0;
	case CONF_K_UINT:
		if (conf_parse_uint(v, o->min, o->max, &n) == -1) {
			conf_err(err, errlen, o, v, "an integer from %llu to "
			    "%llu", (unsigned long long)o->min,
			    (unsigned long long)o->max);
			return -1;
		}
		*(unsigned *)(void *)(base + o->offset) = (unsigned)n;
		return 0;
	case CONF_K_SECONDS:
		if (conf_parse_seconds(v, (unsigned)o->min, (unsigned)o->max,
		    &ms) == -1) {
			conf_err(err, errlen, o, v, "seconds from %g to %llu "
			    "(fractions allowed, e.g. 0.5)",
			    (double)o->min / 1000,
			    (unsigned long long)o->max / 1000);
			return -1;
		}
		*(unsigned *)(void *)(base + o->offset) = ms;
		return 0;
	case CONF_K_BYTES:
		if (conf_parse_bytes(v, o->max, &n) == -1) {
			conf_err(err, errlen, o, v, "a byte count from 0 to "
			    "%llu, optionally with k, m or g",
			    (unsigned long long)o->max);
			return -1;
		}
		*(uint64_t *)(void *)(base + o->offset) = n;
		return 0;
	case CONF_K_COUNT:
		(*(int *)(void *)(base + o->offset))++;
		return 0;
	case CONF_K_FLAG:
		*(bool *)(void *)(base + o->offset) = true;
		return 0;
	case CONF_K_BOOL:
		if (strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
			*(bool *)(void *)(base + o->offset) = true;
		else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
			*(bool *)(void *)(base + o->offset) = false;
		else {
			conf_err(err, errlen, o, v, "on or off");
			return -1;
		}
		return 0;
	case CONF_K_ENUM:
		if (conf_choose(o->choices, v, (int *)(void *)(base +
		    o->offset)) == -1) {
			conf_err(err, errlen, o, v, "one of %s", o->choices);
			return -1;
		}
		return 0;
	case CONF_K_INDEX:
		if (conf_set_index(c, v) == -1) {
			conf_err(err, errlen, o, v, "1 to %d file names (no "
			    "'/', each under %d bytes), separated by spaces or "
			    "commas", CONF_MAX_INDEX, CONF_INDEX_NAME_MAX);
			return -1;
		}
		return 0;
	case CONF_K_ERROR_PAGE:
		if (conf_add_error_page(c, v) == -1) {
			conf_err(err, errlen, o, v, "STATUS=FILE with STATUS "
			    "400-599 and FILE a path under the docroot (no '..' "
			    "segment, no '%%'), at most %d of them",
			    CONF_MAX_ERROR_PAGES);
			return -1;
		}
		return 0;
	case CONF_K_HEADER:
		if (conf_add_header(c, v) == -1) {
			conf_err(err, errlen, o, v, "NAME:VALUE with NAME a "
			    "token and VALUE printable, %d bytes in all",
			    CONF_HEADERS_MAX);
			return -1;
		}
		return 0;
	case CONF_K_CACHE:
		if (conf_add_cache_rule(c, v) == -1) {
			conf_err(err, errlen, o, v, "SUFFIXES=VALUE such as "
			    "\".css,.js=max-age=31536000,immutable\", at most "
			    "%d rules", CONF_MAX_CACHE_RULES);
			return -1;
		}
		return 0;
	case CONF_K_NAME:
		if (*v == '\0' || strlen(v) >= CONF_NAME_MAX ||
		    strpbrk(v, ": \t\n/") != NULL) {
			conf_err(err, errlen, o, v, "a user or group name of 1 "
			    "to %d bytes", CONF_NAME_MAX - 1);
			return -1;
		}
		snprintf(base + o->offset, CONF_NAME_MAX, "%s", v);
		return 0;
	case CONF_K_CONFIG:
		if (*v == '\0' || strlen(v) >= PATH_MAX) {
			conf_err(err, errlen, o, v, "a file name");
			return -1;
		}
		/*
		 * Kept absolute when the start-up directory is known, so that
		 * a reload finds the file after --daemon moved to "/".
		 */
		if (*v != '/' && c->cwd[0] != '\0') {
			if ((size_t)snprintf(c->config, sizeof(c->config),
			    "%s/%s", c->cwd, v) >= sizeof(c->config)) {
				conf_err(err, errlen, o, v, "a shorter path");
				return -1;
			}
		} else
			snprintf(c->config, sizeof(c->config), "%s", v);
		return 0;
	case CONF_K_HELP:
	case CONF_K_VERSION:
		break;
	}
	return 0;
}

/* A decimal integer in [min, max], nothing else.  Returns 0 or -1. */
static int
conf_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t	 n = 0;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (*s != '\0' || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

/* "1048576", "512k", "1m", "1G": 1024-based.  Returns 0 or -1. */
static int
conf_parse_bytes(const char *s, uint64_t max, uint64_t *out)
{
	char		 num[32];
	size_t		 len = strlen(s);
	uint64_t	 n, mul = 1;

	if (len == 0 || len >= sizeof(num))
		return -1;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k': case 'K': mul = 1024; break;
	case 'm': case 'M': mul = 1024 * 1024; break;
	case 'g': case 'G': mul = 1024 * 1024 * 1024; break;
	default: break;
	}
	if (mul != 1)
		num[len - 1] = '\0';
	if (conf_parse_uint(num, 0, max, &n) == -1 || n > max / mul)
		return -1;
	*out = n * mul;
	return 0;
}

/* The option getopt_long returned ch for, or NULL. */
static const struct conf_option *
conf_find(int ch)
{
	size_t	 i;

	for (i = 0; i < CONF_NOPTIONS; i++) {
		if ((conf_options[i].letter != 0 &&
		    ch == conf_options[i].letter) || ch == 256 + (int)i)
			return &conf_options[i];
	}
	return NULL;
}

/* getopt's complaint ('?' unknown, ':' missing value) as one message. */
static void
conf_bad_option(int ch, const char *arg, char *err, size_t errlen)
{
	if (ch == ':')
		snprintf(err, errlen, "option %s needs a value; see --help",
		    arg);
	else if (optopt != 0 && optopt < 256)
		snprintf(err, errlen, "unknown option -%c; see --help",
		    optopt);
	else
		snprintf(err, errlen, "unknown option %s; see --help", arg);
}

/* Empty a list option, before the command line gives it anew. */
static void
conf_clear(struct conf *c, const struct conf_option *o)
{
	switch (o->kind) {
	case CONF_K_LISTEN:
		c->nlisten = 0;
		break;
	case CONF_K_ERROR_PAGE:
		c->nerror_pages = 0;
		break;
	case CONF_K_HEADER:
		c->headers[0] = '\0';
		break;
	case CONF_K_CACHE:
		c->ncache_rules = 0;
		break;
	case CONF_K_COUNT:
		c->verbose = 0;	/* -v counts from nothing, not the file's */
		break;
	default:
		break;
	}
}

/*
 * Read a configuration file: "option value" lines with the long option
 * names, '#' comment lines, blank lines, and "include PATTERN" (a glob,
 * relative to the including file's directory).  A bad line fails the
 * whole file with "FILE:LINE: " before the option's own message.
 */
static int
conf_load(struct conf *c, const char *path, int depth, char *err,
    size_t errlen)
{
	const struct conf_option	*o;
	char				 line[CONF_LINE_MAX + 3], msg[512];
	char				*p, *key, *val, *end;
	unsigned			 lineno = 0;
	size_t				 i;
	FILE				*fp;
	int				 rc = -1;

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "--config: cannot read \"%s\": %s", path,
		    strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		end = strchr(line, '\n');
		if ((end == NULL && !feof(fp)) || (end != NULL &&
		    (size_t)(end - line) - (end > line && end[-1] == '\r') >
		    CONF_LINE_MAX)) {
			snprintf(err, errlen, "%s:%u: a line longer than %d "
			    "bytes", path, lineno, CONF_LINE_MAX);
			goto out;
		}
		end = line + strlen(line);
		while (end > line && isspace((unsigned char)end[-1]))
			*--end = '\0';
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		key = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		val = p;
		if (strcmp(key, "include") == 0) {
			if (conf_include(c, path, lineno, val, depth, err,
			    errlen) == -1)
				goto out;
			continue;
		}
		o = NULL;
		for (i = 0; i < CONF_NOPTIONS; i++)
			if (strcmp(conf_options[i].name, key) == 0)
				o = &conf_options[i];
		if (o == NULL || o->kind == CONF_K_CONFIG ||
		    o->kind == CONF_K_HELP || o->kind == CONF_K_VERSION ||
		    o->offset == OFF(check) || o->offset == OFF(print_config)) {
			snprintf(err, errlen, "%s:%u: unknown option \"%s\"; "
			    "the options are the long names of --help", path,
			    lineno, key);
			goto out;
		}
		if (conf_apply_line(c, o, val, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno, msg);
			goto out;
		}
	}
	if (ferror(fp)) {
		snprintf(err, errlen, "--config: cannot read \"%s\": %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	fclose(fp);
	return rc;
}

/*
 * One option from a file.  Options without a value on the command line
 * (--autoindex, -v) take on|off (or a count) here; the rest need one.
 */
static int
conf_apply_line(struct conf *c, const struct conf_option *o, const char *v,
    char *err, size_t errlen)
{
	char		*base = (char *)c;
	uint64_t	 n;

	if (o->kind == CONF_K_FLAG) {
		if (*v == '\0' || strcmp(v, "on") == 0 || strcmp(v, "yes") == 0)
			*(bool *)(void *)(base + o->offset) = true;
		else if (strcmp(v, "off") == 0 || strcmp(v, "no") == 0)
			*(bool *)(void *)(base + o->offset) = false;
		else {
			conf_err(err, errlen, o, v, "on or off");
			return -1;
		}
		return 0;
	}
	if (o->kind == CONF_K_COUNT) {
		if (*v == '\0')
			c->verbose++;
		else if (conf_parse_uint(v, 0, 3, &n) == 0)
			c->verbose = (int)n;
		else {
			conf_err(err, errlen, o, v, "a level from 0 to 3");
			return -1;
		}
		return 0;
	}
	if (*v == '\0') {
		snprintf(err, errlen, "--%s needs a value (%s)", o->name,
		    o->arg);
		return -1;
	}
	return conf_apply(c, o, v, err, errlen);
}

/*
 * "include PATTERN" at line `lineno` of file `from`: every match, in
 * order.  A pattern that matches nothing (its directory missing too) is
 * fine; a plain name must exist.
 */
static int
conf_include(struct conf *c, const char *from, unsigned lineno,
    const char *pattern, int depth, char *err, size_t errlen)
{
	char		 full[PATH_MAX];
	const char	*slash;
	glob_t		 g;
	size_t		 i;
	int		 r;

	if (*pattern == '\0') {
		snprintf(err, errlen, "%s:%u: include needs a file or pattern",
		    from, lineno);
		return -1;
	}
	if (depth + 1 > CONF_INCLUDE_DEPTH) {
		snprintf(err, errlen, "%s:%u: includes nest deeper than %d "
		    "(an include loop?)", from, lineno, CONF_INCLUDE_DEPTH);
		return -1;
	}
	slash = strrchr(from, '/');
	if (pattern[0] == '/' || slash == NULL)
		snprintf(full, sizeof(full), "%s", pattern);
	else
		snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - from),
		    from, pattern);
	r = glob(full, 0, NULL, &g);
	if (r == GLOB_NOMATCH) {
		if (strpbrk(full, "*?[") != NULL)
			return 0;
		snprintf(err, errlen, "%s:%u: include \"%s\": no such file",
		    from, lineno, full);
		return -1;
	}
	if (r != 0) {
		snprintf(err, errlen, "%s:%u: include \"%s\": cannot read it",
		    from, lineno, full);
		return -1;
	}
	for (i = 0; i < g.gl_pathc; i++) {
		if (conf_load(c, g.gl_pathv[i], depth + 1, err, errlen) ==
		    -1) {
			globfree(&g);
			return -1;
		}
	}
	globfree(&g);
	return 0;
}

/* Set *out to the index of word v in "a|b|c".  0, or -1 if absent. */
static int
conf_choose(const char *choices, const char *v, int *out)
{
	const char	*p = choices, *bar;
	size_t		 n, vlen = strlen(v);
	int		 i = 0;

	for (;;) {
		bar = strchr(p, '|');
		n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (n == vlen && strncmp(p, v, n) == 0) {
			*out = i;
			return 0;
		}
		if (bar == NULL)
			return -1;
		p = bar + 1;
		i++;
	}
}

/* --index: replace the list of index names.  0, or -1 if invalid. */
static int
conf_set_index(struct conf *c, const char *v)
{
	char	 names[CONF_MAX_INDEX][CONF_INDEX_NAME_MAX];
	size_t	 n = 0, len;
	const char *p = v, *e;

	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '\0')
			break;
		e = p + strcspn(p, " ,");
		len = (size_t)(e - p);
		if (n == CONF_MAX_INDEX || len >= CONF_INDEX_NAME_MAX ||
		    memchr(p, '/', len) != NULL ||
		    (len <= 2 && strncmp(p, "..", len) == 0))
			return -1;
		memcpy(names[n], p, len);
		names[n++][len] = '\0';
		p = e;
	}
	if (n == 0)
		return -1;
	memcpy(c->index, names, sizeof(names));
	c->nindex = n;
	return 0;
}

/*
 * Whether a docroot-relative path has a ".." segment or an escape that
 * could become one; such a page could never be served (it is confined
 * like a request), so it is refused at start-up instead.
 */
static bool
conf_path_climbs(const char *p)
{
	const char	*s;

	if (strchr(p, '%') != NULL)
		return true;
	for (s = p; *s != '\0'; s = s[0] == '/' ? s + 1 : s) {
		if (s[0] == '.' && s[1] == '.' && (s[2] == '/' ||
		    s[2] == '\0') && (s == p || s[-1] == '/'))
			return true;
		s += strcspn(s, "/");
	}
	return false;
}

/* --error-page STATUS=FILE.  0, or -1 if invalid or too many. */
static int
conf_add_error_page(struct conf *c, const char *v)
{
	struct conf_error_page	*ep;
	const char		*eq = strchr(v, '=');
	uint64_t		 st;
	char			 num[8];
	size_t			 i;

	if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(num) ||
	    eq[1] == '\0' || strlen(eq + 1) >= PATH_MAX ||
	    conf_path_climbs(eq + 1))
		return -1;
	memcpy(num, v, (size_t)(eq - v));
	num[eq - v] = '\0';
	if (conf_parse_uint(num, 400, 599, &st) == -1)
		return -1;
	/* A later page for the same status replaces the earlier one. */
	for (i = 0; i < c->nerror_pages; i++)
		if (c->error_pages[i].status == (int)st)
			break;
	if (i == CONF_MAX_ERROR_PAGES)
		return -1;
	ep = &c->error_pages[i];
	ep->status = (int)st;
	snprintf(ep->path, sizeof(ep->path), "%s", eq + 1);
	if (i == c->nerror_pages)
		c->nerror_pages++;
	return 0;
}

/*
 * --header NAME:VALUE, kept preformatted as "NAME: VALUE\r\n" so that a
 * response copies the lines as they are.  0, or -1 if invalid.
 */
static int
conf_add_header(struct conf *c, const char *v)
{
	static const char *const framing[] = { "Content-Length",
	    "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade",
	    "Proxy-Connection", "TE", "Trailer", "Content-Range" };
	const char	*colon = strchr(v, ':'), *val, *p;
	size_t		 have = strlen(c->headers), nlen, vlen, i;

	if (colon == NULL || colon == v)
		return -1;
	for (p = v; p < colon; p++)
		if (!(isalnum((unsigned char)*p) ||
		    strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return -1;
	nlen = (size_t)(colon - v);
	/* Fields that frame the message or the connection are sluice's. */
	for (i = 0; i < sizeof(framing) / sizeof(framing[0]); i++)
		if (strlen(framing[i]) == nlen &&
		    strncasecmp(v, framing[i], nlen) == 0)
			return -1;
	val = colon + 1;
	while (*val == ' ' || *val == '\t')
		val++;
	for (p = val; *p != '\0'; p++)
		if (((unsigned char)*p < 0x20 && *p != '\t') ||
		    (unsigned char)*p == 0x7f)
			return -1;	/* no CR, LF or other controls */
	/* Trailing blanks are not part of a field value (RFC 9110 5.5). */
	vlen = strlen(val);
	while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
		vlen--;
	if (vlen == 0 || have + nlen + 2 + vlen + 2 >= sizeof(c->headers))
		return -1;
	snprintf(c->headers + have, sizeof(c->headers) - have,
	    "%.*s: %.*s\r\n", (int)nlen, v, (int)vlen, val);
	return 0;
}

/*
 * A log destination: a file name, or "syslog" or "syslog:/PATH" whose
 * path fits a socket address (a relative one would depend on the working
 * directory, which a daemon leaves).  "-" (standard output) is for the
 * access log only; the error log names standard error "stderr", which
 * the access log refuses rather than take for a file name.  0 or -1.
 */
static int
conf_check_log(const struct conf_option *o, const char *v)
{
	const char	*path;

	if (*v == '\0' || strlen(v) >= PATH_MAX)
		return -1;
	if (strcmp(v, LOG_DEST_STDOUT) == 0)
		return o->offset == OFF(access_log) ? 0 : -1;
	/* Not a file of that name: the access log's stream is "-". */
	if (strcmp(v, LOG_DEST_STDERR) == 0)
		return o->offset == OFF(error_log) ? 0 : -1;
	if (!log_dest_is_syslog(v, &path))
		return 0;
	if (path[0] != '/' || strlen(path) >= sizeof(((struct sockaddr_un *)
	    NULL)->sun_path))
		return -1;
	return 0;
}

/* --cache-control SUFFIXES=VALUE.  0, or -1 if invalid or too many. */
static int
conf_add_cache_rule(struct conf *c, const char *v)
{
	struct conf_cache_rule	*r;
	const char		*eq = strchr(v, '='), *p;

	if (eq == NULL || eq == v || eq[1] == '\0' ||
	    c->ncache_rules == CONF_MAX_CACHE_RULES ||
	    (size_t)(eq - v) >= CONF_CACHE_SUFFIXES_MAX ||
	    strlen(eq + 1) >= CONF_CACHE_VALUE_MAX)
		return -1;
	for (p = eq + 1; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return -1;
	r = &c->cache_rules[c->ncache_rules++];
	snprintf(r->suffixes, sizeof(r->suffixes), "%.*s", (int)(eq - v), v);
	snprintf(r->value, sizeof(r->value), "%s", eq + 1);
	return 0;
}

/* The one shape of a bad-value message: option, value, what is accepted. */
static void
conf_err(char *err, size_t errlen, const struct conf_option *o,
    const char *v, const char *fmt, ...)
{
	char	 what[256];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(err, errlen, "--%s: invalid value \"%s\": expected %s",
	    o->name, v, what);
}

size_t
conf_keep_restart(const struct conf *cur, struct conf *next, char *names,
    size_t len)
{
	size_t	 n = 0, used = 0;

#define KEEP(field, name) do {						\
	if (memcmp(&cur->field, &next->field, sizeof(cur->field)) != 0) { \
		memcpy(&next->field, &cur->field, sizeof(cur->field));	\
		if (used < len)						\
			used += (size_t)snprintf(names + used, len - used, \
			    "%s%s", n > 0 ? ", " : "", name);		\
		n++;							\
	}								\
} while (0)
	if (len > 0)
		names[0] = '\0';
	KEEP(workers, "workers");
	/* Strings compare as strings: what follows the NUL is noise. */
	if (strcmp(cur->user, next->user) != 0)
		KEEP(user, "user");
	if (strcmp(cur->group, next->group) != 0)
		KEEP(group, "group");
	if (strcmp(cur->chroot, next->chroot) != 0)
		KEEP(chroot, "chroot");
	if (strcmp(cur->pidfile, next->pidfile) != 0)
		KEEP(pidfile, "pidfile");
	KEEP(daemon, "daemon");
#undef KEEP
	/* Derived from the workers at start-up; sizes the file caches. */
	next->cache_entries = cur->cache_entries;
	return n;
}
