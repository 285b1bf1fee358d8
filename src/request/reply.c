/* reply.c - builds Tencent-style JSON responses with json-c. */
#include "request/reply.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

static void add(struct reply *r, struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val || !obj || json_object_object_add(obj, key, val) != 0) {
		json_object_put(val);
		r->failed = 1;
	}
}

static void envelope(struct reply *r, int code, const char *info)
{
	json_object_put(r->root);
	r->failed = 0;
	if (!(r->root = json_object_new_object())) {
		r->failed = 1;
		return;
	}
	reply_str(r, r->root, "ActionStatus", code ? "FAIL" : "OK");
	reply_int(r, r->root, "ErrorCode", code);
	reply_str(r, r->root, "ErrorInfo", info);
	reply_str(r, r->root, "ErrorDisplay", "");
}

void reply_init(struct reply *r)
{
	r->root = NULL;
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

struct json_object *reply_array(struct reply *r, struct json_object *parent, const char *key)
{
	struct json_object *a = json_object_new_array();
	add(r, parent ? parent : r->root, key, a);
	return r->failed ? NULL : a;
}

struct json_object *reply_object(struct reply *r, struct json_object *array)
{
	struct json_object *o = json_object_new_object();
	if (!o || !array || json_object_array_add(array, o) != 0) {
		json_object_put(o);
		r->failed = 1;
		return NULL;
	}
	return o;
}

void reply_str(struct reply *r, struct json_object *obj, const char *key, const char *val)
{
	add(r, obj, key, json_object_new_string(val));
}

void reply_strn(struct reply *r, struct json_object *obj, const char *key, const char *val,
		size_t len)
{
	add(r, obj, key, json_object_new_string_len(val, (int)len));
}

void reply_int(struct reply *r, struct json_object *obj, const char *key, int64_t val)
{
	add(r, obj, key, json_object_new_int64(val));
}

void reply_append_str(struct reply *r, struct json_object *array, const char *val, size_t len)
{
	struct json_object *s = json_object_new_string_len(val, (int)len);
	if (!s || !array || json_object_array_add(array, s) != 0) {
		json_object_put(s);
		r->failed = 1;
	}
}

struct json_object *reply_result(struct reply *r, struct json_object *array, const char *idkey,
				 const char *id, size_t idlen, int code, const char *info)
{
	struct json_object *o = reply_object(r, array);
	reply_strn(r, o, idkey, id, idlen);
	reply_int(r, o, "ResultCode", code);
	reply_str(r, o, "ResultInfo", code ? (info ? info : err_text(code)) : "");
	return o;
}

char *reply_finish(struct reply *r)
{
	char *out = NULL;
	if (!r->failed && r->root) {
		const char *s = json_object_to_json_string_ext(
			r->root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		if (s)
			out = strdup(s);
	}
	json_object_put(r->root);
	r->root = NULL;
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
