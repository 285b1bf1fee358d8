/* metrics.c - the shared counters: a fixed layout in a mapped file, atomic adds, and a code
 * table per API whose slots are claimed with compare-and-swap the first time a code is seen. */
#include "common/metrics.h"

#include <sys/mman.h>

#include "common/shmfile.h"

/* The layout's version is in the name: a service updated in place maps a file of its own. */
#define METRICS_FILE "metrics-v1.shm"

const uint64_t metrics_bucket_us[METRICS_BUCKETS] = {
	100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000};

struct metrics_shm *metrics_open(const char *dir, char *err, size_t errlen)
{
	return shmfile_map(dir, METRICS_FILE, sizeof(struct metrics_shm), err, errlen);
}

void metrics_close(struct metrics_shm *m)
{
	if (m)
		munmap(m, sizeof(*m));
}

static void add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

uint64_t metrics_read(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The slot of code in t: the one holding it, else the first free one claimed for it, else the
 * "other" slot (the last). */
static size_t slot_of(struct metrics_codes *t, int code)
{
	uint32_t want = (uint32_t)code + 1, seen;
	size_t i;
	for (i = 0; i + 1 < METRICS_CODES; i++) {
		seen = __atomic_load_n(&t->code_plus1[i], __ATOMIC_ACQUIRE);
		if (seen == want)
			return i;
		if (seen == 0) {
			uint32_t expect = 0;
			if (__atomic_compare_exchange_n(&t->code_plus1[i], &expect, want, 0,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) ||
			    expect == want)
				return i;
		}
	}
	__atomic_store_n(&t->code_plus1[i], UINT32_MAX, __ATOMIC_RELEASE);
	return i;
}

int metrics_code_at(const struct metrics_codes *t, size_t i, int *code)
{
	uint32_t c = __atomic_load_n(&t->code_plus1[i], __ATOMIC_ACQUIRE);
	if (!c)
		return 0;
	*code = c == UINT32_MAX ? METRICS_OTHER_CODE : (int)(c - 1);
	return 1;
}

static void observe(struct metrics_hist *h, uint64_t us)
{
	size_t b;
	/* The count first: a scrape between the two adds sees it ahead of the buckets (which the
	 * exposition shows cumulative, up to +Inf = the count), never behind them. */
	add(&h->count, 1);
	add(&h->sum_us, us);
	for (b = 0; b < METRICS_BUCKETS && us > metrics_bucket_us[b]; b++)
		;
	if (b < METRICS_BUCKETS)
		add(&h->bucket[b], 1);
}

void metrics_request(struct metrics_shm *m, unsigned api, int code, uint64_t us)
{
	if (!m || api >= METRICS_APIS)
		return;
	add(&m->requests[api].count[slot_of(&m->requests[api], code)], 1);
	observe(&m->duration[api], us);
}

void metrics_result(struct metrics_shm *m, unsigned api, int code, uint64_t n)
{
	if (m && api < METRICS_APIS && n)
		add(&m->results[api].count[slot_of(&m->results[api], code)], n);
}

void metrics_add(struct metrics_shm *m, enum metrics_counter c, uint64_t n)
{
	if (m && n)
		add(&m->counter[c], n);
}

void metrics_sync(struct metrics_shm *m, enum metrics_counter c, uint64_t now, uint64_t *seen)
{
	if (now > *seen)
		metrics_add(m, c, now - *seen);
	*seen = now;
}

void metrics_delivery(struct metrics_shm *m, int ok, uint64_t us)
{
	if (!m)
		return;
	add(&m->counter[ok ? MC_DELIVERIES_OK : MC_DELIVERIES_FAILED], 1);
	observe(&m->delivery, us);
}
