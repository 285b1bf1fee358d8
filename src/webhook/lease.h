/* lease.h - one dispatcher per site at a time, and the retry state of the event it is delivering,
 * both kept in data_dir/dispatch.lock. */
#ifndef LEASE_H
#define LEASE_H

#include <signal.h>
#include <stdint.h>

/* Retry state of the event at the head of the outbox. */
struct retry {
	uint32_t id;
	unsigned failures;
	uint64_t first_failure, next_try; /* wall-clock ms, so they outlive the process */
};

/* Takes the site's dispatcher lease: the fd holding it, or -1 with err set. With wait, polls
 * until it is free or *stop is set (then -1 and an empty err); without, a held lease is -1 and
 * an empty err at once. The kernel frees the lease when its holder dies. */
int lease_take(const char *data_dir, int wait, volatile sig_atomic_t *stop, char *err,
	       size_t errlen);

/* The retry state the last holder saved (zeroes when none or unreadable). */
void lease_load(int fd, struct retry *rt);
/* Saves it for the next holder: a cron run, or a dispatcher restarted after a crash, goes on
 * counting callback_retry_seconds from the first failure instead of starting over. */
void lease_save(int fd, const struct retry *rt);

#endif
