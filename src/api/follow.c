/* follow.c - follow_add, follow_delete, follow_check, follow_get, follow_get_info. */
#include <json-c/json.h>
#include <stdlib.h>

#include "request/app.h"
#include "request/batch.h"
#include "request/body.h"
#include "request/cursor.h"
#include "common/clock.h"
#include "common/errors.h"

#define WANT_DEFAULT 100 /* follow_get's page size when WantNum is absent (spec §6) */

/* Reads From_Account; -1 after a request-wide failure. */
static int read_from(struct call *c, struct reply *r, const char **from)
{
	enum field f = body_id_field(c->body, "From_Account", from);
	return f == FIELD_OK ? 0 : body_id_fail(r, f, "From_Account", ERR_BAD_FIELD);
}

/* Turns a store call's status into a request-wide failure; 0 when it succeeded. */
static int store_failed(struct reply *r, enum store_status st, const char *from)
{
	if (st == STORE_NO_ACCOUNT)
		reply_fail(r, ERR_NOT_IMPORTED, "From_Account %s is not imported", from);
	else if (st != STORE_OK)
		reply_fail(r, ERR_INTERNAL, NULL);
	return st != STORE_OK;
}

static int result_code(enum store_result res)
{
	switch (res) {
	case STORE_DONE:
		return 0;
	case STORE_TARGET_MISSING:
		return ERR_NOT_IMPORTED;
	case STORE_MAX_FOLLOWING:
		return ERR_MAX_FOLLOWING;
	case STORE_MAX_FOLLOWERS:
		return ERR_MAX_FOLLOWERS;
	case STORE_MAX_MUTUAL_FROM:
		return ERR_MAX_MUTUAL_FROM;
	default:
		return ERR_MAX_MUTUAL_TO;
	}
}

/* Appends one ResultItem-style entry for batch entry i; returns it for extra fields. */
static reply_node entry_result(struct reply *r, reply_node arr, const struct batch *b, size_t i)
{
	const struct store_target *t = batch_target(b, i);
	int code = t ? result_code(t->result) : b->code[i];
	return reply_result(r, arr, "To_Account", b->ids[i], b->idlen[i], code,
			    t ? NULL : b->why[i]);
}

static int has_callback(const struct call *c)
{
	return c->app->conf.callback_url && *c->app->conf.callback_url;
}

/* The shape shared by add and delete: read, change, answer one ResultItem per entry. */
static void change(struct call *c, struct reply *r, const char *list_key, const char *item_key,
		   int adding)
{
	struct store *s = c->app->store;
	struct store_origin origin;
	const struct store_origin *event;
	struct batch b;
	reply_node arr;
	const char *from;
	enum store_status st;
	size_t i;

	if (read_from(c, r, &from) != 0 || batch_read(c, r, list_key, item_key, from, &b) != 0)
		return;
	/* With a callback configured, the change and its webhook event commit together. */
	origin.client_ip = c->client_ip;
	origin.time_ms = clock_now_ms();
	event = has_callback(c) ? &origin : NULL;
	if (!b.nst) /* nothing to change, but From_Account must still exist */
		st = store_follow_check(s, from, NULL, 0);
	else if (adding)
		st = store_follow_add(s, from, b.st, b.nst, c->now, event);
	else
		st = store_follow_delete(s, from, b.st, b.nst, event);
	if (store_failed(r, st, from))
		return;
	arr = reply_array(r, REPLY_ROOT, "ResultItem");
	for (i = 0; i < b.n; i++)
		entry_result(r, arr, &b, i);
}

void api_follow_add(struct call *c, struct reply *r)
{
	change(c, r, "FollowItem", "To_Account", 1);
}

void api_follow_delete(struct call *c, struct reply *r)
{
	change(c, r, "To_Account", NULL, 0);
}

typedef enum store_status (*target_read)(struct store *s, const char *from,
					 struct store_target *t, size_t n);

/* The shape shared by check and get_info: From_Account, its To_Account list, one store read.
 * Returns the answer's array `key`, or -1 after a failure (the reply then says why). */
static reply_node read_targets(struct call *c, struct reply *r, struct batch *b, target_read read,
			       const char *key)
{
	const char *from;
	if (read_from(c, r, &from) != 0 || batch_read(c, r, "To_Account", NULL, NULL, b) != 0 ||
	    store_failed(r, read(c->app->store, from, b->st, b->nst), from))
		return -1;
	return reply_array(r, REPLY_ROOT, key);
}

