/* account.c - account_import, multiaccount_import, account_check, account_delete. */
#include <json-c/json.h>
#include <string.h>

#include "request/app.h"
#include "request/batch.h"
#include "request/body.h"
#include "common/errors.h"
#include "common/tags.h"

/* An import's optional Nick and FaceUrl, as the profile tags they are; -1 after a failure. */
static int import_tags(struct json_object *obj, struct reply *r, struct store_tag *tags,
		       size_t *n)
{
	static const char *const keys[][2] = {{"Nick", "Tag_Profile_IM_Nick"},
					      {"FaceUrl", "Tag_Profile_IM_Image"}};
	struct json_object *v;
	char info[256];
	size_t i;
	*n = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (!json_object_object_get_ex(obj, keys[i][0], &v))
			continue;
		if (!json_object_is_type(v, json_type_string) ||
		    tag_value(keys[i][1], v, &tags[*n], info, sizeof(info)) != 0) {
			reply_fail(r, ERR_ACCOUNT_PARAM, "%s must be a string of at most %d bytes",
				   keys[i][0], TAG_STRING_MAX);
			return -1;
		}
		(*n)++;
	}
	return 0;
}

/* -1 after a failure. */
static int import_all(struct call *c, struct reply *r, const struct store_import *items,
		      size_t n)
{
	if (n && store_accounts_import(c->app->store, items, n) != STORE_OK) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		return -1;
	}
	return 0;
}

void api_account_import(struct call *c, struct reply *r)
{
	struct store_tag tags[2];
	struct store_import item = {NULL, tags, 0};
	enum field f = body_id_field(c->body, "UserID", &item.id);
	if (f == FIELD_MISSING) /* the legacy name */
		f = body_id_field(c->body, "Identifier", &item.id);
	if (f != FIELD_OK) {
		body_id_fail(r, f, "UserID", ERR_ACCOUNT_PARAM);
		return;
	}
	if (import_tags(c->body, r, tags, &item.n) == 0)
		import_all(c, r, &item, 1);
}

void api_multiaccount_import(struct call *c, struct reply *r)
{
	struct batch b;
	struct store_import items[BATCH_MAX];
	struct store_tag tags[BATCH_MAX][2];
	struct json_object *list = NULL;
	reply_node fail;
	int modern = json_object_object_get_ex(c->body, "AccountList", NULL);
	size_t i;

	if (batch_read(c, r, modern ? "AccountList" : "Accounts", modern ? "UserID" : NULL, NULL,
		       &b) != 0)
		return;
	for (i = 0; i < b.nst; i++)
		items[i] = (struct store_import){b.st[i].id, tags[i], 0};
	if (modern)
		json_object_object_get_ex(c->body, "AccountList", &list);
	/* Each entry's tags go to its account; a repeated account takes its later entry's. */
	for (i = 0; modern && i < b.n; i++) {
		struct store_tag t[2];
		size_t n;
		if (import_tags(json_object_array_get_idx(list, i), r, t, &n) != 0)
			return;
		if (b.slot[i] >= 0 && n) {
			memcpy(tags[b.slot[i]], t, sizeof(t));
			items[b.slot[i]].n = n;
		}
	}
	if (import_all(c, r, items, b.nst) != 0)
		return;
	fail = reply_array(r, REPLY_ROOT, "FailAccounts");
	for (i = 0; i < b.n; i++)
		if (b.code[i])
			reply_append_str(r, fail, b.ids[i], b.idlen[i]);
}

void api_account_check(struct call *c, struct reply *r)
{
	struct batch b;
	reply_node arr, item;
	size_t i;

	if (batch_read(c, r, "CheckItem", "UserID", NULL, &b) != 0)
		return;
	if (b.nst && store_account_check(c->app->store, b.st, b.nst) != STORE_OK) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		return;
	}
	arr = reply_array(r, REPLY_ROOT, "ResultItem");
	for (i = 0; i < b.n; i++) {
		const struct store_target *t = batch_target(&b, i);
		item = reply_result(r, arr, "UserID", b.ids[i], b.idlen[i], b.code[i], b.why[i]);
		reply_str(r, item, "AccountStatus", t && t->exists ? "Imported" : "NotImported");
	}
}

void api_account_delete(struct call *c, struct reply *r)
{
	struct batch b;
	reply_node arr;
	int code[BATCH_MAX];
	size_t i;

	if (batch_read(c, r, "DeleteItem", "UserID", NULL, &b) != 0)
		return;
	/* One transaction per account: a failure leaves the others' answers true. */
	for (i = 0; i < b.nst; i++) {
		int existed = 0;
		enum store_status st = store_account_delete(c->app->store, b.st[i].id, &existed);
		code[i] = st != STORE_OK ? ERR_ACCOUNT_INTERNAL : existed ? 0 : ERR_NO_ACCOUNT;
	}
	arr = reply_array(r, REPLY_ROOT, "ResultItem");
	for (i = 0; i < b.n; i++)
		reply_result(r, arr, "UserID", b.ids[i], b.idlen[i],
			     b.slot[i] >= 0 ? code[b.slot[i]] : b.code[i],
			     b.slot[i] >= 0 ? NULL : b.why[i]);
}
