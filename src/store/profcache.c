/* profcache.c - a worker's copy of profile records read by its follow_get pages. A page of 100
 * fans made 100 hash lookups in the profiles table, each fetching the table's meta page and a
 * bucket page from the shared cache under their latches: half of a page's CPU, and the meta
 * page's latch was the one every worker took. The same pages are asked for again and again
 * (the first page of a popular account), so a worker keeps what it read and asks the table
 * only for the page's mark (one lookup); any profile change gives the table a new mark in its
 * own transaction, and the copy is then dropped whole. */
#include "store/profcache.h"

#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define PROFCACHE_SLOTS 8192           /* open addressing, a power of two, at most half used */
#define PROFCACHE_BYTES (1024 * 1024)  /* the ids and records copied */
#define PROFCACHE_RECORD_MAX 4096      /* a larger record is read from the table each time */

struct slot {
	uint32_t epoch; /* in use when it is the cache's epoch: a clear costs no sweep */
	uint32_t hash;
	uint32_t off; /* id then record, in bytes[] */
	uint32_t len; /* the record's */
	uint32_t idlen;
};

struct profcache {
	uint64_t mark;
	uint32_t epoch;
	size_t n, used;
	struct slot slot[PROFCACHE_SLOTS];
	unsigned char bytes[PROFCACHE_BYTES];
};

/* calloc: the big arrays are mapped lazily, so a worker pays only for what it copies. */
struct profcache *profcache_new(void)
{
	struct profcache *c = calloc(1, sizeof(*c));
	if (c)
		c->epoch = 1;
	return c;
}

void profcache_free(struct profcache *c)
{
	free(c);
}

void profcache_clear(struct profcache *c)
{
	c->n = 0;
	c->used = 0;
	if (++c->epoch == 0) { /* wrapped: old slots could look current */
		memset(c->slot, 0, sizeof(c->slot));
		c->epoch = 1;
	}
}

void profcache_at(struct profcache *c, uint64_t mark)
{
	if (mark != c->mark) {
		profcache_clear(c);
		c->mark = mark;
	}
}

static uint32_t id_hash(const unsigned char *id, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	while (len--)
		h = (h ^ *id++) * 16777619u;
	return h;
}

/* The slot holding id, or the free slot where it would go. */
static const struct slot *find(const struct profcache *c, const void *id, size_t idlen,
			       uint32_t h)
{
	size_t i = h & (PROFCACHE_SLOTS - 1);
	for (;; i = (i + 1) & (PROFCACHE_SLOTS - 1)) {
		const struct slot *sl = &c->slot[i];
		if (sl->epoch != c->epoch ||
		    (sl->hash == h && sl->idlen == idlen && memcmp(c->bytes + sl->off, id, idlen) == 0))
			return sl;
	}
}

int profcache_get(const struct profcache *c, const void *id, size_t idlen, const void **rec,
		  size_t *len)
{
	const struct slot *sl = find(c, id, idlen, id_hash(id, idlen));
	if (sl->epoch != c->epoch)
		return 0;
	*rec = c->bytes + sl->off + sl->idlen;
	*len = sl->len;
	return 1;
}

void profcache_put(struct profcache *c, const void *id, size_t idlen, const void *rec, size_t len)
{
	uint32_t h = id_hash(id, idlen);
	struct slot *sl;
	if (len > PROFCACHE_RECORD_MAX || idlen > STORE_ID_MAX)
		return;
	if (c->n + 1 > PROFCACHE_SLOTS / 2 || PROFCACHE_BYTES - c->used < idlen + len)
		profcache_clear(c);
	sl = (struct slot *)find(c, id, idlen, h);
	if (sl->epoch == c->epoch)
		return; /* already there */
	sl->epoch = c->epoch;
	sl->hash = h;
	sl->off = (uint32_t)c->used;
	sl->idlen = (uint32_t)idlen;
	sl->len = (uint32_t)len;
	memcpy(c->bytes + c->used, id, idlen);
	if (len)
		memcpy(c->bytes + c->used + idlen, rec, len);
	c->used += idlen + len;
	c->n++;
}
