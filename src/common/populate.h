/* populate.h - memory mapped in by a thread of its own, ahead of the thread that will use it. */
#ifndef POPULATE_H
#define POPULATE_H

#include <stddef.h>

#define POPULATE_RANGES 8 /* ranges one populate_start takes, at most */

struct populate_range {
	void *start;
	size_t len;
};

struct populate;

/* Starts mapping in the first n (at most POPULATE_RANGES) of r, writable, in order; NULL when
 * n is 0 or no thread could be had (nothing lost but speed). Pages are mapped, never changed:
 * what a range holds reads the same. */
struct populate *populate_start(const struct populate_range *r, size_t n);
/* Waits for it and frees it (NULL: nothing). Join before a range is unmapped. */
void populate_join(struct populate *p);

#endif
