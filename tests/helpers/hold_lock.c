/* hold_lock.c - for t0951: opens the store of CONFIG as the service does, locks ACCOUNT's record
 * for update in a transaction, prints "held" and waits to be killed. The test kills it while a
 * CGI call waits on that lock: a process killed mid-call that no later call replaces. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/conf.h"
#include "store/store_int.h"

static int hold(struct store *s, DB_TXN *txn, void *id)
{
	struct account a;
	int found, ret;
	if ((ret = account_get(s, txn, id, &a, &found, 1)) != 0)
		return ret;
	if (!found) {
		fprintf(stderr, "hold_lock: no account %s\n", (const char *)id);
		return -1;
	}
	if (printf("held\n") < 0 || fflush(stdout) != 0)
		return -1;
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct conf c;
	struct store_opts o;
	struct store *s;
	char err[512];
	if (argc != 3) {
		fprintf(stderr, "usage: hold_lock CONFIG ACCOUNT\n");
		return 2;
	}
	if (conf_load(argv[1], &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "hold_lock: %s\n", err);
		return 1;
	}
	conf_store_opts(&c, &o);
	if (!(s = store_open(&o, err, sizeof(err)))) {
		fprintf(stderr, "hold_lock: %s\n", err);
		conf_free(&c);
		return 1;
	}
	run_txn(s, hold, argv[2], 0); /* returns only on an error */
	store_close(s);
	conf_free(&c);
	return 1;
}
