/* holdwatch.h - a bound on holding the open lock (see holdwatch.c for why). */
#ifndef HOLDWATCH_H
#define HOLDWATCH_H

/* Around every hold of the open lock: past the bound, the process exits. */
void holdwatch_start(void);
/* The same with a bound of its own, in milliseconds. */
void holdwatch_start_for(long ms);
void holdwatch_stop(void);
/* Called from the signal handler just before the process exits past the bound (so only
 * async-signal-safe work): the FastCGI loop's stuck answer, so that the call in progress gets an
 * envelope, not the web server's 500. */
void holdwatch_last_words(void (*fn)(void));
/* This process found dead processes and runs recovery: that may take long. */
void holdwatch_recovering(void);

#endif
