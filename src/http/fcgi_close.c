/*
 * fcgi_close.c - ending a FastCGI connection without libfcgi's wait.
 *
 * libfcgi ends each connection gracefully: it shuts down its sending side, then waits in poll()
 * (up to 2 s) for the web server to close its own, reading whatever still comes, so that data
 * arriving after a close cannot make the kernel reset the connection and lose the answer. That
 * wait is a round trip through the web server's event loop on every request, and the process
 * serves nobody meanwhile: strace of a worker showed shutdown, poll, read after each answer,
 * and `make bench` (README, Benchmark) runs more requests per second without it.
 *
 * Once the request's input has been read to its end (the empty STDIN record), the web server
 * sends nothing more on this connection (an abort at most, whose client is gone), so a plain
 * close() loses nothing: FCGX_Detach makes libfcgi's close a plain one. The end is looked for
 * only in what has already arrived: a client may still be sending a body that was refused
 * unread (60002), and nobody waits for it here; that connection keeps the graceful close.
 * Shared by the service's loop and the benchmark's trivial responder, so that the two are
 * compared on equal terms.
 */
#include "http/fcgi_close.h"

#include <poll.h>
#include <stdio.h>

#define DRAIN_MAX_BYTES 65536 /* more left unread than this: the graceful close reads it */

/* 1 when the input has ended, reading only what is buffered or has arrived. */
static int input_ended(FCGX_Request *r)
{
	FCGX_Stream *in = r->in;
	struct pollfd p = {.fd = r->ipcFd, .events = POLLIN};
	char rest[4096];
	long drained = 0;
	while (!FCGX_HasSeenEOF(in)) {
		long buffered = (long)(in->stop - in->rdNext);
		if (buffered > 0) {
			/* Reads only buffered bytes: no wait. */
			int want = buffered < (long)sizeof(rest) ? (int)buffered : (int)sizeof(rest);
			int n = FCGX_GetStr(rest, want, in);
			if (n <= 0 || (drained += n) > DRAIN_MAX_BYTES)
				return 0;
			continue;
		}
		/* One more record, if it has come: a single read of what is there. */
		if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
			return 0;
		if (FCGX_GetChar(in) != EOF && ++drained > DRAIN_MAX_BYTES)
			return 0;
	}
	return FCGX_GetError(in) == 0;
}

int fcgi_close_quickly(FCGX_Request *r)
{
	/* A kept connection (FCGI_KEEP_CONN) is not closed at all; leave it to libfcgi. */
	if (r->keepConnection || !r->in || !input_ended(r))
		return -1;
	return FCGX_Detach(r) == 0 ? 0 : -1;
}
