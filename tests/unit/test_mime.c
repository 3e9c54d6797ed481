/* sluice - ISC licence, see COPYING. */

/*
 * Unit tests for mime.c: parsing mime.types text, lookups by extension,
 * the built-in table (whose sort order the binary search relies on: every
 * entry must be found), and loading from a file.
 */

#include "config.h"

#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime.h"

struct lookup_case {
	const char	*name;
	const char	*type;
};

static void	 check_lookups(const struct mime *, const struct lookup_case *,
		    size_t);

/*
 * Comments, blank lines, CRLF, a type without extensions, a line without a
 * type, an extension claimed twice (the first line must win, although its
 * type sorts after the second's), a file entry overriding a built-in one,
 * an "extension" with a slash (so that "dir.d/file", whose text after its
 * last dot is "d/file", would find it if the directory's dot were taken
 * for the file's), and a last line without a newline.
 */
static const char sample[] =
    "# mime.types for the tests\n"
    "\n"
    "   \t  \n"
    "text/html\t\t\t\thtml htm   # trailing comment\n"
    "application/x-no-extensions\n"
    "text/plain txt TEXT\r\n"
    "\r\n"
    "application/gzip\tgz\n"
    "application/x-tar tar\n"
    "zz/first dup\n"
    "aa/second dup DUP2\n"
    "mm/third dup2\n"
    "# text/x-commented cmt\n"
    "noslash ext1\n"
    "text/x-custom-css css\n"
    "application/json json\n"
    "text/x-slash d/file\n"
    "video/x-last last";

static const struct lookup_case sample_cases[] = {
	{ "a.html", "text/html" },
	{ "A.HTML", "text/html" },
	{ "index.Html", "text/html" },
	{ "a.htm", "text/html" },
	{ "a.txt", "text/plain" },
	{ "a.text", "text/plain" },		/* "TEXT" before a CR */
	{ "a.TeXt", "text/plain" },
	{ "a.gz", "application/gzip" },
	{ "a.tar.gz", "application/gzip" },	/* the last extension */
	{ "a.gz.tar", "application/x-tar" },
	{ "a.TAR.GZ", "application/gzip" },
	{ "a.dup", "zz/first" },
	{ "a.DUP", "zz/first" },
	{ "a.dup2", "aa/second" },
	{ "a.cmt", MIME_DEFAULT_TYPE },		/* commented out */
	{ "a.ext1", MIME_DEFAULT_TYPE },	/* line without a type */
	{ "a.comment", MIME_DEFAULT_TYPE },
	{ "a.css", "text/x-custom-css" },	/* the file beats built-in */
	{ "a.json", "application/json" },
	{ "a.last", "video/x-last" },
	{ "a.png", "image/png" },		/* built-in fallback */
	{ "a.WOFF2", "font/woff2" },
	{ "a.unknown", MIME_DEFAULT_TYPE },
	{ "README", MIME_DEFAULT_TYPE },
	{ "", MIME_DEFAULT_TYPE },
	{ ".", MIME_DEFAULT_TYPE },
	{ "a.", MIME_DEFAULT_TYPE },
	{ "a.html.", MIME_DEFAULT_TYPE },
	{ "dir.d/file", MIME_DEFAULT_TYPE },
	{ "dir.html/file", MIME_DEFAULT_TYPE },
	{ "dir.html/", MIME_DEFAULT_TYPE },
	{ "/x/dir.d/file.html", "text/html" },
	{ "a/b/c.txt", "text/plain" },
};

