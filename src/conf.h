/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_CONF_H
#define SLUICE_CONF_H

/*
 * The configuration: one table of options (name, type, default, range,
 * help) that the command line is parsed from and --help is printed from.
 * Filled on the main thread before any other thread starts; read-only
 * afterwards, so any thread may read it without a lock.
 */

#include <sys/socket.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONF_MAX_LISTEN		16
#define CONF_DEFAULT_LISTEN	"127.0.0.1:7878"
#define CONF_DEFAULT_ROOT	"html"
#define CONF_DEFAULT_MAXCONN	10000
#define CONF_DEFAULT_HEADER_S	10
#define CONF_DEFAULT_KEEPALIVE_S 60
#define CONF_DEFAULT_SEND_S	60
#define CONF_DEFAULT_SHUTDOWN_S	30
#define CONF_DEFAULT_BACKLOG	4096
#define CONF_DEFAULT_MAX_BODY	(1024 * 1024)
#define CONF_MAX_WORKERS	1024
#define CONF_MAX_SECONDS	86400
#define CONF_CACHE_PER_WORKER	256	/* cached open files, at most */
#define CONF_VHOST_FDS		33	/* per worker with --vhost-root */

#define CONF_MAX_INDEX		8	/* --index names */
#define CONF_LINE_MAX		4096	/* a configuration file's line */
#define CONF_NAME_MAX		64	/* a user or group name */
#define CONF_INCLUDE_DEPTH	8	/* nested include, at most */
#define CONF_INDEX_NAME_MAX	64
#define CONF_DEFAULT_INDEX	"index.html hello.html"
#define CONF_DEFAULT_ERROR_LOG	"stderr"
#define CONF_DEFAULT_LOG_LEVEL	1	/* "info" in --log-level's words */
#define CONF_MAX_ERROR_PAGES	16
#define CONF_HEADERS_MAX	2048	/* all --header lines together */
#define CONF_MAX_CACHE_RULES	16
#define CONF_CACHE_SUFFIXES_MAX	256
#define CONF_CACHE_VALUE_MAX	256

/* Exit status for a bad command line or configuration. */
#define CONF_EXIT_USAGE		2

struct conf_listen {
	char			 spec[128];	/* as given: "127.0.0.1:7878" */
	struct sockaddr_storage	 addr;
	socklen_t		 addrlen;
	/*
	 * Passed by the service manager (systemd_adopt_listeners): fd is
	 * already listening, spec and addr come from getsockname, and a
	 * reload must keep it rather than bind the new --listen list.
	 */
	bool			 inherited;
	int			 fd;		/* only when inherited */
};

enum conf_dotfiles {
	CONF_DOTFILES_DENY,	/* 404, except /.well-known/ (default) */
	CONF_DOTFILES_ALLOW
};

enum conf_symlinks {
	CONF_SYMLINKS_INSIDE,	/* followed while they stay in the docroot */
	CONF_SYMLINKS_NEVER,	/* never followed: 403 */
	CONF_SYMLINKS_ALWAYS	/* followed wherever they point */
};

struct conf_error_page {
	int			 status;
	char			 path[PATH_MAX];	/* under the docroot */
};

struct conf_cache_rule {
	char			 suffixes[CONF_CACHE_SUFFIXES_MAX]; /* ".css,.js" */
	char			 value[CONF_CACHE_VALUE_MAX];
};

struct conf {
	struct conf_listen	 listen[CONF_MAX_LISTEN];
	size_t			 nlisten;
	char			 root[PATH_MAX];
	bool			 root_given;	/* -r, ROOT or "root" in a file */
	char			 config[PATH_MAX];	/* -c FILE, or "" */
	bool			 check;		/* -t: validate and exit */
	bool			 print_config;	/* -T: print and exit */
	unsigned		 workers;
	unsigned		 max_conns;
	unsigned		 header_timeout_ms;
	unsigned		 keepalive_timeout_ms;
	unsigned		 send_timeout_ms;
	unsigned		 shutdown_timeout_ms;
	unsigned		 sleep_ms;	/* 0: /sleep is off */
	unsigned		 backlog;
	uint64_t		 max_body;
	char			 port_file[PATH_MAX];	/* "" if none */
	char			 access_log[PATH_MAX];	/* "" if none */
	char			 error_log[PATH_MAX];	/* "stderr"... */
	int			 log_format;	/* enum log_format */
	int			 log_level;	/* enum log_level, before -v */
	int			 verbose;
	char			 index[CONF_MAX_INDEX][CONF_INDEX_NAME_MAX];
	size_t			 nindex;
	bool			 autoindex;
	enum conf_dotfiles	 dotfiles;
	enum conf_symlinks	 symlinks;
	bool			 precompressed;
	bool			 nosniff;
	struct conf_error_page	 error_pages[CONF_MAX_ERROR_PAGES];
	size_t			 nerror_pages;
	char			 headers[CONF_HEADERS_MAX]; /* "N: v\r\n"... */
	struct conf_cache_rule	 cache_rules[CONF_MAX_CACHE_RULES];
	size_t			 ncache_rules;
	char			 vhost_root[PATH_MAX];	/* "" if none */
	bool			 proxy_protocol; /* a PROXY header first */
	bool			 daemon;	/* -d: detach */
	char			 pidfile[PATH_MAX];	/* "" if none */
	char			 user[CONF_NAME_MAX];	/* "" if none */
	char			 group[CONF_NAME_MAX];	/* "" if none */
	char			 chroot[PATH_MAX];	/* "" if none */
	/*
	 * Not options.  cwd: the directory sluice started in, which
	 * relative paths name (set before parsing; "" for the current).
	 */
	char			 cwd[PATH_MAX];
	/* Derived at start-up (feeder_fit_budget), not options. */
	unsigned		 cache_entries;	/* per worker */
};

enum conf_result {
	CONF_OK,	/* run the server */
	CONF_EXIT,	/* --help or --version printed: exit 0 */
	CONF_ERROR	/* message in err: exit CONF_EXIT_USAGE */
};

/* Fill every field with its default.  Main thread. */
void		 conf_init(struct conf *);

/*
 * Parse the command line into c (which conf_init has filled).  On
 * CONF_ERROR, err holds one line naming the option, the value and what is
 * accepted.  --help and --version print to `out`.  Main thread.
 */
enum conf_result conf_parse_args(struct conf *c, int argc, char **argv,
		    FILE *out, char *err, size_t errlen);

/*
 * Parse "ADDR:PORT" or "[IPv6]:PORT" (port 0: any free port) into l.
 * Returns 0, or -1 with a reason in err.  Pure.
 */
int		 conf_parse_listen(const char *spec, struct conf_listen *l,
		    char *err, size_t errlen);

/*
 * Parse a duration in seconds ("10", "0.5") into milliseconds, between
 * min_ms and max_ms.  Returns 0 or -1.  Pure.
 */
int		 conf_parse_seconds(const char *s, unsigned min_ms,
		    unsigned max_ms, unsigned *ms);

/*
 * What a reload cannot change (workers, user, group, chroot, daemon,
 * pidfile, the derived cache size): where `next` differs from `cur`, copy
 * cur's value into next and append the option's name to names (", "
 * separated).  Returns how many differed.  Pure.
 */
size_t		 conf_keep_restart(const struct conf *cur, struct conf *next,
		    char *names, size_t len);

/* Print the usage text generated from the option table to out. */
void		 conf_usage(FILE *out);

/*
 * Print the effective configuration to out as a file that -c would read
 * back to the same configuration (the -T option).  Main thread.
 */
void		 conf_print(const struct conf *, FILE *out);

#endif /* SLUICE_CONF_H */
