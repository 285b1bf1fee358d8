/* followctl.c - cgi-bin/followctl: the admin tool for the follow service's storage. It
 * opens the environment of the same config file the service reads (live or stopped) to verify
 * its invariants, show figures, export and import the graph as JSON lines, and make and restore
 * hot backups. */
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "admin/admin.h"
#include "common/conf.h"
#include "common/dirfiles.h"
#include "common/ids.h"
#include "common/jsoncheck.h"
#include "common/progress.h"
#include "common/tags.h"
#include "store/store.h"

#define EDGE_WINDOW 250000 /* import: edges read, then written by from (10,000 per transaction) */
#define ACCOUNTS_PER_TXN 1000

/* --help: this, the commands of the table below with their help, then help_tail. */
static const char help_head[] =
	"usage: followctl [-c CONF] [-q] COMMAND [ARGS]\n"
	"\n"
	"Administers the storage of the follow service: the Berkeley DB environment in the\n"
	"data_dir of CONF. CONF defaults to $FOLLOW_CONF, then ../conf/follow.conf beside this\n"
	"program. Every command but restore works while the service runs. Long work shows its\n"
	"progress on stderr when that is a terminal; -q (--quiet) leaves only the summary.\n"
	"\n"
	"commands:\n";
static const char help_tail[] =
	"\n"
	"exit status: 0 success, 1 failure or violations found, 2 usage error.\n";

static int quiet; /* -q: no progress line */

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "followctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'followctl --help'.\n");
	return 2;
}

/* ---- JSON output ---- */

static void json_string(FILE *f, const char *s, size_t len)
{
	size_t i, start = 0;
	putc('"', f);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char buf[8];
		if (c == '"')
			rep = "\\\"";
		else if (c == '\\')
			rep = "\\\\";
		else if (c == '\n')
			rep = "\\n";
		else if (c == '\r')
			rep = "\\r";
		else if (c == '\t')
			rep = "\\t";
		else if (c < 0x20) {
			snprintf(buf, sizeof(buf), "\\u%04x", c);
			rep = buf;
		}
		if (!rep)
			continue;
		fwrite(s + start, 1, i - start, f);
		fputs(rep, f);
		start = i + 1;
	}
	fwrite(s + start, 1, len - start, f);
	putc('"', f);
}

static int print_account(void *ctx, const char *id, const struct store_profile *p)
{
	FILE *f = ctx;
	size_t i;
	fputs("{\"account\":", f);
	json_string(f, id, strlen(id));
	if (p->n) {
		fputs(",\"profile\":[", f);
		for (i = 0; i < p->n; i++) {
			fputs(i ? ",{\"Tag\":" : "{\"Tag\":", f);
			json_string(f, p->tag[i].name, strlen(p->tag[i].name));
			fputs(",\"Value\":", f);
			if (p->tag[i].is_int)
				fprintf(f, "%u", p->tag[i].num);
			else
				json_string(f, p->tag[i].str, p->tag[i].len);
			putc('}', f);
		}
		putc(']', f);
	}
	fputs("}\n", f);
	return ferror(f) ? 1 : 0;
}

static int print_edge(void *ctx, const char *from, const char *to, uint32_t time)
{
	FILE *f = ctx;
	fputs("{\"from\":", f);
	json_string(f, from, strlen(from));
	fputs(",\"to\":", f);
	json_string(f, to, strlen(to));
	fprintf(f, ",\"time\":%u}\n", time);
	return ferror(f) ? 1 : 0;
}

/* ---- commands ---- */

/* What a command's handler gets. */
struct ctx {
	const struct conf *c;
	struct store *s; /* NULL for a command without CMD_STORE */
	char **args;     /* as many as the command's table entry allows */
};

/* The admin layer's progress (admin_tick) on the terminal's line. */
static void show_tick(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *pg = ctx;
	if (progress_due(pg))
		progress_show(pg, done, total ? (double)done / (double)total : -1);
}

