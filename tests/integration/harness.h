/* sluice: integration test harness, see harness.c. */

/*
 * A small library shared by every integration test binary
 * (tests/integration/test_<feature>.c). It starts the real daemon
 * ($SLUICE_BIN) in the foreground on 127.0.0.1 port 0, learns the bound port
 * through --port-file and an inherited pipe, talks raw HTTP to it over
 * loopback, reads its log, and stops it. It does not depend on cmocka: every
 * function returns an error (0 / -1 with errno, or NULL) and never exits, so
 * that the test asserts on it.
 *
 * Conventions for the whole file:
 * - "int" functions return 0 on success and -1 with errno set on failure,
 *   unless the comment says otherwise.
 * - Timeouts are in milliseconds; a negative timeout means
 *   HARNESS_TIMEOUT_MS.  No function sleeps to synchronise: waits are poll()
 *   on a descriptor (a pipe, a socket, a pidfd, inotify) with a deadline.
 * - Strings returned through a pointer to "char *" are malloc()ed, NUL
 *   terminated, and must be freed by the caller.
 * - Everything here is for the test's main thread, except the low-level
 *   socket helpers (harness_connect*, harness_send_all, the harness_client_*
 *   functions on distinct clients) which any thread may call.
 * - Only processes that the harness started are ever signalled, by PID.
 */

#ifndef SLUICE_HARNESS_H
#define SLUICE_HARNESS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Default timeout of every wait: reads, connects, start-up, shutdown. */
#define HARNESS_TIMEOUT_MS	10000
/* Default watchdog of harness_watchdog_setup(), in seconds. */
#define HARNESS_WATCHDOG_S	30
/* Exit status of a test binary killed by the watchdog. */
#define HARNESS_WATCHDOG_EXIT	1
/* Most arguments harness_server_start() and harness_run() accept. */
#define HARNESS_MAX_ARGS	64
/* Most header fields harness_response keeps; the rest are not indexed. */
#define HARNESS_MAX_HEADERS	128
/* A response head longer than this is a protocol error (EPROTO). */
#define HARNESS_MAX_HEAD	65536
/* Most server and one-shot processes alive at once (for the watchdog). */
#define HARNESS_MAX_CHILDREN	64

/*
 * --- Environment -----------------------------------------------------------
 */

/*
 * Return $SLUICE_BIN, $SLUICE_SITE or $SLUICE_HTDOCS (as set by Makefile.am
 * for every test), or NULL if the variable is unset or empty.
 */
const char	*harness_bin(void);
const char	*harness_site(void);
const char	*harness_htdocs(void);

/* Monotonic clock (CLOCK_MONOTONIC) in milliseconds. */
int64_t		 harness_now_ms(void);

/*
 * --- Watchdog --------------------------------------------------------------
 *
 * A hang must fail the test binary instead of hanging make check. The
 * watchdog is alarm(2): when it fires, the SIGALRM handler sends SIGKILL to
 * every process the harness started and has not yet reaped, writes
 * "harness: watchdog: ..." on stderr and _exit()s with HARNESS_WATCHDOG_EXIT.
 * Remaining temporary directories are left behind in that case.
 */

/* Arm (or re-arm) the watchdog for the given number of seconds. */
void		 harness_watchdog_arm(unsigned int seconds);
/* Disarm the watchdog. */
void		 harness_watchdog_disarm(void);
/*
 * cmocka-compatible per-test setup and teardown that arm the watchdog for
 * HARNESS_WATCHDOG_S seconds and disarm it; always return 0. Use them with
 * cmocka_unit_test_setup_teardown(), or call harness_watchdog_arm() at the
 * top of a test that needs a different bound.
 */
int		 harness_watchdog_setup(void **state);
int		 harness_watchdog_teardown(void **state);

/*
 * --- Server process --------------------------------------------------------
 */

/* Milliseconds left until deadline (harness_now_ms clock), 0 if past. */
int		 harness_remaining_ms(int64_t deadline);

/*
 * A loopback TCP port free at the time of the call (bound to port 0, read,
 * closed), for a server whose address is fixed in advance; or -1 with
 * errno.  Nothing holds it afterwards: use it at once.
 */
int		 harness_free_port(void);

/* Raise this process's RLIMIT_NOFILE soft limit to the hard one. */
void		 harness_raise_nofile(void);

