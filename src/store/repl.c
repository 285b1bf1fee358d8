/* repl.c - Berkeley DB's Replication Manager (repmgr): one master, replicas, elections.
 *
 * Each site is one environment and several processes: the site process, which alone runs
 * recovery and owns the site's replication (its listening socket, elections, applying the
 * master's log on a replica), and the workers, which join it without recovery. Why the split:
 * when a worker opened with DB_REGISTER | DB_RECOVER after another died inside a transaction,
 * its recovery panicked the environment under the live replication process, which dropped out
 * of the group while the recovering worker went on committing locally, replicated nowhere
 * (an experiment on this machine, ../shared/notes). Berkeley DB 5.3 has no takeover of a dead
 * replication process either. So a death is the site process's business (sitefiles.c): it
 * recovers, restarts its replication, and the workers reopen. */
#include <db.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/repl_int.h"
#include "store/store_int.h"

#define REPL_SITE_THREADS 3 /* message threads of the site process */
#define REPL_MONITOR_BEATS 5 /* heartbeats a replica misses before it calls an election */
#define REPL_CONNECT_WAIT_MS 1000 /* a new worker waits this long for its connections */
#define REPL_CONNECT_POLL_US 2000

static volatile uint64_t perm_failed;
static volatile int panicked;

/* Role changes, with the time: what happened in a failover is otherwise invisible. */
static void note(const char *what, int eid)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	LOG("replication %ld.%03ld: %s%s%.0d", (long)ts.tv_sec, ts.tv_nsec / 1000000, what,
	    eid >= 0 ? " eid " : "", eid >= 0 ? eid : 0);
}

static void on_event(DB_ENV *env, u_int32_t event, void *info)
{
	(void)env;
	switch (event) {
	case DB_EVENT_REP_PERM_FAILED:
		/* In the committing thread, before its commit returns (which returns 0). */
		__atomic_add_fetch(&perm_failed, 1, __ATOMIC_SEQ_CST);
		break;
	case DB_EVENT_PANIC:
		panicked = 1;
		break;
	case DB_EVENT_REP_MASTER:
		note("this site is the master", -1);
		break;
	case DB_EVENT_REP_NEWMASTER:
		note("a new master", info ? *(int *)info : -1);
		break;
	case DB_EVENT_REP_CLIENT:
		note("this site is a replica", -1);
		break;
	case DB_EVENT_REP_DUPMASTER:
		note("another site claims to be the master too; stepping down", -1);
		break;
	case DB_EVENT_REP_ELECTION_FAILED:
		note("an election failed", -1);
		break;
	case DB_EVENT_REP_MASTER_FAILURE:
		note("the master is gone", -1);
		break;
	case DB_EVENT_REP_ELECTED:
		note("won an election", -1);
		break;
	default:
		break;
	}
}

uint64_t repl_perm_failed(void)
{
	return __atomic_load_n(&perm_failed, __ATOMIC_SEQ_CST);
}

int repl_panicked(void)
{
	return panicked;
}

int repl_prepare(DB_ENV *env)
{
	panicked = 0;
	return env->set_event_notify(env, on_event);
}

static u_int32_t ack_policy(enum store_repl_ack a)
{
	switch (a) {
	case STORE_ACK_ALL:
		return DB_REPMGR_ACKS_ALL;
	case STORE_ACK_ONE:
		return DB_REPMGR_ACKS_ONE;
	case STORE_ACK_NONE:
		return DB_REPMGR_ACKS_NONE;
	default:
		return DB_REPMGR_ACKS_QUORUM;
	}
}