/* Every built-in extension, so that an unsorted table fails a lookup. */
static const struct lookup_case builtin_cases[] = {
	{ "a.avif", "image/avif" },
	{ "a.css", "text/css" },
	{ "a.gif", "image/gif" },
	{ "a.htm", "text/html" },
	{ "a.html", "text/html" },
	{ "a.ico", "image/vnd.microsoft.icon" },
	{ "a.jpeg", "image/jpeg" },
	{ "a.jpg", "image/jpeg" },
	{ "a.js", "text/javascript" },
	{ "a.json", "application/json" },
	{ "a.mjs", "text/javascript" },
	{ "a.mp4", "video/mp4" },
	{ "a.pdf", "application/pdf" },
	{ "a.png", "image/png" },
	{ "a.svg", "image/svg+xml" },
	{ "a.txt", "text/plain" },
	{ "a.wasm", "application/wasm" },
	{ "a.webm", "video/webm" },
	{ "a.webp", "image/webp" },
	{ "a.woff", "font/woff" },
	{ "a.woff2", "font/woff2" },
	{ "a.xml", "application/xml" },
	{ "A.HTML", "text/html" },
	{ "x/y.JPG", "image/jpeg" },
	{ "a.tar.gz", MIME_DEFAULT_TYPE },
	{ "a.mp3", MIME_DEFAULT_TYPE },
	{ "a.aaa", MIME_DEFAULT_TYPE },		/* before the first */
	{ "a.zzz", MIME_DEFAULT_TYPE },		/* after the last */
	{ "a.woff3", MIME_DEFAULT_TYPE },
	{ "a.htmlx", MIME_DEFAULT_TYPE },
	{ "a.ht", MIME_DEFAULT_TYPE },
	{ "noext", MIME_DEFAULT_TYPE },
	{ "a.", MIME_DEFAULT_TYPE },
	{ "dir.d/file", MIME_DEFAULT_TYPE },
};

static void
check_lookups(const struct mime *m, const struct lookup_case *c, size_t n)
{
	const char	*t;
	size_t		 i;

	for (i = 0; i < n; i++) {
		t = mime_lookup(m, c[i].name);
		if (t == NULL)
			fail_msg("\"%s\": NULL", c[i].name);
		if (strcmp(t, c[i].type) != 0)
			fail_msg("\"%s\": \"%s\", want \"%s\"", c[i].name, t,
			    c[i].type);
	}
}

static void
test_mime_create_sample(void **state)
{
	struct mime	*m;

	m = mime_create(sample, sizeof(sample) - 1);
	assert_non_null(m);
	check_lookups(m, sample_cases,
	    sizeof(sample_cases) / sizeof(sample_cases[0]));
	mime_destroy(m);
}

/* The table is a copy: the caller's text may go away. */
static void
test_mime_create_copies_text(void **state)
{
	struct mime	*m;
	char		*text;

	text = strdup(sample);
	assert_non_null(text);
	m = mime_create(text, strlen(text));
	memset(text, 'x', strlen(text));
	free(text);
	assert_non_null(m);
	check_lookups(m, sample_cases,
	    sizeof(sample_cases) / sizeof(sample_cases[0]));
	mime_destroy(m);
}

/* Only text[0..len) is read, and the text need not end in NUL. */
static void
test_mime_create_respects_len(void **state)
{
	static const char	 text[] = "text/x-a aaa\ntext/x-b bbb\n";
	struct mime		*m;
	char			*buf;
	size_t			 n = strlen("text/x-a aaa\n");

	buf = malloc(n);
	assert_non_null(buf);
	memcpy(buf, text, n);
	m = mime_create(buf, n);
	assert_non_null(m);
	assert_string_equal(mime_lookup(m, "f.aaa"), "text/x-a");
	assert_string_equal(mime_lookup(m, "f.bbb"), MIME_DEFAULT_TYPE);
	mime_destroy(m);
	free(buf);

	/* The same without the newline, cut inside the extension. */
	m = mime_create(text, strlen("text/x-a aa"));
	assert_non_null(m);
	assert_string_equal(mime_lookup(m, "f.aa"), "text/x-a");
	assert_string_equal(mime_lookup(m, "f.aaa"), MIME_DEFAULT_TYPE);
	mime_destroy(m);
}

/* The first line wins for every duplicate, however many entries sort. */
static void
test_mime_create_duplicates_first_wins(void **state)
{
	struct mime	*m;
	char		*text, *p, name[32];
	size_t		 cap = 1 << 20, i, j;

	text = malloc(cap);
	assert_non_null(text);
	p = text;
	/* 300 types, each claiming the extensions e0..e49 and its own. */
	for (i = 0; i < 300; i++) {
		p += sprintf(p, "t%03zu/x-%zu", 299 - i, i);
		for (j = 0; j < 50; j++)
			p += sprintf(p, " e%zu", j);
		p += sprintf(p, " own%zu\n", i);
	}
	assert_true((size_t)(p - text) < cap);
	m = mime_create(text, (size_t)(p - text));
	free(text);
	assert_non_null(m);
	for (j = 0; j < 50; j++) {
		snprintf(name, sizeof(name), "f.E%zu", j);
		assert_string_equal(mime_lookup(m, name), "t299/x-0");
	}
	for (i = 0; i < 300; i++) {
		char	 want[32];

		snprintf(name, sizeof(name), "f.own%zu", i);
		snprintf(want, sizeof(want), "t%03zu/x-%zu", 299 - i, i);
		assert_string_equal(mime_lookup(m, name), want);
	}
	mime_destroy(m);
}

