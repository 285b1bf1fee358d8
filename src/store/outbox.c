/* outbox.c - the webhook outbox: events written in the transaction of the change they
 * report, read oldest first by the dispatcher, removed only once delivered. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ids.h"
#include "store/store_int.h"

/*
 * An outbox record (STORE_EVENT_BYTES, zero-padded): add(1) time_ms(8, LE) then the client IP,
 * From_Account and each target as len(1) bytes, the targets preceded by their count(1).
 */

static unsigned char *put_str(unsigned char *b, const char *str)
{
	size_t len = strlen(str);
	*b++ = (unsigned char)len;
	memcpy(b, str, len);
	return b + len;
}

/* One length-prefixed string into out (cap bytes with its NUL); NULL when it does not fit, or
 * when is_id and it is not a valid UserID. */
static const unsigned char *get_str(const unsigned char *b, const unsigned char *end, char *out,
				    size_t cap, int is_id)
{
	size_t len;
	if (!b || b >= end || (len = *b++) >= cap || (size_t)(end - b) < len ||
	    (is_id && !id_valid((const char *)b, len)))
		return NULL;
	memcpy(out, b, len);
	out[len] = '\0';
	return b + len;
}

int outbox_append(struct store *s, DB_TXN *txn, int add, const char *from,
		  const struct store_target *t, size_t n, const struct store_origin *origin)
{
	unsigned char rec[STORE_EVENT_BYTES], *b = rec, *count;
	db_recno_t recno;
	size_t i, changed = 0;
	DBT key, val;
	DB *db;
	char ip[64];
	int ret;

	if (n > STORE_CHANGE_MAX)
		return EINVAL; /* its event could not name every target */
	memset(rec, 0, sizeof(rec));
	*b++ = (unsigned char)(add != 0);
	put_le32(b, (uint32_t)origin->time_ms);
	put_le32(b + 4, (uint32_t)(origin->time_ms >> 32));
	b += 8;
	snprintf(ip, sizeof(ip), "%s", origin->client_ip ? origin->client_ip : "");
	b = put_str(b, ip);
	b = put_str(b, from);
	count = b++;
	for (i = 0; i < n; i++) {
		if (!t[i].changed)
			continue;
		b = put_str(b, t[i].id);
		changed++;
	}
	if (!changed)
		return 0; /* nothing really changed: no event */
	*count = (unsigned char)changed;
	memset(&key, 0, sizeof(key));
	key.data = &recno;
	key.ulen = sizeof(recno);
	key.flags = DB_DBT_USERMEM;
	dbt_init(&val, rec, sizeof(rec));
	if ((ret = store_table(s, T_OUTBOX, &db)) != 0)
		return ret;
	return db->put(db, txn, &key, &val, DB_APPEND);
}

/* The exact inverse of outbox_append: every string fits and is an id where it must be, 1 to
 * STORE_CHANGE_MAX targets, zero padding. followctl verify uses it too. */
int event_decode(const unsigned char *rec, size_t size, struct store_event *ev)
{
	const unsigned char *b = rec, *end = rec + size;
	size_t i;
	memset(ev, 0, sizeof(*ev));
	if (size != STORE_EVENT_BYTES || rec[0] > 1)
		return EINVAL;
	ev->add = *b++;
	ev->time_ms = get_le32(b) | (uint64_t)get_le32(b + 4) << 32;
	b += 8;
	b = get_str(b, end, ev->client_ip, sizeof(ev->client_ip), 0);
	b = get_str(b, end, ev->from, sizeof(ev->from), 1);
	if (!b || b >= end || (ev->n = *b++) < 1 || ev->n > STORE_CHANGE_MAX)
		return EINVAL;
	for (i = 0; i < ev->n; i++)
		if (!(b = get_str(b, end, ev->to[i], sizeof(ev->to[i]), 1)))
			return EINVAL;
	for (; b < end; b++)
		if (*b)
			return EINVAL;
	return 0;
}

struct head_arg {
	struct store_event *ev;
	int found;
};

static int head_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct head_arg *arg = argp;
	unsigned char rec[STORE_EVENT_BYTES];
	db_recno_t recno;
	DBT key, val;
	DB *db;
	DBC *c;
	int ret, t_ret;

	arg->found = 0;
	if ((ret = store_table(s, T_OUTBOX, &db)) != 0 || (ret = db->cursor(db, txn, &c, 0)) != 0)
		return ret;
	dbt_user(&key, &recno, sizeof(recno));
	dbt_user(&val, rec, sizeof(rec));
	ret = c->get(c, &key, &val, DB_FIRST);
	if (ret == 0 && (ret = event_decode(rec, val.size, arg->ev)) == 0) {
		arg->ev->id = recno;
		arg->found = 1;
	}
	if (ret == DB_NOTFOUND)
		ret = 0;
	if ((t_ret = c->close(c)) != 0 && ret == 0)
		ret = t_ret;
	return ret;
}

enum store_status store_outbox_head(struct store *s, struct store_event *ev, int *found)
{
	struct head_arg arg = {ev, 0};
	int ret;
	memset(ev, 0, sizeof(*ev));
	ret = run_txn(s, head_body, &arg, 1);
	*found = arg.found;
	return status_of(ret);
}

struct done_arg {
	const struct store_event *ev;
	uint32_t id;
};

static int done_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct done_arg *arg = argp;
	db_recno_t recno = arg->id;
	DBT key;
	DB *outbox, *dead;
	int ret;
	if ((ret = store_table(s, T_OUTBOX, &outbox)) != 0 ||
	    (ret = store_table(s, T_DEAD, &dead)) != 0)
		return ret;
	if (arg->ev) {
		/* The dead letter keeps the event as the receiver would have seen it. */
		unsigned char rec[STORE_EVENT_BYTES];
		DBT val;
		dbt_init(&key, &recno, sizeof(recno));
		dbt_user(&val, rec, sizeof(rec));
		if ((ret = outbox->get(outbox, txn, &key, &val, rmw_flag(s, 1))) != 0 ||
		    (ret = dead->put(dead, txn, &key, &val, 0)) != 0)
			return ret;
	}
	dbt_init(&key, &recno, sizeof(recno));
	ret = outbox->del(outbox, txn, &key, 0);
	return ret == DB_NOTFOUND || ret == DB_KEYEMPTY ? 0 : ret;
}

enum store_status store_outbox_done(struct store *s, uint32_t id)
{
	struct done_arg arg = {NULL, id};
	return status_of(run_txn(s, done_body, &arg, 0));
}

enum store_status store_outbox_dead(struct store *s, const struct store_event *ev)
{
	struct done_arg arg = {ev, ev->id};
	return status_of(run_txn(s, done_body, &arg, 0));
}

static size_t count(DB *db)
{
	void *sp = NULL;
	size_t n = 0;
	DBTYPE type;
	if (db->get_type(db, &type) != 0 || db->stat(db, NULL, &sp, 0) != 0)
		return 0;
	n = type == DB_QUEUE ? ((DB_QUEUE_STAT *)sp)->qs_nkeys : ((DB_HASH_STAT *)sp)->hash_nkeys;
	free(sp);
	return n;
}

enum store_status store_outbox_counts(struct store *s, size_t *pending, size_t *dead)
{
	DB *outbox, *deadletter;
	*pending = *dead = 0;
	if (!s->env || store_table(s, T_OUTBOX, &outbox) != 0 ||
	    store_table(s, T_DEAD, &deadletter) != 0)
		return STORE_FAIL;
	*pending = count(outbox);
	*dead = count(deadletter);
	return STORE_OK;
}
