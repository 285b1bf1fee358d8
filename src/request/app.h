/* app.h - what every handler is given: the app (config, store) and the call being served. */
#ifndef APP_H
#define APP_H

#include <stdint.h>

#include "common/conf.h"
#include "http/http.h"
#include "request/reply.h"
#include "store/store.h"

struct json_object;

struct app {
	struct conf conf;
	/* NULL when the environment could not be opened: requests then get 30006 (DB_REGISTER
	 * allows a process one attempt; a fresh process replaces this one once it would work). */
	struct store *store;
	struct store_opts opts; /* how the store is opened */
	int store_lost;         /* Berkeley DB kept memory it could not free (failed open/close) */
	long last_probe;        /* when a child last tried to open it (Unix seconds) */
	struct ratelimit *rate; /* shared per-API call counters */
	struct metrics_shm *metrics; /* shared counters for /metrics; NULL: none kept */
	struct store_seen seen; /* the store's own totals, as last added to metrics */
	/* Replication is configured but this process runs as plain CGI: it answers every call
	 * with an error, and never opens the store (see README, "Several machines"). */
	int repl_cgi;
};

/* Most items of one follow_get page: a larger WantNum is served as this (spec §6). */
#define FOLLOW_PAGE_MAX 1000

/* How many APIs the routing table holds (one rate counter each). */
extern const unsigned route_count;

/* API families differ in the codes they answer for the same kind of problem. */
enum family { FAMILY_FOLLOW, FAMILY_ACCOUNT, FAMILY_PROFILE };

/* The code a family answers for a bad request field (30001, 70402, 40001). */
int family_bad_code(enum family f);

struct call;
typedef void (*api_handler)(struct call *c, struct reply *r);

struct route {
	const char *service, *command;
	api_handler handle;
	enum family family;
	unsigned limit; /* most targets in one call */
	int writes;     /* a replica passes it on to the master */
};

struct call {
	struct app *app;
	const struct route *route;
	const struct http_req *req;
	struct json_object *body; /* always a JSON object */
	uint32_t now;             /* Unix seconds at the start of the call */
	/* The caller's address: REMOTE_ADDR, or the one another site of the group passed on. */
	const char *client_ip;
};

/* Handlers, one file per API family. */
void api_follow_add(struct call *c, struct reply *r);
void api_follow_delete(struct call *c, struct reply *r);
void api_follow_check(struct call *c, struct reply *r);
void api_follow_get(struct call *c, struct reply *r);
void api_follow_get_info(struct call *c, struct reply *r);
void api_account_import(struct call *c, struct reply *r);
void api_multiaccount_import(struct call *c, struct reply *r);
void api_account_check(struct call *c, struct reply *r);
void api_account_delete(struct call *c, struct reply *r);
void api_portrait_set(struct call *c, struct reply *r);
void api_portrait_get(struct call *c, struct reply *r);

/* Appends "ProfileItem": [{Tag, Value}...] to parent: the profile's tags, or only those named
 * (in that order) when `only` is given. */
void profile_items(struct reply *r, reply_node parent, const struct store_profile *p,
		   const char *const *only, size_t n_only);

/* The command name of API i of the routing table (i < route_count). */
const char *route_name(unsigned i);

/* GET /metrics (metrics_page.c): the whole CGI answer, text or 403. */
char *metrics_page(struct app *app, const struct http_req *req);

/* The routing table's entry point: answers one request (malloc'd JSON, NULL when out of memory). */
char *route_request(const struct http_req *req, void *app);

#endif
