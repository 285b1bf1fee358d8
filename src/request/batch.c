/* batch.c - turns a JSON list of accounts into distinct store targets. */
#include "request/batch.h"

#include <json-c/json.h>
#include <string.h>

#include "request/body.h"
#include "common/errors.h"
#include "common/ids.h"

static void add_entry(struct batch *b, const char *id, size_t len, int code, const char *why)
{
	size_t i = b->n++, j;
	b->ids[i] = id;
	b->idlen[i] = len;
	b->code[i] = code;
	b->why[i] = why;
	b->slot[i] = -1;
	if (code)
		return;
	for (j = 0; j < b->nst && strcmp(b->st[j].id, id) != 0; j++)
		;
	if (j == b->nst) {
		memset(&b->st[j], 0, sizeof(b->st[j]));
		b->st[j].id = id;
		b->nst++;
	}
	b->slot[i] = (int)j;
}

int batch_read(struct call *c, struct reply *r, const char *list_key, const char *item_key,
	       const char *self, struct batch *b)
{
	int bad = family_bad_code(c->route->family);
	unsigned limit = c->route->limit < BATCH_MAX ? c->route->limit : BATCH_MAX;
	struct json_object *list, *v;
	enum field f;
	size_t i, n;

	b->n = b->nst = 0;
	if ((f = body_array(c->body, list_key, limit, &list)) != FIELD_OK)
		return body_field_fail(r, f, list_key, bad, bad, "an array", "must hold 1 to %u items",
				       limit);
	n = json_object_array_length(list);
	for (i = 0; i < n; i++) {
		const char *id = "";
		v = json_object_array_get_idx(list, i);
		if (item_key) {
			if (!json_object_is_type(v, json_type_object)) {
				reply_fail(r, bad, "%s[%zu] must be an object", list_key, i);
				return -1;
			}
			if (!json_object_object_get_ex(v, item_key, &v)) {
				reply_fail(r, bad, "%s[%zu].%s is missing", list_key, i, item_key);
				return -1;
			}
		}
		switch (body_id(v, &id)) {
		case FIELD_OK:
			if (self && strcmp(id, self) == 0)
				add_entry(b, id, strlen(id), bad, "To_Account is From_Account itself");
			else
				add_entry(b, id, strlen(id), 0, NULL);
			break;
		case FIELD_BAD:
			add_entry(b, id, (size_t)json_object_get_string_len(v), bad,
				  "UserID must be " ID_RULE);
			break;
		default:
			reply_fail(r, ERR_NOT_STRING, "%s[%zu]%s%s must be a string", list_key, i,
				   item_key ? "." : "", item_key ? item_key : "");
			return -1;
		}
	}
	return 0;
}
