/* body.c - parses request bodies with json-c and checks the types of their fields. */
#include "body.h"

#include <ctype.h>
#include <json-c/json.h>
#include <string.h>

#include "ids.h"
#include "jsoncheck.h"

#define MAX_DEPTH 32

struct json_object *body_parse(const char *text, size_t len)
{
	struct json_tokener *tok;
	struct json_object *obj;
	size_t end;
	if (!text || len == 0 || len > INT32_MAX || !json_strict_valid(text, len, MAX_DEPTH) ||
	    !(tok = json_tokener_new_ex(MAX_DEPTH)))
		return NULL;
	obj = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (obj && json_tokener_get_error(tok) != json_tokener_success) {
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	while (obj && end < len && isspace((unsigned char)text[end]))
		end++;
	if (obj && (end != len || !json_object_is_type(obj, json_type_object))) {
		json_object_put(obj);
		obj = NULL;
	}
	return obj;
}

/* The member's value; NULL both when absent and when JSON null. */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
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
	/* A null UserID is present but not a string (60015), unlike an absent one. */
	if (!obj || !json_object_object_get_ex(obj, key, NULL))
		return FIELD_MISSING;
	return body_id(member(obj, key), out);
}

enum field body_array(struct json_object *obj, const char *key, size_t max,
		      struct json_object **out)
{
	struct json_object *v = member(obj, key);
	size_t n;
	if (!v)
		return FIELD_MISSING;
	if (!json_object_is_type(v, json_type_array))
		return FIELD_TYPE;
	n = json_object_array_length(v);
	*out = v;
	return (n == 0 || n > max) ? FIELD_BAD : FIELD_OK;
}

enum field body_int(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *v = member(obj, key);
	if (!v)
		return FIELD_MISSING;
	if (!json_object_is_type(v, json_type_int))
		return FIELD_TYPE;
	*out = json_object_get_int64(v);
	return FIELD_OK;
}

enum field body_string(struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v = member(obj, key);
	if (!v)
		return FIELD_MISSING;
	if (!json_object_is_type(v, json_type_string))
		return FIELD_TYPE;
	*out = json_object_get_string(v);
	return strlen(*out) == (size_t)json_object_get_string_len(v) ? FIELD_OK : FIELD_BAD;
}
