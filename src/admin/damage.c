/* damage.c - deliberate damage to the store, for tests only: what followctl verify must find
 * (followctl's debug-corrupt-counter and debug-drop-fan). */
#include <db.h>
#include <errno.h>

#include "admin/admin.h"
#include "admin/admin_int.h"

struct corrupt_arg {
	const char *id, *other;
	uint32_t was;
};

static int corrupt_counter_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct corrupt_arg *arg = argp;
	struct account a;
	int ret;
	if ((ret = account_acting(s, txn, arg->id, &a, 1)) != 0)
		return ret;
	arg->was = a.following;
	a.following++;
	return account_put(s, txn, arg->id, &a);
}

enum store_status admin_corrupt_counter(struct store *s, const char *id, uint32_t *was)
{
	struct corrupt_arg arg = {id, NULL, 0};
	int ret = run_txn(s, corrupt_counter_body, &arg, 0);
	*was = arg.was;
	return status_of(ret);
}

static int drop_fan_body(struct store *s, DB_TXN *txn, void *argp)
{
	struct corrupt_arg *arg = argp;
	uint32_t time;
	int ret;
	if ((ret = edge_get(s, txn, arg->id, arg->other, &time, 0)) != 0)
		return ret;
	if (!time)
		return TXN_ROLLBACK;
	ret = idx_del(s, txn, T_FANS, arg->other, time, arg->id);
	return ret == EINVAL ? TXN_ROLLBACK : ret; /* EINVAL: the entry is missing already */
}

enum store_status admin_drop_fan(struct store *s, const char *from, const char *to)
{
	struct corrupt_arg arg = {from, to, 0};
	return status_of(run_txn(s, drop_fan_body, &arg, 0));
}
