/* metrics.h - the service's counters and histograms, kept in a small file that every process
 * maps (data_dir/metrics-v1.shm) and updated with atomic adds, so that a scrape of /metrics sees
 * the whole service, not the process that answers it. */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>
#include <stdint.h>

#define METRICS_APIS 16   /* the route table's APIs, then "unknown" */
#define METRICS_CODES 24  /* distinct codes counted per API; more go under one "other" slot */
#define METRICS_BUCKETS 16 /* histogram bounds, below */
#define METRICS_OTHER_CODE (-1)

/* The histograms' upper bounds in microseconds: 100 µs to 10 s. */
extern const uint64_t metrics_bucket_us[METRICS_BUCKETS];

enum metrics_counter {
	MC_TXN_RETRIES,     /* transactions run again after a deadlock or a recovery */
	MC_RECOVERIES,      /* recoveries run by a process after a crash */
	MC_STARTS_WORKER,   /* processes started to answer calls (every plain CGI call is one) */
	MC_STARTS_DISPATCHER,
	MC_DELIVERIES_OK,
	MC_DELIVERIES_FAILED,
	MC_COUNT
};

struct metrics_codes {
	uint32_t code_plus1[METRICS_CODES]; /* 0: free; UINT32_MAX: the "other" slot */
	uint64_t count[METRICS_CODES];
};

struct metrics_hist {
	uint64_t bucket[METRICS_BUCKETS]; /* not cumulative: each bound's own calls */
	uint64_t count, sum_us;
};

/* The mapped file, as it is laid out. */
struct metrics_shm {
	struct metrics_codes requests[METRICS_APIS]; /* by the answer's ErrorCode */
	struct metrics_codes results[METRICS_APIS];  /* by each target's ResultCode */
	struct metrics_hist duration[METRICS_APIS];
	struct metrics_hist delivery;
	uint64_t counter[MC_COUNT];
};

/* Maps dir's file (made when missing); NULL with err. */
struct metrics_shm *metrics_open(const char *dir, char *err, size_t errlen);
void metrics_close(struct metrics_shm *m);

/* Each does nothing when m is NULL (the file could not be mapped: the service runs on). */
void metrics_request(struct metrics_shm *m, unsigned api, int code, uint64_t us);
void metrics_result(struct metrics_shm *m, unsigned api, int code, uint64_t n);
void metrics_add(struct metrics_shm *m, enum metrics_counter c, uint64_t n);
void metrics_delivery(struct metrics_shm *m, int ok, uint64_t us);

/* Adds what a per-process running total (now) gained since *seen, and remembers it. */
void metrics_sync(struct metrics_shm *m, enum metrics_counter c, uint64_t now, uint64_t *seen);
/* Reads a value another process may be adding to. */
uint64_t metrics_read(const uint64_t *p);
/* The code of slot i of a code table, 1 when it holds one (METRICS_OTHER_CODE for "other"). */
int metrics_code_at(const struct metrics_codes *t, size_t i, int *code);

#endif
