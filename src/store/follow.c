/* follow.c - follow batches (add, delete, check, info) and the pages of the three lists. */
#include <db.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/profcache.h"
#include "store/store_int.h"

/* ---- follow batches ---- */

struct batch_arg {
	const char *from;
	struct store_target *t;
	size_t n;
	uint32_t now;   /* changes: FollowTime of new edges; 0 when removing */
	int counts;     /* reads: counters rather than relations */
	const struct store_origin *origin; /* changes: who made them, for the webhook event */
};

static void batch_reset(struct batch_arg *arg)
{
	size_t i;
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		t->result = STORE_DONE;
		t->changed = t->exists = t->follow_type = 0;
		memset(&t->counts, 0, sizeof(t->counts));
	}
}

static int over(uint32_t count, uint32_t max)
{
	return max != 0 && count >= max;
}

/* A follow limit that adding from->to would break, or STORE_DONE. */
static enum store_result limit_hit(const struct store *s, const struct account *fa,
				   const struct account *ta, int makes_mutual)
{
	if (over(fa->following, s->opts.max_following))
		return STORE_MAX_FOLLOWING;
	if (over(ta->followers, s->opts.max_followers))
		return STORE_MAX_FOLLOWERS;
	if (makes_mutual && over(fa->mutual, s->opts.max_mutual))
		return STORE_MAX_MUTUAL_FROM;
	if (makes_mutual && over(ta->mutual, s->opts.max_mutual))
		return STORE_MAX_MUTUAL_TO;
	return STORE_DONE;
}

/* follow_add and follow_delete: each target's edge made or removed, counters kept in step. */
static int follow_change_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct batch_arg *arg = argp;
	int adding = arg->now != 0;
	struct account fa, ta;
	int ret, found, changed = 0;
	size_t i;

	batch_reset(arg);
	if ((ret = account_acting(s, txn, arg->from, &fa, 1)) != 0)
		return ret;
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		uint32_t cur, back;
		if (strcmp(t->id, arg->from) == 0)
			continue; /* callers answer self-follows; never touch one record twice */
		if ((ret = account_get(s, txn, t->id, &ta, &found, 1)) != 0)
			return ret;
		if (!found) {
			t->result = STORE_TARGET_MISSING;
			continue;
		}
		if ((ret = edge_get(s, txn, arg->from, t->id, &cur, 1)) != 0)
			return ret;
		if (!cur == !adding)
			continue; /* already in the asked-for state: nothing changes */
		if ((ret = edge_get(s, txn, t->id, arg->from, &back, 0)) != 0)
			return ret;
		if (adding && (t->result = limit_hit(s, &fa, &ta, back != 0)) != STORE_DONE)
			continue;
		ret = adding ? edge_add(s, txn, arg->from, t->id, arg->now, back, &fa, &ta)
			     : edge_del(s, txn, arg->from, t->id, cur, back, &fa, &ta);
		if (ret != 0 || (ret = account_put(s, txn, t->id, &ta)) != 0)
			return ret;
		t->changed = changed = 1;
	}
	/* A batch that changed nothing (every target already in the asked-for state) writes
	 * nothing on a single site: its commit then writes no log. Replicated, it still writes:
	 * its commit waits for the acknowledgements, which cover every earlier record too, so
	 * the OK of a retry after an unacknowledged write means that write reached the policy. */
	if ((changed || s->opts.repl) && (ret = account_put(s, txn, arg->from, &fa)) != 0)
		return ret;
	return arg->origin ? outbox_append(s, txn, adding, arg->from, arg->t, arg->n, arg->origin)
			   : 0;
}

enum store_status store_follow_add(struct store *s, const char *from, struct store_target *t,
				   size_t n, uint32_t now, const struct store_origin *origin)
{
	struct batch_arg arg = {from, t, n, now ? now : 1, 0, origin};
	return status_of(run_txn(s, follow_change_body, &arg, 0));
}

enum store_status store_follow_delete(struct store *s, const char *from, struct store_target *t,
				      size_t n, const struct store_origin *origin)
{
	struct batch_arg arg = {from, t, n, 0, 0, origin};
	return status_of(run_txn(s, follow_change_body, &arg, 0));
}

