/* cgi.c - a process started as plain CGI: one request from the environment and stdin, its answer
 * on stdout, the same bytes a FastCGI worker sends. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/tick.h"
#include "http/request.h"

#define TICK_MS 1000

extern char **environ;

/* Nothing of the answer is written yet: from the start, since a CGI process opens the store
 * before it reads the request, and an open can give up (holdwatch.c). */
static volatile sig_atomic_t unanswered = 1;
static http_stuck_check stuck_check;
static void *stuck_ctx;

/* As in a FastCGI worker: a process stuck on a database that another one recovered (after the
 * web server's timeout killed a CGI process mid-call), or blocked for seconds while a killed
 * process is still unrecovered, answers 30006 and exits, rather than wait for the same
 * timeout. Only async-signal-safe calls here. */
static void on_tick(int sig)
{
	static const char msg[] = "follow: CGI process stuck on a recovered database or behind "
				  "a killed process; exiting\n";
	(void)sig;
	if (!stuck_check(stuck_ctx))
		return;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	cgi_answer_stuck();
	_exit(75);
}

void cgi_answer_stuck(void)
{
	if (unanswered)
		http_write_all(1, HTTP_STUCK_ANSWER, sizeof(HTTP_STUCK_ANSWER) - 1);
	unanswered = 0;
}

static int stdin_read(void *src, char *buf, int n)
{
	ssize_t got;
	(void)src;
	do
		got = read(0, buf, (size_t)n);
	while (got < 0 && errno == EINTR);
	return (int)got;
}

/* The rest of a body refused unread. Apache's mod_cgid writes the whole body before it reads
 * the answer, and drops the answer of a program that exits first (EPIPE): read to the end. */
static void drain_stdin(void)
{
	char buf[65536];
	while (stdin_read(NULL, buf, (int)sizeof(buf)) > 0) {
		/* discarded */
	}
}

/* Ends the answer: the web server sees the end of stdout, and what the process does next (the
 * store's deferred checkpoint, as it closes) is not waited for by the client. */
static void end_stdout(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || dup2(fd, 1) < 0)
		close(1);
	if (fd > 1)
		close(fd);
}

int cgi_serve(size_t max_body, http_handler handle, void *ctx, http_stuck_check stuck)
{
	struct http_req req;
	char *out = NULL;
	int ret;
	struct sigaction sa;

	stuck_check = stuck;
	stuck_ctx = ctx;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN; /* a client gone mid-answer is an error return, not a death */
	if (sigaction(SIGPIPE, &sa, NULL) != 0 || (stuck && tick_every(on_tick, TICK_MS) != 0)) {
		LOG("cannot set up the CGI responder");
		return -1;
	}
	if (http_read_request(environ, stdin_read, NULL, max_body, &req) != 0)
		LOG("out of memory reading a request");
	else
		out = handle(&req, ctx);
	unanswered = 0;
	ret = http_write_all(1, http_head, http_head_for(out ? out : http_out_of_memory)) ||
	      http_write_all(1, out ? out : http_out_of_memory,
			     strlen(out ? out : http_out_of_memory));
	if (ret)
		LOG("client went away before the answer was written");
	if (req.body_too_big)
		drain_stdin();
	end_stdout();
	/* The tick looks at the store, which the caller closes and frees next: a tick after that
	 * read freed memory (under AddressSanitizer, its report then deadlocked with the leak
	 * check at exit, and the call hung). The close has a watchdog of its own (holdwatch.c). */
	if (stuck)
		tick_stop();
	free(out);
	http_req_free(&req);
	return 0;
}