/* Options for harness_server_start(); zero-initialise, then set fields. */
struct harness_opts {
	/*
	 * Extra command-line arguments, NULL-terminated; may be NULL. Unless
	 * they contain -l/--listen, "--listen 127.0.0.1:0" is added; then
	 * "--port-file /proc/self/fd/3" is always added (fd 3 is the write end
	 * of a pipe the child inherits).
	 */
	const char *const	*args;
	/*
	 * Pass args exactly as given: add neither --listen nor --port-file,
	 * and do not wait for a port (port stays 0). Use
	 * harness_server_wait_log() to learn when it is ready.
	 */
	bool			 bare;
	/* Working directory of the child; NULL = the test's own. */
	const char		*cwd;
	/* If non-zero, RLIMIT_NOFILE soft and hard for the child. */
	unsigned long		 nofile;
	/*
	 * Run the child as user "nobody" (setgroups, setgid, setuid before
	 * exec). Needs root: start fails with EPERM otherwise. The child can
	 * only read what "nobody" can read (docroots made by
	 * harness_tmpdir_create() are 0755, under /tmp).
	 */
	bool			 as_nobody;
	/* Start-up timeout (port or failure); <= 0 = HARNESS_TIMEOUT_MS. */
	int			 timeout_ms;
};

/* One server process; caller-owned storage, filled by harness_server_start. */
struct harness_server {
	pid_t		 pid;		/* 0 once reaped */
	int		 port;		/* bound port, 0 if bare */
	int		 wstatus;	/* raw wait status once reaped */
	bool		 reaped;
	char		 dir[256];	/* mkdtemp directory, mode 0755 */
	char		 log_path[300];	/* dir/server.log: stdout + stderr */
};

/*
 * Start $SLUICE_BIN with the options above; the child's stdin is /dev/null,
 * its stdout and stderr go to s->log_path (O_APPEND), other descriptors are
 * closed, it gets SIGKILL if the test process dies (PR_SET_PDEATHSIG), and
 * it runs in the foreground (no daemonising option is passed). Unless bare,
 * waits (poll, opts->timeout_ms) until the child writes "PORT\n" to the
 * pipe and sets s->port. Returns 0, or -1 with errno: ETIMEDOUT (no port in
 * time; the child is then killed and reaped), ECHILD (the child exited
 * before reporting a port; s->wstatus holds its status and the log is
 * kept), ENOENT ($SLUICE_BIN unset), EPERM (as_nobody without root),
 * E2BIG (too many args), or the errno of a failed system call. On any
 * failure s->dir still exists if it was created: call
 * harness_server_cleanup() in every case.
 */
int		 harness_server_start(struct harness_server *s,
		    const struct harness_opts *opts);

/*
 * Send signal sig to the server (only to s->pid, if not yet reaped).
 * Returns -1 with ESRCH if it was already reaped.
 */
int		 harness_server_signal(struct harness_server *s, int sig);

/*
 * Wait up to timeout_ms for the server to exit, without signalling it
 * (pidfd + poll). Returns 0 and stores the raw wait status in *wstatus (may
 * be NULL) once it has exited (also if it was reaped earlier), or -1 with
 * ETIMEDOUT if it is still running.
 */
int		 harness_server_wait(struct harness_server *s, int timeout_ms,
		    int *wstatus);

/*
 * Stop the server: SIGTERM, wait up to HARNESS_TIMEOUT_MS, then SIGKILL and
 * reap. Stores the raw wait status in *wstatus (may be NULL). Returns 0 if
 * the server exited by itself after SIGTERM (or had already exited), -1
 * with ETIMEDOUT if SIGKILL was needed (the process is reaped either way).
 * Tests assert exit 0 with:
 *	assert_int_equal(harness_server_stop(&s, &st), 0);
 *	assert_int_equal(harness_exit_code(st), 0);
 */
int		 harness_server_stop(struct harness_server *s, int *wstatus);

/*
 * Kill (SIGKILL) and reap the server if it still runs, then remove s->dir
 * recursively, log included: read the log (harness_log_*) before this.
 * Safe on a zeroed struct and after a failed start; idempotent.
 */
void		 harness_server_cleanup(struct harness_server *s);

/*
 * Decode a raw wait status: the exit code (0..255) if the process exited,
 * 128 + signal number if a signal killed it, -1 otherwise.
 */
int		 harness_exit_code(int wstatus);

/*
 * --- Server log ------------------------------------------------------------
 */

/*
 * Read the whole log file (stdout + stderr of the server) into *out
 * (malloc()ed, NUL-terminated; may contain NUL bytes) and its length into
 * *lenp (may be NULL).
 */
int		 harness_log_read(const struct harness_server *s, char **out,
		    size_t *lenp);

/* Return true if the log currently contains str (false on any error). */
bool		 harness_log_contains(const struct harness_server *s,
		    const char *str);

