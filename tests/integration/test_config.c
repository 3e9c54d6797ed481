/* sluice: integration tests of the configuration file, -t and -T. */

/*
 * -c FILE reads "option value" lines (the long names of --help, whole-line
 * '#' comments, blank lines, blanks trimmed, CRLF accepted, "include
 * PATTERN" relative to the including file); a bad line fails with
 * "FILE:LINE:" and the option's own message, exit 2. The command line wins
 * (a list given there replaces the file's whole list); no file is read
 * without -c. -t validates without binding and says "the configuration in
 * FILE is valid"; -T prints a file that -c reads back to the same text.
 *
 * Every test gets its own temporary directory under /tmp (mkdtemp, 0755)
 * for its configuration files and docroots, removed in teardown. Most
 * tests are one-shot runs (harness_run); two start a real server from a
 * file and one holds a port while -t runs.
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
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

#include "harness.h"

/* Timeout of one-shot runs and of reads from a server. */
#define CFG_TIMEOUT_MS		5000
/* The longest line a configuration file may have (CONF_LINE_MAX). */
#define CFG_LINE_MAX		4096
/* The deepest include nesting accepted (CONF_INCLUDE_DEPTH). */
#define CFG_INCLUDE_DEPTH	8
/* --header-timeout of the served configuration, and the 408 window. */
#define CFG_HEADER_S		1
#define CFG_HEADER_MIN_MS	800
#define CFG_HEADER_MAX_MS	2500
/* An address no test host has: binding it fails (RFC 5737 TEST-NET-1). */
#define CFG_UNBINDABLE		"192.0.2.1:80"

struct cfx {
	char	dir[256];	/* this test's temporary directory */
};

static int	cfx_setup(void **);
static int	cfx_teardown(void **);
static void	cfg_path(const struct cfx *, const char *, char *, size_t);
static void	cfg_put(const struct cfx *, const char *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static void	cfg_put_raw(const struct cfx *, const char *, const char *,
		    size_t);
static void	cfg_run(struct harness_run *, const char *, ...);
static bool	cfg_has_line(const char *, const char *);
static void	cfg_assert_lines(const struct harness_run *, ...);
static void	cfg_assert_no_line(const struct harness_run *, const char *);
static void	cfg_print(const struct cfx *, const char *,
		    struct harness_run *);
static void	cfg_assert_refused(const struct cfx *, const char *, ...);
static void	cfg_at(const struct cfx *, const char *, int, char *, size_t);
static int	cfg_count(const char *, const char *);
static void	assert_check_fails(const struct cfx *, const char *,
		    const char *, const char *);
static void	assert_cmdline_round_trip(const struct cfx *, const char *,
		    const char *);

static int
cfx_setup(void **state)
{
	struct cfx	*f;

	harness_watchdog_arm(HARNESS_WATCHDOG_S);
	if (harness_bin() == NULL) {
		fprintf(stderr, "test_config: SLUICE_BIN must be set (run "
		    "through make check)\n");
		return (-1);
	}
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return (-1);
	if (harness_tmpdir_create(f->dir, sizeof(f->dir), "conf") == -1) {
		free(f);
		return (-1);
	}
	*state = f;
	return (0);
}

static int
cfx_teardown(void **state)
{
	struct cfx	*f = *state;
	int		 ret = 0;

	if (f != NULL) {
		if (harness_rmtree(f->dir) == -1)
			ret = -1;
		free(f);
	}
	harness_watchdog_disarm();
	return (ret);
}

/* buf = the test directory / rel. */
static void
cfg_path(const struct cfx *f, const char *rel, char *buf, size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", f->dir, rel) >= len)
		fail_msg("path too long: %s/%s", f->dir, rel);
}

/* Write the formatted text to the test directory / rel (mode 0644). */
static void
cfg_put(const struct cfx *f, const char *rel, const char *fmt, ...)
{
	va_list	 ap;
	char	*text;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	assert_true(n >= 0);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	va_start(ap, fmt);
	(void)vsnprintf(text, (size_t)n + 1, fmt, ap);
	va_end(ap);
	cfg_put_raw(f, rel, text, (size_t)n);
	free(text);
}

static void
cfg_put_raw(const struct cfx *f, const char *rel, const char *data,
    size_t len)
{
	if (harness_write_file(f->dir, rel, data, len, 0644) == -1)
		fail_msg("cannot write %s/%s: %s", f->dir, rel,
		    strerror(errno));
}

/*
 * Run sluice with the NULL-terminated arguments in cwd (NULL: ours); it
 * must exit by itself within CFG_TIMEOUT_MS. Free r afterwards.
 */
static void
cfg_run(struct harness_run *r, const char *cwd, ...)
{
	const char	*args[HARNESS_MAX_ARGS + 1], *a;
	va_list		 ap;
	size_t		 n = 0;

	va_start(ap, cwd);
	while ((a = va_arg(ap, const char *)) != NULL && n < HARNESS_MAX_ARGS)
		args[n++] = a;
	va_end(ap);
	args[n] = NULL;
	if (harness_run(args, cwd, CFG_TIMEOUT_MS, r) == -1)
		fail_msg("sluice %s %s ... did not exit by itself: %s",
		    n > 0 ? args[0] : "", n > 1 ? args[1] : "",
		    strerror(errno));
}

/* Whether out has a line that is exactly line. */
static bool
cfg_has_line(const char *out, const char *line)
{
	const char	*p = out;
	size_t		 len = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == out || p[-1] == '\n') &&
		    (p[len] == '\n' || p[len] == '\0'))
			return (true);
		p++;
	}
	return (false);
}

/* r exited 0 and its stdout has every line given (NULL-terminated). */
static void
cfg_assert_lines(const struct harness_run *r, ...)
{
	const char	*line;
	va_list		 ap;

	if (r->code != 0)
		fail_msg("exit %d, want 0; stderr: %s", r->code, r->err);
	va_start(ap, r);
	while ((line = va_arg(ap, const char *)) != NULL) {
		if (!cfg_has_line(r->out, line)) {
			va_end(ap);
			fail_msg("no line \"%s\" in the output:\n%s", line,
			    r->out);
		}
	}
	va_end(ap);
}

static void
cfg_assert_no_line(const struct harness_run *r, const char *line)
{
	if (cfg_has_line(r->out, line))
		fail_msg("unexpected line \"%s\" in the output:\n%s", line,
		    r->out);
}

/* sluice -c DIR/rel -T, which must exit 0. */
static void
cfg_print(const struct cfx *f, const char *rel, struct harness_run *r)
{
	char	 conf[PATH_MAX];

	cfg_path(f, rel, conf, sizeof(conf));
	cfg_run(r, NULL, "-c", conf, "-T", NULL);
	if (r->code != 0)
		fail_msg("sluice -c %s -T: exit %d, want 0; stderr: %s", conf,
		    r->code, r->err);
}

