/* progress.h - a progress line for long admin work, redrawn in place on a terminal. */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <pthread.h>
#include <stdint.h>

struct progress {
	const char *what; /* "import", ... */
	const char *unit; /* "lines", ... */
	int on;           /* stderr is a terminal and quiet was not asked for */
	uint64_t t0_ms, drawn_ms;
	int drawn; /* a line is on the screen */
	/* progress_watch: a thread that draws how many bytes a folder holds */
	pthread_t thread;
	int watching;
	volatile int stop;
	const char *dir;
	uint64_t total;
};

/* Starts p; it draws only when stderr is a terminal and quiet is 0. */
void progress_start(struct progress *p, const char *what, const char *unit, int quiet);
/* 1 when the line is due for a redraw (a few times a second, on a terminal): cheap enough to ask
 * for every unit, so that the caller works out the fraction only then. */
int progress_due(struct progress *p);
/* Draws done units so far; fraction of the whole in [0, 1], or negative when unknown (no ETA). */
void progress_show(struct progress *p, uint64_t done, double fraction);
/* Clears the line, so the caller's summary line stands alone (and stops a watch). */
void progress_end(struct progress *p);
/* For work that cannot report as it goes (Berkeley DB's own copy): a thread draws the bytes
 * in dir against total until progress_end. Nothing when p is off. */
void progress_watch(struct progress *p, const char *dir, uint64_t total);


#endif
