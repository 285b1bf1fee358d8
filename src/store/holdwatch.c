/* holdwatch.c - a bound on how long a process holds the open lock (env.c).
 *
 * A process SIGKILLed inside a transaction can die holding one of Berkeley DB's mutexes (the
 * log region's, say). Another process that is opening or closing the environment at that
 * moment, and so holds the open lock, can block on that mutex for ever: it passed the
 * registry check before the death, and every later opener waits for the open lock, so nobody
 * ever runs the recovery that would free it. Plain CGI opens and closes on every call, which
 * made this a hang of the whole site a few times in twenty kill-test runs (t0951).
 *
 * So the lock is held under a watchdog: past HOLD_MAX_MS, unless this process is the one
 * running recovery, it exits. The kernel drops its open lock, and the next opener finds the
 * dead processes in the registry and recovers. A POSIX timer with a signal of its own keeps
 * this apart from the workers' SIGALRM tick. */
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tick.h"
#include "store/holdwatch.h"

#define HOLD_MAX_MS 3000 /* an open or close takes milliseconds; recovery is exempt */

static volatile sig_atomic_t recovering;
static void (*last_words)(void);
static timer_t timer;
static int ready; /* 1 set up, -1 could not be */

static void on_timer(int sig)
{
	static const char msg[] = "follow: blocked holding the open lock (on a mutex of a killed "
				  "process); exiting so that the next process recovers\n";
	(void)sig;
	if (recovering)
		return;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	if (last_words)
		last_words();
	_exit(75);
}

static int set_up(void)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	if (on_signal(SIGRTMIN, on_timer) != 0 || timer_create(CLOCK_MONOTONIC, &ev, &timer) != 0) {
		LOG("cannot set up the open-lock watchdog; opens are unbounded");
		return -1;
	}
	return 1;
}

static void arm(long ms)
{
	struct itimerspec it;
	if (!ready)
		ready = set_up();
	if (ready < 0)
		return;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_nsec = (ms % 1000) * 1000000L;
	it.it_interval = it.it_value; /* while recovering, look again later */
	timer_settime(timer, 0, &it, NULL);
}

void holdwatch_start(void)
{
	holdwatch_start_for(HOLD_MAX_MS);
}

void holdwatch_start_for(long ms)
{
	recovering = 0;
	arm(ms);
}

void holdwatch_stop(void)
{
	arm(0);
	recovering = 0;
}

void holdwatch_last_words(void (*fn)(void))
{
	last_words = fn;
}

void holdwatch_recovering(void)
{
	recovering = 1;
}
