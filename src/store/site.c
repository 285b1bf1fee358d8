/* site.c - the site process of a replicated site: the only process that recovers the
 * environment, and the one that runs its replication (repl.c says why). It restarts both
 * whenever the environment panicked or another process died with it open. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/repl_int.h"
#include "store/store_int.h"

#define SITE_POLL_US 50000   /* how often it looks for deaths and panics */
#define SITE_RETRY_US 500000 /* after a failed start */

/* Every table, made by the master (a replica gets them with the master's log). The site
 * process keeps no handle: when it is demoted, replication alone must have the tables open
 * in it (env.c, open_env_locked). */
static int make_tables(struct store *s)
{
	int i, ret;
	for (i = 0; i < T_COUNT; i++)
		if ((ret = store_table_make(s, i)) != 0) {
			LOG("%s/%s: cannot create: %s", s->dir, store_table_files[i],
			    db_strerror(ret));
			return ret;
		}
	return 0;
}

/* Waits for the group to name a master (this site or another) for up to twice the election
 * timeout; makes the tables when it is this site. Ready either way: a replica without a
 * master still answers reads. */
static void await_role(struct store *s, volatile sig_atomic_t *stop)
{
	uint64_t until = clock_mono_ms() + 2ull * s->opts.repl->election_timeout_ms;
	int master = -1;
	while (!*stop && clock_mono_ms() < until) {
		if (repl_master_of(s, &master) == 0 && master >= 0)
			break;
		usleep(SITE_POLL_US / 5);
	}
	if (master != (int)s->opts.repl->self)
		return;
	make_tables(s);
	/* The workers' connections to the others are their own, made when they join: made while
	 * a site is still joining the group, they missed its acknowledgements. So a new master
	 * lets them in once every site is connected, or the wait is over. */
	until = clock_mono_ms() + 2ull * s->opts.repl->election_timeout_ms;
	while (!*stop && clock_mono_ms() < until && repl_connected(s) + 1 < s->opts.repl->n_sites)
		usleep(SITE_POLL_US / 5);
}

/* Serves one life of the environment: until a stop, a panic or a death. */
static void serve(struct store *s, volatile sig_atomic_t *stop)
{
	int made = 0, master;
	while (!*stop) {
		if (repl_panicked()) {
			LOG("replication: the environment panicked; recovering it");
			return;
		}
		if (site_dead_members(s->dir, s->region_ino) > 0) {
			LOG("replication: a process died with the environment open; recovering it");
			return;
		}
		/* A site elected later makes the tables the group never had. */
		if (!made && repl_is_master(s, &master) == 0 && master)
			made = make_tables(s) == 0;
		usleep(SITE_POLL_US);
	}
}

/* Withdraws the ready mark before the environment goes (a stale one would name a region that
 * recovery replaces, which the workers check: so a failure is only logged). */
static void unready(const char *dir)
{
	if (site_ready_set(dir, 0) != 0)
		LOG("%s: cannot withdraw the ready mark: %s", dir, strerror(errno));
}

int store_site_run(const struct store_opts *opts, volatile sig_atomic_t *stop)
{
	int lock = site_lock_take(opts->dir), abandoned = 0;
	if (lock < 0) {
		LOG("%s: another process runs this site's replication (%s)", opts->dir,
		    "FOLLOW_ROLE=replication");
		return -1;
	}
	while (!*stop) {
		char err[512];
		struct store *s;
		int ret;
		unready(opts->dir);
		if (!(s = store_open(opts, err, sizeof(err)))) {
			LOG("%s", err);
			usleep(SITE_RETRY_US);
			continue;
		}
		if ((ret = repl_site_start(s)) != 0) {
			if (ret == DB_REP_UNAVAIL)
				LOG("replication: no site of the group answers yet; retrying");
			abandoned |= store_close(s);
			usleep(SITE_RETRY_US);
			continue;
		}
		await_role(s, stop);
		if (site_ready_set(opts->dir, s->region_ino) != 0)
			LOG("%s: cannot mark the environment ready: %s", opts->dir, strerror(errno));
		serve(s, stop);
		unready(opts->dir);
		abandoned |= store_close(s);
	}
	unready(opts->dir);
	close(lock);
	return abandoned;
}
