/* sluice - ISC licence, see COPYING. */

/*
 * Virtual hosts.  A host name is checked (letters, digits, '-' and '.',
 * no empty label) and lower-cased, then DIR/name is opened beneath DIR
 * through the file cache's confined open and kept for FCACHE_TTL seconds
 * in a small table replaced round-robin.  Unknown names are not given a
 * slot of their own: they resolve to the default's slot, so a client
 * rotating Host values cannot push the real hosts out of the table, and
 * cache keys use the directory's name, so it cannot split the file cache
 * either.  Worker thread only.
 */

#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcache.h"
#include "vhost.h"

struct vhost_slot {
	char		 name[VHOST_NAME_MAX + 1];
	int		 fd;
	time_t		 opened;
};

struct vhost {
	struct fcache		*fc;
	int			 dirfd;
	struct vhost_slot	 slots[VHOST_MAX];
	size_t			 n, next;
};

static int	 vhost_open(struct vhost *, const char *);

struct vhost *
vhost_create(const char *dir, struct fcache *fc, char *err, size_t errlen)
{
	struct vhost	*v;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	v->fc = fc;
	v->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (v->dirfd == -1) {
		snprintf(err, errlen, "--vhost-root: cannot open \"%s\": %s; "
		    "give an existing directory", dir, strerror(errno));
		free(v);
		return NULL;
	}
	return v;
}

void
vhost_destroy(struct vhost *v)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++)
		close(v->slots[i].fd);
	close(v->dirfd);
	free(v);
}

int
vhost_resolve(struct vhost *v, const char *host, size_t len, int *fd,
    const char **name)
{
	struct vhost_slot	*s = NULL;
	char			 want[VHOST_NAME_MAX + 1];
	size_t			 i, n = 0;
	time_t			 now = time(NULL);
	int			 dfd = -1;

	if (host != NULL && len > 0 && host[0] != '[') {
		/* reg-name or IPv4, then an optional ":port". */
		for (i = 0; i < len && host[i] != ':'; i++) {
			if (!isalnum((unsigned char)host[i]) &&
			    host[i] != '-' && host[i] != '.') {
				errno = EINVAL;
				return -1;
			}
		}
		n = i;
		/* No empty label: checked before the trailing dot goes. */
		if (n == 0 || host[0] == '.' || memmem(host, n, "..", 2) !=
		    NULL) {
			errno = EINVAL;
			return -1;
		}
		/* A trailing dot names the same host (RFC 1034 3.1). */
		if (n > 1 && host[n - 1] == '.')
			n--;
		if (n > VHOST_NAME_MAX) {
			errno = EINVAL;
			return -1;
		}
		for (i = 0; i < n; i++)
			want[i] = (char)tolower((unsigned char)host[i]);
	}
	want[n] = '\0';
	if (n == 0)
		snprintf(want, sizeof(want), "%s", VHOST_DEFAULT);

	for (i = 0; i < v->n; i++) {
		if (strcmp(v->slots[i].name, want) == 0) {
			s = &v->slots[i];
			if (now - s->opened < FCACHE_TTL && now >= s->opened)
				goto found;
			break;
		}
	}
	dfd = vhost_open(v, want);
	if (dfd == -1 && errno == ENOENT && strcmp(want, VHOST_DEFAULT) != 0)
		return vhost_resolve(v, NULL, 0, fd, name);
	if (dfd == -1)
		return -1;
	if (s == NULL) {
		if (v->n < VHOST_MAX)
			s = &v->slots[v->n++];
		else {
			s = &v->slots[v->next];
			v->next = (v->next + 1) % VHOST_MAX;
			close(s->fd);
		}
	} else
		close(s->fd);
	snprintf(s->name, sizeof(s->name), "%s", want);
	s->fd = dfd;
	s->opened = now;
 found:
	*fd = s->fd;
	*name = s->name;
	return 0;
}

/*
 * Open DIR/name as a directory, confined beneath DIR.  Anything that is
 * not a directory counts as absent (ENOENT), so it falls to the default.
 */
static int
vhost_open(struct vhost *v, const char *name)
{
	struct stat	 sb;
	int		 dfd;

	if ((dfd = fcache_open(v->fc, v->dirfd, name)) == -1) {
		if (errno == ENOTDIR || errno == ELOOP || errno == EXDEV)
			errno = ENOENT;
		return -1;
	}
	if (fstat(dfd, &sb) == -1 || !S_ISDIR(sb.st_mode)) {
		close(dfd);
		errno = ENOENT;
		return -1;
	}
	return dfd;
}