/* follow_check and follow_info: the same walk, reading relations or counters. An edge exists
 * only between two accounts (a deletion takes its edges with it, in one transaction), so a found
 * edge saves the target's account read, and proves the acting account too: that one is read
 * last, only when nothing read proved it (gone, the answer is the same error whatever the
 * targets). */
static int follow_read_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct batch_arg *arg = argp;
	struct account a;
	int ret, from_seen = 0;
	size_t i;

	batch_reset(arg);
	for (i = 0; i < arg->n; i++) {
		struct store_target *t = &arg->t[i];
		int self = strcmp(t->id, arg->from) == 0;
		uint32_t out = 0, in = 0;
		if (!arg->counts && !self &&
		    ((ret = edge_get(s, txn, arg->from, t->id, &out, 0)) != 0 ||
		     (ret = edge_get(s, txn, t->id, arg->from, &in, 0)) != 0))
			return ret;
		t->follow_type = (out ? 2 : 0) | (in ? 1 : 0);
		if (t->follow_type) {
			t->exists = from_seen = 1;
			continue;
		}
		if ((ret = account_get(s, txn, t->id, &a, &t->exists, 0)) != 0)
			return ret;
		if (!t->exists)
			t->result = STORE_TARGET_MISSING;
		else if (arg->counts) {
			t->counts.followers = a.followers;
			t->counts.following = a.following;
			t->counts.mutual = a.mutual;
		}
		from_seen |= self && t->exists;
	}
	return from_seen ? 0 : account_acting(s, txn, arg->from, &a, 0);
}

enum store_status store_follow_check(struct store *s, const char *from, struct store_target *t,
				     size_t n)
{
	struct batch_arg arg = {from, t, n, 0, 0, NULL};
	return status_of(run_lookups(s, follow_read_body, &arg));
}

enum store_status store_follow_info(struct store *s, const char *from, struct store_target *t,
				    size_t n)
{
	struct batch_arg arg = {from, t, n, 0, 1, NULL};
	return status_of(run_lookups(s, follow_read_body, &arg));
}

/* ---- list pages ---- */

struct page_arg {
	const char *who;
	int table;
	const struct store_item *after;
	size_t want;
	struct store_page *page;
};

#define PAGE_MEM_FIRST 16384 /* a page's profile records, to start with (grows as needed) */

/* A page's profiles, read through one cursor into one block of memory: the records first, then
 * every profile's tags. Read by key without looking each account up: an account deleted since
 * the page was read simply has no profile any more (an empty one is shown, as before). */
struct page_mem {
	unsigned char *buf;
	size_t used, cap;
};

static int mem_room(struct page_mem *m, size_t more)
{
	size_t cap = m->cap ? m->cap : PAGE_MEM_FIRST;
	unsigned char *p;
	while (cap - m->used < more)
		cap *= 2;
	if (cap == m->cap)
		return 0;
	if (!(p = realloc(m->buf, cap)))
		return ENOMEM;
	m->buf = p;
	m->cap = cap;
	return 0;
}

/* The worker's copy of profiles, set to the table's mark as this transaction sees it; NULL
 * when the process keeps none or the mark cannot be read as one. */
static int page_copy(struct store *s, DBC *c, struct profcache **pc)
{
	uint64_t mark;
	int ret, known;
	*pc = NULL;
	if (!s->opts.keep_profiles)
		return 0;
	if (!s->profiles_seen && !(s->profiles_seen = profcache_new()))
		return 0;
	if ((ret = profiles_mark(c, &mark, &known)) != 0 || !known)
		return ret;
	profcache_at(s->profiles_seen, mark);
	*pc = s->profiles_seen;
	return 0;
}

/* Reads each item's profile record into m: item i's at m->buf + off[i], len[i] bytes (0: it has
 * none). */
