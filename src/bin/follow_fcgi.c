/* follow_fcgi.c - start-up (config, data folder, store), the serving loop, and clean shutdown. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "request/app.h"
#include "webhook/dispatch.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/tick.h"
#include "request/ratelimit.h"
#include "store/holdwatch.h"

/* A plain CGI call that has run this many ticks (seconds) with a dead process in the
 * environment's registry gives up (store_dead_opener). A call takes milliseconds. */
#define CGI_BLOCKED_TICKS 2

/* The request in progress waits on a database that another process has since recovered; or,
 * in plain CGI, it has run for seconds while a process that died with the environment open is
 * still unrecovered. A FastCGI worker killed is replaced at once, and its replacement
 * recovers; a CGI process killed is not, and the calls blocked on its locks would wait for
 * the next call to come, or for the web server's timeout when none comes. */
static int app_stuck(void *ctx)
{
	static int ticks;
	struct app *app = ctx;
	if (!app->store)
		return 0;
	if (store_orphaned(app->store))
		return 1;
	return http_is_cgi() && ++ticks >= CGI_BLOCKED_TICKS && store_dead_opener(app->store);
}

/* The config holds the secret key: say so when other users can read it. */
static void warn_if_readable(const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
		LOG("warning: %s holds secret_key and is readable by other users (mode %03o); "
		    "fix with: chmod 600 %s",
		    path, (unsigned)(st.st_mode & 0777), path);
}

/* 1 when a fresh process would open the store: a child tries (this process cannot, after its
 * own failed attempt), at most once a second. */
