/* fcgi.c - libfcgi's responder loop: reads each request once, writes each answer once. */
#include "http/http.h"
#include "http/fcgi_close.h"
#include "http/request.h"

#include <fastcgi.h>
#include <fcgiapp.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

#define WATCH_MS 1000 /* the watchdog's period */
#define WATCH_STACK (64 * 1024)

static volatile sig_atomic_t stopping, in_request;
static unsigned long accepted; /* requests taken so far: the watchdog tells one from the next */
/* 1 while nothing of the answer is written yet. Whoever takes it (the loop, to write the
 * answer; the watchdog or a signal handler, to write the stuck answer) owns the connection. */
static int in_handler;
static http_stuck_check stuck_check;
static void *stuck_ctx;
static FCGX_Request *current; /* the request being served, for the stuck answer */

/* What a worker stuck on a recovered database answers before it exits: the whole FastCGI
 * response as raw records (two STDOUT records and END_REQUEST), prepared outside the signal
 * handler, which only patches in the request id and calls write(). Without it the web server
 * answered HTTP 500 for every request a recovery left stuck, not only the killed worker's. */
#define FCGI_HEADER 8
#define STUCK_LEN (sizeof(HTTP_STUCK_ANSWER) - 1)
static unsigned char stuck_answer[3 * FCGI_HEADER + STUCK_LEN + 8];

static unsigned char *fcgi_header(unsigned char *p, int type, size_t len)
{
	p[0] = FCGI_VERSION_1;
	p[1] = (unsigned char)type;
	p[2] = p[3] = 0; /* the request id, set when used */
	p[4] = (unsigned char)(len >> 8);
	p[5] = (unsigned char)len;
	p[6] = p[7] = 0;
	return p + FCGI_HEADER;
}

static void prepare_stuck_answer(void)
{
	unsigned char *p = stuck_answer;
	p = fcgi_header(p, FCGI_STDOUT, STUCK_LEN);
	memcpy(p, HTTP_STUCK_ANSWER, STUCK_LEN);
	p += STUCK_LEN;
	p = fcgi_header(p, FCGI_STDOUT, 0); /* end of the stream */
	p = fcgi_header(p, FCGI_END_REQUEST, 8);
	memset(p, 0, 8); /* appStatus 0, FCGI_REQUEST_COMPLETE */
}

/* Async-signal-safe: the handler has written nothing yet while the store is stuck. */
static void send_stuck_answer(void)
{
	size_t body = FCGI_HEADER + STUCK_LEN;
	size_t at[3] = {0, body, body + FCGI_HEADER};
	int i;
	if (!current || current->ipcFd < 0 || !__atomic_exchange_n(&in_handler, 0, __ATOMIC_SEQ_CST))
		return;
	for (i = 0; i < 3; i++) {
		stuck_answer[at[i] + 2] = (unsigned char)(current->requestId >> 8);
		stuck_answer[at[i] + 3] = (unsigned char)current->requestId;
	}
	http_write_all(current->ipcFd, stuck_answer, sizeof(stuck_answer));
}

/* libfcgi answers FCGX_IsCGI from a variable once it has been asked (http_is_cgi, at start). */
void http_answer_stuck(void)
{
	if (FCGX_IsCGI())
		cgi_answer_stuck();
	else
		send_stuck_answer();
}

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
	FCGX_ShutdownPending();
}

/*
 * The watchdog: a thread that wakes every WATCH_MS. While a request runs, it asks whether the
 * process can still make progress (see http_stuck_check); when it cannot, exiting lets the web
 * server start a fresh process. It judges only a request that was already running at its
 * previous wake, as the SIGALRM armed at a request's start did: one that began since may be on
 * its way to finding the recovery and reopening, and is no more stuck than a new one.
 * libfcgi has a window before accept() where a stop request is missed: idle and asked to stop
 * at two wakes in a row, it ends the process.
 * A thread, not SIGALRM: arming and disarming a timer around each request was two system calls
 * per call (3% of a check's worker time), and a timer left running would interrupt the poll()
 * libfcgi makes after accept(), which then drops the connection. It takes no signals (they stay
 * the loop's, to interrupt accept()), and touches only what a signal handler could.
 */
static void *watch(void *arg)
{
	static const char msg[] = "follow: worker stuck on a recovered database; exiting\n";
	const struct timespec period = {WATCH_MS / 1000, (WATCH_MS % 1000) * 1000000L};
	int idle_stops = 0;
	unsigned long seen = 0, now;
	(void)arg;
	for (;;) {
		nanosleep(&period, NULL); /* a cancellation point: http_serve ends the thread here */
		if (!in_request) {
			idle_stops = stopping ? idle_stops + 1 : 0;
			if (idle_stops >= 2)
				_exit(0);
			continue;
		}
		idle_stops = 0;
		now = __atomic_load_n(&accepted, __ATOMIC_SEQ_CST);
		if (now != seen) {
			seen = now; /* begun since the last wake */
			continue;
		}
		if (stuck_check && stuck_check(stuck_ctx)) {
			if (write(2, msg, sizeof(msg) - 1) < 0) {
				/* nothing more to do */
			}
			send_stuck_answer();
			_exit(75);
		}
	}
	return NULL;
}

