/* prefault.c - maps the environment's region files into this process from a second thread,
 * ahead of a whole-store walk.
 *
 * A process that opens the environment after a recovery finds its cache region new and sparse:
 * every page the walk reads into the cache first faults in a page of the region file, which the
 * kernel must find or zero. Those faults were a third of the reading thread's time in followctl
 * verify; common/populate.c maps them in from another thread. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/populate.h"
#include "store/store_int.h"

/* This process's mappings of dir's region files, each cut to its file's size (the mapping
 * may be larger; a page past the end would fail) and to bytes; how many went into r. */
static size_t find_ranges(struct populate_range *r, const char *dir, uint64_t bytes)
{
	char line[PATH_MAX + 128], path[PATH_MAX], prefix[PATH_MAX];
	unsigned long a, b;
	struct stat sb;
	size_t n = 0;
	int plen;
	FILE *f;
	if (!realpath(dir, path) || (plen = snprintf(prefix, sizeof(prefix), "%s/__db.", path)) < 0 ||
	    (size_t)plen >= sizeof(prefix) || !(f = fopen("/proc/self/maps", "r")))
		return 0;
	while (n < POPULATE_RANGES && fgets(line, sizeof(line), f)) {
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
		r[n].start = (void *)a;
		r[n++].len = (size_t)len;
	}
	fclose(f);
	return n;
}

struct populate *store_prefault_start(struct store *s, uint64_t bytes)
{
	struct populate_range r[POPULATE_RANGES];
	return s->env ? populate_start(r, find_ranges(r, s->dir, bytes)) : NULL;
}
