/* http.h - the web server side: FastCGI's accept loop, or plain CGI's one request; each request's
 * CGI variables and body, and its answer. */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>

struct http_req {
	char *path;   /* SCRIPT_NAME + PATH_INFO */
	char *method;
	char *query;  /* QUERY_STRING, "" when absent */
	char *body;   /* NUL-terminated copy; NULL when too big or unreadable */
	size_t body_len;
	int body_too_big;
	char client_ip[64];
	/* Sent by another site of a replicated group that passed the call on to this one
	 * (X-Follow-Forwarded-For: the caller's address as that site saw it); "" otherwise. */
	char forwarded_for[64];
};

/* Answers one request: returns the malloc'd JSON body to send (NULL: out of memory), to which
 * the http layer adds the head (200, JSON); or, starting with "Status:", a whole CGI response,
 * head and body, sent as it is (/metrics: text, and 403 for those not allowed). */
typedef char *(*http_handler)(const struct http_req *req, void *ctx);

/* Asked about once a second while a request runs, from a signal handler (plain CGI) or from a
 * watchdog thread (FastCGI), so it may only make async-signal-safe calls and read what the
 * request leaves in place: non-zero means the request can never finish, and the process exits
 * so that the web server replaces it. */
typedef int (*http_stuck_check)(void *ctx);

/* Asked after each answer: non-zero ends the loop (the process should be replaced). */
typedef int (*http_should_exit)(void *ctx);

/* Async-signal-safe, for a process about to exit in the middle of a call: answers the request in
 * progress with the stuck answer (30006, retry), if its handler has written nothing yet, so the
 * caller gets an envelope instead of the web server's 500. */
void http_answer_stuck(void);

/* 1 when this process was started as plain CGI (stdin is no FastCGI listening socket). */
int http_is_cgi(void);

/* As FastCGI: serves requests until SIGTERM/SIGINT (0) or should_exit (1). As plain CGI: serves
 * the one request and returns 0. */
int http_serve(size_t max_body, http_handler handle, void *ctx, http_stuck_check stuck,
	       http_should_exit should_exit);

#endif
