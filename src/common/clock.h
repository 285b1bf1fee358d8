/* clock.h - wall-clock time in milliseconds, as webhook events carry it. */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME: an event's time is read by other hosts). */
uint64_t clock_now_ms(void);
/* Milliseconds on a clock that never jumps (CLOCK_MONOTONIC), for pacing within a process. */
uint64_t clock_mono_ms(void);
/* The same in microseconds: how long a call or a delivery took. */
uint64_t clock_mono_us(void);

#endif
