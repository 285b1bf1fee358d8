/* tick.c - signal handlers (those that restart what they interrupt, and a helper process's stop
 * signals), and SIGALRM every so often. */
#include "common/tick.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <string.h>
#include <sys/time.h>

int stop_signals_setup(void (*on_stop)(int))
{
	struct sigaction sa;
	int fd;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0)
		return -1;
	if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, 0);
		if (fd != 0)
			close(fd);
	}
	return 0;
}

int on_signal(int sig, void (*handler)(int))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

int tick_set(long ms)
{
	struct itimerval it;
	memset(&it, 0, sizeof(it));
	it.it_value.tv_sec = ms / 1000;
	it.it_value.tv_usec = (ms % 1000) * 1000;
	it.it_interval = it.it_value;
	return setitimer(ITIMER_REAL, &it, NULL);
}

int tick_every(void (*handler)(int), long ms)
{
	return on_signal(SIGALRM, handler) == 0 && tick_set(ms) == 0 ? 0 : -1;
}

void tick_stop(void)
{
	tick_set(0);
	signal(SIGALRM, SIG_IGN); /* one already pending is dropped */
}