/* buf = "DIR/rel:line:", how an error names a line of a file. */
static void
cfg_at(const struct cfx *f, const char *rel, int line, char *buf,
    size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s:%d:", f->dir, rel, line) >= len)
		fail_msg("path too long");
}

/*
 * sluice -c DIR/rel -t --root DIR (so that the file, were it accepted,
 * would validate and nothing is ever served): exit 2, nothing on stdout,
 * and stderr containing every string given (NULL-terminated).
 */
static void
cfg_assert_refused(const struct cfx *f, const char *rel, ...)
{
	struct harness_run	 r;
	const char		*want;
	char			 conf[PATH_MAX];
	va_list			 ap;

	cfg_path(f, rel, conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", "--root", f->dir, NULL);
	if (r.code != 2)
		fail_msg("sluice -c %s -t: exit %d, want 2 (stdout: %s, "
		    "stderr: %s)", rel, r.code, r.out, r.err);
	if (r.out_len != 0)
		fail_msg("sluice -c %s -t refused the file but printed: %s",
		    rel, r.out);
	va_start(ap, rel);
	while ((want = va_arg(ap, const char *)) != NULL) {
		if (strstr(r.err, want) == NULL) {
			va_end(ap);
			fail_msg("sluice -c %s -t: stderr does not contain "
			    "\"%s\": %s", rel, want, r.err);
		}
	}
	va_end(ap);
	harness_run_free(&r);
}

/* Number of occurrences of needle in s. */
static int
cfg_count(const char *s, const char *needle)
{
	int	 n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return (n);
}

/*
 * --- File syntax -----------------------------------------------------------
 */

/*
 * Comments (also indented), blank lines, blanks around key and value
 * (spaces and tabs) are accepted; a '#' inside a line is part of the value.
 */
static void
test_config_syntax_comments_blanks(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;

	cfg_put(f, "main.conf",
	    "# sluice test configuration\n"
	    "\n"
	    "   \t \n"
	    "   # an indented comment line\n"
	    "#workers 9\n"
	    "   workers \t  3   \t\n"
	    "\tmax-connections 4321\n"
	    "header   X-Spaced: a b   \n"
	    "header X-Hash: a # b\n"
	    "\n");
	cfg_print(f, "main.conf", &r);
	cfg_assert_lines(&r, "workers 3", "max-connections 4321",
	    "header X-Spaced: a b", "header X-Hash: a # b", NULL);
	cfg_assert_no_line(&r, "workers 9");
	harness_run_free(&r);
}

/* A '#' after a value is not a comment: "workers 2 # two" is a bad value. */
static void
test_config_syntax_inline_hash_is_value(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "main.conf", "# comment\nworkers 2 # two\n");
	cfg_at(f, "main.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "main.conf", at, "--workers",
	    "\"2 # two\"", NULL);
}

/* CRLF line endings, in the main file and in an included one. */
static void
test_config_syntax_crlf(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX], want[PATH_MAX + 16];

	cfg_put(f, "main.conf",
	    "# CRLF file\r\n"
	    "\r\n"
	    "root %s\r\n"
	    "workers 3\r\n"
	    "header X-Crlf: yes\r\n"
	    "autoindex\r\n"
	    "listen 127.0.0.1:0\r\n"
	    "include inc.conf\r\n", f->dir);
	cfg_put(f, "inc.conf", "# included\r\nmax-connections 77\r\n");
	cfg_print(f, "main.conf", &r);
	snprintf(want, sizeof(want), "root %s", f->dir);
	cfg_assert_lines(&r, want, "workers 3", "header X-Crlf: yes",
	    "autoindex on", "listen 127.0.0.1:0", "max-connections 77", NULL);
	if (strchr(r.out, '\r') != NULL)
		fail_msg("a CR survived into the configuration:\n%s", r.out);
	harness_run_free(&r);

	/* The root's trailing CR was trimmed: it opens as a directory. */
	cfg_path(f, "main.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", NULL);
	if (r.code != 0)
		fail_msg("-t on the CRLF file: exit %d: %s", r.code, r.err);
	harness_run_free(&r);
}

/*
 * Options without a command-line value: autoindex takes nothing (on),
 * on/off (and yes/no); verbose takes nothing (+1) or a level 0-3.
 */
static void
test_config_syntax_flag_values(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;

	cfg_put(f, "bare.conf", "autoindex\nverbose\nverbose\n");
	cfg_print(f, "bare.conf", &r);
	cfg_assert_lines(&r, "autoindex on", "verbose 2", NULL);
	harness_run_free(&r);

	cfg_put(f, "onoff.conf", "autoindex on\nautoindex off\nverbose 3\n");
	cfg_print(f, "onoff.conf", &r);
	cfg_assert_lines(&r, "autoindex off", "verbose 3", NULL);
	harness_run_free(&r);

	cfg_put(f, "yes.conf", "autoindex yes\nverbose 2\nverbose 0\n");
	cfg_print(f, "yes.conf", &r);
	cfg_assert_lines(&r, "autoindex on", NULL);
	if (strstr(r.out, "verbose") != NULL && !cfg_has_line(r.out,
	    "verbose 0"))
		fail_msg("verbose 0 did not reset the level:\n%s", r.out);
	harness_run_free(&r);

	cfg_put(f, "no.conf", "autoindex\nautoindex no\n");
	cfg_print(f, "no.conf", &r);
	cfg_assert_lines(&r, "autoindex off", NULL);
	harness_run_free(&r);
}

static void
test_config_error_flag_bad_value(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "auto.conf", "workers 1\nautoindex maybe\n");
	cfg_at(f, "auto.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "auto.conf", at, "--autoindex", "\"maybe\"",
	    NULL);

	cfg_put(f, "verbose.conf", "verbose 4\n");
	cfg_at(f, "verbose.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "verbose.conf", at, "--verbose", "\"4\"", NULL);

	cfg_put(f, "verbose2.conf", "\n\nverbose loud\n");
	cfg_at(f, "verbose2.conf", 3, at, sizeof(at));
	cfg_assert_refused(f, "verbose2.conf", at, "--verbose", "\"loud\"",
	    NULL);
}

/*
 * --- Error paths: FILE:LINE, the option's own message, exit 2 --------------
 */