/* Starts the watchdog with every signal blocked in it. 0 on success. */
static int watch_start(pthread_t *t)
{
	sigset_t all, old;
	pthread_attr_t attr;
	int ret;
	if (sigfillset(&all) != 0 || pthread_sigmask(SIG_BLOCK, &all, &old) != 0)
		return -1;
	if ((ret = pthread_attr_init(&attr)) == 0) {
		if ((ret = pthread_attr_setstacksize(&attr, WATCH_STACK)) == 0)
			ret = pthread_create(t, &attr, watch, NULL);
		pthread_attr_destroy(&attr);
	}
	if (pthread_sigmask(SIG_SETMASK, &old, NULL) != 0)
		LOG("cannot unblock signals after starting the watchdog");
	return ret == 0 ? 0 : -1;
}

/* Before the store the stuck check looks at goes away. */
static void watch_stop(pthread_t t)
{
	if (pthread_cancel(t) != 0 || pthread_join(t, NULL) != 0)
		LOG("cannot stop the watchdog thread");
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop; /* no SA_RESTART: a blocked accept() must return */
	sigemptyset(&sa.sa_mask);
	/* SIGUSR1 too: multiwatch's default stop signal (its Debian 12 version maps -s names to
	 * other signals; scripts/multiwatch-signal.sh picks one that arrives as SIGINT). */
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGUSR1, &sa, NULL) != 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	return sigaction(SIGPIPE, &sa, NULL);
}

static void answer(FCGX_Request *r, const char *json)
{
	if (FCGX_PutStr(http_head, (int)http_head_for(json), r->out) < 0 ||
	    FCGX_PutStr(json, (int)strlen(json), r->out) < 0)
		LOG("client went away before the answer was written");
}

static int fcgi_read(void *src, char *buf, int n)
{
	return FCGX_GetStr(buf, n, ((FCGX_Request *)src)->in);
}

int http_is_cgi(void)
{
	return FCGX_IsCGI();
}

int http_serve(size_t max_body, http_handler handle, void *ctx, http_stuck_check stuck,
	       http_should_exit should_exit)
{
	int status = 0;
	FCGX_Request r;
	pthread_t watchdog;
	if (FCGX_IsCGI())
		return cgi_serve(max_body, handle, ctx, stuck);
	stuck_check = stuck;
	stuck_ctx = ctx;
	if (install_signals() != 0 || FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0) {
		LOG("cannot set up the FastCGI responder");
		return -1;
	}
	prepare_stuck_answer();
	/* No fastbins: a request frees dozens of small blocks, more than the thread cache keeps,
	 * and libfcgi's next 8 KB stream buffer then made malloc consolidate them all, every
	 * request (malloc_consolidate and its callers: 6% of a worker's samples under check).
	 * Small blocks still come from the thread cache. A malloc without the knob (a sanitizer's)
	 * just ignores it. */
	(void)mallopt(M_MXFAST, 0);
	current = &r;
	if (watch_start(&watchdog) != 0) {
		LOG("cannot start the watchdog thread");
		FCGX_Free(&r, 1);
		return -1;
	}
	while (!stopping && FCGX_Accept_r(&r) >= 0) {
		struct http_req req;
		char *out = NULL;
		__atomic_add_fetch(&accepted, 1, __ATOMIC_SEQ_CST);
		in_request = 1;
		if (http_read_request(r.envp, fcgi_read, &r, max_body, &req) != 0)
			LOG("out of memory reading a request");
		else {
			__atomic_store_n(&in_handler, 1, __ATOMIC_SEQ_CST);
			out = handle(&req, ctx);
			/* The watchdog answered for a handler it took for stuck, and is exiting. */
			if (!__atomic_exchange_n(&in_handler, 0, __ATOMIC_SEQ_CST))
				for (;;)
					pause();
		}
		answer(&r, out ? out : http_out_of_memory);
		free(out);
		http_req_free(&req);
		(void)fcgi_close_quickly(&r); /* else the graceful close: slower, as safe */
		FCGX_Finish_r(&r);
		in_request = 0;
		if (should_exit && should_exit(ctx)) {
			status = 1;
			break;
		}
	}
	watch_stop(watchdog);
	FCGX_Free(&r, 1);
	return status;
}
