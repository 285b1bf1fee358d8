/* prefault.c - maps the environment's region files into this process from a second thread,
 * ahead of a whole-store walk.
 *
 * A process that opens the environment after a recovery finds its cache region new and sparse:
 * every page the walk reads into the cache first faults in a page of the region file, which the
 * kernel must find or zero, and in this virtual machine each fault is a trap to the host. Those
 * faults were a third of the reading thread's time in followctl verify. The kernel can map a
 * range in one call (MADV_POPULATE_WRITE, Linux 5.14); done by another thread, on the other
 * core, it is off the walk's path. It changes no byte: the populated pages read as they did. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "store/store_int.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define PREFAULT_RANGES 8 /* region files: Berkeley DB makes 3 to 6 */
#define PAGE 4096u

struct store_prefault {
	pthread_t thread;
	size_t n;
	struct {
		char *start;
		size_t len;
	} r[PREFAULT_RANGES];
};

static void *populate(void *argp)
{
	struct store_prefault *p = argp;
	size_t i;
	for (i = 0; i < p->n; i++)
		if (madvise(p->r[i].start, p->r[i].len, MADV_POPULATE_WRITE) != 0)
			break; /* an older kernel, or no memory: the walk faults as before */
	return NULL;
}

/* This process's mappings of dir's region files, each cut to its file's size (the mapping
 * may be larger; a page past the end would fail) and to bytes. */
static void find_ranges(struct store_prefault *p, const char *dir, uint64_t bytes)
{
	char line[PATH_MAX + 128], path[PATH_MAX], prefix[PATH_MAX];
	unsigned long a, b;
	struct stat sb;
	int plen;
	FILE *f;
	if (!realpath(dir, path) || (plen = snprintf(prefix, sizeof(prefix), "%s/__db.", path)) < 0 ||
	    (size_t)plen >= sizeof(prefix) || !(f = fopen("/proc/self/maps", "r")))
		return;
	while (p->n < PREFAULT_RANGES && fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/'), *nl;
		uint64_t len;
		if (!file || sscanf(line, "%lx-%lx", &a, &b) != 2 || strncmp(file, prefix, (size_t)plen))
			continue;
		if ((nl = strchr(file, '\n')))
			*nl = '\0';
		if (stat(file, &sb) != 0 || sb.st_size <= 0)
			continue;
		len = b - a;
		if ((uint64_t)sb.st_size < len)
			len = (uint64_t)sb.st_size;
		if (bytes < len)
			len = bytes;
		len &= ~(uint64_t)(PAGE - 1);
		if (len) {
			p->r[p->n].start = (char *)a;
			p->r[p->n++].len = (size_t)len;
		}
	}
	fclose(f);
}

struct store_prefault *store_prefault_start(struct store *s, uint64_t bytes)
{
	struct store_prefault *p;
	if (!s->env || !(p = calloc(1, sizeof(*p))))
		return NULL;
	find_ranges(p, s->dir, bytes);
	if (p->n && pthread_create(&p->thread, NULL, populate, p) == 0)
		return p;
	free(p);
	return NULL;
}

void store_prefault_join(struct store_prefault *p)
{
	if (!p)
		return;
	pthread_join(p->thread, NULL);
	free(p);
}