static void
test_config_error_unknown_key(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "main.conf", "# one\nworkers 2\n\nno-such-key 1\n");
	cfg_at(f, "main.conf", 4, at, sizeof(at));
	cfg_assert_refused(f, "main.conf", at, "no-such-key", NULL);

	/* Command-line spellings are not keys. */
	cfg_put(f, "dash.conf", "--workers 2\n");
	cfg_at(f, "dash.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "dash.conf", at, "--workers", NULL);
	cfg_put(f, "eq.conf", "workers=2\n");
	cfg_at(f, "eq.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "eq.conf", at, "workers=2", NULL);
}

static void
test_config_error_bad_value(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "workers.conf", "# a\n\nlisten 127.0.0.1:0\nworkers 0\n");
	cfg_at(f, "workers.conf", 4, at, sizeof(at));
	cfg_assert_refused(f, "workers.conf", at,
	    "--workers: invalid value \"0\"", "1 to 1024", NULL);

	cfg_put(f, "listen.conf", "listen nonsense\n");
	cfg_at(f, "listen.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "listen.conf", at,
	    "--listen: invalid value \"nonsense\"", NULL);

	cfg_put(f, "timeout.conf", "workers 1\nheader-timeout x\n");
	cfg_at(f, "timeout.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "timeout.conf", at,
	    "--header-timeout: invalid value \"x\"", NULL);

	cfg_put(f, "page.conf", "error-page 404=../x.html\n");
	cfg_at(f, "page.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "page.conf", at,
	    "--error-page: invalid value \"404=../x.html\"", NULL);

	cfg_put(f, "header.conf", "header Content-Length: 5\n");
	cfg_at(f, "header.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "header.conf", at,
	    "--header: invalid value \"Content-Length: 5\"", NULL);
}

static void
test_config_error_missing_value(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "root.conf", "workers 1\nroot\n");
	cfg_at(f, "root.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "root.conf", at, "--root needs a value", NULL);

	/* Blanks after the key are no value either. */
	cfg_put(f, "listen.conf", "listen  \t \n");
	cfg_at(f, "listen.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "listen.conf", at, "--listen needs a value",
	    NULL);
}

/*
 * A line of exactly CFG_LINE_MAX bytes is accepted; one byte more is
 * refused with its line number.
 */
static void
test_config_error_long_line(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			*buf, at[PATH_MAX];
	size_t			 n;

	buf = malloc(3 * CFG_LINE_MAX);
	assert_non_null(buf);

	n = (size_t)snprintf(buf, 64, "# long lines\n#");
	memset(buf + n, 'x', CFG_LINE_MAX - 1);
	n += CFG_LINE_MAX - 1;
	n += (size_t)snprintf(buf + n, 64, "\nworkers 3\n");
	cfg_put_raw(f, "ok.conf", buf, n);
	cfg_print(f, "ok.conf", &r);
	cfg_assert_lines(&r, "workers 3", NULL);
	harness_run_free(&r);

	n = (size_t)snprintf(buf, 64, "workers 3\n\n#");
	memset(buf + n, 'x', CFG_LINE_MAX);
	n += CFG_LINE_MAX;
	n += (size_t)snprintf(buf + n, 64, "\nworkers 4\n");
	cfg_put_raw(f, "long.conf", buf, n);
	cfg_at(f, "long.conf", 3, at, sizeof(at));
	cfg_assert_refused(f, "long.conf", at, "longer than 4096", NULL);

	/* Far longer, at the end of the file without a newline. */
	n = (size_t)snprintf(buf, 64, "header X-Long: ");
	memset(buf + n, 'y', 2 * CFG_LINE_MAX);
	n += 2 * CFG_LINE_MAX;
	cfg_put_raw(f, "longer.conf", buf, n);
	cfg_at(f, "longer.conf", 1, at, sizeof(at));
	cfg_assert_refused(f, "longer.conf", at, "longer than 4096", NULL);
	free(buf);
}

/*
 * CRLF line endings are accepted, so the CR is part of the line ending,
 * not of the line: a 4096-byte line ending in CRLF is not over-long.
 */
static void
test_config_error_long_line_crlf_boundary(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			*buf;
	size_t			 n;

	buf = malloc(2 * CFG_LINE_MAX);
	assert_non_null(buf);
	n = (size_t)snprintf(buf, 64, "# long lines\r\n#");
	memset(buf + n, 'x', CFG_LINE_MAX - 1);
	n += CFG_LINE_MAX - 1;
	n += (size_t)snprintf(buf + n, 64, "\r\nworkers 3\r\n");
	cfg_put_raw(f, "crlf.conf", buf, n);
	free(buf);
	cfg_print(f, "crlf.conf", &r);
	cfg_assert_lines(&r, "workers 3", NULL);
	harness_run_free(&r);
}

/* config, check, print-config, help and version are refused in a file. */
static void
test_config_error_refused_keys(void **state)
{
	static const char *const keys[] = { "config", "check",
	    "print-config", "help", "version" };
	struct cfx	*f = *state;
	char		 rel[64], at[PATH_MAX], other[PATH_MAX];
	size_t		 i;

	cfg_put(f, "other.conf", "workers 2\n");
	cfg_path(f, "other.conf", other, sizeof(other));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(rel, sizeof(rel), "%s.conf", keys[i]);
		if (strcmp(keys[i], "config") == 0)
			cfg_put(f, rel, "config %s\n", other);
		else
			cfg_put(f, rel, "%s\n", keys[i]);
		cfg_at(f, rel, 1, at, sizeof(at));
		cfg_assert_refused(f, rel, at, keys[i], NULL);
		/* Also with a value. */
		cfg_put(f, rel, "# refused\n%s on\n", keys[i]);
		cfg_at(f, rel, 2, at, sizeof(at));
		cfg_assert_refused(f, rel, at, keys[i], NULL);
	}
}

static void
test_config_error_missing_file(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX];

	cfg_path(f, "no-such.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", "--root", f->dir, NULL);
	if (r.code != 2)
		fail_msg("-c of a missing file: exit %d, want 2", r.code);
	assert_int_equal(r.out_len, 0);
	assert_non_null(strstr(r.err, "--config"));
	assert_non_null(strstr(r.err, conf));
	assert_non_null(strstr(r.err, strerror(ENOENT)));
	harness_run_free(&r);

	/* The same without -t: it must not start a server either. */
	cfg_run(&r, NULL, "--config", conf, "--listen", "127.0.0.1:0",
	    "--root", f->dir, NULL);
	assert_int_equal(r.code, 2);
	assert_non_null(strstr(r.err, conf));
	harness_run_free(&r);
}

/*
 * --- include -----------------------------------------------------------------
 */

/*
 * A glob relative to the including file's directory (not to the working
 * directory), its matches in order; nested includes are relative to their
 * own file; a pattern that matches nothing is fine.
 */