static int cmd_verify(const struct ctx *x)
{
	struct admin_verify v;
	struct progress pg;
	char err[512];
	size_t total = 0, i;
	int k, ret;

	progress_start(&pg, "verify", "records read", quiet);
	admin_on_progress(show_tick, &pg);
	ret = admin_verify(x->s, &v, err, sizeof(err));
	admin_on_progress(NULL, NULL);
	progress_end(&pg);
	if (ret != 0) {
		fprintf(stderr, "followctl: %s\n", err);
		admin_verify_free(&v);
		return 1;
	}
	for (k = 0; k < P_KINDS; k++) {
		for (i = 0; i < v.found[k] && i < ADMIN_SHOWN; i++)
			printf("violation %s: %s\n", admin_problem_name(k),
			       v.shown[k][i] ? v.shown[k][i] : "(not described: out of memory)");
		if (v.found[k] > ADMIN_SHOWN)
			printf("violation %s: ... and %zu more\n", admin_problem_name(k),
			       v.found[k] - ADMIN_SHOWN);
		total += v.found[k];
	}
	printf("data_dir: %s\n", x->c->data_dir);
	printf("read: %s\n", v.snapshot ? "one transaction, a consistent snapshot"
				       : "read committed (too large to lock whole; concurrent "
					 "writes may show as transient differences)");
	printf("accounts: %zu\nedges: %zu\nfollowing_entries: %zu\nfan_entries: %zu\n"
	       "mutual_entries: %zu\nprofiles: %zu\noutbox_records: %zu\ndead_letters: %zu\n",
	       v.accounts, v.edges, v.following, v.fans, v.mutual, v.profiles, v.outbox, v.dead);
	for (k = 0; k < P_KINDS; k++)
		if (v.found[k])
			printf("%s: %zu\n", admin_problem_name(k), v.found[k]);
	printf("violations: %zu\n", total);
	admin_verify_free(&v);
	return total ? 1 : 0;
}

/* The replication lines of stats (README, "Several machines"). */
static int print_repl(const struct ctx *x)
{
	const struct store_repl *conf = x->c->repl_on ? &x->c->repl : NULL;
	struct store_repl_report r;
	size_t i;
	if (store_repl_report(x->s, &r) != STORE_OK) {
		fprintf(stderr, "followctl: stats: cannot read the replication state (see above)\n");
		return 1;
	}
	if (!r.replicated) {
		printf("repl_role: single\nrepl_master: \n");
		return 0;
	}
	printf("repl_role: %s\n", r.master == (int)conf->self ? "master" : "replica");
	if (r.master >= 0)
		printf("repl_master: %s:%u\n", conf->sites[r.master].host, conf->sites[r.master].port);
	else
		printf("repl_master: \n");
	printf("repl_process: %s\n", r.site_up ? "running" : "stopped");
	printf("repl_log_end: %u/%u\n", r.lsn_file, r.lsn_offset);
	for (i = 0; i < conf->n_sites; i++)
		printf("repl_site: %s:%u %s %s %s\n", conf->sites[i].host, conf->sites[i].port,
		       (int)i == r.master ? "master" : "replica",
		       i == conf->self ? "self" : r.connected[i] ? "connected" : "disconnected",
		       conf->sites[i].url);
	return 0;
}

static int cmd_stats(const struct ctx *x)
{
	struct admin_stats st;
	char err[512];
	if (admin_stats(x->s, &st, err, sizeof(err)) != 0) {
		fprintf(stderr, "followctl: %s\n", err);
		return 1;
	}
	printf("accounts: %zu\nedges: %zu\nmutual_pairs: %zu\n", st.accounts, st.edges,
	       st.mutual_pairs);
	printf("largest_fan_list: %s %zu\n", st.top_fans ? st.top_id : "-", st.top_fans);
	printf("disk_bytes: %llu\ndisk_bytes_databases: %llu\ndisk_bytes_logs: %llu\n"
	       "disk_bytes_regions: %llu\ndisk_bytes_other: %llu\n",
	       (unsigned long long)(st.disk_db + st.disk_log + st.disk_region + st.disk_other),
	       (unsigned long long)st.disk_db, (unsigned long long)st.disk_log,
	       (unsigned long long)st.disk_region, (unsigned long long)st.disk_other);
	printf("webhook_pending: %zu\nwebhook_dead: %zu\n", st.outbox_pending, st.outbox_dead);
	printf("cache_bytes: %llu\ncache_hits: %llu\ncache_misses: %llu\n",
	       (unsigned long long)st.cache_bytes, (unsigned long long)st.cache_hits,
	       (unsigned long long)st.cache_misses);
	return print_repl(x);
}

