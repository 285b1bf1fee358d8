/* tick.h - signal handlers, and a periodic SIGALRM for a process's watchdog checks. */
#ifndef TICK_H
#define TICK_H

/* A long-lived process the web server spawns like a FastCGI worker but that takes no requests
 * (the webhook dispatcher, a site's replication process): on_stop for SIGTERM, SIGINT and
 * SIGUSR1 (multiwatch's default stop signal), interrupting its waits; and the socket it was
 * given replaced by /dev/null, so that a stray request to its path fails at once instead of
 * hanging. 0 on success. */
int stop_signals_setup(void (*on_stop)(int));

/* Installs handler for sig; system calls it interrupts are restarted. 0 on success. */
int on_signal(int sig, void (*handler)(int));

/* Calls handler (from the signal: async-signal-safe calls only) every ms milliseconds;
 * system calls it interrupts are restarted. 0 on success. */
int tick_every(void (*handler)(int), long ms);
/* SIGALRM every ms milliseconds to whatever handler is installed; 0 disarms. Async-signal-safe.
 * 0 on success. */
int tick_set(long ms);
/* Stops the tick: before the state its handler looks at goes away. */
void tick_stop(void);

#endif