static int page_records(struct store *s, DBC *c, struct store_page *page, struct page_mem *m,
			size_t *off, size_t *len)
{
	struct profcache *pc;
	size_t i;
	int ret;
	if ((ret = page_copy(s, c, &pc)) != 0)
		return ret;
	for (i = 0; i < page->n; i++) {
		const char *id = page->items[i].id;
		size_t idlen = strlen(id);
		const void *rec;
		DBT key, val;
		off[i] = m->used;
		len[i] = 0;
		if (pc && profcache_get(pc, id, idlen, &rec, &len[i])) {
			if ((ret = mem_room(m, len[i])) != 0)
				return ret;
			memcpy(m->buf + m->used, rec, len[i]);
			m->used += len[i];
			continue;
		}
		dbt_init(&key, id, idlen);
		for (;;) {
			dbt_user(&val, m->buf + m->used, m->cap - m->used);
			ret = c->get(c, &key, &val, DB_SET);
			if (ret != DB_BUFFER_SMALL)
				break;
			if ((ret = mem_room(m, val.size)) != 0)
				return ret;
		}
		if (ret != 0 && ret != DB_NOTFOUND)
			return ret;
		if (ret == 0)
			len[i] = val.size;
		if (pc)
			profcache_put(pc, id, idlen, m->buf + off[i], len[i]);
		m->used += len[i];
	}
	return 0;
}

static int page_profiles(struct store *s, DB_TXN *txn, struct store_page *page)
{
	struct page_mem m = {NULL, 0, 0};
	size_t *off, *len, i, ntags = 0, tagoff;
	DB *db;
	DBC *c;
	int ret, t_ret;

	free(page->mem); /* a retry starts over */
	page->mem = NULL;
	if (!(off = calloc(2 * page->n + 1, sizeof(*off))))
		return ENOMEM;
	len = off + page->n;
	/* Some room from the start: page_records points its first read at m.buf. */
	if ((ret = mem_room(&m, 1)) != 0 || (ret = store_table(s, T_PROFILES, &db)) != 0 ||
	    (ret = db->cursor(db, txn, &c, 0)) != 0)
		goto out;
	ret = page_records(s, c, page, &m, off, len);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	if (ret != 0)
		goto out;
	for (i = 0; i < page->n; i++)
		ntags += profile_tag_count(m.buf + off[i], len[i]);
	/* The tags after the records, aligned for them. */
	tagoff = (m.used + _Alignof(struct store_tag) - 1) / _Alignof(struct store_tag) *
		 _Alignof(struct store_tag);
	if ((ret = mem_room(&m, tagoff - m.used + (ntags + 1) * sizeof(struct store_tag))) != 0)
		goto out;
	for (i = 0; i < page->n; i++) {
		struct store_tag *tags = (struct store_tag *)(m.buf + tagoff);
		size_t n = profile_tag_count(m.buf + off[i], len[i]);
		memset(&page->profiles[i], 0, sizeof(page->profiles[i]));
		if (len[i] && profile_decode(m.buf + off[i], len[i], &page->profiles[i], tags, n) != 0) {
			ret = EINVAL;
			goto out;
		}
		page->profiles[i].tag = tags;
		tagoff += n * sizeof(*tags);
	}
out:
	free(off);
	page->mem = m.buf;
	return ret;
}

#define BULK_MIN 8192   /* a page's bulk read buffer, at least (a multiple of 1024) */
#define BULK_ENTRY (IDX_MAX + 8) /* an index entry's room in it, with its offset and length */

/* Adds one index entry to the page: -1 once the page is full (page->more then says an entry
 * follows), else 0 or EINVAL. */
static int page_take(struct store_page *page, size_t want, const void *data, u_int32_t size,
		     const unsigned char *start, size_t *startlen)
{
	DBT d;
	/* The cursor's own entry, if still there, was the last of the previous page. */
	if (*startlen && size == *startlen && memcmp(data, start, *startlen) == 0) {
		*startlen = 0;
		return 0;
	}
	*startlen = 0;
	if (page->n == want) {
		page->more = 1;
		return -1;
	}
	dbt_init(&d, data, size);
	if (idx_decode(&d, &page->items[page->n]) != 0)
		return EINVAL;
	page->n++;
	return 0;
}

/* Walks the list in bulk (DB_MULTIPLE: many duplicates per cursor call) from its start or from
 * the cursor's entry, until the page is full and one more entry is seen, or the list ends. */
