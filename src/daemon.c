/* sluice - ISC licence, see COPYING. */

/*
 * Detaching, the pidfile and the privilege drop, as an administrator
 * expects of a daemon: the command that starts sluice -d returns only
 * once the daemon serves (or fails, with its error), the pidfile never
 * holds half a number, and once the listeners are bound and the logs
 * open nothing of root is left (setgroups, setgid, setuid, then a check
 * that setuid(0) fails).  Main thread only.
 */

#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"

#define DAEMON_MSG_MAX	1024

int
daemon_detach(char *err, size_t errlen)
{
	char	 buf[DAEMON_MSG_MAX];
	ssize_t	 n;
	size_t	 got = 0;
	pid_t	 pid;
	int	 p[2], status;

	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errlen, "--daemon: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "--daemon: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		(void)setsid();
		if (chdir("/") == -1) {
			/* "/" always exists; nothing to do but go on. */
		}
		umask(027);
		return p[1];
	}
	/* The parent: wait for the child's word, then leave. */
	close(p[1]);
	while (got < sizeof(buf) - 1) {
		n = read(p[0], buf + got, sizeof(buf) - 1 - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	if (got > 0 && buf[0] == 'R')
		_exit(0);
	/*
	 * An 'E': the child has logged why, on the same standard error; a
	 * 'P': its error log is elsewhere, so the reason is printed here.
	 */
	if (got > 0 && buf[0] == 'E')
		;
	else if (got > 0 && buf[0] == 'P')
		fprintf(stderr, "%s: %s\n", PACKAGE_NAME, buf + 1);
	else if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
		fprintf(stderr, "%s: the daemon exited with status %d while "
		    "starting\n", PACKAGE_NAME, WEXITSTATUS(status));
	else
		fprintf(stderr, "%s: the daemon died while starting\n",
		    PACKAGE_NAME);
	_exit(1);
}

int
daemon_ready(int fd)
{
	int	 null;

	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	(void)dup2(null, STDIN_FILENO);
	(void)dup2(null, STDOUT_FILENO);
	(void)dup2(null, STDERR_FILENO);
	if (null > STDERR_FILENO)
		close(null);
	if (write(fd, "R", 1) != 1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void
daemon_fail(int fd, const char *msg, bool print)
{
	char	 buf[DAEMON_MSG_MAX];
	int	 n;

	n = snprintf(buf, sizeof(buf), "%c%s", print ? 'P' : 'E', msg);
	/* The parent reports a child that says nothing: nothing to add. */
	if (n > 0 && write(fd, buf, (size_t)n < sizeof(buf) ? (size_t)n :
	    sizeof(buf) - 1) == -1) {
	}
	close(fd);
}

int
daemon_pidfile_write(const char *path, char *err, size_t errlen)
{
	char	 tmp[PATH_MAX + 16], line[32];
	int	 fd, n;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path,
	    (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, errlen, "--pidfile: \"%s\" is too long", path);
		return -1;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	/* 0644 whatever the umask: status checks run as any user. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1 || fchmod(fd, 0644) == -1 ||
	    write(fd, line, (size_t)n) != n || fsync(fd) == -1) {
		snprintf(err, errlen, "--pidfile: cannot write \"%s\": %s",
		    path, strerror(errno));
		if (fd != -1) {
			close(fd);
			(void)unlink(tmp);
		}
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		snprintf(err, errlen, "--pidfile: cannot write \"%s\": %s",
		    path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

int
daemon_pidfile_remove(const char *path)
{
	char	 line[32];
	ssize_t	 n;
	int	 fd;

	/* Only our own: a restart may already have written its pid. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	line[n] = '\0';
	if (strtol(line, NULL, 10) == (long)getpid())
		return unlink(path);
	return 0;
}

int
daemon_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
    char *err, size_t errlen)
{
	struct passwd	*pw;
	struct group	*gr;

	errno = 0;
	if ((pw = getpwnam(user)) == NULL) {
		snprintf(err, errlen, "--user: no user \"%s\"%s%s; give an "
		    "existing user (adduser --system)", user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group != NULL && *group != '\0') {
		if ((gr = getgrnam(group)) == NULL) {
			snprintf(err, errlen, "--group: no group \"%s\"; give "
			    "an existing group", group);
			return -1;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

int
daemon_drop(const char *user, const char *group, const char *own,
    const char *root, char *err, size_t errlen)
{
	uid_t	 uid;
	gid_t	 gid;

	if (daemon_lookup(user, group, &uid, &gid, err, errlen) == -1)
		return -1;
	/* The pidfile: the dropped process must be able to remove it. */
	if (own != NULL && *own != '\0' && chown(own, uid, gid) == -1) {
		snprintf(err, errlen, "--pidfile: cannot hand \"%s\" to %s: %s",
		    own, user, strerror(errno));
		return -1;
	}
	if (root != NULL && *root != '\0') {
		/* What the log's timestamps need, read while reachable. */
		tzset();
		if (chroot(root) == -1 || chdir("/") == -1) {
			snprintf(err, errlen, "--chroot: cannot enter \"%s\": "
			    "%s", root, strerror(errno));
			return -1;
		}
	}
	if (setgroups(1, &gid) == -1 || setresgid(gid, gid, gid) == -1 ||
	    setresuid(uid, uid, uid) == -1) {
		snprintf(err, errlen, "--user %s: cannot drop privileges: %s",
		    user, strerror(errno));
		return -1;
	}
	/* Verify: a dropped process cannot become root again. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1)) {
		snprintf(err, errlen, "--user %s: root could be regained after "
		    "the drop; refusing to run", user);
		return -1;
	}
	return 0;
}
