/* api_account.c - account_import, multiaccount_import, account_check, account_delete. */
#include <json-c/json.h>

#include "app.h"
#include "batch.h"
#include "body.h"
#include "errors.h"

/* Optional string fields of an import; their values become profile tags. */
static int strings_ok(struct json_object *obj, struct reply *r)
{
	static const char *const keys[] = {"Nick", "FaceUrl"};
	size_t i;
	const char *v;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		enum field f = body_string(obj, keys[i], &v);
		if (f != FIELD_OK && f != FIELD_MISSING) {
			reply_fail(r, ERR_ACCOUNT_PARAM, "%s must be a string", keys[i]);
			return 0;
		}
	}
	return 1;
}

void api_account_import(struct call *c, struct reply *r)
{
	const char *id = NULL;
	enum field f = body_id_field(c->body, "UserID", &id);
	if (f == FIELD_MISSING) /* the legacy name */
		f = body_id_field(c->body, "Identifier", &id);
	switch (f) {
	case FIELD_OK:
		break;
	case FIELD_MISSING:
		reply_fail(r, ERR_ACCOUNT_PARAM, "UserID is missing");
		return;
	case FIELD_TYPE:
		reply_fail(r, ERR_NOT_STRING, "UserID must be a string");
		return;
	default:
		reply_fail(r, ERR_ACCOUNT_PARAM,
			   "UserID must be 1-32 bytes of UTF-8 without control bytes");
		return;
	}
	if (!strings_ok(c->body, r))
		return;
	if (store_account_import(c->app->store, &id, 1) != STORE_OK)
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
}

void api_multiaccount_import(struct call *c, struct reply *r)
{
	struct batch b;
	const char *ids[BATCH_MAX];
	struct json_object *fail;
	int modern = json_object_object_get_ex(c->body, "AccountList", NULL);
	size_t i;

	if (batch_read(c, r, modern ? "AccountList" : "Accounts", modern ? "UserID" : NULL, NULL,
		       &b) != 0)
		return;
	if (modern) {
		struct json_object *list;
		json_object_object_get_ex(c->body, "AccountList", &list);
		for (i = 0; i < json_object_array_length(list); i++)
			if (!strings_ok(json_object_array_get_idx(list, i), r))
				return;
	}
	for (i = 0; i < b.nst; i++)
		ids[i] = b.st[i].id;
	if (b.nst && store_account_import(c->app->store, ids, b.nst) != STORE_OK) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		return;
	}
	fail = reply_array(r, NULL, "FailAccounts");
	for (i = 0; i < b.n; i++)
		if (b.code[i])
			reply_append_str(r, fail, b.ids[i], b.idlen[i]);
}

void api_account_check(struct call *c, struct reply *r)
{
	struct batch b;
	struct json_object *arr, *item;
	size_t i;

	if (batch_read(c, r, "CheckItem", "UserID", NULL, &b) != 0)
		return;
	if (b.nst && store_account_check(c->app->store, b.st, b.nst) != STORE_OK) {
		reply_fail(r, ERR_ACCOUNT_INTERNAL, NULL);
		return;
	}
	arr = reply_array(r, NULL, "ResultItem");
	for (i = 0; i < b.n; i++) {
		const struct store_target *t = batch_target(&b, i);
		item = reply_result(r, arr, "UserID", b.ids[i], b.idlen[i], b.code[i], b.why[i]);
		reply_str(r, item, "AccountStatus", t && t->exists ? "Imported" : "NotImported");
	}
}

void api_account_delete(struct call *c, struct reply *r)
{
	struct batch b;
	struct json_object *arr;
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
	arr = reply_array(r, NULL, "ResultItem");
	for (i = 0; i < b.n; i++)
		reply_result(r, arr, "UserID", b.ids[i], b.idlen[i],
			     b.slot[i] >= 0 ? code[b.slot[i]] : b.code[i],
			     b.slot[i] >= 0 ? NULL : b.why[i]);
}
