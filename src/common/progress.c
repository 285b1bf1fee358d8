/* progress.c - one line on stderr, "\r"-redrawn: what, done, rate, ETA. Nothing at all when
 * stderr is not a terminal (logs and pipes get only the caller's summary line). */
#include "common/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/dirfiles.h"

#define PROGRESS_REDRAW_MS 250
#define PROGRESS_FIRST_MS 1000 /* work done sooner than this never draws */

void progress_start(struct progress *p, const char *what, const char *unit, int quiet)
{
	p->what = what;
	p->unit = unit;
	p->on = !quiet && isatty(2);
	p->t0_ms = p->drawn_ms = clock_mono_ms();
	p->drawn = 0;
	p->watching = 0;
}

int progress_due(struct progress *p)
{
	uint64_t now;
	if (!p->on)
		return 0;
	now = clock_mono_ms();
	return now - p->drawn_ms >= PROGRESS_REDRAW_MS && now - p->t0_ms >= PROGRESS_FIRST_MS;
}

void progress_show(struct progress *p, uint64_t done, double fraction)
{
	uint64_t now = clock_mono_ms(), ms = now - p->t0_ms;
	double rate;
	if (!p->on || !ms)
		return;
	p->drawn_ms = now;
	p->drawn = 1;
	rate = (double)done * 1000.0 / (double)ms;
	fprintf(stderr, "\r\033[K%s: %llu %s, %.0f/s", p->what, (unsigned long long)done, p->unit,
		rate);
	if (fraction > 0 && fraction <= 1) {
		double left = (double)ms / 1000.0 * (1 - fraction) / fraction;
		fprintf(stderr, ", %.0f%%, about %.0f s left", fraction * 100, left);
	}
	fflush(stderr);
}

static void *watch(void *arg)
{
	struct progress *p = arg;
	const struct timespec step = {0, PROGRESS_REDRAW_MS * 1000000L};
	while (!p->stop) {
		nanosleep(&step, NULL);
		if (!p->stop && progress_due(p)) {
			uint64_t done = dir_bytes(p->dir, NULL);
			progress_show(p, done, p->total ? (double)done / (double)p->total : -1);
		}
	}
	return NULL;
}

void progress_watch(struct progress *p, const char *dir, uint64_t total)
{
	if (!p->on)
		return;
	p->dir = dir;
	p->total = total;
	p->stop = 0;
	p->watching = pthread_create(&p->thread, NULL, watch, p) == 0;
}

void progress_end(struct progress *p)
{
	if (p->watching) {
		p->stop = 1;
		pthread_join(p->thread, NULL);
		p->watching = 0;
	}
	if (p->on && p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}
