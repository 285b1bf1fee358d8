/* reply.c - writes Tencent-style JSON responses straight into one buffer, escaped exactly as
 * json-c's plain serialiser escapes them (tests/unit/reply_test.c compares the two), without
 * an object per field: a page of 100 items was 1,500 json-c allocations. */
#include "request/reply.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define REPLY_FIRST_CAP 1024
#define INT_TEXT_MAX 24 /* an int64 in decimal, with its sign */

/* Makes room for more bytes and the final NUL; -1 (and failed) when it cannot. */
static int grow_slow(struct reply *r, size_t more)
{
	size_t cap = r->cap ? r->cap : REPLY_FIRST_CAP;
	char *p;
	if (r->failed)
		return -1;
	while (cap - r->len < more + 1) {
		if (cap > SIZE_MAX / 2) {
			r->failed = 1;
			return -1;
		}
		cap *= 2;
	}
	if (cap != r->cap) {
		if (!(p = realloc(r->buf, cap))) {
			r->failed = 1;
			return -1;
		}
		r->buf = p;
		r->cap = cap;
	}
	return 0;
}

/* The common case inline: a page of 100 fans makes about 2,000 small writes. */
static inline int grow(struct reply *r, size_t more)
{
	return r->cap - r->len > more && !r->failed ? 0 : grow_slow(r, more);
}

static inline void put(struct reply *r, const char *s, size_t n)
{
	if (grow(r, n) != 0)
		return;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static inline void put_char(struct reply *r, char c)
{
	if (grow(r, 1) == 0)
		r->buf[r->len++] = c;
}

/* Whether any of the 8 bytes in w needs an escape: below ' ', '"' or '\\' (the exact tests
 * "has a byte less than n" and "has a zero byte", for all 8 bytes at once). */
static inline int needs_escape(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
	return ((((w - ones * ' ') & ~w) | ((quote - ones) & ~quote) |
		 ((backslash - ones) & ~backslash)) & highs) != 0;
}

/* A JSON string: quotes, the short escapes, \u00XX for the other control bytes; '/' and bytes
 * from 0x7f up as they are (JSON_C_TO_STRING_NOSLASHESCAPE). Room for the worst case is made
 * once; 8 bytes that need no escape (nearly all of them: ids, keys, nicks) are copied at once,
 * where a byte at a time was 5% of a worker's samples under a page of 100 fans. */
static void put_string(struct reply *r, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	static const char short_esc[32] = {['\b'] = 'b', ['\n'] = 'n', ['\r'] = 'r',
					   ['\t'] = 't', ['\f'] = 'f'};
	size_t i = 0, end;
	char *o;
	if (n > (SIZE_MAX - 2) / 6 || grow(r, 6 * n + 2) != 0) {
		r->failed = 1;
		return;
	}
	o = r->buf + r->len;
	*o++ = '"';
	while (i < n) {
		uint64_t w;
		if (n - i >= sizeof(w)) {
			memcpy(&w, s + i, sizeof(w));
			if (!needs_escape(w)) {
				memcpy(o, &w, sizeof(w));
				o += sizeof(w);
				i += sizeof(w);
				continue;
			}
		}
		for (end = n - i >= sizeof(w) ? i + sizeof(w) : n; i < end; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c >= ' ' && c != '"' && c != '\\') {
				*o++ = (char)c;
			} else if (c >= ' ') {
				*o++ = '\\';
				*o++ = (char)c;
			} else if (short_esc[c]) {
				*o++ = '\\';
				*o++ = short_esc[c];
			} else {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 0xf];
				o += 6;
			}
		}
	}
	*o++ = '"';
	r->len = (size_t)(o - r->buf);
}

/* Makes node, an open container closed by `closer`, the innermost one (closing those opened
 * inside it) and writes the separator before its next member; -1 when it is not such a node. */
static int enter(struct reply *r, reply_node node, char closer)
{
	int d;
	if (r->failed)
		return -1;
	for (d = r->depth; d >= 0 && r->node[d] != node; d--)
		;
	if (d < 0 || r->closer[d] != closer) {
		r->failed = 1;
		return -1;
	}
	for (; r->depth > d; r->depth--)
		put_char(r, r->closer[r->depth]);
	if (!r->empty[d])
		put_char(r, ',');
	r->empty[d] = 0;
	return 0;
}

/* A key is a field name of ours (reply.h): nothing to escape, one copy. A page of 100 fans
 * writes 600 of them; through put_string they were a tenth of its instructions. */
