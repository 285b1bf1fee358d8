/* ratelimit.c - fixed one-second windows kept in a small shared file that every FastCGI
 * process maps, updated with atomic compare-and-swap, so the limit holds for the app as a whole
 * rather than per process. */
#include "request/ratelimit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_NAME "ratelimit.shm"

struct ratelimit {
	uint64_t *slot; /* per API: second << 32 | calls in that second */
	size_t n;
};

struct ratelimit *ratelimit_open(const char *dir, size_t slots, char *err, size_t errlen)
{
	char path[4096];
	size_t size = slots * sizeof(uint64_t);
	struct ratelimit *rl;
	struct stat st;
	void *map;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, FILE_NAME);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 || fstat(fd, &st) != 0 ||
	    ((size_t)st.st_size < size && ftruncate(fd, (off_t)size) != 0)) {
		snprintf(err, errlen, "cannot prepare %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED || !(rl = malloc(sizeof(*rl)))) {
		snprintf(err, errlen, "cannot map %s: %s", path, strerror(errno));
		if (map != MAP_FAILED)
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
