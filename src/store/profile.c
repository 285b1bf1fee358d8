/* profile.c - profile tags in Berkeley DB: one record per account, changed in one
 * transaction, read by key (a follow_get page costs one lookup per item). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "store/store_int.h"

/*
 * profiles: id -> seq(4) count(1) then per tag: namelen(1) name kind(1) num-or-len(4) [bytes]
 * (little-endian; kind 1 = integer, 0 = string of len bytes). Tags stay in first-set order.
 */

/* The exact inverse of encode (tag names 1..STORE_TAG_MAX bytes without NUL, kind 0 or 1, no
 * trailing bytes); followctl verify uses it too. p->mem is left to the caller. */
int profile_decode(const void *rec, size_t size, struct store_profile *p, struct store_tag *room,
		   size_t cap)
{
	const unsigned char *b = rec, *end = b + size;
	size_t i, n;
	memset(p, 0, sizeof(*p));
	p->tag = room;
	if (size < 5)
		return -1;
	p->seq = get_le32(b);
	n = b[4];
	b += 5;
	if (n > cap)
		return -1;
	for (i = 0; i < n && i < STORE_TAGS_MAX; i++) {
		struct store_tag *t = &p->tag[i];
		size_t nl;
		if (b >= end || (nl = *b++) > STORE_TAG_MAX || nl == 0 ||
		    (size_t)(end - b) < nl + 5 || memchr(b, '\0', nl))
			return -1;
		memcpy(t->name, b, nl);
		t->name[nl] = '\0';
		b += nl;
		if (*b > 1)
			return -1;
		t->is_int = *b++;
		t->num = get_le32(b);
		b += 4;
		if (!t->is_int) {
			t->len = t->num;
			t->num = 0;
			if ((size_t)(end - b) < t->len)
				return -1;
			t->str = (const char *)b;
			b += t->len;
		}
	}
	p->n = i;
	return i == n && b == end ? 0 : -1;
}

size_t profile_tag_count(const void *rec, size_t size)
{
	return size > 4 ? ((const unsigned char *)rec)[4] : 0;
}

static size_t encoded_size(const struct store_profile *p)
{
	size_t i, size = 5;
	for (i = 0; i < p->n; i++)
		size += 1 + strlen(p->tag[i].name) + 5 + (p->tag[i].is_int ? 0 : p->tag[i].len);
	return size;
}

static void encode(const struct store_profile *p, unsigned char *b)
{
	size_t i;
	put_le32(b, p->seq);
	b[4] = (unsigned char)p->n;
	b += 5;
	for (i = 0; i < p->n; i++) {
		const struct store_tag *t = &p->tag[i];
		size_t nl = strlen(t->name);
		*b++ = (unsigned char)nl;
		memcpy(b, t->name, nl);
		b += nl;
		*b++ = (unsigned char)(t->is_int != 0);
		put_le32(b, t->is_int ? t->num : (uint32_t)t->len);
		b += 4;
		if (!t->is_int) {
			memcpy(b, t->str, t->len);
			b += t->len;
		}
	}
}

/* Reads id's profile into p (empty when it has none), with room for `room` tags, or for
 * exactly its own when room is 0; free it with store_profile_free. */
static int profile_read(struct store *s, DB_TXN *txn, const char *id, struct store_profile *p,
			int rmw, size_t room)
{
	struct store_tag *tags;
	DBT key, val;
	int ret;
	DB *db;
	dbt_init(&key, id, strlen(id));
	memset(&val, 0, sizeof(val));
	val.flags = DB_DBT_MALLOC;
	memset(p, 0, sizeof(*p));
	if ((ret = store_table(s, T_PROFILES, &db)) != 0)
		return ret;
	ret = db->get(db, txn, &key, &val, rmw_flag(s, rmw));
	if (ret == DB_NOTFOUND && !room)
		return 0;
	if (ret != 0 && ret != DB_NOTFOUND)
		return ret;
	if (ret == 0 && !room)
		room = profile_tag_count(val.data, val.size);
	if (!(tags = calloc(room ? room : 1, sizeof(*tags)))) {
		free(val.data);
		return ENOMEM;
	}
	if (ret == DB_NOTFOUND) {
		p->tag = tags;
		return 0;
	}
	if (profile_decode(val.data, val.size, p, tags, room) != 0) {
		free(val.data);
		free(tags);
		memset(p, 0, sizeof(*p));
		return EINVAL;
	}
	p->mem = val.data;
	return 0;
}

/* Merges tags into id's profile and writes it back with the next version. */
static int profile_merge(struct store *s, DB_TXN *txn, const char *id, const struct store_tag *tags,
			 size_t n)
{
	struct store_profile p;
	unsigned char *buf;
	size_t i, j, size;
	int ret;

	if (n == 0)
		return 0;
	if ((ret = profile_read(s, txn, id, &p, 1, STORE_TAGS_MAX)) != 0)
		return ret;
	for (i = 0; i < n; i++) {
		for (j = 0; j < p.n && strcmp(p.tag[j].name, tags[i].name) != 0; j++)
			;
		if (j == STORE_TAGS_MAX) {
			store_profile_free(&p);
			return TXN_FULL;
		}
		p.tag[j] = tags[i]; /* strings point at the caller's or p.mem's bytes until encoded */
		if (j == p.n)
			p.n++;
	}
	p.seq++;
	size = encoded_size(&p);
	if (!(buf = malloc(size))) {
		store_profile_free(&p);
		return ENOMEM;
	}
	encode(&p, buf);
	store_profile_free(&p);
	ret = profile_put(s, txn, id, buf, size);
	free(buf);
	return ret;
}

/* ---- the table's mark ---- */

