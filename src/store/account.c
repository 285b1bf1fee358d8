/* account.c - accounts: import, check, and delete with every edge that touches them. */
#include <db.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

/* ---- accounts ---- */

struct import_arg {
	const char *const *ids;
	size_t n;
};

static int import_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct import_arg *arg = argp;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++)
		if ((ret = account_create(s, txn, arg->ids[i])) != 0)
			return ret;
	return 0;
}

enum store_status store_account_import(struct store *s, const char *const *ids, size_t n)
{
	struct import_arg arg = {ids, n};
	return status_of(run_txn(s, import_body, &arg, 0));
}

struct check_arg {
	struct store_target *t;
	size_t n;
};

static int account_check_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct check_arg *arg = argp;
	struct account a;
	size_t i;
	int ret;
	for (i = 0; i < arg->n; i++)
		if ((ret = account_get(s, txn, arg->t[i].id, &a, &arg->t[i].exists, 0)) != 0)
			return ret;
	return 0;
}

enum store_status store_account_check(struct store *s, struct store_target *t, size_t n)
{
	struct check_arg arg = {t, n};
	return status_of(run_lookups(s, account_check_body, &arg));
}

enum store_status store_account_exists(struct store *s, const char *id, int *exists)
{
	struct store_target t = {.id = id};
	enum store_status st = store_account_check(s, &t, 1);
	*exists = t.exists;
	return st;
}

/* Removes every edge of one of victim's lists; out = 1 walks whom victim follows, 0 its fans. */
static int delete_edges(struct store *s, DB_TXN *txn, const char *victim, struct account *va,
			int out)
{
	int table = out ? T_FOLLOWING : T_FANS;
	unsigned char kbuf[STORE_ID_MAX], vbuf[IDX_MAX];
	struct store_item it;
	struct account oa;
	DBT key, val;
	DB *db;
	DBC *c;
	int ret, t_ret, found;
	uint32_t back;

	if ((ret = store_table(s, table, &db)) != 0)
		return ret;
	/* Each pass re-reads the first entry: edge_del removes it, so the list shrinks to empty. */
	for (;;) {
		if ((ret = db->cursor(db, txn, &c, 0)) != 0)
			return ret;
		memcpy(kbuf, victim, strlen(victim));
		dbt_user(&key, kbuf, sizeof(kbuf));
		key.size = (u_int32_t)strlen(victim);
		dbt_user(&val, vbuf, sizeof(vbuf));
		ret = c->get(c, &key, &val, DB_SET | rmw_flag(s, 1));
		if (ret == 0)
			ret = idx_decode(&val, &it);
		if ((t_ret = c->close(c)) != 0 && (ret == 0 || ret == DB_NOTFOUND))
			return t_ret;
		if (ret == DB_NOTFOUND)
			return 0;
		if (ret != 0)
			return ret;
		if ((ret = account_get(s, txn, it.id, &oa, &found, 1)) != 0)
			return ret;
		if (out) {
			if ((ret = edge_get(s, txn, it.id, victim, &back, 1)) != 0 ||
			    (ret = edge_del(s, txn, victim, it.id, it.time, back, va, &oa)) != 0)
				return ret;
		} else {
			/* Outgoing edges went first, so no mutual pair is left to undo here. */
			if ((ret = edge_del(s, txn, it.id, victim, it.time, 0, &oa, va)) != 0)
				return ret;
		}
		if (found && (ret = account_put(s, txn, it.id, &oa)) != 0)
			return ret;
	}
}

struct delete_arg {
	const char *id;
	int existed;
};

static int account_delete_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct delete_arg *arg = argp;
	struct account a;
	DBT key;
	DB *accounts;
	int ret;
	if ((ret = store_table(s, T_ACCOUNTS, &accounts)) != 0 ||
	    (ret = account_get(s, txn, arg->id, &a, &arg->existed, 1)) != 0)
		return ret;
	if (!arg->existed)
		return TXN_ROLLBACK;
	if ((ret = delete_edges(s, txn, arg->id, &a, 1)) != 0 ||
	    (ret = delete_edges(s, txn, arg->id, &a, 0)) != 0)
		return ret;
	if ((ret = profile_del(s, txn, arg->id)) != 0 && ret != DB_NOTFOUND)
		return ret;
	dbt_init(&key, arg->id, strlen(arg->id));
	return accounts->del(accounts, txn, &key, 0);
}

enum store_status store_account_delete(struct store *s, const char *id, int *existed)
{
	struct delete_arg arg = {id, 0};
	int ret = run_txn(s, account_delete_body, &arg, 0);
	*existed = arg.existed;
	return ret == TXN_ROLLBACK ? STORE_OK : status_of(ret);
}

