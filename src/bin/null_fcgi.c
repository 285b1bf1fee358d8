/* null_fcgi.c - the benchmark's baseline: a responder that parses nothing, as FastCGI or, started
 * as plain CGI, once. With a query string "pad=N" its answer is padded to N bytes, so that a
 * large answer (a follow_get page) is compared with a trivial answer of the same size. */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/fcgi_close.h"

#define PAD_MAX 65536

static const char head[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n";
static const char body[] = "{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\"}";

/* The body padded to n bytes (inside a "Pad" string) into buf; its length. */
static size_t padded(const char *query, char *buf)
{
	static const char open[] = "{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\",\"Pad\":\"";
	long n = query && strncmp(query, "pad=", 4) == 0 ? strtol(query + 4, NULL, 10) : 0;
	size_t fixed = sizeof(open) - 1 + 2;
	if (n <= (long)fixed || n > PAD_MAX) {
		memcpy(buf, body, sizeof(body) - 1);
		return sizeof(body) - 1;
	}
	memcpy(buf, open, sizeof(open) - 1);
	memset(buf + sizeof(open) - 1, 'x', (size_t)n - fixed);
	memcpy(buf + n - 2, "\"}", 2);
	return (size_t)n;
}

int main(void)
{
	static char buf[PAD_MAX];
	char in[4096];
	FCGX_Request r;
	size_t n;
	/* multiwatch stops it with SIGINT, which a shell script's `cmd &` leaves ignored in
	 * everything it starts (make run-cluster): then it never stopped, nor multiwatch with it. */
	if (signal(SIGINT, SIG_DFL) == SIG_ERR || signal(SIGTERM, SIG_DFL) == SIG_ERR)
		return 1;
	if (FCGX_IsCGI()) {
		n = padded(getenv("QUERY_STRING"), buf);
		return fwrite(head, 1, sizeof(head) - 1, stdout) == sizeof(head) - 1 &&
				       fwrite(buf, 1, n, stdout) == n
			       ? 0
			       : 1;
	}
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		/* Read, not parsed: a responder takes in its request (the service reads its body),
		 * and only then can its connection end without libfcgi's wait (fcgi_close.c). */
		while (FCGX_GetStr(in, (int)sizeof(in), r.in) > 0) {
			/* discarded */
		}
		n = padded(FCGX_GetParam("QUERY_STRING", r.envp), buf);
		FCGX_PutStr(head, (int)sizeof(head) - 1, r.out);
		FCGX_PutStr(buf, (int)n, r.out);
		(void)fcgi_close_quickly(&r); /* as the service's loop does */
		FCGX_Finish_r(&r);
	}
	return 0;
}