static void
test_config_include_relative_glob(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	const char		*a, *b;

	cfg_put(f, "main.conf",
	    "workers 2\n"
	    "include conf.d/*.conf\n"
	    "include sub/inner.conf\n");
	cfg_put(f, "conf.d/20-b.conf", "workers 4\nheader X-B: b\n");
	cfg_put(f, "conf.d/10-a.conf", "workers 3\nheader X-A: a\n");
	cfg_put(f, "conf.d/ignored.txt", "this is not read\n");
	cfg_put(f, "sub/inner.conf", "include leaf.conf\n");
	cfg_put(f, "sub/leaf.conf", "max-connections 222\n");
	/* A decoy next to main.conf: "leaf.conf" in sub/ is sub/leaf.conf. */
	cfg_put(f, "leaf.conf", "max-connections 111\n");

	cfg_print(f, "main.conf", &r);
	cfg_assert_lines(&r, "workers 4", "header X-A: a", "header X-B: b",
	    "max-connections 222", NULL);
	a = strstr(r.out, "header X-A: a");
	b = strstr(r.out, "header X-B: b");
	if (a == NULL || b == NULL || a > b)
		fail_msg("conf.d/*.conf not read in order:\n%s", r.out);
	harness_run_free(&r);

	/* A relative -c: includes follow the file, not the cwd. */
	cfg_put(f, "rel/main.conf", "include leaf.conf\n");
	cfg_put(f, "rel/leaf.conf", "max-connections 333\n");
	cfg_run(&r, f->dir, "-c", "rel/main.conf", "-T", NULL);
	cfg_assert_lines(&r, "max-connections 333", NULL);
	harness_run_free(&r);
	cfg_run(&r, f->dir, "-c", "sub/inner.conf", "-T", NULL);
	cfg_assert_lines(&r, "max-connections 222", NULL);
	harness_run_free(&r);
	/* A bare file name in the cwd. */
	cfg_run(&r, f->dir, "-c", "main.conf", "-T", NULL);
	cfg_assert_lines(&r, "workers 4", "max-connections 222", NULL);
	harness_run_free(&r);
}

/*
 * A pattern with wildcards may match nothing: no file in an existing
 * directory, and no directory for its directory part (a pattern in
 * conf.d before anyone made conf.d).
 */
static void
test_config_include_glob_matches_nothing(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;

	assert_int_equal(harness_mkdir(f->dir, "empty.d"), 0);
	cfg_put(f, "files.conf", "workers 2\ninclude nothing-*.conf\n"
	    "include empty.d/*.conf\ninclude ?none?.conf\nworkers 3\n");
	cfg_print(f, "files.conf", &r);
	cfg_assert_lines(&r, "workers 3", NULL);
	harness_run_free(&r);

	cfg_put(f, "dirs.conf", "workers 2\ninclude none.d/*.conf\n"
	    "workers 3\n");
	cfg_print(f, "dirs.conf", &r);
	cfg_assert_lines(&r, "workers 3", NULL);
	harness_run_free(&r);
}

/* A plain name that does not exist: the include line's FILE:LINE. */
static void
test_config_include_missing_plain(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "main.conf", "workers 2\ninclude missing.conf\n");
	cfg_at(f, "main.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "main.conf", "missing.conf", NULL);
	cfg_assert_refused(f, "main.conf", at, NULL);

	/* In an included file, that file and its line are named. */
	cfg_put(f, "top.conf", "include sub/mid.conf\n");
	cfg_put(f, "sub/mid.conf", "# mid\n\ninclude gone.conf\n");
	cfg_at(f, "sub/mid.conf", 3, at, sizeof(at));
	cfg_assert_refused(f, "top.conf", "gone.conf", NULL);
	cfg_assert_refused(f, "top.conf", at, NULL);
}

/* "include" without a pattern is a missing value, at its line. */
static void
test_config_include_missing_pattern(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "main.conf", "workers 2\ninclude   \n");
	cfg_at(f, "main.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "main.conf", "include", NULL);
	cfg_assert_refused(f, "main.conf", at, NULL);
}

/* A bad line of an included file names that file and its own line. */
static void
test_config_include_error_names_included_file(void **state)
{
	struct cfx	*f = *state;
	char		 at[PATH_MAX];

	cfg_put(f, "main.conf", "# main\ninclude inc.d/*.conf\n");
	cfg_put(f, "inc.d/a.conf", "workers 2\nworkers abc\n");
	cfg_at(f, "inc.d/a.conf", 2, at, sizeof(at));
	cfg_assert_refused(f, "main.conf", at,
	    "--workers: invalid value \"abc\"", NULL);
}

/* a.conf includes b.conf includes a.conf: refused, not a hang. */
static void
test_config_include_loop(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX], at_a[PATH_MAX],
				 at_b[PATH_MAX];

	cfg_put(f, "a.conf", "# loop, part a\ninclude b.conf\n");
	cfg_put(f, "b.conf", "# loop, part b\ninclude a.conf\n");
	cfg_assert_refused(f, "a.conf", "deeper than 8", NULL);

	/* Named by an include line: a.conf:2: or b.conf:2:. */
	cfg_at(f, "a.conf", 2, at_a, sizeof(at_a));
	cfg_at(f, "b.conf", 2, at_b, sizeof(at_b));
	cfg_path(f, "a.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", "--root", f->dir, NULL);
	assert_int_equal(r.code, 2);
	if (strstr(r.err, at_a) == NULL && strstr(r.err, at_b) == NULL)
		fail_msg("the include loop's error names no FILE:LINE of an "
		    "include line: %s", r.err);
	harness_run_free(&r);

	/* A file including itself. */
	cfg_put(f, "self.conf", "include self.conf\n");
	cfg_assert_refused(f, "self.conf", "self.conf", "deeper than 8",
	    NULL);
}

/*
 * Nesting: main includes d1, d1 includes d2, ... Eight levels are read,
 * a ninth is refused.
 */
static void
test_config_include_depth(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 rel[64], at[PATH_MAX];
	int			 i;

	cfg_put(f, "ok/main.conf", "include d1.conf\n");
	for (i = 1; i < CFG_INCLUDE_DEPTH; i++) {
		snprintf(rel, sizeof(rel), "ok/d%d.conf", i);
		cfg_put(f, rel, "include d%d.conf\n", i + 1);
	}
	snprintf(rel, sizeof(rel), "ok/d%d.conf", CFG_INCLUDE_DEPTH);
	cfg_put(f, rel, "workers 5\n");
	cfg_print(f, "ok/main.conf", &r);
	cfg_assert_lines(&r, "workers 5", NULL);
	harness_run_free(&r);

	cfg_put(f, "deep/main.conf", "include d1.conf\n");
	for (i = 1; i <= CFG_INCLUDE_DEPTH; i++) {
		snprintf(rel, sizeof(rel), "deep/d%d.conf", i);
		cfg_put(f, rel, "# level %d\ninclude d%d.conf\n", i, i + 1);
	}
	snprintf(rel, sizeof(rel), "deep/d%d.conf", CFG_INCLUDE_DEPTH + 1);
	cfg_put(f, rel, "workers 5\n");
	snprintf(rel, sizeof(rel), "deep/d%d.conf", CFG_INCLUDE_DEPTH);
	cfg_at(f, rel, 2, at, sizeof(at));
	cfg_assert_refused(f, "deep/main.conf", "deeper than 8", NULL);
	cfg_assert_refused(f, "deep/main.conf", at, NULL);
}

