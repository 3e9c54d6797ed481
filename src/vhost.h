/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_VHOST_H
#define SLUICE_VHOST_H

/*
 * Virtual hosts (--vhost-root DIR): the directory DIR/HOST/ that serves a
 * request's Host, DIR/default/ for the others.  A worker keeps the
 * descriptors of the host directories it used recently, so one request
 * costs no open.  One per worker; worker only; no lock.
 */

#include <stddef.h>

#define VHOST_MAX		32	/* host directories kept open */
#define VHOST_NAME_MAX		253	/* a host name's bytes */
#define VHOST_DEFAULT		"default"

struct fcache;
struct vhost;

/*
 * Open DIR.  Returns NULL with a reason in err.  fc (borrowed) opens the
 * host directories beneath DIR, with its symlink policy.
 */
struct vhost	*vhost_create(const char *dir, struct fcache *fc, char *err,
		    size_t errlen);
void		 vhost_destroy(struct vhost *);

/*
 * The directory for Host value host[0..len) (the port stripped, the name
 * lower-cased and a trailing dot dropped; an IP literal, an empty value
 * or NULL mean the default).  Returns 0 with *fd (the directory,
 * borrowed until the next call) and *name (the directory's name under
 * DIR, a cache key prefix: a name without '/'), or -1 with errno: EINVAL
 * for a name that is not a host name (400), ENOENT when neither the host
 * nor the default exists, or what opening gave.
 */
int		 vhost_resolve(struct vhost *, const char *host, size_t len,
		    int *fd, const char **name);

#endif /* SLUICE_VHOST_H */
