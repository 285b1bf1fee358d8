/* profcache.h - a worker's copy of the profile records its follow_get pages read, trusted only
 * while the profiles table's mark (profile.c) is the one they were read at. */
#ifndef PROFCACHE_H
#define PROFCACHE_H

#include <stddef.h>
#include <stdint.h>

struct profcache;

/* NULL when out of memory (pages then read every profile from the table). */
struct profcache *profcache_new(void);
void profcache_free(struct profcache *c);
/* Forgets every record (a reopened environment may hold other data under the same mark). */
void profcache_clear(struct profcache *c);
/* A page reads at this mark: records copied at another one are forgotten. */
void profcache_at(struct profcache *c, uint64_t mark);
/* 1, with id's record (len 0: the account has none), when it was copied at the current mark. */
int profcache_get(const struct profcache *c, const void *id, size_t idlen, const void **rec,
		  size_t *len);
/* Copies id's record (NULL, 0: none); when the copy is full, everything else is forgotten. */
void profcache_put(struct profcache *c, const void *id, size_t idlen, const void *rec,
		   size_t len);

#endif
