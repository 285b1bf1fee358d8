/* dispatch.c - delivers the outbox oldest first, one event at a time: strictly in order, so in
 * order per From_Account. A failed delivery is retried with exponential backoff until
 * callback_retry_seconds have passed since its first failure, then moved to the dead-letter
 * table and logged. An event leaves the outbox only after its delivery succeeded, so a crash
 * between delivery and removal repeats it (at-least-once; receivers de-duplicate by EventId). */
#include "webhook/dispatch.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/tick.h"
#include "webhook/lease.h"
#include "common/libcurl.h"
#include "webhook/webhook.h"

#define IDLE_MS 50          /* how often an idle dispatcher looks at the outbox */
#define BACKOFF_MAX_MS 60000
#define STATUS_EVERY_MS 60000
#define STOP_GRACE_TICKS 5 /* seconds a stopping dispatcher may take: one delivery's timeout */
#define ONCE_BUDGET_MS 50000 /* a --dispatch-once run ends within a one-minute cron interval */

static volatile sig_atomic_t stopping, ticks_since_stop;
static const struct store *watched; /* for the tick: the store the dispatcher works on */

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void say(const char *msg, size_t len)
{
	if (write(2, msg, len) < 0) {
		/* nothing more to do */
	}
}

/* A dispatcher blocked on a lock of a process that was killed waits forever: recovery by
 * another process has replaced the environment it holds (a worker notices the same way, see
 * http.h). Exiting lets lighttpd or multiwatch start a fresh one; nothing is lost, as an event
 * leaves the outbox only after its delivery. The same tick ends one that cannot honour a stop.
 * Only async-signal-safe calls here. */
static void on_tick(int sig)
{
	static const char stuck[] = "follow: dispatcher stuck on a recovered database; exiting\n";
	static const char slow[] = "follow: dispatcher did not stop in time; exiting\n";
	(void)sig;
	if (watched && store_orphaned(watched)) {
		say(stuck, sizeof(stuck) - 1);
		_exit(75);
	}
	if (stopping && ++ticks_since_stop > STOP_GRACE_TICKS) {
		say(slow, sizeof(slow) - 1);
		_exit(0);
	}
}

static void nap(long ms)
{
	poll(NULL, 0, (int)ms); /* returns early on a signal */
}

/* What one look at the head of the outbox found. */
enum head { HEAD_EMPTY, HEAD_NOT_DUE, HEAD_TRIED };

static void report(struct app *app, uint64_t *last)
{
	size_t pending, dead;
	if (clock_now_ms() - *last < STATUS_EVERY_MS)
		return;
	*last = clock_now_ms();
	if (store_outbox_counts(app->store, &pending, &dead) == STORE_OK && (pending || dead))
		LOG("webhooks: %zu pending, %zu in dead-letter", pending, dead);
}

/* Delivers the head event when it is due, or retires it to dead-letter; *wait_ms says how long
 * until a HEAD_NOT_DUE head is due. */
static enum head deliver_head(struct app *app, int lease, struct retry *rt, uint64_t *wait_ms)
{
	struct store_event ev;
	char why[256];
	uint64_t t;
	uint64_t t0;
	int found, ok;

	if (store_outbox_head(app->store, &ev, &found) != STORE_OK || !found)
		return HEAD_EMPTY;
	if (ev.id != rt->id)
		memset(rt, 0, sizeof(*rt)), rt->id = ev.id;
	if ((t = clock_now_ms()) < rt->next_try) {
		*wait_ms = rt->next_try - t;
		return HEAD_NOT_DUE;
	}
	t0 = clock_mono_us();
	ok = webhook_deliver(&app->conf, &ev, why, sizeof(why)) == 0;
	metrics_delivery(app->metrics, ok, clock_mono_us() - t0);
	if (ok) {
		if (store_outbox_done(app->store, ev.id) != STORE_OK)
			LOG("webhook event %u delivered but not yet removed; it will repeat", ev.id);
		return HEAD_TRIED;
	}
	t = clock_now_ms();
	if (rt->failures++ == 0)
		rt->first_failure = t;
	if (t - rt->first_failure >= (uint64_t)app->conf.callback_retry_seconds * 1000) {
		LOG("webhook event %u (%s from %s) failed for %u s (%s): moved to dead-letter",
		    ev.id, ev.add ? "follow" : "unfollow", ev.from, app->conf.callback_retry_seconds,
		    why);
		if (store_outbox_dead(app->store, &ev) != STORE_OK)
			LOG("cannot move webhook event %u to dead-letter", ev.id);
		return HEAD_TRIED;
	}
	{
		unsigned shift = rt->failures < 8 ? rt->failures : 8;
		uint64_t wait = (uint64_t)250 << shift;
		rt->next_try = t + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
	}
	lease_save(lease, rt);
	if (rt->failures == 1 || rt->failures % 10 == 0)
		LOG("webhook event %u: delivery failed (%s); attempt %u, retrying", ev.id, why,
		    rt->failures);
	return HEAD_TRIED;
}

