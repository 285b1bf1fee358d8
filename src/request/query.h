/* query.h - the parameters of a URL query string. */
#ifndef QUERY_H
#define QUERY_H

#include <stddef.h>

/* One parameter a call looks for: name in, the rest out. */
struct query_param {
	const char *name;
	const char *value; /* URL-decoded, NULL when absent */
	int bad;	   /* it decodes to a NUL byte or has a broken %-escape */
};

/* Finds, in one pass over query, the first `name=value` of each of the n params. The values live
 * in one malloc'd block, *block: free it (also after a failure). -1 when out of memory. */
int query_find(const char *query, struct query_param *p, size_t n, char **block);

#endif
