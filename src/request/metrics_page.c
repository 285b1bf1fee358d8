/* metrics_page.c - GET /metrics: the shared counters (common/metrics.c) and the environment's
 * figures in Prometheus's text format 0.0.4, for the addresses metrics_allow lets in. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"
#include "request/app.h"

#define PAGE_FIRST 16384 /* the page's buffer to start with (it grows) */

struct page {
	char *buf;
	size_t len, cap;
	int failed;
};

static void put(struct page *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct page *p, const char *fmt, ...)
{
	va_list ap;
	int n;
	for (;;) {
		if (p->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(p->buf + p->len, p->cap - p->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			p->failed = 1;
			return;
		}
		if ((size_t)n < p->cap - p->len) {
			p->len += (size_t)n;
			return;
		}
		{
			size_t cap = p->cap ? p->cap * 2 : PAGE_FIRST;
			char *b;
			while (cap - p->len <= (size_t)n)
				cap *= 2;
			if (!(b = realloc(p->buf, cap))) {
				p->failed = 1;
				return;
			}
			p->buf = b;
			p->cap = cap;
		}
	}
}

static void head(struct page *p, const char *name, const char *type, const char *help)
{
	put(p, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static const char *api_label(unsigned i)
{
	return i < route_count ? route_name(i) : "unknown";
}

static void codes(struct page *p, const char *name, const struct metrics_codes *t, unsigned api)
{
	char label[16];
	size_t i;
	int code;
	for (i = 0; i < METRICS_CODES; i++) {
		if (!metrics_code_at(t, i, &code))
			continue;
		snprintf(label, sizeof(label), code == METRICS_OTHER_CODE ? "other" : "%d", code);
		put(p, "%s{api=\"%s\",code=\"%s\"} %llu\n", name, api_label(api), label,
		    (unsigned long long)metrics_read(&t->count[i]));
	}
}

/* One histogram's series; label is "" or `api="..."`. The buckets are shown cumulative, and
 * never above the count (another process may be between its two adds). */
static void hist(struct page *p, const char *name, const char *label, const struct metrics_hist *h)
{
	uint64_t count = metrics_read(&h->count), sum = 0;
	const char *comma = *label ? "," : "";
	char braced[80];
	size_t b;
	snprintf(braced, sizeof(braced), *label ? "{%s}" : "%s", label);
	for (b = 0; b < METRICS_BUCKETS; b++) {
		sum += metrics_read(&h->bucket[b]);
		put(p, "%s_bucket{%s%sle=\"%g\"} %llu\n", name, label, comma,
		    (double)metrics_bucket_us[b] / 1e6, (unsigned long long)(sum < count ? sum : count));
	}
	put(p, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, label, comma, (unsigned long long)count);
	put(p, "%s_sum%s %.6f\n", name, braced, (double)metrics_read(&h->sum_us) / 1e6);
	put(p, "%s_count%s %llu\n", name, braced, (unsigned long long)count);
}

static void counter(struct page *p, const char *name, const char *help, uint64_t v)
{
	head(p, name, "counter", help);
	put(p, "%s %llu\n", name, (unsigned long long)v);
}

static void body(struct app *app, struct page *p)
{
	const struct metrics_shm *m = app->metrics;
	struct store_figures f;
	size_t pending, dead;
	unsigned api;
	char labels[64];

	head(p, "follow_requests_total", "counter",
	     "Calls answered, by API (the command) and the answer's ErrorCode.");
	for (api = 0; api <= route_count; api++)
		codes(p, "follow_requests_total", &m->requests[api], api);
	head(p, "follow_request_duration_seconds", "histogram",
	     "Time from a call's arrival at the service to its answer, by API.");
	for (api = 0; api <= route_count; api++) {
		snprintf(labels, sizeof(labels), "api=\"%s\"", api_label(api));
		hist(p, "follow_request_duration_seconds", labels, &m->duration[api]);
	}
	head(p, "follow_results_total", "counter",
	     "Per-target ResultCodes in the answers of batch calls, by API.");
	for (api = 0; api <= route_count; api++)
		codes(p, "follow_results_total", &m->results[api], api);
	if (app->store && store_outbox_counts(app->store, &pending, &dead) == STORE_OK) {
		head(p, "follow_webhook_pending", "gauge", "Webhook events waiting for delivery.");
		put(p, "follow_webhook_pending %zu\n", pending);
		head(p, "follow_webhook_dead_letter", "gauge",
		     "Webhook events that exhausted their retries.");
		put(p, "follow_webhook_dead_letter %zu\n", dead);
	}
	head(p, "follow_webhook_deliveries_total", "counter", "Webhook delivery attempts, by outcome.");
	put(p, "follow_webhook_deliveries_total{outcome=\"ok\"} %llu\n",
	    (unsigned long long)metrics_read(&m->counter[MC_DELIVERIES_OK]));
	put(p, "follow_webhook_deliveries_total{outcome=\"failed\"} %llu\n",
	    (unsigned long long)metrics_read(&m->counter[MC_DELIVERIES_FAILED]));
	head(p, "follow_webhook_delivery_seconds", "histogram", "Time of one webhook delivery attempt.");
	hist(p, "follow_webhook_delivery_seconds", "", &m->delivery);
	if (app->store && store_figures(app->store, &f) == STORE_OK) {
		uint64_t asked = f.cache_hits + f.cache_misses;
		head(p, "follow_db_cache_hit_ratio", "gauge",
		     "Page requests Berkeley DB's cache answered, of all since its regions were made.");
		if (asked)
			put(p, "follow_db_cache_hit_ratio %.6f\n", (double)f.cache_hits / (double)asked);
		else
			put(p, "follow_db_cache_hit_ratio NaN\n");
		counter(p, "follow_db_deadlocks_total",
			"Deadlocks Berkeley DB broke since its regions were made.", f.deadlocks);
		head(p, "follow_db_log_bytes", "gauge", "Bytes of transaction log on disk.");
		put(p, "follow_db_log_bytes %llu\n", (unsigned long long)f.log_bytes);
	}
	counter(p, "follow_db_txn_retries_total", "Transactions run again after a deadlock.",
		metrics_read(&m->counter[MC_TXN_RETRIES]));
	counter(p, "follow_db_recoveries_total", "Recoveries run after a process died.",
		metrics_read(&m->counter[MC_RECOVERIES]));
	head(p, "follow_process_starts_total", "counter",
	     "Processes started, by role (every plain CGI call starts a worker).");
	put(p, "follow_process_starts_total{role=\"worker\"} %llu\n",
	    (unsigned long long)metrics_read(&m->counter[MC_STARTS_WORKER]));
	put(p, "follow_process_starts_total{role=\"dispatcher\"} %llu\n",
	    (unsigned long long)metrics_read(&m->counter[MC_STARTS_DISPATCHER]));
}

static char *fixed(const char *status, const char *text)
{
	size_t n = strlen(status) + strlen(text) + 64;
	char *out = malloc(n);
	if (out)
		snprintf(out, n, "Status: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\n",
			 status, text);
	return out;
}

char *metrics_page(struct app *app, const struct http_req *req)
{
	static const char ok_head[] =
		"Status: 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n";
	struct page p = {NULL, 0, 0, 0};
	char why[160];
	if (!conf_metrics_allowed(&app->conf, req->client_ip)) {
		snprintf(why, sizeof(why), "/metrics is not open to %.64s (see metrics_allow)",
			 req->client_ip);
		return fixed("403 Forbidden", why);
	}
	if (strcmp(req->method, "GET") != 0)
		return fixed("405 Method Not Allowed", "/metrics answers GET");
	if (!app->metrics)
		return fixed("503 Service Unavailable", "the metrics file could not be mapped (see "
							"the service log)");
	put(&p, "%s", ok_head);
	body(app, &p);
	if (p.failed) {
		free(p.buf);
		return NULL;
	}
	return p.buf;
}
