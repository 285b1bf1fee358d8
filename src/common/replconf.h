/* replconf.h - the replication keys of the config (repl_self, repl_sites, repl_ack, ...). */
#ifndef REPLCONF_H
#define REPLCONF_H

#include <stddef.h>

#include "store/store.h"

#define REPL_PRIORITY_DEFAULT 100
#define REPL_ACK_TIMEOUT_MS_DEFAULT 1000
#define REPL_ELECTION_TIMEOUT_MS_DEFAULT 1000
#define REPL_HEARTBEAT_MS_DEFAULT 200 /* a silent master is given up after 5 of these */
#define REPL_CONNECT_RETRY_MS_DEFAULT 1000
#define REPL_MASTER_WAIT_MS_DEFAULT 3000
#define REPL_TIMEOUT_MS_MAX 600000

/* The defaults, before any key is read. */
void replconf_defaults(struct store_repl *r);
/* "HOST:PORT" (HOST may be [v6]); 0 or -1. */
int replconf_addr(const char *v, char *host, size_t hostlen, unsigned *port);
/* "HOST:PORT=URL, ..." into r->sites; 0 or -1. */
int replconf_sites(struct store_repl *r, const char *v);
/* "quorum", "all", "one" or "none"; 0 or -1. */
int replconf_ack(const char *v, enum store_repl_ack *ack);
/* After every key was read: finds repl_self (host, port) among the sites. 0, or -1 with the
 * reason in err. */
int replconf_finish(struct store_repl *r, const char *host, unsigned port, char *err,
		    size_t errlen);

#endif
