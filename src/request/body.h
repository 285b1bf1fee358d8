/* body.h - the JSON request body: parsing with a depth limit, typed access to its fields. */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

enum field {
	FIELD_OK,
	FIELD_MISSING, /* absent */
	FIELD_TYPE,    /* present with another JSON type, null included */
	FIELD_BAD      /* right type, value out of its rules */
};

enum body_status {
	BODY_OK,
	BODY_INVALID,      /* empty, not strict JSON, not an object, nested deeper than 32 levels */
	BODY_DUPLICATE_KEY /* valid JSON, but some object names a key twice */
};

/* Parses the body into *out (a JSON object, to free with json_object_put) when BODY_OK. */
enum body_status body_parse(const char *text, size_t len, struct json_object **out);

/* A value as a UserID (FIELD_TYPE for anything but a string, null included; FIELD_BAD: empty,
 * too long, control bytes, not UTF-8). */
enum field body_id(struct json_object *v, const char **out);
enum field body_id_field(struct json_object *obj, const char *key, const char **out);
/* An array of 1..max elements (FIELD_BAD: empty or longer). */
enum field body_array(struct json_object *obj, const char *key, size_t max,
		      struct json_object **out);
/* An integer, clamped to 64 bits (FIELD_TYPE for floats, strings, booleans). */
enum field body_int(struct json_object *obj, const char *key, int64_t *out);
/* A string of any content, NUL-free. */
enum field body_string(struct json_object *obj, const char *key, const char **out);

#endif
