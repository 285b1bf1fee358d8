/* reply.c - writes Tencent-style JSON responses straight into one buffer, escaped exactly as
 * json-c's plain serialiser escapes them (tests/unit/reply_test.c compares the two), without
 * an object per field: a page of 100 items was 1,500 json-c allocations. */
#include "request/reply.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define REPLY_FIRST_CAP 1024
#define INT_TEXT_MAX 24 /* an int64 in decimal, with its sign */

static int grow(struct reply *r, size_t more)
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

static void put(struct reply *r, const char *s, size_t n)
{
	if (grow(r, n) != 0)
		return;
	memcpy(r->buf + r->len, s, n);
	r->len += n;
}

static void put_char(struct reply *r, char c)
{
	put(r, &c, 1);
}

/* A JSON string: quotes, the short escapes, \u00XX for the other control bytes; '/' and bytes
 * from 0x7f up as they are (JSON_C_TO_STRING_NOSLASHESCAPE). */
static void put_string(struct reply *r, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	put_char(r, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6] = {'\\', 0, '0', '0', 0, 0};
		size_t len = 2;
		switch (c) {
		case '\b': esc[1] = 'b'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\f': esc[1] = 'f'; break;
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		default:
			if (c >= ' ') {
				run++;
				continue;
			}
			esc[1] = 'u';
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			len = 6;
		}
		put(r, s + i - run, run);
		run = 0;
		put(r, esc, len);
	}
	put(r, s + n - run, run);
	put_char(r, '"');
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

static int enter_key(struct reply *r, reply_node obj, const char *key)
{
	if (enter(r, obj, '}') != 0)
		return -1;
	put_string(r, key, strlen(key));
	put_char(r, ':');
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
	char num[INT_TEXT_MAX];
	int n = snprintf(num, sizeof(num), "%" PRId64, val);
	if (enter_key(r, obj, key) == 0)
		put(r, num, (size_t)n);
}

void reply_append_str(struct reply *r, reply_node array, const char *val, size_t len)
{
	if (enter(r, array, ']') == 0)
		put_string(r, val, len);
}

reply_node reply_result(struct reply *r, reply_node array, const char *idkey, const char *id,
			size_t idlen, int code, const char *info)
{
	reply_node o = reply_object(r, array);
	reply_strn(r, o, idkey, id, idlen);
	reply_int(r, o, "ResultCode", code);
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