int repl_configure(struct store *s)
{
	const struct store_repl *r = s->opts.repl;
	DB_ENV *env = s->env;
	int ret;
	/* A group that has only two members yet (the third still joining) must not let one of
	 * them elect itself alone when it loses sight of the other: that made two masters. */
	if ((ret = env->rep_set_config(env, DB_REPMGR_CONF_2SITE_STRICT, 1)) != 0 ||
	    (ret = env->repmgr_set_ack_policy(env, ack_policy(r->ack))) != 0 ||
	    (ret = env->rep_set_priority(env, r->priority)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_ACK_TIMEOUT, r->ack_timeout_ms * 1000)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_ELECTION_TIMEOUT,
					r->election_timeout_ms * 1000)) != 0 ||
	    /* A failed election (too few votes yet) is tried again this soon, not 10 s later. */
	    (ret = env->rep_set_timeout(env, DB_REP_ELECTION_RETRY,
					r->election_timeout_ms * 1000)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_HEARTBEAT_SEND, r->heartbeat_ms * 1000)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_HEARTBEAT_MONITOR,
					REPL_MONITOR_BEATS * r->heartbeat_ms * 1000)) != 0 ||
	    (ret = env->rep_set_timeout(env, DB_REP_CONNECTION_RETRY,
					r->connect_retry_ms * 1000)) != 0)
		LOG("replication settings: %s", db_strerror(ret));
	return ret;
}

