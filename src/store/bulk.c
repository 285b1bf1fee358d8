/* bulk.c - what followctl import asks before it builds a store of its own: is this one empty. */
#include <db.h>
#include <string.h>

#include "store/store_int.h"

static int empty_body(struct store *s, DB_TXN *txn, void *argp)
{
	int *empty = argp, i, ret, t_ret;
	*empty = 1;
	for (i = 0; i < T_COUNT && *empty; i++) {
		DBT key, val;
		DBC *c;
		DB *db;
		if ((ret = store_table(s, i, &db)) != 0 || (ret = db->cursor(db, txn, &c, 0)) != 0)
			return ret;
		memset(&key, 0, sizeof(key));
		memset(&val, 0, sizeof(val));
		val.flags = DB_DBT_PARTIAL; /* whether there is one, not what it holds */
		ret = c->get(c, &key, &val, DB_FIRST);
		if (ret == 0)
			*empty = 0;
		else if (ret != DB_NOTFOUND) {
			c->close(c);
			return ret;
		}
		if ((t_ret = c->close(c)) != 0)
			return t_ret;
	}
	return 0;
}

enum store_status store_is_empty(struct store *s, int *empty)
{
	return status_of(run_txn(s, empty_body, empty, 1));
}
