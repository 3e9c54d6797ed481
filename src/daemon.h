/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

/*
 * Running as a daemon: detaching, the pidfile, and dropping privileges.
 * Main thread only; daemon_detach before any thread or event base.
 */

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

/*
 * Fork.  The parent waits until the child reports, over a pipe, that it
 * serves (daemon_ready: the parent exits 0) or fails (daemon_fail, or the
 * child exits: the parent exits 1), so that the command that started
 * sluice learns the outcome.  The child starts a new session, moves to
 * "/" and sets its umask; its standard streams stay until daemon_ready,
 * so that start-up errors still reach the terminal.  Returns the pipe's
 * write end in the child, or -1 with a reason in err (fork failed).
 */
int		 daemon_detach(char *err, size_t errlen);

/*
 * The child serves: point standard input, output and error at
 * /dev/null, tell the parent, close the pipe.  Returns 0 or -1.
 */
int		 daemon_ready(int fd);

/*
 * The child failed after detaching: tell the parent, which prints msg
 * when `print` (the error log, which has it, is not the standard error
 * they share).
 */
void		 daemon_fail(int fd, const char *msg, bool print);

/*
 * Write the process id to path atomically (a temporary file beside it,
 * renamed over it).  Returns 0, or -1 with a reason in err.
 */
int		 daemon_pidfile_write(const char *path, char *err, size_t errlen);

/*
 * Remove the pidfile if it still holds this process's id.  Returns 0
 * (removed, or not ours), or -1 with errno.
 */
int		 daemon_pidfile_remove(const char *path);

/*
 * The ids of user, and of group (else the user's primary group).
 * Returns 0, or -1 with a reason in err.
 */
int		 daemon_lookup(const char *user, const char *group, uid_t *uid,
		    gid_t *gid, char *err, size_t errlen);

/*
 * Become user (and group, else the user's primary group): supplementary
 * groups, gid, uid, then a check that root cannot be regained.  `own`
 * (may be NULL), the pidfile, is handed to the user first so that it can
 * remove it at exit.  `root` (may be NULL or ""), --chroot, is entered
 * after the user is looked up and before the ids change.  Returns 0, or
 * -1 with a reason in err.
 */
int		 daemon_drop(const char *user, const char *group,
		    const char *own, const char *root, char *err,
		    size_t errlen);

#endif /* SLUICE_DAEMON_H */