static int page_walk(DBC *c, DBT *key, const struct page_arg *arg, unsigned char *buf,
		     size_t cap)
{
	unsigned char start[IDX_MAX];
	size_t startlen = 0;
	u_int32_t op = DB_SET;
	DBT val;
	int ret, took = 0;

	dbt_user(&val, buf, cap);
	if (arg->after) {
		startlen = idx_encode(start, arg->after->time, arg->after->id);
		memcpy(buf, start, startlen);
		val.size = (u_int32_t)startlen;
		op = DB_GET_BOTH_RANGE;
	}
	for (ret = c->get(c, key, &val, op | DB_MULTIPLE); ret == 0;
	     ret = c->get(c, key, &val, DB_NEXT_DUP | DB_MULTIPLE)) {
		void *p, *data;
		u_int32_t size;
		DB_MULTIPLE_INIT(p, &val);
		for (;;) {
			DB_MULTIPLE_NEXT(p, &val, data, size);
			if (!p)
				break;
			if ((took = page_take(arg->page, arg->want, data, size, start, &startlen)))
				return took < 0 ? 0 : took;
		}
		dbt_user(&val, buf, cap);
	}
	return ret == DB_NOTFOUND ? 0 : ret;
}

static int page_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct page_arg *arg = argp;
	struct store_page *page = arg->page;
	unsigned char kbuf[STORE_ID_MAX], *buf;
	size_t cap = ((arg->want + 2) * BULK_ENTRY + 1023) / 1024 * 1024;
	struct account a;
	DBT key;
	DB *db;
	DBC *c;
	int ret, t_ret;

	page->n = 0;
	page->more = 0;
	if (cap < BULK_MIN)
		cap = BULK_MIN;
	if ((ret = account_acting(s, txn, arg->who, &a, 0)) != 0 ||
	    (ret = store_table(s, arg->table, &db)) != 0)
		return ret;
	if (!(buf = malloc(cap)))
		return ENOMEM;
	if ((ret = db->cursor(db, txn, &c, 0)) != 0) {
		free(buf);
		return ret;
	}
	memcpy(kbuf, arg->who, strlen(arg->who));
	dbt_user(&key, kbuf, sizeof(kbuf));
	key.size = (u_int32_t)strlen(arg->who);
	ret = page_walk(c, &key, arg, buf, cap);
	free(buf);
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

static int profiles_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct page_arg *arg = argp;
	return page_profiles(s, txn, arg->page);
}

static enum store_status list_page(struct store *s, const char *who, enum store_list kind,
				   const struct store_item *after, size_t want,
				   struct store_page *page, int profiles)
{
	struct page_arg arg = {who, 0, after, want, page};
	size_t room = want ? want : 1;
	int ret;
	arg.table = kind == STORE_FANS ? T_FANS : kind == STORE_FOLLOWING ? T_FOLLOWING : T_MUTUAL;
	page->n = 0;
	page->more = 0;
	page->items = calloc(room, sizeof(*page->items));
	page->profiles = profiles ? calloc(room, sizeof(*page->profiles)) : NULL;
	if (!page->items || (profiles && !page->profiles)) {
		store_page_free(page);
		return STORE_FAIL;
	}
	ret = run_txn(s, page_body, &arg, 1);
	if (ret == 0 && profiles && page->n)
		ret = run_snapshot(s, profiles_body, &arg);
	if (ret != 0 && ret != TXN_ROLLBACK)
		store_page_free(page);
	return status_of(ret);
}

enum store_status store_list_page(struct store *s, const char *who, enum store_list kind,
				  const struct store_item *after, size_t want,
				  struct store_page *page)
{
	return list_page(s, who, kind, after, want, page, 0);
}

enum store_status store_list_page_profiles(struct store *s, const char *who, enum store_list kind,
					   const struct store_item *after, size_t want,
					   struct store_page *page)
{
	return list_page(s, who, kind, after, want, page, 1);
}

void store_page_free(struct store_page *page)
{
	free(page->mem);
	page->mem = NULL;
	free(page->profiles);
	free(page->items);
	page->items = NULL;
	page->profiles = NULL;
	page->n = 0;
}
