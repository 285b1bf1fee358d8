/* progress.c - one line on stderr, "\r"-redrawn: what, done, rate, ETA. Nothing at all when
 * stderr is not a terminal (logs and pipes get only the caller's summary line). */
#include "common/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "common/clock.h"

#define PROGRESS_REDRAW_MS 250
#define PROGRESS_FIRST_MS 1000 /* work done sooner than this never draws */

void progress_start(struct progress *p, const char *what, const char *unit, int quiet)
{
	p->what = what;
	p->unit = unit;
	p->on = !quiet && isatty(2);
	p->t0_ms = p->drawn_ms = clock_mono_ms();
	p->drawn = 0;
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

void progress_end(struct progress *p)
{
	if (p->on && p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = 0;
}
