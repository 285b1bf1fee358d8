/* lease.c - the dispatcher's lock file and the retry state written in it. */
#include "webhook/lease.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/lockfile.h"
#include "common/log.h"

#define LEASE_FILE "dispatch.lock"
#define LEASE_POLL_MS 500

int lease_take(const char *data_dir, int wait, volatile sig_atomic_t *stop, char *err,
	       size_t errlen)
{
	int fd, held, said = 0;

	*err = '\0';
	if ((fd = lockfile_open(data_dir, LEASE_FILE, err, errlen)) < 0)
		return -1;
	while ((held = lockfile_try(fd, err, errlen)) == 1 && wait && !*stop) {
		if (!said++)
			LOG("another dispatcher holds %s/%s; waiting for it to end", data_dir,
			    LEASE_FILE);
		poll(NULL, 0, LEASE_POLL_MS);
	}
	if (held == 0)
		return fd;
	close(fd);
	return -1;
}

void lease_load(int fd, struct retry *rt)
{
	char buf[128];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	memset(rt, 0, sizeof(*rt));
	if (n <= 0)
		return;
	buf[n] = '\0';
	if (sscanf(buf, "%" SCNu32 " %u %" SCNu64 " %" SCNu64, &rt->id, &rt->failures,
		   &rt->first_failure, &rt->next_try) != 4)
		memset(rt, 0, sizeof(*rt));
}

void lease_save(int fd, const struct retry *rt)
{
	char buf[128];
	int n = snprintf(buf, sizeof(buf), "%" PRIu32 " %u %" PRIu64 " %" PRIu64 "\n", rt->id,
			 rt->failures, rt->first_failure, rt->next_try);
	/* Lost state only makes the next holder count from its own first failure. */
	if (pwrite(fd, buf, (size_t)n, 0) != n || ftruncate(fd, n) != 0)
		LOG("cannot save the webhook retry state: %s", strerror(errno));
}
