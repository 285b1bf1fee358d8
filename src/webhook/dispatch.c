/* dispatch.c - delivers the outbox oldest first, one event at a time: strictly in order, so in
 * order per From_Account. A failed delivery is retried with exponential backoff until
 * callback_retry_seconds have passed since its first failure, then moved to the dead-letter
 * table and logged. An event leaves the outbox only after its delivery succeeded, so a crash
 * between delivery and removal repeats it (at-least-once; receivers de-duplicate by EventId). */
#include "webhook/dispatch.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "webhook/webhook.h"

#define IDLE_MS 50          /* how often an idle dispatcher looks at the outbox */
#define BACKOFF_MAX_MS 60000
#define STATUS_EVERY_MS 60000

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void nap(long ms)
{
	poll(NULL, 0, (int)ms); /* returns early on a signal */
}

/* Retry state of the event at the head of the outbox. */
struct retry {
	uint32_t id;
	unsigned failures;
	uint64_t first_failure, next_try;
};

static void report(struct app *app, uint64_t *last)
{
	size_t pending, dead;
	if (clock_now_ms() - *last < STATUS_EVERY_MS)
		return;
	*last = clock_now_ms();
	if (store_outbox_counts(app->store, &pending, &dead) == STORE_OK && (pending || dead))
		LOG("webhooks: %zu pending, %zu in dead-letter", pending, dead);
}

static void deliver_head(struct app *app, struct retry *rt)
{
	struct store_event ev;
	char why[256];
	uint64_t t;
	int found;

	if (store_outbox_head(app->store, &ev, &found) != STORE_OK || !found) {
		nap(IDLE_MS);
		return;
	}
	if (ev.id != rt->id)
		memset(rt, 0, sizeof(*rt)), rt->id = ev.id;
	if ((t = clock_now_ms()) < rt->next_try) {
		nap((long)(rt->next_try - t < IDLE_MS ? rt->next_try - t : IDLE_MS));
		return;
	}
	if (webhook_deliver(&app->conf, &ev, why, sizeof(why)) == 0) {
		if (store_outbox_done(app->store, ev.id) != STORE_OK)
			LOG("webhook event %u delivered but not yet removed; it will repeat", ev.id);
		return;
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
		return;
	}
	{
		unsigned shift = rt->failures < 8 ? rt->failures : 8;
		uint64_t wait = (uint64_t)250 << shift;
		rt->next_try = t + (wait < BACKOFF_MAX_MS ? wait : BACKOFF_MAX_MS);
	}
	if (rt->failures == 1 || rt->failures % 10 == 0)
		LOG("webhook event %u: delivery failed (%s); attempt %u, retrying", ev.id, why,
		    rt->failures);
}

int dispatch_run(struct app *app)
{
	struct sigaction sa;
	struct retry rt;
	uint64_t last_status = 0;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		LOG("cannot set up the webhook dispatcher");
		return 1;
	}
	/* Spawned by lighttpd like a FastCGI worker, it takes no requests: closing the socket
	 * lighttpd gave it makes a stray request to its path fail at once instead of hanging. */
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		if (fd != 0)
			close(fd);
	}
	memset(&rt, 0, sizeof(rt));
	if (!app->conf.callback_url || !*app->conf.callback_url) {
		/* Idle without the environment: a handle it never uses would keep a recovered
		 * environment's deleted region files mapped (and their disk space taken). */
		LOG("no callback_url: webhooks are off; the dispatcher idles");
		if (app->store)
			app->store_lost |= store_close(app->store);
		app->store = NULL;
		while (!stopping)
			nap(1000);
		return 0;
	}
	while (!stopping) {
		if (!app->store) {
			nap(2000);
			return 1; /* lighttpd starts a new dispatcher, which tries again */
		}
		deliver_head(app, &rt);
		report(app, &last_status);
		if (store_needs_restart(app->store))
			return 1; /* a fresh process will recover the environment */
	}
	curl_global_cleanup();
	return 0;
}
