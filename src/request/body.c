/* body.c - parses request bodies with json-c and checks the types of their fields. */
#include "request/body.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>

#include "common/errors.h"
#include "common/ids.h"
#include "common/jsoncheck.h"
#include "request/reply.h"

/* Members of every object in the tree: json-c keeps one value per key. */
static size_t count_members(struct json_object *o)
{
	size_t n = 0, i, len;
	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, val) {
			(void)key;
			n += 1 + count_members(val);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += count_members(json_object_array_get_idx(o, i));
	}
	return n;
}

/* One tokener for the process, reset for each body: making and freeing one per call was 1,300
 * instructions of a follow_check's 70,000. Left to the process's end, still reachable. */
static struct json_tokener *tokener(void)
{
	static struct json_tokener *tok;
	if (!tok)
		tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	else
		json_tokener_reset(tok);
	return tok;
}

enum body_status body_parse(const char *text, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t members;

	*out = NULL;
	if (!text || len == 0 || len > INT32_MAX ||
	    !json_strict_valid(text, len, JSON_MAX_DEPTH, &members) || !(tok = tokener()))
		return BODY_INVALID;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (obj && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return BODY_INVALID;
	}
	if (count_members(obj) != members) {
		json_object_put(obj);
		return BODY_DUPLICATE_KEY;
	}
	*out = obj;
	return BODY_OK;
}

/* Looks key up: FIELD_MISSING when absent, FIELD_TYPE when JSON null (a null is a value of
 * the wrong type, never "absent"), else FIELD_OK with *v set. */
static enum field member(struct json_object *obj, const char *key, struct json_object **v)
{
	*v = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, v))
		return FIELD_MISSING;
	return *v ? FIELD_OK : FIELD_TYPE;
}

/* member(), then FIELD_TYPE unless the value has JSON type t. */
static enum field typed_member(struct json_object *obj, const char *key, json_type t,
			       struct json_object **v)
{
	enum field f = member(obj, key, v);
	if (f == FIELD_OK && !json_object_is_type(*v, t))
		return FIELD_TYPE;
	return f;
}

enum field body_id(struct json_object *v, const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return FIELD_TYPE;
	*out = json_object_get_string(v);
	return id_valid(*out, (size_t)json_object_get_string_len(v)) ? FIELD_OK : FIELD_BAD;
}

enum field body_id_field(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v;
	enum field f = member(obj, key, &v);
	return f == FIELD_OK ? body_id(v, out) : f;
}

enum field body_array(struct json_object *obj, const char *key, size_t max,
		      struct json_object **out)
{
	struct json_object *v;
	enum field f = typed_member(obj, key, json_type_array, &v);
	size_t n;
	if (f != FIELD_OK)
		return f;
	n = json_object_array_length(v);
	*out = v;
	return (n == 0 || n > max) ? FIELD_BAD : FIELD_OK;
}

enum field body_int(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *v;
	enum field f = typed_member(obj, key, json_type_int, &v);
	if (f != FIELD_OK)
		return f;
	/* json-c clamps what does not fit 64 bits, which keeps its sign: callers check ranges. */
	*out = json_object_get_int64(v);
	return FIELD_OK;
}

enum field body_string(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v;
	enum field f = typed_member(obj, key, json_type_string, &v);
	if (f != FIELD_OK)
		return f;
	*out = json_object_get_string(v);
	return json_has_nul(v) ? FIELD_BAD : FIELD_OK;
}

int body_field_fail(struct reply *r, enum field f, const char *key, int bad, int type_code,
		    const char *type, const char *rule, ...)
{
	char text[256];
	va_list ap;
	if (f == FIELD_MISSING) {
		reply_fail(r, bad, "%s is missing", key);
	} else if (f == FIELD_TYPE) {
		reply_fail(r, type_code, "%s must be %s", key, type);
	} else {
		va_start(ap, rule);
		vsnprintf(text, sizeof(text), rule, ap);
		va_end(ap);
		reply_fail(r, bad, "%s %s", key, text);
	}
	return -1;
}

int body_id_fail(struct reply *r, enum field f, const char *key, int bad)
{
	return body_field_fail(r, f, key, bad, ERR_NOT_STRING, "a string", "must be %s", ID_RULE);
}
