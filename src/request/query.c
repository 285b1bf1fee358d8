/* query.c - URL query-string parameters, percent-decoded. */
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

/* Decodes the len bytes at s into out (room for len + 1); returns the byte after its NUL. Runs
 * with nothing to decode are copied whole: a UserSig has none, and a byte-wise loop over its
 * 200-odd bytes was 5% of a follow_check's instructions. */
static char *decode(const char *s, size_t len, char *out, int *bad)
{
	char *o = out;
	size_t i = 0;
	while (i < len) {
		size_t run = strcspn(s + i, "%+&");
		if (run > len - i)
			run = len - i;
		memcpy(o, s + i, run);
		o += run;
		if ((i += run) >= len)
			break;
		if (s[i] == '+') {
			*o++ = ' ';
		} else {
			int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				*bad = 1;
				*o++ = '%';
				i++;
				continue;
			}
			*o++ = (char)(hi << 4 | lo);
			i += 2;
		}
		i++;
	}
	*o++ = '\0';
	return o;
}

/* One pass and one allocation for every parameter of a call: a scan and a malloc per name were
 * 7% of a follow_check's instructions. A value decodes to no more bytes than it has, so each
 * `name=value` has room in the block for its value and the NUL. */
int query_find(const char *query, struct query_param *p, size_t n, char **block)
{
	size_t i, left = n;
	char *o;
	for (i = 0; i < n; i++) {
		p[i].value = NULL;
		p[i].bad = 0;
	}
	if (!(*block = o = malloc(strlen(query) + 1)))
		return -1;
	while (*query && left) {
		const char *end = strchr(query, '&');
		const char *eq;
		if (!end)
			end = query + strlen(query);
		eq = memchr(query, '=', (size_t)(end - query));
		if (eq) {
			size_t nlen = (size_t)(eq - query);
			for (i = 0; i < n; i++)
				if (!p[i].value && strncmp(p[i].name, query, nlen) == 0 &&
				    p[i].name[nlen] == '\0') {
					p[i].value = o;
					o = decode(eq + 1, (size_t)(end - eq - 1), o, &p[i].bad);
					left--;
					break;
				}
		}
		query = *end ? end + 1 : end;
	}
	return 0;
}
