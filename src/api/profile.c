/* profile.c - portrait_set and portrait_get, and the ProfileItem lists other APIs show. */
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "request/app.h"
#include "request/batch.h"
#include "request/body.h"
#include "common/errors.h"
#include "common/tags.h"

void profile_items(struct reply *r, reply_node parent, const struct store_profile *p,
		   const char *const *only, size_t n_only)
{
	reply_node arr = reply_array(r, parent, "ProfileItem");
	size_t i, k, count = only ? n_only : p->n;
	for (k = 0; k < count; k++) {
		const struct store_tag *t = NULL;
		reply_node item;
		for (i = 0; i < p->n; i++)
			if (!only || strcmp(p->tag[i].name, only[k]) == 0) {
				t = &p->tag[only ? i : k];
				break;
			}
		if (!t)
			continue; /* asked for, never set */
		item = reply_object(r, arr);
		reply_str(r, item, "Tag", t->name);
		if (t->is_int)
			reply_int(r, item, "Value", t->num);
		else
			reply_strn(r, item, "Value", t->str, t->len);
	}
}

/* Reads body[key], an array of 1 to STORE_TAGS_MAX `what` (a call names at most as many tags
 * as a profile can hold), into *list and *n; -1 after a request-wide failure. */
static int read_tag_array(struct call *c, struct reply *r, const char *key, const char *what,
			  struct json_object **list, size_t *n)
{
	if (body_array(c->body, key, STORE_TAGS_MAX, list) != FIELD_OK) {
		reply_fail(r, ERR_PROFILE_BAD_PARAM, "%s must be an array of 1 to %d %s", key,
			   STORE_TAGS_MAX, what);
		return -1;
	}
	*n = json_object_array_length(*list);
	return 0;
}

/* Reads ProfileItem into tags; -1 after a request-wide failure. */
static int read_items(struct call *c, struct reply *r, struct store_tag *tags, size_t *n)
{
	struct json_object *list;
	char info[256];
	size_t i;
	int code;

	if (read_tag_array(c, r, "ProfileItem", "items", &list, n) != 0)
		return -1;
	for (i = 0; i < *n; i++) {
		code = tag_item(json_object_array_get_idx(list, i), &tags[i], info, sizeof(info));
		if (code < 0) {
			reply_fail(r, ERR_PROFILE_BAD_PARAM,
				   "ProfileItem[%zu] must be an object with a string Tag and a Value", i);
			return -1;
		}
		if (code) {
			reply_fail(r, code, "ProfileItem[%zu]: %s", i, info);
			return -1;
		}
	}
	return 0;
}

void api_portrait_set(struct call *c, struct reply *r)
{
	struct store_tag tags[STORE_TAGS_MAX];
	const char *from;
	enum field f;
	size_t n;

	/* This API words a missing From_Account as it words a malformed one. */
	if ((f = body_id_field(c->body, "From_Account", &from)) != FIELD_OK) {
		body_field_fail(r, f == FIELD_MISSING ? FIELD_BAD : f, "From_Account",
				ERR_PROFILE_BAD_PARAM, ERR_NOT_STRING, "a string",
				"is missing or malformed");
		return;
	}
	if (read_items(c, r, tags, &n) != 0)
		return;
	switch (store_profile_set(c->app->store, from, tags, n)) {
	case STORE_OK:
		break;
	case STORE_NO_ACCOUNT:
		reply_fail(r, ERR_PROFILE_NO_ACCOUNT, "From_Account %s is not imported", from);
		break;
	case STORE_FULL:
		reply_fail(r, ERR_PROFILE_BAD_PARAM, "a profile holds at most %d tags",
			   STORE_TAGS_MAX);
		break;
	default:
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
	}
}

/* Reads TagList; -1 after a request-wide failure. */
static int read_tag_list(struct call *c, struct reply *r, const char **names, size_t *n)
{
	struct json_object *list, *v;
	size_t i;
	if (read_tag_array(c, r, "TagList", "tags", &list, n) != 0)
		return -1;
	for (i = 0; i < *n; i++) {
		v = json_object_array_get_idx(list, i);
		if (!json_object_is_type(v, json_type_string)) {
			reply_fail(r, ERR_PROFILE_BAD_PARAM, "TagList[%zu] must be a string", i);
			return -1;
		}
		names[i] = tag_name(v);
		if (!tag_known(names[i])) {
			reply_fail(r, ERR_TAG_UNKNOWN, "TagList[%zu]: unknown profile tag %.64s", i,
				   names[i]);
			return -1;
		}
	}
	return 0;
}

void api_portrait_get(struct call *c, struct reply *r)
{
	const char *names[STORE_TAGS_MAX], *ids[BATCH_MAX];
	struct store_profile *profiles = NULL;
	int exists[BATCH_MAX];
	reply_node arr, item;
	struct batch b;
	size_t i, n_names;

	if (batch_read(c, r, "To_Account", NULL, NULL, &b) != 0 ||
	    read_tag_list(c, r, names, &n_names) != 0)
		return;
	for (i = 0; i < b.nst; i++)
		ids[i] = b.st[i].id;
	if (!(profiles = calloc(b.nst ? b.nst : 1, sizeof(*profiles)))) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		return;
	}
	if (store_profile_get(c->app->store, ids, b.nst, profiles, exists) != STORE_OK) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		goto out;
	}
	arr = reply_array(r, REPLY_ROOT, "UserProfileItem");
	for (i = 0; i < b.n; i++) {
		int slot = b.slot[i];
		int code = slot < 0 ? b.code[i] : exists[slot] ? 0 : ERR_PROFILE_NO_ACCOUNT;
		item = reply_object(r, arr);
		reply_strn(r, item, "To_Account", b.ids[i], b.idlen[i]);
		if (code == 0)
			profile_items(r, item, &profiles[slot], names, n_names);
		else
			reply_array(r, item, "ProfileItem");
		reply_result_code(r, item, code);
		reply_str(r, item, "ResultInfo", code ? (slot < 0 ? b.why[i] : err_text(code)) : "");
	}
out:
	for (i = 0; i < b.nst; i++)
		store_profile_free(&profiles[i]);
	free(profiles);
}
