/* query.h - reading one parameter of a URL query string. */
#ifndef QUERY_H
#define QUERY_H

/* Finds the first `name=value` in query and stores its URL-decoded value, malloc'd, in *out.
 * Returns 0 when found, 1 when absent, -1 when out of memory. A value that decodes to a NUL
 * byte or has a broken %-escape is returned as found but flagged by *bad = 1. */
int query_get(const char *query, const char *name, char **out, int *bad);

#endif