static int cmd_export(const struct ctx *x)
{
	static char buf[1 << 20];
	struct admin_export ex = {print_account, print_edge, stdout, 0};
	struct progress pg;
	char err[512];
	int ret;
	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	progress_start(&pg, "export", "records read", quiet);
	admin_on_progress(show_tick, &pg);
	ret = admin_export(x->s, &ex, err, sizeof(err));
	admin_on_progress(NULL, NULL);
	progress_end(&pg);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "followctl: export: cannot write: %s\n", strerror(errno));
		return 1;
	}
	if (ret < 0) {
		fprintf(stderr, "followctl: %s\n", err);
		return 1;
	}
	if (ex.skipped) {
		fprintf(stderr, "followctl: export: %zu edges skipped: they touch an account missing "
				"from the accounts table, or do not decode; run followctl verify\n",
			ex.skipped);
		return 1;
	}
	return 0;
}

/* -- import -- */

struct import {
	struct store *s;
	/* accounts waiting for their transaction, their lines' JSON kept for the strings */
	struct store_import acc[ACCOUNTS_PER_TXN];
	struct json_object *acc_json[ACCOUNTS_PER_TXN];
	size_t n_acc, acc_line;
	/* edges waiting */
	struct admin_edge *edge;
	size_t *edge_line;
	size_t n_edge;
	size_t accounts, edges, added;
	struct admin_bulk *bulk; /* an empty store nobody else uses: built in bulk (admin/bulk.c) */
};

static void drop_accounts(struct import *im)
{
	size_t i;
	for (i = 0; i < im->n_acc; i++) {
		free((void *)im->acc[i].tags);
		json_object_put(im->acc_json[i]);
	}
	im->n_acc = 0;
}

static int flush_accounts(struct import *im, size_t line)
{
	enum store_status st;
	if (!im->n_acc)
		return 0;
	if (im->bulk) {
		st = admin_bulk_accounts(im->bulk, im->acc, im->n_acc);
	} else {
		st = store_accounts_import(im->s, im->acc, im->n_acc);
		store_deferred(im->s);
	}
	if (st != STORE_OK) {
		/* (A bulk import says at its end that nothing was imported.) */
		char lost[64] = "";
		if (!im->bulk)
			snprintf(lost, sizeof(lost), "; nothing from line %zu on was imported",
				 im->acc_line);
		fprintf(stderr, "followctl: import: lines %zu-%zu: %s%s\n", im->acc_line, line,
			st == STORE_FULL ? "a profile would hold more than 100 tags"
					 : "storage failure (see above)", lost);
	} else
		im->accounts += im->n_acc;
	drop_accounts(im);
	return st == STORE_OK ? 0 : -1;
}

static int flush_edges(struct import *im)
{
	size_t added, bad, done;
	enum store_status st;
	char lost[128];
	if (!im->n_edge)
		return 0;
	st = admin_add_edges(im->s, im->edge, im->n_edge, &added, &bad, &done);
	im->edges += done;
	im->added += added;
	if (done)
		snprintf(lost, sizeof(lost), "of lines %zu-%zu, %zu edges were imported, and nothing "
			 "after line %zu", im->edge_line[0], im->edge_line[im->n_edge - 1], done,
			 im->edge_line[im->n_edge - 1]);
	else
		snprintf(lost, sizeof(lost), "nothing from line %zu on was imported",
			 im->edge_line[0]);
	if (st == STORE_NO_ACCOUNT)
		fprintf(stderr, "followctl: import: line %zu: the edge %s -> %s names an account "
				"that is not imported (an account line must come before its edges); "
				"%s\n", im->edge_line[bad], im->edge[bad].from, im->edge[bad].to, lost);
	else if (st != STORE_OK)
		fprintf(stderr, "followctl: import: storage failure (see above); %s\n", lost);
	im->n_edge = 0;
	return st == STORE_OK ? 0 : -1;
}

