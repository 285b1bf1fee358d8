/* stats.c - followctl stats: record counts from the tables' own statistics, the longest fan
 * list, the bytes of data_dir's files and the webhook backlog. */
#include <db.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin/admin.h"
#include "admin/admin_int.h"

struct stats_arg {
	struct admin_stats *st;
};

static int hash_counts(DB *db, DB_TXN *txn, size_t *keys, size_t *data)
{
	DB_HASH_STAT *sp = NULL;
	int ret = db->stat(db, txn, &sp, 0);
	if (ret != 0)
		return ret;
	*keys = sp->hash_nkeys;
	*data = sp->hash_ndata;
	free(sp);
	return 0;
}

static int stats_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct admin_stats *st = ((struct stats_arg *)argp)->st;
	size_t junk, mutual;
	DBT key, val;
	DBC *c;
	int ret, t_ret;

	st->top_id[0] = '\0';
	st->top_fans = 0;
	if ((ret = hash_counts(s->db[T_ACCOUNTS], txn, &st->accounts, &junk)) != 0 ||
	    (ret = hash_counts(s->db[T_EDGES], txn, &st->edges, &junk)) != 0 ||
	    (ret = hash_counts(s->db[T_MUTUAL], txn, &junk, &mutual)) != 0)
		return ret;
	st->mutual_pairs = mutual / 2;
	/* The longest fan list: one step per account, counting its duplicates. */
	if ((ret = s->db[T_FANS]->cursor(s->db[T_FANS], txn, &c, 0)) != 0)
		return ret;
	memset(&key, 0, sizeof(key));
	memset(&val, 0, sizeof(val));
	key.flags = DB_DBT_REALLOC;
	val.flags = DB_DBT_PARTIAL | DB_DBT_USERMEM; /* the entries themselves are not needed */
	while ((ret = c->get(c, &key, &val, DB_NEXT_NODUP)) == 0) {
		db_recno_t n = 0;
		if ((ret = c->count(c, &n, 0)) != 0)
			break;
		if (n > st->top_fans && key.size <= STORE_ID_MAX) {
			st->top_fans = n;
			memcpy(st->top_id, key.data, key.size);
			st->top_id[key.size] = '\0';
		}
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	free(key.data);
	return ret;
}

static int disk_usage(const char *dir, struct admin_stats *st)
{
	char path[PATH_MAX];
	struct dirent *d;
	struct stat sb;
	DIR *dp = opendir(dir);
	if (!dp)
		return -1;
	while ((d = readdir(dp))) {
		uint64_t size;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path) ||
		    lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		size = (uint64_t)sb.st_size;
		if (strncmp(d->d_name, "log.", 4) == 0)
			st->disk_log += size;
		else if (strncmp(d->d_name, "__db", 4) == 0)
			st->disk_region += size;
		else if (is_db_file(d->d_name))
			st->disk_db += size;
		else
			st->disk_other += size;
	}
	closedir(dp);
	return 0;
}

static int cache_figures(struct store *s, struct admin_stats *st, char *err, size_t errlen)
{
	struct store_figures f;
	if (store_figures(s, &f) != STORE_OK) {
		snprintf(err, errlen, "stats: cannot read the cache's figures (see above)");
		return -1;
	}
	st->cache_bytes = f.cache_bytes;
	st->cache_hits = f.cache_hits;
	st->cache_misses = f.cache_misses;
	return 0;
}

int admin_stats(struct store *s, struct admin_stats *st, char *err, size_t errlen)
{
	struct stats_arg arg = {st};
	int ret;
	memset(st, 0, sizeof(*st));
	if ((ret = run_txn(s, stats_body, &arg, 1)) != 0)
		return err_of(ret, "stats", err, errlen);
	if (store_outbox_counts(s, &st->outbox_pending, &st->outbox_dead) != STORE_OK) {
		snprintf(err, errlen, "stats: cannot count the webhook outbox");
		return -1;
	}
	if (disk_usage(s->dir, st) != 0) {
		snprintf(err, errlen, "stats: cannot list %s: %s", s->dir, strerror(errno));
		return -1;
	}
	return cache_figures(s, st, err, errlen);
}