/*
 * Wait up to timeout_ms (inotify + poll, no sleeps) until the log contains
 * str. Returns 0, or -1 with ETIMEDOUT, or ECHILD if the server exited and
 * its log does not contain str.
 */
int		 harness_server_wait_log(struct harness_server *s,
		    const char *str, int timeout_ms);

/*
 * Extract counter "name" from the last "counters:" line of the log (written
 * at exit: "... counters: open=0 accepted=N ... header_timeouts=N ...").
 * Returns 0 and stores the value in *value; -1 with ENOENT if there is no
 * counters line, ESRCH if the line has no such counter.
 */
int		 harness_log_counter(const struct harness_server *s,
		    const char *name, long long *value);

/*
 * --- Process statistics (/proc) --------------------------------------------
 */

/* CPU time (utime + stime from /proc/PID/stat) of process pid, in ms. */
int		 harness_proc_cpu_ms(pid_t pid, long long *ms);
/* Number of open descriptors of pid (entries of /proc/PID/fd), or -1. */
int		 harness_proc_fd_count(pid_t pid);
/* Resident set size of pid in KiB (VmRSS of /proc/PID/status). */
int		 harness_proc_rss_kb(pid_t pid, long long *kb);

/*
 * --- One-shot runs ---------------------------------------------------------
 */

/* Result of harness_run(); free it with harness_run_free(). */
struct harness_run {
	int		 wstatus;	/* raw wait status */
	int		 code;		/* harness_exit_code(wstatus) */
	char		*out;		/* all of stdout, NUL-terminated */
	size_t		 out_len;
	char		*err;		/* all of stderr, NUL-terminated */
	size_t		 err_len;
};

/*
 * Run $SLUICE_BIN with exactly args (NULL-terminated, may be NULL) in cwd
 * (NULL = ours) until it exits, capturing stdout and stderr separately, for
 * options that make it exit (--version, --help, bad values). If it has not
 * exited after timeout_ms it is killed, and -1 with ETIMEDOUT is returned
 * (r is still filled). Returns 0 when it exited by itself.
 */
int		 harness_run(const char *const *args, const char *cwd,
		    int timeout_ms, struct harness_run *r);
void		 harness_run_free(struct harness_run *r);

/*
 * --- Files and temporary docroots ------------------------------------------
 */

/*
 * Create a directory /tmp/sluice-PREFIX.XXXXXX with mkdtemp, chmod it 0755
 * (so that a server running as nobody can read it) and store its path in
 * buf. prefix may be NULL.
 */
int		 harness_tmpdir_create(char *buf, size_t len,
		    const char *prefix);

/*
 * Write len bytes of data to dir/rel with the given mode (applied with
 * fchmod, so not subject to the umask), creating or truncating it. Missing
 * parent directories of rel are created with mode 0755.
 */
int		 harness_write_file(const char *dir, const char *rel,
		    const void *data, size_t len, mode_t mode);

/* Create directory dir/rel (and its parents) with mode 0755. */
int		 harness_mkdir(const char *dir, const char *rel);

/* Create a symbolic link dir/rel whose contents are target. */
int		 harness_symlink(const char *dir, const char *rel,
		    const char *target);

/*
 * Read all of file path into *out (malloc()ed, NUL-terminated) and its
 * length into *lenp (may be NULL).
 */
int		 harness_read_file(const char *path, char **out, size_t *lenp);

/*
 * Copy the tree src (regular files and directories; symlinks copied as
 * links) into dst, which is created with mode 0755 if missing.
 */
int		 harness_copy_tree(const char *src, const char *dst);

/*
 * Remove path recursively without following symlinks. A missing path is
 * not an error. Refuses (EINVAL) anything not under /tmp/.
 */
int		 harness_rmtree(const char *path);

/*
 * --- Client sockets --------------------------------------------------------
 */

/*
 * Connect a TCP socket to 127.0.0.1:port. If rcvbuf > 0, SO_RCVBUF is set
 * to it before connect (so that the window is small from the handshake).
 * The connect itself waits up to HARNESS_TIMEOUT_MS. Returns a blocking,
 * close-on-exec descriptor, or -1 with errno (ECONNREFUSED, ETIMEDOUT...).
 */
int		 harness_connect(int port, int rcvbuf);

/*
 * Start a non-blocking connect to 127.0.0.1:port and return the socket at
 * once (O_NONBLOCK, close-on-exec); the connect may still be in progress
 * (wait for POLLOUT, then check SO_ERROR). Returns -1 with errno on failure.
 */
int		 harness_connect_nb(int port);

