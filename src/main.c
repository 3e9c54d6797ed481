/* sluice - ISC licence, see COPYING. */

/*
 * Start-up order and shutdown; no logic of its own.
 *
 * Configuration, logs and every descriptor are set up on the main thread
 * before the first pthread_create, with the signals the feeder handles
 * blocked so that the workers inherit a mask that keeps them away; the
 * main thread then unblocks them and becomes the feeder.  Shutdown runs
 * in the reverse order: the feeder's loop returns once every worker has
 * stopped, the threads are joined, then the logs close.
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "daemon.h"
#include "feeder.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "status.h"
#include "systemd.h"

#ifndef SLUICE_SITEDIR
#define SLUICE_SITEDIR	"/usr/local/share/sluice/html"
#endif

struct main_args {
	int		 argc;
	char		**argv;
};

static void	 main_root(struct conf *);
static int	 main_check(const struct conf *, const struct conf *, char *,
		    size_t);
static int	 main_check_log(const char *, const char *, char *, size_t);
static int	 main_absolute(struct conf *, char *, size_t);
static struct conf *main_reload(void *, const struct conf *, char *,
		    size_t);
static const char *main_inside(const char *, const char *);

int
main(int argc, char **argv)
{
	static struct conf	 conf;
	static struct status	 st;
	struct pool		*pool = NULL;
	struct feeder		*feeder = NULL;
	struct mime		*mime = NULL;
	sigset_t		 set, old;
	char			 err[2 * PATH_MAX], counters[1024];
	struct main_args	 args = { argc, argv };
	const char		*pidname = conf.pidfile;
	bool			 pidfile = false;
	uid_t			 uid;
	gid_t			 gid;
	int			 rc = 1, dfd = -1;

	conf_init(&conf);
	/* Relative paths name what they named at start-up, reloads too. */
	if (getcwd(conf.cwd, sizeof(conf.cwd)) == NULL)
		conf.cwd[0] = '\0';
	switch (conf_parse_args(&conf, argc, argv, stdout, err, sizeof(err))) {
	case CONF_EXIT:
		return 0;
	case CONF_ERROR:
		fprintf(stderr, "%s: %s\n", PACKAGE_NAME, err);
		return CONF_EXIT_USAGE;
	case CONF_OK:
		break;
	}
	status_init(&st);
	log_init(conf.log_level + conf.verbose);
	/* sendfile and writev take no MSG_NOSIGNAL: ignore SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	main_root(&conf);
	if (conf.print_config) {
		conf_print(&conf, stdout);
		return 0;
	}
	if (conf.check) {
		/* Nothing is bound or started: safe while sluice runs. */
		if (main_check(&conf, NULL, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", PACKAGE_NAME, err);
			return CONF_EXIT_USAGE;
		}
		printf("%s: the configuration%s%s is valid\n", PACKAGE_NAME,
		    conf.config[0] != '\0' ? " in " : "", conf.config);
		return 0;
	}

	if (conf.chroot[0] != '\0' && (geteuid() != 0 || conf.user[0] ==
	    '\0' || strcmp(conf.user, "root") == 0)) {
		fprintf(stderr, "%s: --chroot needs to start as root and a "
		    "--user other than root to drop to (root can leave a "
		    "chroot); under systemd use RootDirectory= instead\n",
		    PACKAGE_NAME);
		return CONF_EXIT_USAGE;
	}
	/*
	 * Sockets from the service manager replace --listen; adopted
	 * before any descriptor is opened that could land among them, and
	 * before the budget counts the listeners.
	 */
	if (systemd_adopt_listeners(&conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	systemd_notify_init();

	/* Root without --user: a warning in the foreground, else refused. */
	if (geteuid() == 0 && conf.user[0] == '\0') {
		if (conf.daemon) {
			fprintf(stderr, "%s: --daemon as root needs --user USER "
			    "to drop to (--user root to stay root)\n",
			    PACKAGE_NAME);
			return CONF_EXIT_USAGE;
		}
		log_warnx("running as root: give --user to drop privileges "
		    "once the listeners are bound");
	}
	/*
	 * A daemon works from "/", and a reload may read the paths again
	 * later: make them absolute, against the start-up directory.
	 */
	if ((conf.daemon || conf.cwd[0] != '\0') &&
	    main_absolute(&conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", PACKAGE_NAME, err);
		return CONF_EXIT_USAGE;
	}
	if (conf.daemon) {
		/* Before any thread or event base. */
		if ((dfd = daemon_detach(err, sizeof(err))) == -1)
			fatalx("%s", err);
	}
	/* Opened before any chroot or privilege drop, like the access log. */
	if (log_open_error(conf.error_log) == -1)
		fatal("--error-log: cannot open \"%s\"", conf.error_log);
	if (feeder_fit_budget(&conf, false, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((mime = mime_load(NULL)) == NULL)
		fatalx("out of memory");
	if (conf.access_log[0] != '\0' && log_open_access(conf.access_log,
	    conf.log_format) == -1)
		fatal("--access-log: cannot open \"%s\"", conf.access_log);
	if ((pool = pool_create(&conf, mime, &st, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	feeder = feeder_create(&conf, pool, &st, err, sizeof(err));
	if (feeder == NULL || feeder_announce(feeder, err, sizeof(err)) ==
	    -1) {
		log_warnx("%s", err);
		goto out;
	}
	if (conf.pidfile[0] != '\0') {
		if (daemon_pidfile_write(conf.pidfile, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			goto out;
		}
		pidfile = true;
	}
	/* Bound and logs open: nothing of root is needed any more. */
	if (geteuid() == 0 && conf.user[0] != '\0' &&
	    strcmp(conf.user, "root") != 0) {
		/* Logs it can reopen: those in a directory it owns. */
		if (daemon_lookup(conf.user, conf.group, &uid, &gid, err,
		    sizeof(err)) == 0)
			(void)log_hand_over(uid);
		if (daemon_drop(conf.user, conf.group, pidfile ? conf.pidfile :
		    NULL, conf.chroot, err, sizeof(err)) == -1) {
			log_warnx("%s", err);
			goto out;
		}
		feeder_set_dropped(feeder, true);
		if (conf.chroot[0] != '\0') {
			log_info("running as %s in %s", conf.user,
			    conf.chroot);
			/* Removed at exit by its name inside, if it has one. */
			pidname = main_inside(conf.chroot, conf.pidfile);
		} else
			log_info("running as %s", conf.user);
	} else if (geteuid() != 0 && conf.user[0] != '\0')
		log_info("not started as root: --user %s is not needed",
		    conf.user);
	if (dfd != -1) {
		/*
		 * Serving from here on (the kernel queues connections on the
		 * bound listeners): let the parent go, and log to what the
		 * standard error now is (/dev/null) before threads start.
		 */
		if (daemon_ready(dfd) == -1)
			goto out;
		dfd = -1;
		log_reset_stderr();
	}

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	if (pool_start(pool, err, sizeof(err)) == -1) {
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_warnx("%s", err);
		goto out;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Bound, logs open, root dropped, workers running: serving. */
	systemd_ready();

	feeder_set_loader(feeder, main_reload, &args);
	rc = feeder_run(feeder, err, sizeof(err)) == -1 ? 1 : 0;
	if (rc != 0) {
		log_warnx("%s", err);
		pool_broadcast(pool, POOL_CTL_CLOSE);
	}
	pool_join(pool);
	atomic_store(&st.c[STATUS_LOG_DROPS], log_dropped());
	status_format(&st, counters, sizeof(counters));
	log_info("counters: %s", counters);
 out:
	/* The pool first: its workers' configuration is the feeder's. */
	pool_destroy(pool);
	feeder_destroy(feeder);
	mime_destroy(mime);
	if (pidfile && (pidname == NULL ||
	    daemon_pidfile_remove(pidname) == -1))
		log_warn("--pidfile: cannot remove \"%s\" (its directory "
		    "must be writable by --user%s)", conf.pidfile,
		    conf.chroot[0] != '\0' ? ", and inside --chroot" : "");
	systemd_notify_close();
	/* Last, once all is released: the parent's exit status says it. */
	if (dfd != -1)
		daemon_fail(dfd, err, strcmp(conf.error_log,
		    LOG_DEST_STDERR) != 0);
	log_close();
	return rc;
}

/*
 * -t: what start-up would open, opened and closed again (the docroot,
 * the host directories' root, the log files' directories); addresses
 * were parsed already and are never bound.
 */
static int
main_check(const struct conf *c, const struct conf *cur, char *err,
    size_t errlen)
{
	int	 fd;

	if ((fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "--root: cannot open \"%s\": %s; give an "
		    "existing directory", c->root, strerror(errno));
		return -1;
	}
	close(fd);
	if (c->vhost_root[0] != '\0') {
		if ((fd = open(c->vhost_root, O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			snprintf(err, errlen, "--vhost-root: cannot open "
			    "\"%s\": %s; give an existing directory",
			    c->vhost_root, strerror(errno));
			return -1;
		}
		close(fd);
	}
	/* A reload keeps a log it already has open (and may not reopen). */
	if (c->access_log[0] != '\0' && (cur == NULL ||
	    strcmp(c->access_log, cur->access_log) != 0) &&
	    main_check_log("--access-log", c->access_log, err, errlen) == -1)
		return -1;
	if ((cur == NULL || strcmp(c->error_log, cur->error_log) != 0) &&
	    main_check_log("--error-log", c->error_log, err, errlen) == -1)
		return -1;
	return 0;
}

/*
 * -t for a log going to a file: its directory must be writable (the file
 * itself is created at start-up).  Standard streams and syslog need
 * nothing.  Returns 0, or -1 with a reason naming the option.
 */
static int
main_check_log(const char *option, const char *path, char *err,
    size_t errlen)
{
	char	 dir[PATH_MAX];

	if (strcmp(path, LOG_DEST_STDOUT) == 0 ||
	    strcmp(path, LOG_DEST_STDERR) == 0 || log_dest_is_syslog(path,
	    NULL))
		return 0;
	log_dirname(path, dir, sizeof(dir));
	if (access(dir, W_OK) == -1) {
		snprintf(err, errlen, "%s: cannot write in \"%s\": %s", option,
		    dir, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Make the paths a daemon uses absolute, against the directory it was
 * started from (it works from "/").  Returns 0, or -1 with a reason.
 */
static int
main_absolute(struct conf *c, char *err, size_t errlen)
{
	char	*paths[] = { c->root, c->vhost_root, c->pidfile, c->port_file,
		    c->access_log, c->error_log, c->chroot };
	const char *cwd = c->cwd;
	char	 buf[PATH_MAX];
	size_t	 i;

	if (*cwd == '\0') {
		snprintf(err, errlen, "--daemon: cannot tell the working "
		    "directory; give absolute paths");
		return -1;
	}
	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i][0] == '\0' || paths[i][0] == '/' ||
		    strcmp(paths[i], LOG_DEST_STDOUT) == 0 ||
		    (paths[i] == c->error_log && strcmp(paths[i],
		    LOG_DEST_STDERR) == 0) ||
		    log_dest_is_syslog(paths[i], NULL))
			continue;
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd,
		    paths[i]) >= sizeof(buf)) {
			snprintf(err, errlen, "--daemon: \"%s/%s\" is too "
			    "long; give absolute paths", cwd, paths[i]);
			return -1;
		}
		memcpy(paths[i], buf, strlen(buf) + 1);
	}
	return 0;
}

/*
 * The docroot: as given, else ./html (the seed's behaviour from a source
 * tree), else the installed default site.
 */
static void
main_root(struct conf *c)
{
	struct stat	 sb;

	if (c->root_given)
		return;
	if (stat(c->root, &sb) == 0 && S_ISDIR(sb.st_mode))
		return;
	if (stat(SLUICE_SITEDIR, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		log_info("no %s here: serving the default site %s",
		    c->root, SLUICE_SITEDIR);
		snprintf(c->root, sizeof(c->root), "%s", SLUICE_SITEDIR);
	}
}

/*
 * SIGHUP (feeder_reload): the command line again, over the file it names
 * read again, resolved and checked as at start-up but against the running
 * configuration.  Feeder thread.
 */
static struct conf *
main_reload(void *arg, const struct conf *cur, char *err, size_t errlen)
{
	const struct main_args	*a = arg;
	struct conf		*c;

	if ((c = malloc(sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	/*
	 * Inside a chroot the names of the files read at start-up lead
	 * elsewhere, or nowhere: a reload would read other files.
	 */
	if (cur->chroot[0] != '\0') {
		snprintf(err, errlen, "sluice runs under --chroot %s, where "
		    "the configuration's files are out of reach; restart it "
		    "to apply a new configuration", cur->chroot);
		goto fail;
	}
	conf_init(c);
	memcpy(c->cwd, cur->cwd, sizeof(c->cwd));
	if (conf_parse_args(c, a->argc, a->argv, stdout, err, errlen) !=
	    CONF_OK)
		goto fail;
	/*
	 * Absolute first: the default ./html is the start-up directory's,
	 * not that of a daemon, which works from "/".
	 */
	if (c->cwd[0] != '\0' && main_absolute(c, err, errlen) == -1)
		goto fail;
	main_root(c);
	if (main_check(c, cur, err, errlen) == -1)
		goto fail;
	return c;
 fail:
	free(c);
	return NULL;
}

/*
 * path as seen inside the chroot dir (path itself lies under dir), or
 * NULL when it is outside.  Pure.
 */
static const char *
main_inside(const char *dir, const char *path)
{
	size_t	 n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (strncmp(path, dir, n) != 0 || path[n] != '/')
		return NULL;
	return path + n;
}
