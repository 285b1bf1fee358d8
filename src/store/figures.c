/* figures.c - the environment's own statistics (cache, locks, log), for followctl stats and
 * the service's /metrics. */
#include <db.h>
#include <stdlib.h>
#include <string.h>

#include "common/dirfiles.h"
#include "common/log.h"
#include "common/metrics.h"
#include "store/store_int.h"

static int log_file(const char *name)
{
	return strncmp(name, "log.", 4) == 0;
}

void store_sync_metrics(const struct store *s, struct metrics_shm *m, struct store_seen *seen)
{
	metrics_sync(m, MC_TXN_RETRIES, s ? s->retries : 0, &seen->txn_retries);
	metrics_sync(m, MC_RECOVERIES, store_recoveries_run, &seen->recoveries);
}

enum store_status store_figures(struct store *s, struct store_figures *f)
{
	DB_MPOOL_STAT *mp = NULL;
	DB_LOCK_STAT *lk = NULL;
	u_int32_t gbytes, bytes;
	int ncache, ret;
	memset(f, 0, sizeof(*f));
	if (!s->env)
		return STORE_FAIL; /* closed by a recovery elsewhere: the next call reopens it */
	if ((ret = s->env->get_cachesize(s->env, &gbytes, &bytes, &ncache)) != 0 ||
	    (ret = s->env->memp_stat(s->env, &mp, NULL, 0)) != 0 ||
	    (ret = s->env->lock_stat(s->env, &lk, 0)) != 0) {
		LOG("environment statistics: %s", db_strerror(ret));
		free(mp);
		return STORE_FAIL;
	}
	f->cache_bytes = (uint64_t)gbytes << 30 | bytes;
	f->cache_hits = mp->st_cache_hit;
	f->cache_misses = mp->st_cache_miss;
	f->deadlocks = lk->st_ndeadlocks;
	f->log_bytes = dir_bytes(s->dir, log_file);
	free(mp);
	free(lk);
	return STORE_OK;
}