void api_follow_check(struct call *c, struct reply *r)
{
	struct batch b;
	reply_node arr, item;
	size_t i;

	if ((arr = read_targets(c, r, &b, store_follow_check, "ResultItem")) < 0)
		return;
	for (i = 0; i < b.n; i++) {
		const struct store_target *t = batch_target(&b, i);
		item = entry_result(r, arr, &b, i);
		reply_int(r, item, "FollowType", t ? t->follow_type : 0);
	}
}

void api_follow_get_info(struct call *c, struct reply *r)
{
	struct batch b;
	reply_node arr, item;
	size_t i;

	if ((arr = read_targets(c, r, &b, store_follow_info, "FollowInfo")) < 0)
		return;
	for (i = 0; i < b.n; i++) {
		const struct store_target *t = batch_target(&b, i);
		struct store_counts none = {0, 0, 0};
		const struct store_counts *n = t ? &t->counts : &none;
		item = entry_result(r, arr, &b, i);
		reply_int(r, item, "FollowerCount", n->followers);
		reply_int(r, item, "FollowingCount", n->following);
		reply_int(r, item, "MutualFollowingCount", n->mutual);
	}
}

/* Reads follow_get's FollowType, WantNum and StartCursor; -1 after a failure. */
static int read_page_args(struct call *c, struct reply *r, enum store_list *kind, size_t *want,
			  struct store_item *after, int *has_after)
{
	const char *cur = "";
	int64_t v;

	if (body_int(c->body, "FollowType", &v) != FIELD_OK || v < 1 || v > 3) {
		reply_fail(r, ERR_BAD_FIELD, "FollowType must be 1 (fans), 2 (following) or 3 (mutual)");
		return -1;
	}
	*kind = (enum store_list)v;
	switch (body_int(c->body, "WantNum", &v)) {
	case FIELD_MISSING:
		v = WANT_DEFAULT;
		break;
	case FIELD_OK:
		if (v > 0)
			break;
		/* fall through */
	default:
		reply_fail(r, ERR_BAD_FIELD, "WantNum must be a positive integer");
		return -1;
	}
	*want = v > FOLLOW_PAGE_MAX ? FOLLOW_PAGE_MAX : (size_t)v;
	switch (body_string(c->body, "StartCursor", &cur)) {
	case FIELD_MISSING:
	case FIELD_OK:
		break;
	default:
		reply_fail(r, ERR_BAD_FIELD, "StartCursor must be a string");
		return -1;
	}
	*has_after = *cur != '\0';
	if (*has_after && cursor_decode(cur, *kind, after) != 0) {
		reply_fail(r, ERR_BAD_FIELD, "StartCursor is not a cursor of this list");
		return -1;
	}
	return 0;
}

void api_follow_get(struct call *c, struct reply *r)
{
	struct store_item after;
	struct store_page page = {0};
	reply_node arr, item;
	enum store_list kind;
	const char *from;
	char next[CURSOR_MAX] = "";
	size_t want, i;
	int has_after;

	/* The page, then one keyed profile read per item: O(page) whatever the list's length. */
	if (read_from(c, r, &from) != 0 ||
	    read_page_args(c, r, &kind, &want, &after, &has_after) != 0 ||
	    store_failed(r, store_list_page_profiles(c->app->store, from, kind,
						     has_after ? &after : NULL, want, &page),
			 from))
		goto out;
	arr = reply_array(r, REPLY_ROOT, "FollowItem");
	for (i = 0; i < page.n; i++) {
		item = reply_object(r, arr);
		reply_str(r, item, "To_Account", page.items[i].id);
		reply_int(r, item, "FollowTime", page.items[i].time);
		profile_items(r, item, &page.profiles[i], NULL, 0);
		reply_int(r, item, "ProfileSequence", page.profiles[i].seq);
		reply_int(r, item, "profile_sequence", page.profiles[i].seq);
	}
	if (page.more && page.n)
		cursor_encode(kind, &page.items[page.n - 1], next);
	reply_str(r, REPLY_ROOT, "NextCursor", next);
out:
	store_page_free(&page);
}