static int store_would_open(struct app *app)
{
	long now = (long)time(NULL);
	pid_t pid;
	int status;
	if (now == app->last_probe)
		return 0;
	app->last_probe = now;
	if ((pid = fork()) < 0)
		return 0;
	if (pid == 0) {
		char err[512];
		struct store *s = store_open(&app->opts, err, sizeof(err));
		_exit(s && store_close(s) == 0 ? 0 : 1);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Asked after each answer: first the store's deferred work (the caller has its answer); then
 * the process exits, and the host starts a fresh one, when its store panicked for good, or when
 * it has none and a fresh process would now open it. */
static int app_lost(void *ctx)
{
	struct app *app = ctx;
	if (app->store) {
		store_deferred(app->store);
		return store_needs_restart(app->store);
	}
	return store_would_open(app);
}

static int usage(void)
{
	fprintf(stderr, "usage: follow.fcgi [--check-config CONF | --dispatch | --dispatch-once |\n"
			"                   --replication]\n"
			"  run by a web server, as FastCGI or as plain CGI, with its config in\n"
			"  $FOLLOW_CONF or beside the program (see README); --dispatch (or\n"
			"  FOLLOW_ROLE=dispatcher) delivers webhooks until stopped, --dispatch-once\n"
			"  delivers those due now and exits (for cron); --replication (or\n"
			"  FOLLOW_ROLE=replication) runs a replicated site's replication until stopped\n");
	return 2;
}

static volatile sig_atomic_t site_stop;

static void on_site_stop(int sig)
{
	(void)sig;
	site_stop = 1;
}

/* The site process of a replicated site (store_site_run), spawned by lighttpd like a worker. */
static int run_site(struct app *app)
{
	if (!app->conf.repl_on) {
		LOG("the replication process needs repl_self and repl_sites in the config");
		return 1;
	}
	if (stop_signals_setup(on_site_stop) != 0) {
		LOG("cannot set up the replication process");
		return 1;
	}
	app->opts.repl_role = STORE_REPL_SITE;
	return store_site_run(&app->opts, &site_stop);
}

int main(int argc, char **argv)
{
	struct app app;
	char buf[PATH_MAX], err[512];
	const char *path = conf_default_path(argv[0], buf, sizeof(buf)), *role = getenv("FOLLOW_ROLE");
	int dispatcher = role && strcmp(role, "dispatcher") == 0, once = 0;
	int site = role && strcmp(role, "replication") == 0;
	int ret, abandoned;

	if (argc == 3 && strcmp(argv[1], "--check-config") == 0) {
		if (conf_load(argv[2], &app.conf, err, sizeof(err)) != 0) {
			fprintf(stderr, "follow: %s\n", err);
			return 1;
		}
		warn_if_readable(argv[2]);
		conf_free(&app.conf);
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--dispatch") == 0)
		dispatcher = 1;
	else if (argc == 2 && strcmp(argv[1], "--dispatch-once") == 0)
		dispatcher = once = 1;
	else if (argc == 2 && strcmp(argv[1], "--replication") == 0)
		site = 1;
	else if (argc != 1)
		return usage();
	/* Neither a FastCGI socket nor a CGI request: someone ran it by hand. */
	if (!path || (!dispatcher && !site && http_is_cgi() && !getenv("REQUEST_METHOD")))
		return usage();
	if (conf_load(path, &app.conf, err, sizeof(err)) != 0) {
		LOG("%s", err);
		return 1;
	}
	warn_if_readable(path);
	if (conf_make_data_dir(&app.conf) != 0) {
		LOG("cannot create data_dir %s: %s", app.conf.data_dir, strerror(errno));
		conf_free(&app.conf);
		return 1;
	}
	/* Without a limit nothing is counted: a plain CGI call need not map the counters. */
	app.rate = NULL;
	if (app.conf.rate_limit &&
	    !(app.rate = ratelimit_open(app.conf.data_dir, route_count, err, sizeof(err))))
		LOG("%s: rate_limit is not enforced by this process", err);
	/* A store that cannot open (disk full, unwritable folder) still lets the process answer
	 * a clear 30006 before it is replaced, rather than die with nothing said. */
	conf_store_opts(&app.conf, &app.opts);
	app.opts.lazy_tables = !dispatcher && http_is_cgi();
	app.opts.keep_profiles = !dispatcher && !site && !http_is_cgi();
	/* A worker that gives up holding the open lock (holdwatch.c) may be in the middle of a
	 * call (after http_is_cgi: the answer depends on it). */
	if (!dispatcher && !site)
		holdwatch_last_words(http_answer_stuck);
	app.last_probe = 0;
	app.store_lost = 0;
	app.repl_cgi = 0;
	if (site) {
		ret = run_site(&app);
		ratelimit_close(app.rate);
		conf_free(&app.conf);
		/* What Berkeley DB lost with a panicked environment is not ours to report. */
		if (ret == 1)
			_exit(0);
		return ret == 0 ? 0 : 1;
	}
	if (app.conf.repl_on && !dispatcher && http_is_cgi()) {
		/* One CGI process per call cannot keep replication's connections. */
		LOG("replication is configured (repl_self): plain CGI cannot take part; answering "
		    "every call with an error");
		app.repl_cgi = 1;
		app.store = NULL;
	} else if (!(app.store = store_open(&app.opts, err, sizeof(err)))) {
		LOG("%s; answering 30006 until the fault is fixed", err);
		app.store_lost = 1; /* a failed open may leave the library's memory behind */
	}
	if (!(app.metrics = metrics_open(app.conf.data_dir, err, sizeof(err))))
		LOG("%s: this process's calls are not in /metrics", err);
	metrics_add(app.metrics, dispatcher ? MC_STARTS_DISPATCHER : MC_STARTS_WORKER, 1);
	if (dispatcher)
		ret = dispatch_run(&app, once);
	else
		ret = http_serve(app.conf.max_body_bytes, route_request, &app, app_stuck,
				 app_lost);
	abandoned = (app.store ? store_close(app.store) : 0) | app.store_lost;
	ratelimit_close(app.rate);
	metrics_close(app.metrics);
	conf_free(&app.conf);
	/* What Berkeley DB lost with a panicked environment is not ours to report as a leak. */
	if (abandoned)
		_exit(ret == 0 ? 0 : 1);
	return ret == 0 ? 0 : 1;
}
