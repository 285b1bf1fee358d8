/* records.c - the record layouts of the graph tables, and the helpers that read and write them
 * inside a transaction: the one place that knows how an account, an edge or an index entry is
 * stored (the service and followctl both use these). */
#include <db.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/*
 * Tables, all hash, all in one transactional environment:
 *   accounts  id -> counters (following, followers, mutual), 12 bytes little-endian
 *   edges     from NUL to -> FollowTime (4 bytes little-endian); the primary record of a follow
 *   following from -> sorted duplicates of  ~time(4, big-endian) . to
 *   fans      to   -> sorted duplicates of  ~time . from            (the fan index)
 *   mutual    user -> sorted duplicates of  ~time . other           (time the pair became mutual)
 * The three lists are secondary indexes kept by hand in the same transaction as the edge: a
 * DB->associate secondary would sort its duplicates by the primary key (the account), while a
 * list must come out newest first, so the inverted time leads the bytes the duplicates sort on.
 * A page then starts with DB_GET_BOTH_RANGE at the cursor's (time, id): O(log n + page).
 */

/* ---- encoding ---- */

void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void dbt_init(DBT *d, const void *data, size_t size)
{
	memset(d, 0, sizeof(*d));
	d->data = (void *)data;
	d->size = (u_int32_t)size;
}

void dbt_user(DBT *d, void *buf, size_t cap)
{
	memset(d, 0, sizeof(*d));
	d->data = buf;
	d->ulen = (u_int32_t)cap;
	d->flags = DB_DBT_USERMEM;
}

/* Index entry: newest first means the largest time must sort first, hence ~time big-endian. */
u_int32_t rmw_flag(const struct store *s, int rmw)
{
	return rmw && !s->opts.bulk ? DB_RMW : 0;
}

size_t idx_encode(unsigned char *buf, uint32_t time, const char *id)
{
	uint32_t inv = ~time;
	size_t len = strlen(id);
	buf[0] = (inv >> 24) & 0xff;
	buf[1] = (inv >> 16) & 0xff;
	buf[2] = (inv >> 8) & 0xff;
	buf[3] = inv & 0xff;
	memcpy(buf + 4, id, len);
	return 4 + len;
}