/* Names one site to repmgr with flags (DB_LOCAL_SITE, DB_GROUP_CREATOR, DB_BOOTSTRAP_HELPER). */
static int site_config(DB_ENV *env, const struct store_repl_site *site, u_int32_t flags)
{
	static const u_int32_t each[] = {DB_LOCAL_SITE, DB_GROUP_CREATOR, DB_BOOTSTRAP_HELPER};
	DB_SITE *h;
	size_t i;
	int ret, t_ret;
	if ((ret = env->repmgr_site(env, site->host, site->port, &h, 0)) != 0)
		return ret;
	for (i = 0; i < sizeof(each) / sizeof(each[0]) && ret == 0; i++)
		if (flags & each[i])
			ret = h->set_config(h, each[i], 1);
	if ((t_ret = h->close(h)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

int repl_site_start(struct store *s)
{
	const struct store_repl *r = s->opts.repl;
	size_t i;
	int ret;
	/* The first site of repl_sites makes the group when none exists yet; the others join
	 * it through any site that is up. Once made, the group lives in every site's
	 * environment and these flags change nothing. */
	for (i = 0; i < r->n_sites; i++) {
		u_int32_t flags = i == r->self ? DB_LOCAL_SITE | (i == 0 ? DB_GROUP_CREATOR : 0)
					       : DB_BOOTSTRAP_HELPER;
		if ((ret = site_config(s->env, &r->sites[i], flags)) != 0) {
			LOG("replication site %s:%u: %s", r->sites[i].host, r->sites[i].port,
			    db_strerror(ret));
			return ret;
		}
	}
	ret = s->env->repmgr_start(s->env, REPL_SITE_THREADS, DB_REP_ELECTION);
	if (ret == DB_REP_IGNORE) {
		LOG("replication: another process already runs this site's replication");
		return EBUSY;
	}
	if (ret != 0 && ret != DB_REP_UNAVAIL)
		LOG("replication start: %s", db_strerror(ret));
	return ret;
}

static size_t connected_sites(DB_ENV *env);

/* How many other sites a commit needs to hear from under the ack policy. */
static size_t acks_needed(const struct store_repl *r)
{
	switch (r->ack) {
	case STORE_ACK_ALL:
		return r->n_sites - 1;
	case STORE_ACK_ONE:
		return r->n_sites > 1;
	case STORE_ACK_NONE:
		return 0;
	default:
		return r->n_sites / 2; /* with this site, a majority */
	}
}

size_t repl_connected(struct store *s)
{
	return connected_sites(s->env);
}

static size_t connected_sites(DB_ENV *env)
{
	DB_REPMGR_SITE *list = NULL;
	u_int n = 0, i;
	size_t up = 0;
	if (env->repmgr_site_list(env, &n, &list) != 0)
		return 0;
	for (i = 0; i < n; i++)
		up += list[i].status == DB_REPMGR_CONNECTED;
	free(list);
	return up;
}

int repl_worker_start(struct store *s)
{
	uint64_t until = clock_mono_ms() + REPL_CONNECT_WAIT_MS;
	int ret = s->env->repmgr_start(s->env, 1, DB_REP_ELECTION);
	if (ret == 0) {
		/* Nobody had the site's socket: the site process is gone. This process must not
		 * run the site in its place (it never recovers); the caller closes it again. */
		LOG("replication: the site process is not running");
		return EAGAIN;
	}
	if (ret != DB_REP_IGNORE) {
		LOG("replication start (worker): %s", db_strerror(ret));
		return ret;
	}
	/* A worker sends its own commits to the others over connections of its own (their
	 * state, in this process, is what repmgr_site_list says here): a commit made before
	 * they are up gets no acknowledgement. So it waits for every site, or a while. */
	while (connected_sites(s->env) + 1 < s->opts.repl->n_sites && clock_mono_ms() < until)
		usleep(REPL_CONNECT_POLL_US);
	return 0;
}

int repl_can_commit(struct store *s)
{
	int master = 0;
	return repl_is_master(s, &master) != 0 || !master ||
	       connected_sites(s->env) >= acks_needed(s->opts.repl);
}

int repl_is_master(struct store *s, int *master)
{
	DB_REP_STAT *st;
	int ret;
	if ((ret = s->env->rep_stat(s->env, &st, 0)) != 0)
		return ret;
	*master = (st->st_status & DB_REP_MASTER) != 0;
	free(st);
	return 0;
}

int repl_master_of(struct store *s, int *master)
{
	const struct store_repl *r = s->opts.repl;
	DB_REP_STAT *st;
	DB_SITE *site;
	const char *host;
	u_int port;
	size_t i;
	int ret, t_ret, eid;
	*master = -1;
	if ((ret = s->env->rep_stat(s->env, &st, 0)) != 0)
		return ret;
	eid = (int)st->st_master;
	if (st->st_status & DB_REP_MASTER)
		*master = (int)r->self;
	free(st);
	if (*master >= 0 || eid == DB_EID_INVALID)
		return 0;
	if ((ret = s->env->repmgr_site_by_eid(s->env, eid, &site)) != 0)
		return ret;
	if ((ret = site->get_address(site, &host, &port)) == 0)
		for (i = 0; i < r->n_sites; i++)
			if (r->sites[i].port == port && strcmp(r->sites[i].host, host) == 0)
				*master = (int)i;
	if ((t_ret = site->close(site)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_status store_repl_state(struct store *s, struct store_repl_state *st)
{
	memset(st, 0, sizeof(*st));
	st->master = -1;
	if (!s->opts.repl)
		return STORE_OK;
	st->replicated = 1;
	/* With its site process gone, whatever the environment still says is stale. */
	if (!site_lock_holder(s->dir))
		return STORE_OK;
	if (env_ensure(s) != 0 || repl_master_of(s, &st->master) != 0)
		return STORE_FAIL;
	st->is_master = st->master == (int)s->opts.repl->self;
	return STORE_OK;
}

int store_take_not_master(struct store *s)
{
	int was = s->not_master;
	s->not_master = 0;
	return was;
}

int store_take_unacked(struct store *s)
{
	int was = s->unacked;
	s->unacked = 0;
	return was;
}

enum store_status store_repl_report(struct store *s, struct store_repl_report *r)
{
	const struct store_repl *conf = s->opts.repl;
	DB_REPMGR_SITE *list = NULL;
	DB_LOG_STAT *ls;
	u_int n = 0, i;
	size_t j;
	memset(r, 0, sizeof(*r));
	r->master = -1;
	if (!conf)
		return STORE_OK;
	r->replicated = 1;
	r->site_up = site_lock_holder(s->dir) != 0;
	if (env_ensure(s) != 0 || (r->site_up && repl_master_of(s, &r->master) != 0) ||
	    s->env->repmgr_site_list(s->env, &n, &list) != 0)
		return STORE_FAIL;
	r->connected[conf->self] = 1;
	for (i = 0; i < n; i++)
		for (j = 0; j < conf->n_sites; j++)
			if (conf->sites[j].port == list[i].port &&
			    strcmp(conf->sites[j].host, list[i].host) == 0)
				r->connected[j] = list[i].status == DB_REPMGR_CONNECTED;
	free(list);
	if (s->env->log_stat(s->env, &ls, 0) != 0)
		return STORE_FAIL;
	r->lsn_file = ls->st_cur_file;
	r->lsn_offset = ls->st_cur_offset;
	free(ls);
	return STORE_OK;
}
