/* open_storm_test.c - many processes open one environment at the same moment, right after it
 * was created, restored from a backup or left by a SIGKILLed writer: every open must work. */
#define _XOPEN_SOURCE 700 /* nftw */

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "admin/admin.h"

#define PROCS 16  /* processes that open at once */
#define ROUNDS 50 /* rounds of them, cycling through the three starting states */
#define CHILD_SECONDS 60 /* a child still opening after this is a hang: it dies and counts */

static char g_dir[256], g_backup[300];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static const struct store_opts g_opts = {.dir = g_dir, .durability = STORE_WRITE};

/* One process of the storm: waits for the start signal (the pipe closing), opens, writes one
 * account, reads it back, closes. Exit status 0 only when all of that worked. */
static int storm_child(int gate, int n)
{
	char err[256], id[32];
	const char *ids[1] = {id};
	struct store *s;
	int exists = 0;
	char c;
	alarm(CHILD_SECONDS);
	if (read(gate, &c, 1) < 0)
		return 1;
	if (!(s = store_open(&g_opts, err, sizeof(err)))) {
		fprintf(stderr, "child %d: open: %s\n", n, err);
		return 1;
	}
	snprintf(id, sizeof(id), "storm%d", n);
	if (store_account_import(s, ids, 1) != STORE_OK ||
	    store_account_exists(s, id, &exists) != STORE_OK || !exists) {
		fprintf(stderr, "child %d: write or read failed\n", n);
		store_close(s);
		return 1;
	}
	return store_close(s) ? 1 : 0;
}

/* Starts PROCS processes that open together; returns how many failed. */
static int storm(void)
{
	int gate[2], i, failed = 0, status;
	pid_t pids[PROCS];
	if (pipe(gate) != 0)
		return PROCS;
	for (i = 0; i < PROCS; i++) {
		if ((pids[i] = fork()) == 0) {
			close(gate[1]);
			_exit(storm_child(gate[0], i));
		}
	}
	close(gate[0]);
	close(gate[1]); /* every child's read returns now */
	for (i = 0; i < PROCS; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			failed++;
	}
	return failed;
}

/* A writer that is SIGKILLed while it writes: it leaves its registry slot and maybe locks. */
static int killed_writer(void)
{
	int status;
	pid_t pid = fork();
	if (pid == 0) {
		char err[256], id[32];
		const char *ids[1] = {id};
		struct store *s = store_open(&g_opts, err, sizeof(err));
		unsigned i;
		if (!s)
			_exit(1);
		for (i = 0;; i++) {
			snprintf(id, sizeof(id), "w%u", i);
			store_account_import(s, ids, 1);
		}
	}
	if (pid < 0)
		return -1;
	usleep(20000 + (unsigned)(rand() % 30000));
	kill(pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) ? 0 : -1;
}

static int make_backup(void)
{
	char err[256];
	const char *ids[2] = {"b1", "b2"};
	struct store *s;
	int ret;
	rm_rf(g_dir);
	rm_rf(g_backup);
	mkdir(g_dir, 0700);
	if (!(s = store_open(&g_opts, err, sizeof(err)))) {
		fprintf(stderr, "backup source: %s\n", err);
		return -1;
	}
	ret = store_account_import(s, ids, 2) == STORE_OK &&
			      admin_backup(s, g_backup, err, sizeof(err)) == 0
		      ? 0
		      : -1;
	if (ret)
		fprintf(stderr, "backup: %s\n", err);
	store_close(s);
	return ret;
}

int main(void)
{
	static const char *const kinds[3] = {"fresh", "restored", "killed writer"};
	int round, failed_rounds = 0, failed_opens = 0;
	char err[256];

	snprintf(g_dir, sizeof(g_dir), "/tmp/open-storm-%d", (int)getpid());
	snprintf(g_backup, sizeof(g_backup), "%s.backup", g_dir);
	srand((unsigned)time(NULL));
	if (make_backup() != 0)
		return 1;
	for (round = 0; round < ROUNDS; round++) {
		int kind = round % 3, failed;
		switch (kind) {
		case 0:
			rm_rf(g_dir);
			mkdir(g_dir, 0700);
			break;
		case 1:
			if (admin_restore(g_backup, g_dir, err, sizeof(err)) != 0) {
				fprintf(stderr, "round %d: restore: %s\n", round, err);
				failed_rounds++;
				continue;
			}
			break;
		default:
			if (killed_writer() != 0) {
				fprintf(stderr, "round %d: the writer did not start\n", round);
				failed_rounds++;
				continue;
			}
		}
		if ((failed = storm()) != 0) {
			fprintf(stderr, "round %d (%s): %d of %d opens failed\n", round, kinds[kind],
				failed, PROCS);
			failed_rounds++;
			failed_opens += failed;
		}
	}
	rm_rf(g_dir);
	rm_rf(g_backup);
	printf("open_storm_test: %d rounds of %d processes, %d rounds failed (%d opens)\n", ROUNDS,
	       PROCS, failed_rounds, failed_opens);
	return failed_rounds ? 1 : 0;
}