int profile_put(struct store *s, DB_TXN *txn, const char *id, const void *rec, size_t size)
{
	DBT key, val;
	DB *db;
	int ret;
	dbt_init(&key, id, strlen(id));
	dbt_init(&val, rec, size);
	if ((ret = store_table(s, T_PROFILES, &db)) != 0 ||
	    (ret = db->put(db, txn, &key, &val, 0)) != 0)
		return ret;
	s->profiles_changed = 1;
	return 0;
}

int profile_del(struct store *s, DB_TXN *txn, const char *id)
{
	DBT key;
	DB *db;
	int ret;
	dbt_init(&key, id, strlen(id));
	if ((ret = store_table(s, T_PROFILES, &db)) != 0 || (ret = db->del(db, txn, &key, 0)) != 0)
		return ret;
	s->profiles_changed = 1;
	return 0;
}

/* Under a key no account can have (an id has no control bytes): 8 bytes, little-endian. */
static const unsigned char MARK_KEY[1] = {0};
#define MARK_BYTES 8

int profiles_key_is_mark(const void *key, size_t size)
{
	return size == sizeof(MARK_KEY) && memcmp(key, MARK_KEY, size) == 0;
}

/* splitmix64: a new mark per change, from a seed each process draws once. */
static uint64_t next_mark(void)
{
	static uint64_t state;
	static int seeded;
	uint64_t z;
	if (!seeded) {
		if (getrandom(&state, sizeof(state), GRND_NONBLOCK) != sizeof(state))
			state = (uint64_t)getpid() << 32 ^ (uint64_t)time(NULL) ^ (uint64_t)clock();
		seeded = 1;
	}
	z = (state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Random rather than counted: a replica whose unacknowledged writes are rolled back when it
 * joins a new master must not come back to a mark it had with other profiles behind it. Written
 * last in its transaction (run_txn_as), so the one record every profile change writes is held
 * only while that transaction commits. */
int profiles_remark(struct store *s, DB_TXN *txn)
{
	unsigned char b[MARK_BYTES];
	uint64_t m = next_mark();
	DBT key, val;
	DB *db;
	int ret;
	put_le32(b, (uint32_t)m);
	put_le32(b + 4, (uint32_t)(m >> 32));
	dbt_init(&key, MARK_KEY, sizeof(MARK_KEY));
	dbt_init(&val, b, sizeof(b));
	if ((ret = store_table(s, T_PROFILES, &db)) != 0)
		return ret;
	return db->put(db, txn, &key, &val, 0);
}

int profiles_mark(DBC *c, uint64_t *mark, int *known)
{
	unsigned char b[MARK_BYTES];
	DBT key, val;
	int ret;
	*mark = 0;
	*known = 0;
	dbt_init(&key, MARK_KEY, sizeof(MARK_KEY));
	dbt_user(&val, b, sizeof(b));
	ret = c->get(c, &key, &val, DB_SET);
	if (ret == DB_NOTFOUND) { /* no profile changed since the table was made */
		*known = 1;
		return 0;
	}
	if (ret == DB_BUFFER_SMALL)
		return 0;
	if (ret != 0)
		return ret;
	if (val.size != MARK_BYTES)
		return 0;
	*mark = (uint64_t)get_le32(b + 4) << 32 | get_le32(b);
	*known = 1;
	return 0;
}

struct imports_arg {
	const struct store_import *items;
	size_t n;
};

static int imports_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct imports_arg *arg = argp;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++)
		if ((ret = account_create(s, txn, arg->items[i].id)) != 0 ||
		    (ret = profile_merge(s, txn, arg->items[i].id, arg->items[i].tags,
					 arg->items[i].n)) != 0)
			return ret;
	return 0;
}

static enum store_status profile_status(int ret)
{
	return ret == TXN_FULL ? STORE_FULL : status_of(ret);
}

enum store_status store_accounts_import(struct store *s, const struct store_import *items,
					size_t n)
{
	struct imports_arg arg = {items, n};
	return profile_status(run_txn(s, imports_body, &arg, 0));
}

struct set_arg {
	const char *id;
	const struct store_tag *tags;
	size_t n;
};

static int set_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct set_arg *arg = argp;
	struct account a;
	int ret;
	if ((ret = account_acting(s, txn, arg->id, &a, 1)) != 0)
		return ret;
	return profile_merge(s, txn, arg->id, arg->tags, arg->n);
}

enum store_status store_profile_set(struct store *s, const char *id, const struct store_tag *tags,
				    size_t n)
{
	struct set_arg arg = {id, tags, n};
	return profile_status(run_txn(s, set_body, &arg, 0));
}

struct get_arg {
	const char *const *ids;
	size_t n;
	struct store_profile *out;
	int *exists;
};

static int get_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct get_arg *arg = argp;
	struct account a;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++) {
		store_profile_free(&arg->out[i]); /* a retry starts over */
		if ((ret = account_get(s, txn, arg->ids[i], &a, &arg->exists[i], 0)) != 0)
			return ret;
		if (arg->exists[i] &&
		    (ret = profile_read(s, txn, arg->ids[i], &arg->out[i], 0, 0)) != 0)
			return ret;
	}
	return 0;
}

enum store_status store_profile_get(struct store *s, const char *const *ids, size_t n,
				    struct store_profile *out, int *exists)
{
	struct get_arg arg = {ids, n, out, exists};
	size_t i;
	for (i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		exists[i] = 0;
	}
	return status_of(run_lookups(s, get_body, &arg));
}

void store_profile_free(struct store_profile *p)
{
	free(p->mem);
	free(p->tag);
	p->mem = NULL;
	p->tag = NULL;
	p->n = 0;
}