static void
test_mime_create_builtin(void **state)
{
	struct mime	*m;

	m = mime_create(NULL, 0);
	assert_non_null(m);
	check_lookups(m, builtin_cases,
	    sizeof(builtin_cases) / sizeof(builtin_cases[0]));
	mime_destroy(m);

	/* Text without a single entry leaves the built-in table alone. */
	m = mime_create("# nothing\n\n", 11);
	assert_non_null(m);
	check_lookups(m, builtin_cases,
	    sizeof(builtin_cases) / sizeof(builtin_cases[0]));
	mime_destroy(m);

	m = mime_create("text/html html", 0);
	assert_non_null(m);
	check_lookups(m, builtin_cases,
	    sizeof(builtin_cases) / sizeof(builtin_cases[0]));
	mime_destroy(m);
}

static void
test_mime_load_missing(void **state)
{
	struct mime	*m;

	m = mime_load("/nonexistent/sluice/mime.types");
	assert_non_null(m);
	check_lookups(m, builtin_cases,
	    sizeof(builtin_cases) / sizeof(builtin_cases[0]));
	mime_destroy(m);

	/* A directory is not a mime.types file either. */
	m = mime_load("/");
	assert_non_null(m);
	check_lookups(m, builtin_cases,
	    sizeof(builtin_cases) / sizeof(builtin_cases[0]));
	mime_destroy(m);
}

static void
test_mime_load_file(void **state)
{
	char		 path[] = "/tmp/sluice-test-mime.XXXXXX";
	struct mime	*m;
	FILE		*f;
	int		 fd;

	fd = mkstemp(path);
	assert_true(fd != -1);
	f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(sample, 1, sizeof(sample) - 1, f),
	    sizeof(sample) - 1);
	assert_int_equal(fclose(f), 0);
	m = mime_load(path);
	unlink(path);
	assert_non_null(m);
	check_lookups(m, sample_cases,
	    sizeof(sample_cases) / sizeof(sample_cases[0]));
	mime_destroy(m);
}

static void
test_mime_load_system(void **state)
{
	static const struct lookup_case	 cases[] = {
		{ "a.html", "text/html" },
		{ "A.HTM", "text/html" },
		{ "a.css", "text/css" },
		{ "a.png", "image/png" },
		{ "a.jpg", "image/jpeg" },
		{ "a.tar.gz", "application/gzip" },
		{ "a.pdf", "application/pdf" },
		{ "README", MIME_DEFAULT_TYPE },
		{ "dir.d/file", MIME_DEFAULT_TYPE },
	};
	struct mime			*m;
	struct stat			 sb;
	int				 i;

	if (stat(MIME_DEFAULT_FILE, &sb) == -1) {
		print_message("no " MIME_DEFAULT_FILE ": skipped\n");
		skip();
	}
	/* By name, and as the default for NULL. */
	for (i = 0; i < 2; i++) {
		m = mime_load(i == 0 ? MIME_DEFAULT_FILE : NULL);
		assert_non_null(m);
		check_lookups(m, cases, sizeof(cases) / sizeof(cases[0]));
		/* Debian's media-types maps js to either of these. */
		assert_true(strcmp(mime_lookup(m, "a.js"),
		    "text/javascript") == 0 ||
		    strcmp(mime_lookup(m, "a.js"),
		    "application/javascript") == 0);
		mime_destroy(m);
	}
}

static void
test_mime_destroy_null(void **state)
{
	struct mime	*m;

	mime_destroy(NULL);
	/* Still usable afterwards: nothing global was touched. */
	m = mime_create(NULL, 0);
	assert_non_null(m);
	assert_string_equal(mime_lookup(m, "a.html"), "text/html");
	mime_destroy(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mime_create_sample),
		cmocka_unit_test(test_mime_create_copies_text),
		cmocka_unit_test(test_mime_create_respects_len),
		cmocka_unit_test(test_mime_create_duplicates_first_wins),
		cmocka_unit_test(test_mime_create_builtin),
		cmocka_unit_test(test_mime_load_missing),
		cmocka_unit_test(test_mime_load_file),
		cmocka_unit_test(test_mime_load_system),
		cmocka_unit_test(test_mime_destroy_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