static int enter_key(struct reply *r, reply_node obj, const char *key)
{
	if (enter(r, obj, '}') != 0)
		return -1;
	put_char(r, '"');
	put(r, key, strlen(key));
	put(r, "\":", 2);
	return 0;
}

static reply_node open_container(struct reply *r, char opener, char closer)
{
	if (r->failed || r->depth + 1 >= REPLY_DEPTH_MAX) {
		r->failed = 1;
		return -1;
	}
	put_char(r, opener);
	r->depth++;
	r->node[r->depth] = ++r->next;
	r->closer[r->depth] = closer;
	r->empty[r->depth] = 1;
	return r->failed ? -1 : r->next;
}

static void envelope(struct reply *r, int code, const char *info)
{
	r->len = 0;
	r->failed = 0;
	r->depth = 0;
	r->next = REPLY_ROOT;
	r->node[0] = REPLY_ROOT;
	r->closer[0] = '}';
	r->empty[0] = 1;
	r->code = code;
	r->results.n = 0;
	put_char(r, '{');
	reply_str(r, REPLY_ROOT, "ActionStatus", code ? "FAIL" : "OK");
	reply_int(r, REPLY_ROOT, "ErrorCode", code);
	reply_str(r, REPLY_ROOT, "ErrorInfo", info);
	reply_str(r, REPLY_ROOT, "ErrorDisplay", "");
}

void reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	envelope(r, 0, "");
}

void reply_fail(struct reply *r, int code, const char *fmt, ...)
{
	char info[512];
	va_list ap;
	if (!fmt) {
		envelope(r, code, err_text(code));
		return;
	}
	va_start(ap, fmt);
	vsnprintf(info, sizeof(info), fmt, ap);
	va_end(ap);
	envelope(r, code, info);
}

reply_node reply_array(struct reply *r, reply_node parent, const char *key)
{
	return enter_key(r, parent, key) == 0 ? open_container(r, '[', ']') : -1;
}

reply_node reply_object(struct reply *r, reply_node array)
{
	return enter(r, array, ']') == 0 ? open_container(r, '{', '}') : -1;
}

void reply_str(struct reply *r, reply_node obj, const char *key, const char *val)
{
	reply_strn(r, obj, key, val, strlen(val));
}

void reply_strn(struct reply *r, reply_node obj, const char *key, const char *val, size_t len)
{
	if (enter_key(r, obj, key) == 0)
		put_string(r, val, len);
}

void reply_int(struct reply *r, reply_node obj, const char *key, int64_t val)
{
	char num[INT_TEXT_MAX], *p = num + sizeof(num);
	uint64_t u = val < 0 ? 0 - (uint64_t)val : (uint64_t)val;
	do /* printf's "%" PRId64, without printf's cost (four per follow_get item) */
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (val < 0)
		*--p = '-';
	if (enter_key(r, obj, key) == 0)
		put(r, p, (size_t)(num + sizeof(num) - p));
}

void reply_append_str(struct reply *r, reply_node array, const char *val, size_t len)
{
	if (enter(r, array, ']') == 0)
		put_string(r, val, len);
}

void reply_result_code(struct reply *r, reply_node obj, int code)
{
	int i;
	reply_int(r, obj, "ResultCode", code);
	struct reply_results *t = &r->results;
	for (i = 0; i < t->n && t->kind[i].code != code; i++)
		;
	if (i == t->n && i < REPLY_RESULT_KINDS) {
		t->kind[i].code = code;
		t->kind[i].n = 0;
		t->n++;
	}
	if (i < t->n)
		t->kind[i].n++;
}

reply_node reply_result(struct reply *r, reply_node array, const char *idkey, const char *id,
			size_t idlen, int code, const char *info)
{
	reply_node o = reply_object(r, array);
	reply_strn(r, o, idkey, id, idlen);
	reply_result_code(r, o, code);
	reply_str(r, o, "ResultInfo", code ? (info ? info : err_text(code)) : "");
	return o;
}

char *reply_finish(struct reply *r)
{
	char *out;
	for (; !r->failed && r->depth >= 0; r->depth--)
		put_char(r, r->closer[r->depth]);
	if (r->failed) {
		free(r->buf);
		out = NULL;
	} else {
		r->buf[r->len] = '\0'; /* grow keeps room for it */
		out = r->buf;
	}
	memset(r, 0, sizeof(*r));
	return out;
}

char *reply_static_fail(int code)
{
	char buf[256];
	snprintf(buf, sizeof(buf),
		 "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":%d,\"ErrorInfo\":\"%s\",\"ErrorDisplay\":\"\"}",
		 code, err_text(code));
	return strdup(buf);
}
