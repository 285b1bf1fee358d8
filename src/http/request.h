/* request.h - what the FastCGI loop and the one-shot CGI path share: reading one request's CGI
 * variables and body into a struct http_req, and the bytes of every answer's head. */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include "http/http.h"

/* Reads up to n bytes of the request body; 0 at its end, < 0 on an error. */
typedef int (*http_reader)(void *src, char *buf, int n);

/* The head of every answer, in CGI response form (a FastCGI responder sends the same bytes). */
extern const char http_head[];
extern const size_t http_head_len;
/* The whole answer of a request stuck on a recovered database, head included: a macro, so that
 * the FastCGI loop can size its records for it at compile time. */
#define HTTP_HEAD "Status: 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
#define HTTP_STUCK_ANSWER                                                                          \
	HTTP_HEAD "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":30006,\"ErrorInfo\":\"the database "     \
		  "was recovered while this call waited; please retry\",\"ErrorDisplay\":\"\"}"
/* The body sent when the handler ran out of memory. */
extern const char http_out_of_memory[];

/* Fills req from the CGI variables in envp and the body from read; -1 when out of memory
 * (req may be partly filled: http_req_free it either way). */
int http_read_request(char **envp, http_reader read, void *src, size_t max_body,
		      struct http_req *req);
void http_req_free(struct http_req *req);

/* The head to send before a handler's answer: none when it brought its own (see http_handler). */
size_t http_head_for(const char *answer);

/* Writes all of p to fd; -1 when the peer went away. Async-signal-safe. */
int http_write_all(int fd, const void *p, size_t len);

/* Serves the one request of a process started as plain CGI (cgi.c). */
int cgi_serve(size_t max_body, http_handler handle, void *ctx, http_stuck_check stuck);
/* http_answer_stuck for a CGI process (cgi.c). */
void cgi_answer_stuck(void);

#endif
