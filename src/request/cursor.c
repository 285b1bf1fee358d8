/* cursor.c - encodes a list position as hex: kind, FollowTime (big-endian), account bytes. */
#include "request/cursor.h"

#include <string.h>

#include "common/ids.h"

static const char hex[] = "0123456789abcdef";

void cursor_encode(enum store_list kind, const struct store_item *last, char *out)
{
	unsigned char raw[1 + 4 + STORE_ID_MAX];
	size_t idlen = strlen(last->id), n = 5 + idlen, i;
	raw[0] = (unsigned char)kind;
	raw[1] = (last->time >> 24) & 0xff;
	raw[2] = (last->time >> 16) & 0xff;
	raw[3] = (last->time >> 8) & 0xff;
	raw[4] = last->time & 0xff;
	memcpy(raw + 5, last->id, idlen);
	for (i = 0; i < n; i++) {
		out[2 * i] = hex[raw[i] >> 4];
		out[2 * i + 1] = hex[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

static int nibble(char c)
{
	const char *p = c ? strchr(hex, c) : NULL;
	return p ? (int)(p - hex) : -1;
}

int cursor_decode(const char *text, enum store_list kind, struct store_item *pos)
{
	unsigned char raw[1 + 4 + STORE_ID_MAX];
	size_t len = strlen(text), n, i;
	if (len % 2 || len < 2 * 6 || len > 2 * sizeof(raw))
		return -1;
	n = len / 2;
	for (i = 0; i < n; i++) {
		int hi = nibble(text[2 * i]), lo = nibble(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	if (raw[0] != kind || !id_valid((const char *)raw + 5, n - 5))
		return -1;
	pos->time = (uint32_t)raw[1] << 24 | (uint32_t)raw[2] << 16 | (uint32_t)raw[3] << 8 | raw[4];
	memcpy(pos->id, raw + 5, n - 5);
	pos->id[n - 5] = '\0';
	return 0;
}
