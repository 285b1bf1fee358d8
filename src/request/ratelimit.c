/* ratelimit.c - fixed one-second windows kept in a small shared file that every FastCGI
 * process maps, updated with atomic compare-and-swap, so the limit holds for the app as a whole
 * rather than per process. */
#include "request/ratelimit.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common/shmfile.h"

#define FILE_NAME "ratelimit.shm"

struct ratelimit {
	uint64_t *slot; /* per API: second << 32 | calls in that second */
	size_t n;
};

struct ratelimit *ratelimit_open(const char *dir, size_t slots, char *err, size_t errlen)
{
	size_t size = slots * sizeof(uint64_t);
	struct ratelimit *rl;
	void *map = shmfile_map(dir, FILE_NAME, size, err, errlen);
	if (!map)
		return NULL;
	if (!(rl = malloc(sizeof(*rl)))) {
		snprintf(err, errlen, "out of memory");
		munmap(map, size);
		return NULL;
	}
	rl->slot = map;
	rl->n = slots;
	return rl;
}

void ratelimit_close(struct ratelimit *rl)
{
	if (!rl)
		return;
	munmap(rl->slot, rl->n * sizeof(uint64_t));
	free(rl);
}

int ratelimit_allow(struct ratelimit *rl, size_t slot, uint32_t limit, time_t now)
{
	uint64_t *p, old, next, sec = (uint64_t)now & 0xffffffffu;
	if (!rl || limit == 0 || slot >= rl->n)
		return 1;
	p = &rl->slot[slot];
	old = __atomic_load_n(p, __ATOMIC_RELAXED);
	do {
		uint64_t calls = old & 0xffffffffu;
		/* Processes read a coarse clock a tick apart around a second's edge; a call that
		 * reads an older second counts in the newer window instead of resetting it. */
		if (old >> 32 < sec)
			next = sec << 32 | 1;
		else if (calls >= limit)
			return 0;
		else
			next = old + 1;
	} while (!__atomic_compare_exchange_n(p, &old, next, 0, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	return 1;
}
