/* progress.h - a progress line for long admin work, redrawn in place on a terminal. */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>

struct progress {
	const char *what; /* "import", ... */
	const char *unit; /* "lines", ... */
	int on;           /* stderr is a terminal and quiet was not asked for */
	uint64_t t0_ms, drawn_ms;
	int drawn; /* a line is on the screen */
};

/* Starts p; it draws only when stderr is a terminal and quiet is 0. */
void progress_start(struct progress *p, const char *what, const char *unit, int quiet);
/* 1 when the line is due for a redraw (a few times a second, on a terminal): cheap enough to ask
 * for every unit, so that the caller works out the fraction only then. */
int progress_due(struct progress *p);
/* Draws done units so far; fraction of the whole in [0, 1], or negative when unknown (no ETA). */
void progress_show(struct progress *p, uint64_t done, double fraction);
/* Clears the line, so the caller's summary line stands alone. */
void progress_end(struct progress *p);

#endif
