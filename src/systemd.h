/* sluice - ISC licence, see COPYING. */
#ifndef SLUICE_SYSTEMD_H
#define SLUICE_SYSTEMD_H

/*
 * The two protocols a service manager (systemd, or anything that speaks
 * them) offers a daemon, spoken directly rather than through libsystemd:
 * sd_notify (READY=1, RELOADING=1, STOPPING=1, STATUS=... as datagrams to
 * $NOTIFY_SOCKET) and socket activation ($LISTEN_PID, $LISTEN_FDS:
 * listening sockets passed from descriptor 3 on).  The prefix is
 * systemd_, not sd_, so that nothing here collides with libsystemd's
 * symbols should a build ever link it.
 *
 * Every function is "main thread only" (the feeder's thread); none
 * blocks.  Without $NOTIFY_SOCKET every notification is a no-op.
 */

#include <stdbool.h>
#include <stddef.h>

struct conf;
struct status;

/* Seconds between two looks at the counters for the live STATUS= line. */
#define SYSTEMD_STATUS_S	2
/* The longest STATUS= text sent; longer text is cut. */
#define SYSTEMD_STATUS_MAX	256
/* The first descriptor passed by socket activation (SD_LISTEN_FDS_START). */
#define SYSTEMD_LISTEN_FDS_START 3

/*
 * Socket activation.  If $LISTEN_PID is this process and $LISTEN_FDS is
 * n >= 1, check that descriptors 3 .. 3+n-1 are listening SOCK_STREAM
 * sockets of family AF_INET or AF_INET6, make them non-blocking and
 * close-on-exec, and replace c->listen[] with them: each entry gets
 * inherited = true, its descriptor, its bound address and a spec
 * ("127.0.0.1:80", "[::1]:80") made from getsockname, and --listen is
 * not used (logged).  A $LISTEN_PID of another process leaves everything
 * as it was.  $LISTEN_PID, $LISTEN_FDS and $LISTEN_FDNAMES are removed
 * from the environment in every case, as sd_listen_fds(1) does.
 * Returns the number of sockets adopted (0: none were passed), or -1
 * with a reason naming the descriptor and the problem in err.  At
 * start-up, before feeder_fit_budget (which counts them) and before
 * anything opens a descriptor that could be mistaken for one of them.
 */
int		 systemd_adopt_listeners(struct conf *c, char *err,
		    size_t errlen);

/*
 * Read $NOTIFY_SOCKET (an absolute path, or "@name" in the abstract
 * namespace), remove it from the environment, and open and connect the
 * non-blocking, close-on-exec datagram socket every notification goes
 * out on (connected now, so that it still reaches the manager after
 * --chroot).  An unusable value or a socket that cannot be reached is
 * logged, and notifications are then off.  At start-up, after
 * systemd_adopt_listeners and before daemon_detach (so that a detached
 * child can name its own MAINPID) and any chroot.
 */
void		 systemd_notify_init(void);

/* True if systemd_notify_init found a $NOTIFY_SOCKET to talk to. */
bool		 systemd_is_notifying(void);

/*
 * "READY=1": serving (listeners bound, logs open, privileges dropped,
 * workers running), or serving again after a reload.  When the process
 * is no longer the one that called systemd_notify_init (it detached with
 * -d), "MAINPID=<pid>" goes with it.
 */
void		 systemd_ready(void);

/*
 * "RELOADING=1" with "MONOTONIC_USEC=<CLOCK_MONOTONIC in microseconds>",
 * as Type=notify-reload expects: a reload has started.  Follow it with
 * systemd_ready() once the new configuration serves (or the old one
 * still does, after a failed reload).
 */
void		 systemd_reloading(void);

/* "STOPPING=1": SIGTERM/SIGINT started the drain. */
void		 systemd_stopping(void);

/*
 * "STATUS=<text>", text formatted as printf does, newlines replaced by
 * spaces, cut at SYSTEMD_STATUS_MAX bytes.
 */
void		 systemd_status(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

/*
 * The live status line, "STATUS=12 open connections, 3456 requests
 * served, <state>" (state: "accepting", "accept paused (connection
 * cap)"...), sent only when it differs from the last STATUS= sent, so an
 * idle server sends nothing.  For the feeder's SYSTEMD_STATUS_S timer.
 */
void		 systemd_status_update(struct status *st, const char *state);

/* Close the notification socket.  At exit; safe if it was never open. */
void		 systemd_notify_close(void);

#endif /* SLUICE_SYSTEMD_H */