int idx_decode(const DBT *d, struct store_item *it)
{
	const unsigned char *p = d->data;
	size_t len;
	if (d->size < 5 || d->size > IDX_MAX)
		return EINVAL;
	it->time = ~((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
	len = d->size - 4;
	memcpy(it->id, p + 4, len);
	it->id[len] = '\0';
	return 0;
}

size_t edge_key(char *buf, const char *from, const char *to)
{
	size_t a = strlen(from), b = strlen(to);
	memcpy(buf, from, a);
	buf[a] = '\0';
	memcpy(buf + a + 1, to, b);
	return a + 1 + b;
}

int edge_key_split(const void *key, size_t size, size_t *flen, size_t *tlen)
{
	const char *nul = memchr(key, '\0', size);
	if (!nul)
		return EINVAL;
	*flen = (size_t)(nul - (const char *)key);
	*tlen = size - *flen - 1;
	return 0;
}

int account_decode(const void *rec, size_t size, struct account *a)
{
	const unsigned char *p = rec;
	if (size != 12)
		return EINVAL;
	a->following = get_le32(p);
	a->followers = get_le32(p + 4);
	a->mutual = get_le32(p + 8);
	return 0;
}

/* ---- record helpers (inside a transaction) ---- */

/* Reads an account; *found says whether it exists. RMW locks it for update when writing. */
int account_get(struct store *s, DB_TXN *txn, const char *id, struct account *a,
		       int *found, int rmw)
{
	unsigned char buf[12];
	DBT key, val;
	DB *db;
	int ret;
	memset(a, 0, sizeof(*a));
	*found = 0;
	if ((ret = store_table(s, T_ACCOUNTS, &db)) != 0)
		return ret;
	dbt_init(&key, id, strlen(id));
	dbt_user(&val, buf, sizeof(buf));
	ret = db->get(db, txn, &key, &val, rmw_flag(s, rmw));
	*found = ret == 0;
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	return account_decode(buf, val.size, a);
}

/* The acting account of a transaction: its counters (locked for update when rmw), or
 * TXN_ROLLBACK when it is not imported. */
int account_acting(struct store *s, DB_TXN *txn, const char *id, struct account *a, int rmw)
{
	int ret, found;
	if ((ret = account_get(s, txn, id, a, &found, rmw)) != 0)
		return ret;
	return found ? 0 : TXN_ROLLBACK;
}

int account_put(struct store *s, DB_TXN *txn, const char *id, const struct account *a)
{
	unsigned char buf[12];
	DBT key, val;
	DB *db;
	int ret;
	if ((ret = store_table(s, T_ACCOUNTS, &db)) != 0)
		return ret;
	put_le32(buf, a->following);
	put_le32(buf + 4, a->followers);
	put_le32(buf + 8, a->mutual);
	dbt_init(&key, id, strlen(id));
	dbt_init(&val, buf, sizeof(buf));
	return db->put(db, txn, &key, &val, 0);
}

/* Reads the edge from->to; *time is 0 when there is none (FollowTime 0 is never stored). */
int edge_get(struct store *s, DB_TXN *txn, const char *from, const char *to,
		    uint32_t *time, int rmw)
{
	char kbuf[EDGE_KEY_MAX];
	unsigned char vbuf[4];
	DBT key, val;
	DB *db;
	int ret;
	*time = 0;
	if ((ret = store_table(s, T_EDGES, &db)) != 0)
		return ret;
	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	dbt_user(&val, vbuf, sizeof(vbuf));
	ret = db->get(db, txn, &key, &val, rmw_flag(s, rmw));
	if (ret == DB_NOTFOUND)
		return 0;
	if (ret != 0)
		return ret;
	if (val.size != 4)
		return EINVAL;
	*time = get_le32(vbuf);
	return 0;
}

int idx_add(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
		   const char *other)
{
	unsigned char buf[IDX_MAX];
	DBT key, val;
	DB *db;
	int ret;
	if ((ret = store_table(s, table, &db)) != 0)
		return ret;
	dbt_init(&key, owner, strlen(owner));
	dbt_init(&val, buf, idx_encode(buf, time, other));
	return db->put(db, txn, &key, &val, DB_NODUPDATA);
}

int idx_del(struct store *s, DB_TXN *txn, int table, const char *owner, uint32_t time,
		   const char *other)
{
	unsigned char buf[IDX_MAX];
	DBT key, val;
	DB *db;
	DBC *c;
	int ret, t_ret;
	dbt_init(&key, owner, strlen(owner));
	dbt_init(&val, buf, idx_encode(buf, time, other));
	if ((ret = store_table(s, table, &db)) != 0 || (ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	ret = c->get(c, &key, &val, DB_GET_BOTH | rmw_flag(s, 1));
	if (ret == 0)
		ret = c->del(c, 0);
	else if (ret == DB_NOTFOUND)
		ret = EINVAL; /* an edge without its index entry: the store is inconsistent */
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

static uint32_t later(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

int edge_put(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t time)
{
	char kbuf[EDGE_KEY_MAX];
	unsigned char vbuf[4];
	DBT key, val;
	DB *db;
	int ret;

	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	put_le32(vbuf, time);
	dbt_init(&val, vbuf, 4);
	if ((ret = store_table(s, T_EDGES, &db)) != 0)
		return ret;
	return db->put(db, txn, &key, &val, 0);
}

/* Adds edge from->to at time now; both accounts' counters are in memory and the caller writes
 * them back. back is the time of to->from (0 when none). */
int edge_add(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t now,
		    uint32_t back, struct account *fa, struct account *ta)
{
	int ret;

	if ((ret = edge_put(s, txn, from, to, now)) != 0 ||
	    (ret = idx_add(s, txn, T_FOLLOWING, from, now, to)) != 0 ||
	    (ret = idx_add(s, txn, T_FANS, to, now, from)) != 0)
		return ret;
	fa->following++;
	ta->followers++;
	if (back) {
		uint32_t since = later(now, back);
		if ((ret = idx_add(s, txn, T_MUTUAL, from, since, to)) != 0 ||
		    (ret = idx_add(s, txn, T_MUTUAL, to, since, from)) != 0)
			return ret;
		fa->mutual++;
		ta->mutual++;
	}
	return 0;
}

/* Removes edge from->to made at time t; back as in edge_add. */
int edge_del(struct store *s, DB_TXN *txn, const char *from, const char *to, uint32_t t,
		    uint32_t back, struct account *fa, struct account *ta)
{
	char kbuf[EDGE_KEY_MAX];
	DBT key;
	DB *db;
	int ret;

	dbt_init(&key, kbuf, edge_key(kbuf, from, to));
	if ((ret = store_table(s, T_EDGES, &db)) != 0 || (ret = db->del(db, txn, &key, 0)) != 0 ||
	    (ret = idx_del(s, txn, T_FOLLOWING, from, t, to)) != 0 ||
	    (ret = idx_del(s, txn, T_FANS, to, t, from)) != 0)
		return ret;
	fa->following--;
	ta->followers--;
	if (back) {
		uint32_t since = later(t, back);
		if ((ret = idx_del(s, txn, T_MUTUAL, from, since, to)) != 0 ||
		    (ret = idx_del(s, txn, T_MUTUAL, to, since, from)) != 0)
			return ret;
		fa->mutual--;
		ta->mutual--;
	}
	return 0;
}

int account_create(struct store *s, DB_TXN *txn, const char *id)
{
	struct account a;
	int ret, found;
	if ((ret = account_get(s, txn, id, &a, &found, 1)) != 0 || found)
		return ret;
	return account_put(s, txn, id, &a);
}