/*
 * Send all len bytes of buf on fd (blocking or not; MSG_NOSIGNAL, poll for
 * POLLOUT), within timeout_ms in total. Returns 0, or -1 with errno
 * ETIMEDOUT, EPIPE, ECONNRESET...
 */
int		 harness_send_all(int fd, const void *buf, size_t len,
		    int timeout_ms);

/*
 * A client connection with its receive buffer, so that bytes read past one
 * response (pipelining) are kept for the next harness_client_read_response.
 * Zero-initialise or use harness_client_connect()/harness_client_attach().
 */
struct harness_client {
	int		 fd;		/* -1 when closed */
	char		*buf;		/* received, not yet consumed bytes */
	size_t		 len;
	size_t		 cap;
	bool		 eof;		/* peer closed (EOF or reset) */
};

/* Connect c to 127.0.0.1:port (harness_connect with rcvbuf). */
int		 harness_client_connect(struct harness_client *c, int port,
		    int rcvbuf);
/* Make c a client over an already connected descriptor; takes ownership. */
void		 harness_client_attach(struct harness_client *c, int fd);
/* Send len bytes (harness_send_all). */
int		 harness_client_send(struct harness_client *c, const void *buf,
		    size_t len, int timeout_ms);
/* Send a NUL-terminated string. */
int		 harness_client_send_str(struct harness_client *c,
		    const char *str, int timeout_ms);
/*
 * Wait up to timeout_ms for the peer to close the connection, keeping any
 * bytes that arrive in c->buf. Returns 1 if it closed (EOF or reset), 0 if
 * it is still open at the deadline, -1 on another error.
 */
int		 harness_client_wait_closed(struct harness_client *c,
		    int timeout_ms);
/* Close the socket and free the buffer; safe to call twice. */
void		 harness_client_close(struct harness_client *c);

/*
 * --- HTTP responses --------------------------------------------------------
 */

/* Flags for reading a response. */
#define HARNESS_RESP_HEAD	0x01	/* answer to HEAD: no body follows */

/* One parsed response; free it with harness_response_free(). */
struct harness_response {
	int		 status;	/* e.g. 200 */
	int		 minor;		/* x of HTTP/1.x */
	char		*head;		/* raw head with the final CRLFCRLF */
	size_t		 head_len;
	char		*body;		/* body bytes, NUL-terminated */
	size_t		 body_len;
	bool		 has_length;	/* Content-Length delimited the body */
	bool		 until_eof;	/* the body was delimited by close */
	int		 nheaders;
	/* Field names and trimmed values, pointing into hcopy. */
	char		*names[HARNESS_MAX_HEADERS];
	char		*values[HARNESS_MAX_HEADERS];
	char		*hcopy;		/* storage behind names and values */
};

/*
 * Read one complete response from c within timeout_ms: the head, then the
 * body by Content-Length, or nothing for HEAD (flag HARNESS_RESP_HEAD),
 * 1xx, 204 and 304, or until EOF when there is no Content-Length. Bytes
 * after the response stay in c for the next call. A 1xx is returned as a
 * response of its own. Returns 0 and fills r (free with
 * harness_response_free, also after an error), or -1 with errno:
 * ETIMEDOUT (deadline), ENODATA (the peer closed before sending any byte),
 * ECONNRESET (reset, or closed in the middle of a response), EPROTO (not
 * an HTTP/1.x response, or a head over HARNESS_MAX_HEAD).
 */
int		 harness_client_read_response(struct harness_client *c,
		    struct harness_response *r, int flags, int timeout_ms);

/*
 * Return the value of the first header field called name (case-insensitive)
 * or NULL. The pointer stays valid until harness_response_free().
 */
const char	*harness_response_header(const struct harness_response *r,
		    const char *name);
/* Number of header fields called name (case-insensitive). */
int		 harness_response_header_count(
		    const struct harness_response *r, const char *name);
/* Free what r holds and zero it; safe on a zeroed or freed response. */
void		 harness_response_free(struct harness_response *r);

/*
 * One shot: connect to 127.0.0.1:port, send the raw bytes, read one
 * response (flags as above) within timeout_ms, close. Returns as
 * harness_client_read_response, or -1 with the errno of the connect/send.
 */
int		 harness_request(int port, const void *raw, size_t len,
		    int flags, int timeout_ms, struct harness_response *r);

/*
 * One shot "GET path HTTP/1.1" with "Host: 127.0.0.1" and
 * "Connection: close", default timeout.
 */
int		 harness_get(int port, const char *path,
		    struct harness_response *r);

#endif /* SLUICE_HARNESS_H */