/* Only the master's dispatcher delivers: a replica's outbox is the master's, replicated, and
 * after a failover the new master's goes on from where the old one's stopped. */
static int may_deliver(struct app *app)
{
	struct store_repl_state st;
	return store_repl_state(app->store, &st) == STORE_OK && (!st.replicated || st.is_master);
}

/* --dispatch-once: what is due now, within a cron interval, then exit. */
static int dispatch_due(struct app *app, int lease, struct retry *rt)
{
	uint64_t start = clock_now_ms(), wait;
	while (!stopping && clock_now_ms() - start < ONCE_BUDGET_MS && may_deliver(app)) {
		if (deliver_head(app, lease, rt, &wait) != HEAD_TRIED)
			return 0;
		if (store_needs_restart(app->store))
			return 1;
	}
	return 0;
}

static int dispatch_forever(struct app *app, int lease, struct retry *rt)
{
	uint64_t last_status = 0, wait;
	while (!stopping) {
		if (!may_deliver(app)) {
			nap(IDLE_MS);
			continue;
		}
		switch (deliver_head(app, lease, rt, &wait)) {
		case HEAD_EMPTY:
			nap(IDLE_MS);
			break;
		case HEAD_NOT_DUE:
			nap((long)(wait < IDLE_MS ? wait : IDLE_MS));
			break;
		case HEAD_TRIED:
			break;
		}
		report(app, &last_status);
		store_deferred(app->store);
		store_sync_metrics(app->store, app->metrics, &app->seen);
		if (store_needs_restart(app->store))
			return 1; /* a fresh process will recover the environment */
	}
	return 0;
}

/* Returns how the dispatcher should exit, once it has the environment and a callback_url. */
static int dispatch_with_curl(struct app *app, int once)
{
	const struct curl_api *cu;
	struct retry rt;
	char err[512];
	int lease, ret;

	if (!(cu = libcurl(err, sizeof(err))) || cu->global_init(CURL_GLOBAL_DEFAULT) != 0) {
		LOG("cannot set up the webhook dispatcher: %s", cu ? "curl_global_init failed" : err);
		return 1;
	}
	watched = app->store;
	if (tick_every(on_tick, 1000) != 0) {
		LOG("cannot set up the webhook dispatcher's watchdog");
		cu->global_cleanup();
		return 1;
	}
	/* Two dispatchers would deliver the head event twice: overlapping cron runs, or a cron
	 * run beside a long-lived dispatcher. A cron run that finds the lease taken has nothing
	 * to do; a long-lived one waits its turn. */
	if ((lease = lease_take(app->conf.data_dir, !once, &stopping, err, sizeof(err))) < 0) {
		tick_stop();
		cu->global_cleanup();
		if (*err)
			LOG("%s", err);
		else if (once)
			LOG("another dispatcher is delivering; this run has nothing to do");
		return *err ? 1 : 0;
	}
	lease_load(lease, &rt);
	ret = once ? dispatch_due(app, lease, &rt) : dispatch_forever(app, lease, &rt);
	tick_stop(); /* before the caller closes and frees the store the tick looks at */
	close(lease);
	cu->global_cleanup();
	return ret;
}

int dispatch_run(struct app *app, int once)
{
	if (stop_signals_setup(on_stop) != 0) {
		LOG("cannot set up the webhook dispatcher");
		return 1;
	}
	if (!app->conf.callback_url || !*app->conf.callback_url) {
		/* Idle without the environment: a handle it never uses would keep a recovered
		 * environment's deleted region files mapped (and their disk space taken). */
		if (app->store)
			app->store_lost |= store_close(app->store);
		app->store = NULL;
		if (once)
			return 0;
		LOG("no callback_url: webhooks are off; the dispatcher idles");
		while (!stopping)
			nap(1000);
		return 0;
	}
	if (!app->store) {
		if (!once)
			nap(2000); /* lighttpd starts a new dispatcher, which tries again */
		return 1;
	}
	return dispatch_with_curl(app, once);
}