/* 1 when obj has no key but those listed. */
static int only_keys(struct json_object *obj, const char *const *allowed)
{
	struct json_object_iterator it = json_object_iter_begin(obj);
	struct json_object_iterator end = json_object_iter_end(obj);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		const char *k = json_object_iter_peek_name(&it);
		size_t i;
		for (i = 0; allowed[i] && strcmp(allowed[i], k) != 0; i++)
			;
		if (!allowed[i])
			return 0;
	}
	return 1;
}

/* The id in obj[name]; NULL (with why) when missing or not a valid id. */
static const char *id_field(struct json_object *obj, const char *name, const char **why)
{
	struct json_object *v;
	const char *s;
	if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string)) {
		*why = "must be a string";
		return NULL;
	}
	s = json_object_get_string(v);
	if (!id_valid(s, (size_t)json_object_get_string_len(v))) {
		*why = "is not a valid account id (1-32 bytes of UTF-8, no control characters)";
		return NULL;
	}
	return s;
}

/* Reads an account line into the batch (taking obj); -1 after printing why it is bad. */
static int add_account(struct import *im, struct json_object *obj, size_t line)
{
	static const char *const keys[] = {"account", "profile", NULL};
	struct json_object *list = NULL;
	struct store_tag *tags = NULL;
	const char *id, *why;
	size_t n = 0, i;
	char info[256];

	if (!only_keys(obj, keys)) {
		fprintf(stderr, "followctl: import: line %zu: an account line has only \"account\" "
				"and \"profile\"\n", line);
		return -1;
	}
	if (!(id = id_field(obj, "account", &why))) {
		fprintf(stderr, "followctl: import: line %zu: \"account\" %s\n", line, why);
		return -1;
	}
	if (json_object_object_get_ex(obj, "profile", &list)) {
		if (!json_object_is_type(list, json_type_array) ||
		    (n = json_object_array_length(list)) > STORE_TAGS_MAX) {
			fprintf(stderr, "followctl: import: line %zu: \"profile\" must be an array of "
					"at most %d tags\n", line, STORE_TAGS_MAX);
			return -1;
		}
		if (n && !(tags = calloc(n, sizeof(*tags)))) {
			fprintf(stderr, "followctl: import: out of memory\n");
			return -1;
		}
		for (i = 0; i < n; i++) {
			struct json_object *item = json_object_array_get_idx(list, i), *tag, *value;
			const char *name;
			if (!json_object_is_type(item, json_type_object) ||
			    !json_object_object_get_ex(item, "Tag", &tag) ||
			    !json_object_is_type(tag, json_type_string) ||
			    !json_object_object_get_ex(item, "Value", &value)) {
				fprintf(stderr, "followctl: import: line %zu: profile[%zu] must be an "
						"object with a string Tag and a Value\n", line, i);
				free(tags);
				return -1;
			}
			/* a NUL inside: no tag is called "" */
			name = json_has_nul(tag) ? "" : json_object_get_string(tag);
			if (tag_value(name, value, &tags[i], info, sizeof(info)) != 0) {
				fprintf(stderr, "followctl: import: line %zu: profile[%zu]: %s\n", line,
					i, info);
				free(tags);
				return -1;
			}
		}
	}
	if (im->n_acc == 0)
		im->acc_line = line;
	im->acc[im->n_acc].id = id;
	im->acc[im->n_acc].tags = tags;
	im->acc[im->n_acc].n = n;
	im->acc_json[im->n_acc] = json_object_get(obj);
	im->n_acc++;
	return 0;
}

