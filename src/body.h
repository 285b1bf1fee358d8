/* body.h - the JSON request body: parsing with a depth limit, typed access to its fields. */
#ifndef BODY_H
#define BODY_H

#include <stddef.h>
#include <stdint.h>

struct json_object;

enum field {
	FIELD_OK,
	FIELD_MISSING, /* absent, or null where the field is not a UserID */
	FIELD_TYPE,    /* present with another JSON type */
	FIELD_BAD      /* right type, value out of its rules */
};

/* The body as a JSON object; NULL when empty, not JSON, not an object, nested deeper than 32
 * levels or followed by anything but whitespace. Free with json_object_put. */
struct json_object *body_parse(const char *text, size_t len);

/* A value as a UserID (FIELD_TYPE for anything but a string, null included; FIELD_BAD: empty,
 * too long, control bytes, not UTF-8). */
enum field body_id(struct json_object *v, const char **out);
enum field body_id_field(struct json_object *obj, const char *key, const char **out);
/* An array of 1..max elements (FIELD_BAD: empty or longer). */
enum field body_array(struct json_object *obj, const char *key, size_t max,
		      struct json_object **out);
/* An integer (FIELD_TYPE for floats, strings, booleans). */
enum field body_int(struct json_object *obj, const char *key, int64_t *out);
/* A string of any content, NUL-free. */
enum field body_string(struct json_object *obj, const char *key, const char **out);

#endif
