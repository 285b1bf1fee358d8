/* request.c - one request's CGI variables and body, however they arrived. */
#include "http/request.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char http_head[] = HTTP_HEAD;
const size_t http_head_len = sizeof(HTTP_HEAD) - 1;

size_t http_head_for(const char *answer)
{
	return strncmp(answer, "Status:", 7) == 0 ? 0 : http_head_len;
}

const char http_out_of_memory[] = "{\"ActionStatus\":\"FAIL\",\"ErrorCode\":30006,"
				  "\"ErrorInfo\":\"out of memory\",\"ErrorDisplay\":\"\"}";

/* The variables a request uses, found in one pass: FCGX_GetParam searches them all for each
 * name it is asked, 3% of a worker's samples under follow_check for seven names. */
enum param { P_ADDR, P_FORWARDED, P_SCRIPT, P_PATH, P_METHOD, P_QUERY, P_LENGTH, P_COUNT };

static void find_params(char **envp, const char *v[P_COUNT])
{
#define NAME(s) {s, sizeof(s) - 1}
	static const struct {
		const char *name;
		size_t len;
	} names[P_COUNT] = {
		NAME("REMOTE_ADDR"),    NAME("HTTP_X_FOLLOW_FORWARDED_FOR"), NAME("SCRIPT_NAME"),
		NAME("PATH_INFO"),      NAME("REQUEST_METHOD"),              NAME("QUERY_STRING"),
		NAME("CONTENT_LENGTH"),
	};
#undef NAME
	int i;
	for (i = 0; i < P_COUNT; i++)
		v[i] = NULL;
	for (; envp && *envp; envp++) {
		const char *eq = strchr(*envp, '=');
		size_t len;
		if (!eq)
			continue;
		len = (size_t)(eq - *envp);
		for (i = 0; i < P_COUNT; i++)
			if (!v[i] && names[i].len == len && memcmp(*envp, names[i].name, len) == 0) {
				v[i] = eq + 1; /* the first one, as FCGX_GetParam answers */
				break;
			}
	}
}

/* The API path is SCRIPT_NAME + PATH_INFO, however the host split it: /v4 + /follow/x under a
 * ScriptAlias or lighttpd's prefix, /v4/follow/x + "" under mod_proxy_fcgi. A PATH_INFO that is
 * a whole /v4/ path stands alone: a shared host's rewrite of <prefix>/v4/x to
 * <prefix>/follow.fcgi/v4/x leaves SCRIPT_NAME naming the program, under any prefix. */
static char *join_path(const char *a, const char *b)
{
	static const char api[] = "/v4/";
	if (b && strncmp(b, api, sizeof(api) - 1) == 0)
		a = NULL;
	size_t la = a ? strlen(a) : 0, lb = b ? strlen(b) : 0;
	char *p = malloc(la + lb + 1);
	if (!p)
		return NULL;
	memcpy(p, a ? a : "", la);
	memcpy(p + la, b ? b : "", lb);
	p[la + lb] = '\0';
	return p;
}

/* Reads at most max bytes; a declared or actual length beyond it marks the body too big
 * without reading the rest into memory. */
static int read_body(const char *cl, http_reader read, void *src, size_t max,
		     struct http_req *req)
{
	size_t cap = max + 1, len = 0;
	char *buf;
	if (cl && *cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || n > max) {
			req->body_too_big = 1;
			return 0;
		}
		cap = (size_t)n + 1;
	}
	if (!(buf = malloc(cap + 1)))
		return -1;
	while (len < cap) {
		int got = read(src, buf + len, (int)(cap - len));
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if (len > max) {
		free(buf);
		req->body_too_big = 1;
		return 0;
	}
	buf[len] = '\0';
	req->body = buf;
	req->body_len = len;
	return 0;
}

int http_read_request(char **envp, http_reader read, void *src, size_t max_body,
		      struct http_req *req)
{
	const char *v[P_COUNT];
	find_params(envp, v);
	memset(req, 0, sizeof(*req));
	strncpy(req->client_ip, v[P_ADDR] ? v[P_ADDR] : "", sizeof(req->client_ip) - 1);
	strncpy(req->forwarded_for, v[P_FORWARDED] ? v[P_FORWARDED] : "",
		sizeof(req->forwarded_for) - 1);
	req->path = join_path(v[P_SCRIPT], v[P_PATH]);
	req->method = strdup(v[P_METHOD] ? v[P_METHOD] : "");
	req->query = strdup(v[P_QUERY] ? v[P_QUERY] : "");
	if (!req->path || !req->method || !req->query)
		return -1;
	return read_body(v[P_LENGTH], read, src, max_body, req);
}

void http_req_free(struct http_req *req)
{
	free(req->path);
	free(req->method);
	free(req->query);
	free(req->body);
	memset(req, 0, sizeof(*req));
}

int http_write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	while (len > 0) {
		ssize_t n = write(fd, c, len);
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}
