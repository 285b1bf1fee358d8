/* query.c - URL query-string lookup and percent-decoding. */
#include "request/query.h"

#include <stdlib.h>
#include <string.h>

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char *decode(const char *s, size_t len, int *bad)
{
	char *out = malloc(len + 1), *o = out;
	size_t i;
	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '+') {
			*o++ = ' ';
		} else if (s[i] == '%') {
			int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				*bad = 1;
				*o++ = '%';
				continue;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

int query_get(const char *query, const char *name, char **out, int *bad)
{
	size_t nlen = strlen(name);
	const char *p = query;
	*out = NULL;
	*bad = 0;
	while (p && *p) {
		const char *end = strchr(p, '&');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			*out = decode(p + nlen + 1, len - nlen - 1, bad);
			return *out ? 0 : -1;
		}
		p = end ? end + 1 : NULL;
	}
	return 1;
}