static int add_edge(struct import *im, struct json_object *obj, size_t line)
{
	static const char *const keys[] = {"from", "to", "time", NULL};
	struct admin_edge *e = &im->edge[im->n_edge];
	const char *from = NULL, *to = NULL, *why = NULL, *bad = NULL;
	struct json_object *t;
	int64_t time;

	if (!only_keys(obj, keys)) {
		fprintf(stderr, "followctl: import: line %zu: an edge line has only \"from\", \"to\" "
				"and \"time\"\n", line);
		return -1;
	}
	if (!(from = id_field(obj, "from", &why)))
		bad = "from";
	else if (!(to = id_field(obj, "to", &why)))
		bad = "to";
	if (bad) {
		fprintf(stderr, "followctl: import: line %zu: \"%s\" %s\n", line, bad, why);
		return -1;
	}
	if (strcmp(from, to) == 0) {
		fprintf(stderr, "followctl: import: line %zu: an account cannot follow itself\n", line);
		return -1;
	}
	if (!json_object_object_get_ex(obj, "time", &t) || !json_object_is_type(t, json_type_int) ||
	    (time = json_object_get_int64(t)) < 1 || time > 0xffffffffLL) {
		fprintf(stderr, "followctl: import: line %zu: \"time\" must be an integer from 1 to "
				"4294967295 (Unix seconds)\n", line);
		return -1;
	}
	if (im->bulk) {
		int r = admin_bulk_edge(im->bulk, from, to, (uint32_t)time);
		if (r == -1)
			fprintf(stderr, "followctl: import: line %zu: the edge %s -> %s names an account "
					"that is not imported (an account line must come before its "
					"edges)\n", line, from, to);
		else if (r != 0)
			fprintf(stderr, "followctl: import: out of memory\n");
		im->edges += r == 0;
		return r == 0 ? 0 : -1;
	}
	snprintf(e->from, sizeof(e->from), "%s", from);
	snprintf(e->to, sizeof(e->to), "%s", to);
	e->time = (uint32_t)time;
	im->edge_line[im->n_edge++] = line;
	return 0;
}

static int import_line(struct import *im, struct json_tokener *tok, char *text, size_t len,
		       size_t line)
{
	struct json_object *obj;
	int ret;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' ' ||
		       text[len - 1] == '\t'))
		text[--len] = '\0';
	if (!len)
		return 0;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		fprintf(stderr, "followctl: import: line %zu: not one JSON value\n", line);
		json_object_put(obj);
		return -1;
	}
	if (!json_object_is_type(obj, json_type_object)) {
		ret = -1;
		fprintf(stderr, "followctl: import: line %zu: not a JSON object\n", line);
	} else if (json_object_object_get_ex(obj, "account", NULL)) {
		/* Edges before it are written first: the file's order is kept. */
		ret = flush_edges(im);
		if (ret == 0 && (ret = add_account(im, obj, line)) == 0 &&
		    im->n_acc == ACCOUNTS_PER_TXN)
			ret = flush_accounts(im, line);
	} else if (json_object_object_get_ex(obj, "from", NULL)) {
		ret = flush_accounts(im, line - 1);
		if (ret == 0 && (ret = add_edge(im, obj, line)) == 0 && im->n_edge == EDGE_WINDOW)
			ret = flush_edges(im);
	} else {
		ret = -1;
		fprintf(stderr, "followctl: import: line %zu: neither an account line nor an edge "
				"line\n", line);
	}
	json_object_put(obj);
	return ret;
}

/* The end of a bulk import: everything written and put in place, or nothing. */
static int finish_bulk(struct import *im, int ret)
{
	struct progress pg;
	char err[512];
	if (ret == 0) {
		progress_start(&pg, "import, writing", "edges", quiet);
		if (admin_bulk_finish(im->bulk, &im->added, show_tick, &pg, err, sizeof(err)) !=
		    STORE_OK) {
			fprintf(stderr, "followctl: import: %s\n", err);
			ret = -1;
		}
		progress_end(&pg);
	} else {
		admin_bulk_abort(im->bulk);
	}
	im->bulk = NULL;
	if (ret != 0) {
		fprintf(stderr, "followctl: import: nothing was imported; the store is as it was\n");
		im->accounts = im->edges = im->added = 0;
	}
	return ret;
}

