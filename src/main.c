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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "feeder.h"
#include "log.h"
#include "mime.h"
#include "pool.h"
#include "status.h"

#ifndef SLUICE_SITEDIR
#define SLUICE_SITEDIR	"/usr/local/share/sluice/html"
#endif

static void	 main_root(struct conf *);

int
main(int argc, char **argv)
{
	static struct conf	 conf;
	static struct status	 st;
	struct pool		*pool = NULL;
	struct feeder		*feeder = NULL;
	struct mime		*mime = NULL;
	sigset_t		 set, old;
	char			 err[1024], counters[1024];
	int			 rc = 1;

	conf_init(&conf);
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
	log_init(conf.verbose);
	/* sendfile and writev take no MSG_NOSIGNAL: ignore SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	main_root(&conf);

	if (feeder_fit_budget(&conf, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if ((mime = mime_load(NULL)) == NULL)
		fatalx("out of memory");
	if (conf.access_log[0] != '\0' && log_open_access(conf.access_log) ==
	    -1)
		fatal("--access-log: cannot open \"%s\"", conf.access_log);
	if ((pool = pool_create(&conf, mime, &st, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		goto out;
	}
	feeder = feeder_create(&conf, pool, &st, err, sizeof(err));
	if (feeder == NULL) {
		log_warnx("%s", err);
		goto out;
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
	feeder_destroy(feeder);
	pool_destroy(pool);
	mime_destroy(mime);
	log_close();
	return rc;
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
		log_info("no ./%s here: serving the default site %s",
		    c->root, SLUICE_SITEDIR);
		snprintf(c->root, sizeof(c->root), "%s", SLUICE_SITEDIR);
	}
}
