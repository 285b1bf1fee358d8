/* ratelimit.h - calls per second per API, counted across every process of the service. */
#ifndef RATELIMIT_H
#define RATELIMIT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct ratelimit;

/* Maps (creating when needed) the shared counters file in dir, with `slots` counters. */
struct ratelimit *ratelimit_open(const char *dir, size_t slots, char *err, size_t errlen);
void ratelimit_close(struct ratelimit *rl);
/* Counts one call of API `slot` in second `now`; 0 when that second already had `limit`. */
int ratelimit_allow(struct ratelimit *rl, size_t slot, uint32_t limit, time_t now);

#endif