/*
 * --- The command line wins -------------------------------------------------
 */

static void
test_config_cmdline_overrides_scalar(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX], other[PATH_MAX],
				 want[PATH_MAX + 16];

	cfg_put(f, "main.conf", "root %s\nworkers 3\nheader-timeout 7\n"
	    "dotfiles allow\nautoindex off\n", f->dir);
	cfg_path(f, "main.conf", conf, sizeof(conf));
	cfg_path(f, "other", other, sizeof(other));
	assert_int_equal(harness_mkdir(f->dir, "other"), 0);

	/* Before and after -c: the command line wins either way. */
	cfg_run(&r, NULL, "--workers", "2", "-c", conf, "--autoindex",
	    "--dotfiles", "deny", "-T", NULL);
	cfg_assert_lines(&r, "workers 2", "header-timeout 7",
	    "dotfiles deny", "autoindex on", NULL);
	harness_run_free(&r);

	/* The ROOT argument and --root replace the file's root. */
	snprintf(want, sizeof(want), "root %s", other);
	cfg_run(&r, NULL, "-c", conf, "-T", other, NULL);
	cfg_assert_lines(&r, want, "workers 3", NULL);
	harness_run_free(&r);
	cfg_run(&r, NULL, "-c", conf, "-r", other, "-T", NULL);
	cfg_assert_lines(&r, want, NULL);
	harness_run_free(&r);
}

/*
 * A list given on the command line replaces the file's whole list; lists
 * not given there keep the file's.
 */
static void
test_config_cmdline_replaces_list(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX];

	cfg_put(f, "main.conf",
	    "listen 127.0.0.1:1001\n"
	    "listen 127.0.0.1:1002\n"
	    "header X-File: 1\n"
	    "header X-File2: 2\n"
	    "error-page 404=nf.html\n"
	    "error-page 500=oops.html\n"
	    "cache-control .css=max-age=1\n");
	cfg_path(f, "main.conf", conf, sizeof(conf));

	cfg_run(&r, NULL, "-c", conf, "--listen", "127.0.0.1:2001",
	    "--header", "X-Cmd: 1", "--cache-control", ".js=no-cache",
	    "--listen", "127.0.0.1:2002", "-T", NULL);
	cfg_assert_lines(&r, "listen 127.0.0.1:2001", "listen 127.0.0.1:2002",
	    "header X-Cmd: 1", "cache-control .js=no-cache",
	    "error-page 404=nf.html", "error-page 500=oops.html", NULL);
	cfg_assert_no_line(&r, "listen 127.0.0.1:1001");
	cfg_assert_no_line(&r, "listen 127.0.0.1:1002");
	cfg_assert_no_line(&r, "header X-File: 1");
	cfg_assert_no_line(&r, "header X-File2: 2");
	cfg_assert_no_line(&r, "cache-control .css=max-age=1");
	harness_run_free(&r);

	cfg_run(&r, NULL, "--error-page", "403=denied.html", "-c", conf, "-T",
	    NULL);
	cfg_assert_lines(&r, "error-page 403=denied.html",
	    "listen 127.0.0.1:1001", "listen 127.0.0.1:1002",
	    "header X-File: 1", NULL);
	cfg_assert_no_line(&r, "error-page 404=nf.html");
	cfg_assert_no_line(&r, "error-page 500=oops.html");
	harness_run_free(&r);
}

/* -v on the command line replaces the file's level, like any option. */
static void
test_config_cmdline_replaces_verbose(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX];

	cfg_put(f, "main.conf", "verbose 3\n");
	cfg_path(f, "main.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-v", "-T", NULL);
	cfg_assert_lines(&r, "verbose 1", NULL);
	harness_run_free(&r);
}

/*
 * A real server: the file lists an address that cannot be bound and
 * another; the command line's --listen replaces both, so it starts and
 * listens on exactly one address. The file's scalars still apply unless
 * given on the command line.
 */
static void
test_config_cmdline_listen_server(void **state)
{
	struct cfx		*f = *state;
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 resp;
	char			 conf[PATH_MAX], *log;
	const char		*args[] = { "-c", conf, "--listen",
	    "127.0.0.1:0", "--workers", "1", NULL };
	int			 st;

	cfg_put(f, "www/index.html", "<p>override</p>\n");
	cfg_put(f, "main.conf", "listen " CFG_UNBINDABLE "\n"
	    "listen 127.0.0.1:0\nroot %s/www\nworkers 3\n"
	    "header X-From-File: yes\n", f->dir);
	cfg_path(f, "main.conf", conf, sizeof(conf));
	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&srv, &o) == -1) {
		if (harness_log_read(&srv, &log, NULL) == 0) {
			fprintf(stderr, "%s", log);
			free(log);
		}
		harness_server_cleanup(&srv);
		fail_msg("sluice -c FILE --listen 127.0.0.1:0 did not start: "
		    "%s", strerror(errno));
	}
	assert_int_equal(harness_log_read(&srv, &log, NULL), 0);
	if (cfg_count(log, "listening on") != 1 ||
	    strstr(log, "with 1 workers") == NULL)
		fail_msg("want one listener and 1 worker, log:\n%s", log);
	free(log);
	assert_int_equal(harness_get(srv.port, "/", &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "<p>override</p>\n");
	assert_non_null(harness_response_header(&resp, "X-From-File"));
	harness_response_free(&resp);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
}

/*
 * --- No file without -c ----------------------------------------------------
 */

/*
 * A bare sluice reads no file, not even one called sluice.conf in its
 * working directory: a broken one there changes nothing, and -T shows the
 * defaults.
 */
