/* repl_int.h - what env.c and site.c share of replication (repl.c, sitefiles.c). */
#ifndef REPL_INT_H
#define REPL_INT_H

#include <db.h>
#include <stdint.h>
#include <sys/types.h>

struct store;

/* ---- repl.c: Berkeley DB's Replication Manager ---- */

/* Before DB_ENV->open: the event callback. */
int repl_prepare(DB_ENV *env);
/* After open, in every process: ack policy, priority and timeouts from the config. */
int repl_configure(struct store *s);
/* The site process: this site's address and the others', then repmgr_start with elections.
 * DB_REP_UNAVAIL when it could not join the group yet (retry later). */
int repl_site_start(struct store *s);
/* A worker: joins the replication the site process runs (its commits are sent by its own
 * connections); waits a little for those connections. EAGAIN when this process would have
 * become the site's replication process (the site process is gone). */
int repl_worker_start(struct store *s);
/* 0 when this process, on the master, has fewer connections than a commit needs acks: a
 * site it never connected to (Berkeley DB 5.3 misses one that joined the group while the
 * process joined the site), so it should join again. 1 otherwise. */
int repl_can_commit(struct store *s);
/* How many other sites this process is connected to. */
size_t repl_connected(struct store *s);
/* Commits whose acknowledgements did not arrive (DB_EVENT_REP_PERM_FAILED), in this process. */
uint64_t repl_perm_failed(void);
/* The environment panicked under this process (DB_EVENT_PANIC). */
int repl_panicked(void);
/* Whether this site is the master now; 0 or a Berkeley DB error. */
int repl_is_master(struct store *s, int *master);
/* The master's index in the config's sites (this site's when it is the master), -1 when none
 * is known; 0 or a Berkeley DB error. */
int repl_master_of(struct store *s, int *master);

/* ---- sitefiles.c: the site process's lock, its ready mark, and who else has it open ---- */

/* The site process's lock (held while it lives): the fd, -1 when another process holds it
 * (or on an error, logged). */
int site_lock_take(const char *dir);
/* The pid holding the site lock; 0 when none. */
pid_t site_lock_holder(const char *dir);
/* Marks the environment ready for the workers (gen: its region's inode), or withdraws the
 * mark (gen 0). */
int site_ready_set(const char *dir, ino_t gen);
/* The ready environment's gen when its site process lives; 0 otherwise. */
ino_t site_ready(const char *dir);
/* A process other than the site's registers while it has the environment open: the fd it
 * keeps, or -1. */
int site_join(const char *dir, ino_t gen);
void site_leave(const char *dir, int fd);
/* The site process: registered processes of environment gen that died (each counted once;
 * their entries are removed). */
int site_dead_members(const char *dir, ino_t gen);

#endif