static int cmd_import(const struct ctx *x)
{
	struct store *s = x->s;
	struct import *im = calloc(1, sizeof(*im));
	struct json_tokener *tok = json_tokener_new();
	struct timespec t0, t1;
	struct progress pg;
	struct stat st;
	double size = 0; /* of stdin, when it is a file: the ETA */
	char *text = NULL, err[512];
	size_t cap = 0, line = 0;
	ssize_t len;
	int ret = 0, failed;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!im || !tok || !(im->edge = malloc(EDGE_WINDOW * sizeof(*im->edge))) ||
	    !(im->edge_line = malloc(EDGE_WINDOW * sizeof(*im->edge_line)))) {
		fprintf(stderr, "followctl: import: out of memory\n");
		ret = -1;
		goto out;
	}
	im->s = s;
	if (!(im->bulk = admin_bulk_begin(s, &failed, err, sizeof(err))) && failed) {
		fprintf(stderr, "followctl: import: %s\n", err);
		ret = -1;
		goto out;
	}
	if (im->bulk)
		fprintf(stderr, "followctl: import: the store is empty and no other process has it "
				"open: building it in bulk, all or nothing (a service started meanwhile "
				"waits)\n");
	if (fstat(0, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
		size = (double)st.st_size;
	progress_start(&pg, "import", "lines", quiet);
	while (ret == 0 && (len = getline(&text, &cap, stdin)) >= 0) {
		ret = import_line(im, tok, text, (size_t)len, ++line);
		if (progress_due(&pg))
			progress_show(&pg, line, size > 0 ? (double)ftello(stdin) / size : -1);
	}
	progress_end(&pg);
	if (ret == 0 && ferror(stdin)) {
		fprintf(stderr, "followctl: import: cannot read stdin: %s\n", strerror(errno));
		ret = -1;
	}
	if (ret == 0)
		ret = flush_accounts(im, line);
	if (im->bulk)
		ret = finish_bulk(im, ret);
	else if (ret == 0)
		ret = flush_edges(im);
	if (ret == 0 && admin_flush(s) != STORE_OK) {
		fprintf(stderr, "followctl: import: cannot write the log to disk (see above)\n");
		ret = -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(stderr, "followctl: import: %zu account lines and %zu edge lines imported (%zu edges "
			"added, %zu already there) in %.1f s\n", im->accounts, im->edges, im->added,
		im->edges - im->added,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
	if (im) {
		if (im->bulk)
			admin_bulk_abort(im->bulk);
		drop_accounts(im);
		free(im->edge);
		free(im->edge_line);
	}
	free(im);
	free(text);
	if (tok)
		json_tokener_free(tok);
	return ret == 0 ? 0 : 1;
}

/* -- backup, restore -- */

static int cmd_backup(const struct ctx *x)
{
	const struct conf *c = x->c;
	const char *dir = x->args[0];
	char err[512], real[PATH_MAX], path[PATH_MAX];
	unsigned long long bytes = 0;
	size_t files = 0;
	struct dirent *d;
	struct stat sb;
	DIR *dp;

	struct progress pg;
	int ret;

	if (realpath(dir, real) && strcmp(real, c->data_dir) == 0) {
		fprintf(stderr, "followctl: backup: %s is data_dir itself\n", dir);
		return 1;
	}
	progress_start(&pg, "backup", "bytes copied", quiet);
	progress_watch(&pg, dir, dir_bytes(c->data_dir, admin_env_file));
	ret = admin_backup(x->s, dir, err, sizeof(err));
	progress_end(&pg);
	if (ret != 0) {
		fprintf(stderr, "followctl: %s\n", err);
		return 1;
	}
	if ((dp = opendir(dir))) {
		while ((d = readdir(dp)))
			if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) < (int)sizeof(path) &&
			    stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
				files++;
				bytes += (unsigned long long)sb.st_size;
			}
		closedir(dp);
	}
	printf("backup of %s in %s: %zu files, %llu bytes, recovered and consistent\n",
	       c->data_dir, dir, files, bytes);
	return 0;
}

static int cmd_restore(const struct ctx *x)
{
	const struct conf *c = x->c;
	const char *dir = x->args[0];
	char err[512], real[PATH_MAX], stage[PATH_MAX];
	struct progress pg;
	int ret;
	if (!realpath(dir, real)) {
		fprintf(stderr, "followctl: restore: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	if (strcmp(real, c->data_dir) == 0) {
		fprintf(stderr, "followctl: restore: %s is data_dir itself\n", dir);
		return 1;
	}
	snprintf(stage, sizeof(stage), "%s/%s", c->data_dir, ADMIN_RESTORE_STAGE);
	progress_start(&pg, "restore", "bytes copied", quiet);
	progress_watch(&pg, stage, dir_bytes(real, NULL));
	ret = admin_restore(real, c->data_dir, err, sizeof(err));
	progress_end(&pg);
	if (ret != 0) {
		fprintf(stderr, "followctl: restore: %s\n", err);
		return 1;
	}
	printf("restored %s into %s; the service can start\n", real, c->data_dir);
	return 0;
}

/* -- deliberate damage, for tests (not in --help) -- */

static int cmd_corrupt_counter(const struct ctx *x)
{
	const char *id = x->args[0];
	uint32_t was;
	switch (admin_corrupt_counter(x->s, id, &was)) {
	case STORE_OK:
		printf("account %s: following counter changed from %u to %u\n", id, was, was + 1);
		return 0;
	case STORE_NO_ACCOUNT:
		fprintf(stderr, "followctl: %s is not imported\n", id);
		return 1;
	default:
		fprintf(stderr, "followctl: storage failure\n");
		return 1;
	}
}

static int cmd_drop_fan(const struct ctx *x)
{
	const char *from = x->args[0], *to = x->args[1];
	switch (admin_drop_fan(x->s, from, to)) {
	case STORE_OK:
		printf("fan index of %s: entry for %s removed\n", to, from);
		return 0;
	case STORE_NO_ACCOUNT:
		fprintf(stderr, "followctl: no edge %s -> %s with a fan entry\n", from, to);
		return 1;
	default:
		fprintf(stderr, "followctl: storage failure\n");
		return 1;
	}
}

/* ---- the commands: one table drives dispatch, argument checks and --help ---- */

enum {
	CMD_STORE = 1, /* opens the store of data_dir, which must exist */
	CMD_MKDIR = 2, /* with CMD_STORE: creates data_dir when missing */
};

static const struct command {
	const char *name;
	const char *args;     /* their names in --help ("DIR"); NULL for none */
	int min_args, max_args;
	unsigned flags;       /* CMD_* */
	int (*fn)(const struct ctx *x);
	const char *help;     /* its lines in --help; NULL: not listed (tests only) */
} commands[] = {
	{"verify", NULL, 0, 0, CMD_STORE, cmd_verify,
	 "check every invariant of the store (edges, their following, fan and\n"
	 "mutual index entries, counters, accounts, profiles, webhook outbox);\n"
	 "prints what it walked and each violation (at most 20 per kind).\n"
	 "It reads in one transaction holding read locks, so a live service's\n"
	 "writes wait for it and it sees one consistent state (a store too large\n"
	 "for the lock table is read at read committed instead, and then writes\n"
	 "racing the walk can show as transient differences)."},
	{"stats", NULL, 0, 0, CMD_STORE, cmd_stats,
	 "accounts, edges, mutual pairs, the largest fan list, bytes on disk,\n"
	 "webhook backlog, the page cache's size (cache_mb) and its hits and misses."},
	{"backup", "DIR", 1, 1, CMD_STORE, cmd_backup,
	 "hot backup into DIR (new or empty) while the service serves writes:\n"
	 "databases, then logs, then catastrophic recovery of the copy."},
	{"restore", "DIR", 1, 1, 0, cmd_restore,
	 "with the service stopped: replace the environment in data_dir with the\n"
	 "backup in DIR and run catastrophic recovery. Refused while any process\n"
	 "has the environment open (its lock in data_dir/__db.register)."},
	{"export", NULL, 0, 0, CMD_STORE, cmd_export,
	 "the whole graph on stdout as JSON lines: one per account\n"
	 "{\"account\":ID,\"profile\":[{\"Tag\":..,\"Value\":..}]} (no profile when\n"
	 "empty), then one per edge {\"from\":ID,\"to\":ID,\"time\":SECONDS}; sorted."},
	{"import", NULL, 0, 0, CMD_STORE | CMD_MKDIR, cmd_import,
	 "read that format on stdin and add it: accounts (an account line must\n"
	 "come before the edges that name it), profile tags (merged), edges with\n"
	 "their times, index entries and counters; 250000 edges are read, then\n"
	 "written in order of from, 10000 per transaction. An edge that exists\n"
	 "keeps its time. Follow limits do not apply; no webhook events."},
	/* Tests only: damage the store so that verify has something to find. */
	{"debug-corrupt-counter", "ID", 1, 1, CMD_STORE, cmd_corrupt_counter, NULL},
	{"debug-drop-fan", "FROM TO", 2, 2, CMD_STORE, cmd_drop_fan, NULL},
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define HELP_INDENT 15 /* where a command's help starts: "  NAME ARGS" in 13 columns, a space */

static void print_help(FILE *f)
{
	size_t k;
	fputs(help_head, f);
	for (k = 0; k < N_COMMANDS; k++) {
		const struct command *cmd = &commands[k];
		const char *line, *nl;
		char usage[64];
		if (!cmd->help)
			continue;
		snprintf(usage, sizeof(usage), "%s%s%s", cmd->name, cmd->args ? " " : "",
			 cmd->args ? cmd->args : "");
		fprintf(f, "  %-*s", HELP_INDENT - 2, usage);
		for (line = cmd->help; line; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			if (line != cmd->help)
				fprintf(f, "%*s", HELP_INDENT, "");
			fprintf(f, "%.*s\n", nl ? (int)(nl - line) : (int)strlen(line), line);
		}
	}
	fputs(help_tail, f);
}

static const struct command *find_command(const char *name)
{
	size_t k;
	for (k = 0; k < N_COMMANDS; k++)
		if (strcmp(commands[k].name, name) == 0)
			return &commands[k];
	return NULL;
}

/* The usage error for a wrong number of arguments (2). */
static int args_error(const struct command *cmd)
{
	if (!cmd->max_args)
		return usage_error("%s takes no arguments", cmd->name);
	if (cmd->min_args == cmd->max_args)
		return usage_error("%s takes %d argument%s", cmd->name, cmd->max_args,
				   cmd->max_args > 1 ? "s" : "");
	return usage_error("%s takes %d to %d arguments", cmd->name, cmd->min_args,
			   cmd->max_args);
}

static int run(const struct command *cmd, char **args, const struct conf *c)
{
	struct ctx x = {c, NULL, args};
	struct store_opts opts;
	struct stat sb;
	char err[512];
	int ret, abandoned;

	if (!(cmd->flags & CMD_STORE))
		return cmd->fn(&x);
	if (cmd->flags & CMD_MKDIR) {
		if (conf_make_data_dir(c) != 0) {
			fprintf(stderr, "followctl: cannot create data_dir %s: %s\n", c->data_dir,
				strerror(errno));
			return 1;
		}
	} else if (stat(c->data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
		fprintf(stderr, "followctl: data_dir %s does not exist\n", c->data_dir);
		return 1;
	}
	conf_store_opts(c, &opts);
	if (!(x.s = store_open(&opts, err, sizeof(err)))) {
		fprintf(stderr, "followctl: %s\n", err);
		return 1;
	}
	ret = cmd->fn(&x);
	abandoned = store_close(x.s);
	if (abandoned) {
		/* Another process recovered the environment meanwhile; what Berkeley DB kept of the
		 * old one is not ours to free. */
		fflush(stdout);
		_exit(ret ? ret : 1);
	}
	return ret;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], err[512];
	const char *conf_path = NULL;
	const struct command *cmd;
	struct conf c;
	int i = 1, j, nargs, ret;

	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			print_help(stdout);
			return 0;
		}
		if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) {
			quiet = 1;
			i++;
			continue;
		}
		if (strcmp(argv[i], "-c") != 0 && strcmp(argv[i], "--config") != 0)
			return usage_error("unknown option '%s'", argv[i]);
		if (i + 1 >= argc)
			return usage_error("%s needs a config file", argv[i]);
		conf_path = argv[i + 1];
		i += 2;
	}
	if (i >= argc)
		return usage_error("%s", "no command given");
	for (j = i + 1; j < argc; j++)
		if (strcmp(argv[j], "--help") == 0) {
			print_help(stdout);
			return 0;
		}
	if (!(cmd = find_command(argv[i])))
		return usage_error("unknown command '%s'", argv[i]);
	nargs = argc - i - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return args_error(cmd);
	if ((!conf_path || !*conf_path) &&
	    !(conf_path = conf_default_path(argv[0], path, sizeof(path)))) {
		fprintf(stderr, "followctl: cannot find myself; use -c CONF\n");
		return 2;
	}
	if (conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "followctl: %s\n", err);
		return 1;
	}
	ret = run(cmd, argv + i + 1, &c);
	conf_free(&c);
	return ret;
}