static void
test_config_no_file_without_c(void **state)
{
	static const char	 broken[] = "this is no configuration\n"
	    "listen 127.0.0.1:1\nmax-connections 4321\n";
	struct cfx		*f = *state;
	struct harness_run	 r;

	cfg_put(f, "html/hello.html", "<p>hello</p>\n");
	cfg_put(f, "sluice.conf", "%s", broken);
	cfg_put(f, ".sluice.conf", "%s", broken);
	cfg_put(f, "sluice.cfg", "%s", broken);
	cfg_put(f, "etc/sluice.conf", "%s", broken);
	cfg_put(f, "etc/sluice/sluice.conf", "%s", broken);

	cfg_run(&r, f->dir, "-t", NULL);
	if (r.code != 0 || strstr(r.out, "is valid") == NULL)
		fail_msg("sluice -t without -c: exit %d, stdout %s, stderr %s",
		    r.code, r.out, r.err);
	harness_run_free(&r);

	cfg_run(&r, f->dir, "-T", NULL);
	cfg_assert_lines(&r, "listen 127.0.0.1:7878", "root html",
	    "max-connections 10000", "header-timeout 10",
	    "keepalive-timeout 60", "send-timeout 60", "shutdown-timeout 30",
	    "backlog 4096", "max-body 1048576", "sleep-route 0",
	    "index index.html hello.html", "autoindex off", "dotfiles deny",
	    "symlinks inside", "precompressed on", "nosniff on", NULL);
	cfg_assert_no_line(&r, "max-connections 4321");
	cfg_assert_no_line(&r, "listen 127.0.0.1:1");
	if (strstr(r.out, "\nheader ") != NULL ||
	    strstr(r.out, "\nerror-page ") != NULL ||
	    strstr(r.out, "\ncache-control ") != NULL ||
	    strstr(r.out, "\nverbose") != NULL)
		fail_msg("a bare sluice has lists or levels set:\n%s", r.out);
	harness_run_free(&r);
}

/*
 * --- -t, --check ---------------------------------------------------------
 */

static void
test_config_check_valid(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r;
	char			 conf[PATH_MAX], want[PATH_MAX + 64];

	assert_int_equal(harness_mkdir(f->dir, "www"), 0);
	assert_int_equal(harness_mkdir(f->dir, "hosts"), 0);
	assert_int_equal(harness_mkdir(f->dir, "logs"), 0);
	cfg_put(f, "main.conf", "root %s/www\nvhost-root %s/hosts\n"
	    "access-log %s/logs/access.log\nlisten 127.0.0.1:0\n", f->dir,
	    f->dir, f->dir);
	cfg_path(f, "main.conf", conf, sizeof(conf));
	snprintf(want, sizeof(want), "sluice: the configuration in %s is "
	    "valid\n", conf);

	cfg_run(&r, NULL, "-c", conf, "-t", NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, want);
	assert_int_equal(r.err_len, 0);
	harness_run_free(&r);
	cfg_run(&r, NULL, "--check", "--config", conf, NULL);
	assert_int_equal(r.code, 0);
	assert_string_equal(r.out, want);
	harness_run_free(&r);
	/* -t opened the log's directory only: no log file was created. */
	assert_int_equal(access(conf, R_OK), 0);
	snprintf(want, sizeof(want), "%s/logs/access.log", f->dir);
	assert_int_equal(access(want, F_OK), -1);
}

/* The error of -t: on stderr, naming the option, exit 2. */
static void
assert_check_fails(const struct cfx *f, const char *text,
    const char *option, const char *path)
{
	struct harness_run	 r;
	char			 conf[PATH_MAX];

	cfg_put(f, "check.conf", "%s", text);
	cfg_path(f, "check.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", NULL);
	if (r.code != 2)
		fail_msg("-t with \"%s\": exit %d, want 2 (stdout %s)", text,
		    r.code, r.out);
	if (r.out_len != 0)
		fail_msg("-t failed but printed: %s", r.out);
	if (strstr(r.err, option) == NULL || strstr(r.err, path) == NULL)
		fail_msg("-t with \"%s\": stderr does not name %s and %s: %s",
		    text, option, path, r.err);
	harness_run_free(&r);
}

static void
test_config_check_root_not_directory(void **state)
{
	struct cfx	*f = *state;
	char		 text[2 * PATH_MAX], path[PATH_MAX];

	cfg_put(f, "plain.txt", "a file\n");
	cfg_path(f, "plain.txt", path, sizeof(path));
	snprintf(text, sizeof(text), "root %s\n", path);
	assert_check_fails(f, text, "--root", path);

	cfg_path(f, "no-such-dir", path, sizeof(path));
	snprintf(text, sizeof(text), "root %s\n", path);
	assert_check_fails(f, text, "--root", path);
}

static void
test_config_check_vhost_root_missing(void **state)
{
	struct cfx	*f = *state;
	char		 text[3 * PATH_MAX], path[PATH_MAX];

	cfg_path(f, "no-hosts", path, sizeof(path));
	snprintf(text, sizeof(text), "root %s\nvhost-root %s\n", f->dir, path);
	assert_check_fails(f, text, "--vhost-root", path);

	cfg_put(f, "hosts-file", "not a directory\n");
	cfg_path(f, "hosts-file", path, sizeof(path));
	snprintf(text, sizeof(text), "root %s\nvhost-root %s\n", f->dir, path);
	assert_check_fails(f, text, "--vhost-root", path);
}

static void
test_config_check_access_log_dir(void **state)
{
	struct cfx	*f = *state;
	char		 text[3 * PATH_MAX], dir[PATH_MAX];

	cfg_path(f, "no-logs", dir, sizeof(dir));
	snprintf(text, sizeof(text), "root %s\naccess-log %s/access.log\n",
	    f->dir, dir);
	assert_check_fails(f, text, "--access-log", dir);
}

/*
 * Nothing is bound: -t accepts a configuration listening on the port a
 * running server holds (which a real start refuses), and on an address
 * this host does not have.
 */
static void
test_config_check_port_in_use(void **state)
{
	struct cfx		*f = *state;
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 resp;
	struct harness_run	 r;
	const char		*args[] = { "--root", f->dir, "--workers", "1",
	    NULL };
	char			 conf[PATH_MAX], want[PATH_MAX + 64];
	int			 st;

	memset(&o, 0, sizeof(o));
	o.args = args;
	if (harness_server_start(&srv, &o) == -1) {
		harness_server_cleanup(&srv);
		fail_msg("cannot start the port holder: %s", strerror(errno));
	}
	cfg_put(f, "main.conf", "listen 127.0.0.1:%d\nroot %s\nworkers 1\n",
	    srv.port, f->dir);
	cfg_path(f, "main.conf", conf, sizeof(conf));
	snprintf(want, sizeof(want), "sluice: the configuration in %s is "
	    "valid\n", conf);

	cfg_run(&r, NULL, "-c", conf, "-t", NULL);
	if (r.code != 0)
		fail_msg("-t while port %d is held: exit %d: %s", srv.port,
		    r.code, r.err);
	assert_string_equal(r.out, want);
	harness_run_free(&r);

	/* The control: the port is really held, a real start fails. */
	cfg_run(&r, NULL, "-c", conf, NULL);
	if (r.code == 0)
		fail_msg("a second server started on the held port %d",
		    srv.port);
	harness_run_free(&r);

	cfg_put(f, "far.conf", "listen " CFG_UNBINDABLE "\nroot %s\n", f->dir);
	cfg_path(f, "far.conf", conf, sizeof(conf));
	cfg_run(&r, NULL, "-c", conf, "-t", NULL);
	if (r.code != 0)
		fail_msg("-t with listen %s: exit %d: %s", CFG_UNBINDABLE,
		    r.code, r.err);
	harness_run_free(&r);

	/* The holder was not disturbed. */
	assert_int_equal(harness_get(srv.port, "/", &resp), 0);
	assert_true(resp.status > 0);
	harness_response_free(&resp);
	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
}

