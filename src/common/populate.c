/* populate.c - memory mapped in by a thread of its own.
 *
 * In this virtual machine each page fault is a trap to the host, and the first touch of fresh
 * memory also makes the host back it: a fifth of followctl verify's visiting thread went to
 * the kernel zeroing its tables' pages. The kernel maps a whole range in one call
 * (MADV_POPULATE_WRITE, Linux 5.14); made by a thread of its own, on the other core, it is off
 * the path of the thread that fills the range. That thread may get there first: then it
 * faults as before, and the kernel serializes the two. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/populate.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PAGE 4096u

struct populate {
	pthread_t thread;
	size_t n;
	struct populate_range r[POPULATE_RANGES];
};

static void *run(void *argp)
{
	struct populate *p = argp;
	size_t i;
	for (i = 0; i < p->n; i++)
		if (p->r[i].len && madvise(p->r[i].start, p->r[i].len, MADV_POPULATE_WRITE) != 0)
			break; /* an older kernel, or no memory: the user faults as before */
	return NULL;
}

struct populate *populate_start(const struct populate_range *r, size_t n)
{
	struct populate *p;
	size_t i;
	if (!n || !(p = calloc(1, sizeof(*p))))
		return NULL;
	for (i = 0; i < n && i < POPULATE_RANGES; i++) {
		/* Whole pages inside the range: madvise takes an aligned start. */
		uintptr_t a = ((uintptr_t)r[i].start + PAGE - 1) & ~(uintptr_t)(PAGE - 1);
		uintptr_t end = ((uintptr_t)r[i].start + r[i].len) & ~(uintptr_t)(PAGE - 1);
		if (r[i].start && end > a) {
			p->r[p->n].start = (void *)a;
			p->r[p->n++].len = end - a;
		}
	}
	if (p->n && pthread_create(&p->thread, NULL, run, p) == 0)
		return p;
	free(p);
	return NULL;
}

void populate_join(struct populate *p)
{
	if (!p)
		return;
	pthread_join(p->thread, NULL);
	free(p);
}