/*
 * --- -T, --print-config ----------------------------------------------------
 */

/*
 * -T prints every option of a rich file; that output, read back with -c,
 * prints the identical text, and validates with -t.
 */
static void
test_config_print_round_trip(void **state)
{
	struct cfx		*f = *state;
	struct harness_run	 r1, r2, r3;
	char			 conf[PATH_MAX], printed[PATH_MAX],
				 want[PATH_MAX + 32];

	assert_int_equal(harness_mkdir(f->dir, "www"), 0);
	assert_int_equal(harness_mkdir(f->dir, "hosts"), 0);
	cfg_put(f, "main.conf",
	    "listen 127.0.0.1:0\n"
	    "listen [::1]:0\n"
	    "root %s/www\n"
	    "workers 3\n"
	    "max-connections 500\n"
	    "header-timeout 0.5\n"
	    "keepalive-timeout 0\n"
	    "send-timeout 7.25\n"
	    "shutdown-timeout 2\n"
	    "backlog 128\n"
	    "max-body 2m\n"
	    "sleep-route 1\n"
	    "port-file %s/port\n"
	    "access-log %s/access.log\n"
	    "index a.html,b.html\n"
	    "autoindex on\n"
	    "dotfiles allow\n"
	    "symlinks never\n"
	    "precompressed off\n"
	    "nosniff off\n"
	    "error-page 404=errors/nf.html\n"
	    "error-page 500=errors/oops page.html\n"
	    "header X-One: 1\n"
	    "header X-Two: two words # not a comment\n"
	    "cache-control .css,.js=max-age=31536000,immutable\n"
	    "cache-control .html=no-cache\n"
	    "vhost-root %s/hosts\n"
	    "verbose 2\n", f->dir, f->dir, f->dir, f->dir);
	cfg_print(f, "main.conf", &r1);
	snprintf(want, sizeof(want), "root %s/www", f->dir);
	cfg_assert_lines(&r1, "listen 127.0.0.1:0", "listen [::1]:0", want,
	    "workers 3", "max-connections 500", "keepalive-timeout 0",
	    "shutdown-timeout 2", "backlog 128", "max-body 2097152",
	    "sleep-route 1", "index a.html b.html", "autoindex on",
	    "dotfiles allow", "symlinks never", "precompressed off",
	    "nosniff off", "error-page 404=errors/nf.html",
	    "error-page 500=errors/oops page.html", "header X-One: 1",
	    "header X-Two: two words # not a comment",
	    "cache-control .css,.js=max-age=31536000,immutable",
	    "cache-control .html=no-cache", "verbose 2", NULL);
	snprintf(want, sizeof(want), "vhost-root %s/hosts", f->dir);
	cfg_assert_lines(&r1, want, NULL);
	snprintf(want, sizeof(want), "access-log %s/access.log", f->dir);
	cfg_assert_lines(&r1, want, NULL);
	if (strstr(r1.out, "\nconfig") != NULL ||
	    strstr(r1.out, "\ncheck") != NULL ||
	    strstr(r1.out, "\nprint-config") != NULL)
		fail_msg("-T prints command-line-only options:\n%s", r1.out);

	cfg_put_raw(f, "printed.conf", r1.out, r1.out_len);
	cfg_print(f, "printed.conf", &r2);
	assert_string_equal(r2.out, r1.out);
	cfg_path(f, "printed.conf", printed, sizeof(printed));
	cfg_run(&r3, NULL, "-c", printed, "-t", NULL);
	if (r3.code != 0)
		fail_msg("-t on the -T output: exit %d: %s", r3.code, r3.err);
	harness_run_free(&r3);

	/* With the command line on top, -T shows the effective values. */
	cfg_path(f, "main.conf", conf, sizeof(conf));
	cfg_run(&r3, NULL, "-c", conf, "--workers", "1", "--header",
	    "X-Cmd: yes", "-T", NULL);
	cfg_assert_lines(&r3, "workers 1", "header X-Cmd: yes",
	    "max-connections 500", NULL);
	cfg_assert_no_line(&r3, "header X-One: 1");
	harness_run_free(&r3);
	harness_run_free(&r2);
	harness_run_free(&r1);
}

/* A command-line-only configuration round-trips too: -T, then -c -T. */
static void
assert_cmdline_round_trip(const struct cfx *f, const char *opt,
    const char *value)
{
	struct harness_run	 r1, r2;
	char			 printed[PATH_MAX];

	if (value != NULL)
		cfg_run(&r1, NULL, "--root", f->dir, opt, value, "-T", NULL);
	else
		cfg_run(&r1, NULL, "--root", f->dir, opt, "-T", NULL);
	if (r1.code != 0)
		fail_msg("sluice %s %s -T: exit %d: %s", opt,
		    value != NULL ? value : "", r1.code, r1.err);
	cfg_put_raw(f, "printed.conf", r1.out, r1.out_len);
	cfg_path(f, "printed.conf", printed, sizeof(printed));
	cfg_run(&r2, NULL, "-c", printed, "-T", NULL);
	if (r2.code != 0)
		fail_msg("the -T output of %s %s does not read back: exit "
		    "%d: %s\nthe file:\n%s", opt, value != NULL ? value : "",
		    r2.code, r2.err, r1.out);
	if (strcmp(r1.out, r2.out) != 0)
		fail_msg("the -T output of %s %s does not round-trip:\n"
		    "first:\n%s\nread back:\n%s", opt,
		    value != NULL ? value : "", r1.out, r2.out);
	harness_run_free(&r2);
	harness_run_free(&r1);
}

/* -vvvv is accepted on the command line; its -T output must read back. */
static void
test_config_print_round_trip_verbose(void **state)
{
	struct cfx	*f = *state;

	assert_cmdline_round_trip(f, "-vv", NULL);
	assert_cmdline_round_trip(f, "-vvvv", NULL);
}

/*
 * A --header value with a trailing blank is accepted on the command line;
 * -T must print something that reads back to the same header.
 */
static void
test_config_print_round_trip_header_blank(void **state)
{
	struct cfx	*f = *state;

	assert_cmdline_round_trip(f, "--header", "X-Tab: a\tb");
	assert_cmdline_round_trip(f, "--header", "X-Trail: v ");
}

/*
 * --- A real server from a file ---------------------------------------------
 */

/*
 * listen, root, workers, header-timeout, autoindex, header, cache-control
 * and error-page all come from the file (no option but -c), and the
 * server serves accordingly.
 */
static void
test_config_server_from_file(void **state)
{
	static const char	 nf[] = "<p>not found, from the file</p>\n";
	struct cfx		*f = *state;
	struct harness_server	 srv;
	struct harness_opts	 o;
	struct harness_response	 resp;
	struct harness_client	 c;
	char			 conf[PATH_MAX], *log = NULL, *p;
	const char		*args[] = { "-c", conf, NULL }, *v;
	int64_t			 t0, dt;
	long			 port;
	int			 st;

	cfg_put(f, "www/index.html", "<p>home</p>\n");
	cfg_put(f, "www/sub/a-file.txt", "a\n");
	cfg_put(f, "www/sub/b-file.txt", "b\n");
	cfg_put(f, "www/style.css", "p { }\n");
	cfg_put(f, "www/errors/nf.html", "%s", nf);
	cfg_put(f, "main.conf",
	    "# a served configuration\n"
	    "listen 127.0.0.1:0\n"
	    "root %s/www\n"
	    "workers 1\n"
	    "header-timeout %d\n"
	    "autoindex on\n"
	    "header X-Conf: from-file\n"
	    "header X-Second: two\n"
	    "cache-control .css=max-age=60\n"
	    "error-page 404=errors/nf.html\n", f->dir, CFG_HEADER_S);
	cfg_path(f, "main.conf", conf, sizeof(conf));

	memset(&o, 0, sizeof(o));
	o.args = args;
	o.bare = true;		/* no --listen, no --port-file: only -c */
	assert_int_equal(harness_server_start(&srv, &o), 0);
	if (harness_server_wait_log(&srv, "serving ", CFG_TIMEOUT_MS) == -1 ||
	    harness_log_read(&srv, &log, NULL) == -1) {
		if (log == NULL)
			(void)harness_log_read(&srv, &log, NULL);
		fail_msg("sluice -c FILE did not start: %s; log:\n%s",
		    strerror(errno), log != NULL ? log : "");
	}
	if (cfg_count(log, "listening on") != 1 ||
	    (p = strstr(log, "listening on 127.0.0.1:")) == NULL)
		fail_msg("want one listener on 127.0.0.1, log:\n%s", log);
	port = strtol(p + strlen("listening on 127.0.0.1:"), NULL, 10);
	assert_true(port > 0 && port < 65536);
	if (strstr(log, "with 1 workers") == NULL)
		fail_msg("workers 1 not applied, log:\n%s", log);
	free(log);

	/* root, header. */
	assert_int_equal(harness_get((int)port, "/", &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_string_equal(resp.body, "<p>home</p>\n");
	v = harness_response_header(&resp, "X-Conf");
	assert_non_null(v);
	assert_string_equal(v, "from-file");
	v = harness_response_header(&resp, "X-Second");
	assert_non_null(v);
	assert_string_equal(v, "two");
	harness_response_free(&resp);

	/* autoindex: a directory without an index file is listed. */
	assert_int_equal(harness_get((int)port, "/sub/", &resp), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body, "a-file.txt"));
	assert_non_null(strstr(resp.body, "b-file.txt"));
	harness_response_free(&resp);

	/* cache-control. */
	assert_int_equal(harness_get((int)port, "/style.css", &resp), 0);
	assert_int_equal(resp.status, 200);
	v = harness_response_header(&resp, "Cache-Control");
	assert_non_null(v);
	assert_string_equal(v, "max-age=60");
	harness_response_free(&resp);

	/* error-page. */
	assert_int_equal(harness_get((int)port, "/missing.html", &resp), 0);
	assert_int_equal(resp.status, 404);
	assert_string_equal(resp.body, nf);
	harness_response_free(&resp);

	/* header-timeout: a partial head gets 408 after 1 s, not 10 s. */
	assert_int_equal(harness_client_connect(&c, (int)port, 0), 0);
	t0 = harness_now_ms();
	assert_int_equal(harness_client_send_str(&c, "GET / HTTP/1.1\r\n"
	    "Host: a\r\n", CFG_TIMEOUT_MS), 0);
	assert_int_equal(harness_client_read_response(&c, &resp, 0,
	    CFG_TIMEOUT_MS), 0);
	dt = harness_now_ms() - t0;
	assert_int_equal(resp.status, 408);
	if (dt < CFG_HEADER_MIN_MS || dt > CFG_HEADER_MAX_MS)
		fail_msg("408 after %lld ms with header-timeout %d, want "
		    "%d..%d ms", (long long)dt, CFG_HEADER_S,
		    CFG_HEADER_MIN_MS, CFG_HEADER_MAX_MS);
	harness_response_free(&resp);
	harness_client_close(&c);

	assert_int_equal(harness_server_stop(&srv, &st), 0);
	assert_int_equal(harness_exit_code(st), 0);
	harness_server_cleanup(&srv);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, cfx_setup, cfx_teardown)
		T(test_config_syntax_comments_blanks),
		T(test_config_syntax_inline_hash_is_value),
		T(test_config_syntax_crlf),
		T(test_config_syntax_flag_values),
		T(test_config_error_flag_bad_value),
		T(test_config_error_unknown_key),
		T(test_config_error_bad_value),
		T(test_config_error_missing_value),
		T(test_config_error_long_line),
		T(test_config_error_long_line_crlf_boundary),
		T(test_config_error_refused_keys),
		T(test_config_error_missing_file),
		T(test_config_include_relative_glob),
		T(test_config_include_glob_matches_nothing),
		T(test_config_include_missing_plain),
		T(test_config_include_missing_pattern),
		T(test_config_include_error_names_included_file),
		T(test_config_include_loop),
		T(test_config_include_depth),
		T(test_config_cmdline_overrides_scalar),
		T(test_config_cmdline_replaces_list),
		T(test_config_cmdline_replaces_verbose),
		T(test_config_cmdline_listen_server),
		T(test_config_no_file_without_c),
		T(test_config_check_valid),
		T(test_config_check_root_not_directory),
		T(test_config_check_vhost_root_missing),
		T(test_config_check_access_log_dir),
		T(test_config_check_port_in_use),
		T(test_config_print_round_trip),
		T(test_config_print_round_trip_verbose),
		T(test_config_print_round_trip_header_blank),
		T(test_config_server_from_file),
#undef T
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
