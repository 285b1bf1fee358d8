/* replconf.c - parsing and checking the replication keys. */
#include "common/replconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void replconf_defaults(struct store_repl *r)
{
	memset(r, 0, sizeof(*r));
	r->ack = STORE_ACK_QUORUM;
	r->priority = REPL_PRIORITY_DEFAULT;
	r->ack_timeout_ms = REPL_ACK_TIMEOUT_MS_DEFAULT;
	r->election_timeout_ms = REPL_ELECTION_TIMEOUT_MS_DEFAULT;
	r->heartbeat_ms = REPL_HEARTBEAT_MS_DEFAULT;
	r->connect_retry_ms = REPL_CONNECT_RETRY_MS_DEFAULT;
	r->master_wait_ms = REPL_MASTER_WAIT_MS_DEFAULT;
}

static int parse_port(const char *p, size_t len, unsigned *port)
{
	unsigned long n = 0;
	size_t i;
	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)p[i]))
			return -1;
		n = n * 10 + (unsigned long)(p[i] - '0');
	}
	if (n < 1 || n > 65535)
		return -1;
	*port = (unsigned)n;
	return 0;
}

/* The len bytes at v: HOST:PORT, or [V6]:PORT. */
static int addr_n(const char *v, size_t len, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = NULL, *h = v;
	size_t i, hl, plen;
	for (i = 0; i < len; i++)
		if (v[i] == ':')
			colon = v + i;
	if (!colon)
		return -1;
	hl = (size_t)(colon - v);
	plen = len - hl - 1;
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']')
		h++, hl -= 2;
	if (hl == 0 || hl >= hostlen)
		return -1;
	for (i = 0; i < hl; i++)
		if (isspace((unsigned char)h[i]) || h[i] == '=' || h[i] == ',' || h[i] == '/')
			return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	return parse_port(colon + 1, plen, port);
}

int replconf_addr(const char *v, char *host, size_t hostlen, unsigned *port)
{
	return addr_n(v, strlen(v), host, hostlen, port);
}

static int url_ok(const char *u, size_t len)
{
	size_t i;
	if (!((len > 7 && strncmp(u, "http://", 7) == 0) ||
	      (len > 8 && strncmp(u, "https://", 8) == 0)))
		return 0;
	for (i = 0; i < len; i++)
		if (isspace((unsigned char)u[i]) || u[i] == ',' || u[i] == '?' || u[i] == '#')
			return 0;
	return 1;
}

int replconf_sites(struct store_repl *r, const char *v)
{
	const char *p = v;
	r->n_sites = 0;
	for (;;) {
		const char *end = strchr(p, ','), *eq;
		size_t len = end ? (size_t)(end - p) : strlen(p), alen, ulen;
		struct store_repl_site *s;
		size_t i;
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (r->n_sites == STORE_REPL_SITES_MAX || !(eq = memchr(p, '=', len)))
			return -1;
		s = &r->sites[r->n_sites];
		alen = (size_t)(eq - p);
		while (alen && isspace((unsigned char)p[alen - 1]))
			alen--;
		if (addr_n(p, alen, s->host, sizeof(s->host), &s->port) != 0)
			return -1;
		eq++;
		ulen = len - (size_t)(eq - p);
		while (ulen && isspace((unsigned char)*eq))
			eq++, ulen--;
		while (ulen && eq[ulen - 1] == '/') /* the API's paths are appended */
			ulen--;
		if (!url_ok(eq, ulen) || ulen >= sizeof(s->url))
			return -1;
		memcpy(s->url, eq, ulen);
		s->url[ulen] = '\0';
		for (i = 0; i < r->n_sites; i++)
			if (r->sites[i].port == s->port && strcmp(r->sites[i].host, s->host) == 0)
				return -1; /* named twice */
		r->n_sites++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int replconf_ack(const char *v, enum store_repl_ack *ack)
{
	static const char *const names[] = {"quorum", "all", "one", "none"};
	size_t i;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i]) == 0) {
			*ack = (enum store_repl_ack)i;
			return 0;
		}
	return -1;
}

int replconf_finish(struct store_repl *r, const char *host, unsigned port, char *err,
		    size_t errlen)
{
	size_t i;
	if (!r->n_sites) {
		snprintf(err, errlen, "repl_self is set but repl_sites is not: list every site of "
				      "the group, this one included");
		return -1;
	}
	for (i = 0; i < r->n_sites; i++)
		if (r->sites[i].port == port && strcmp(r->sites[i].host, host) == 0) {
			r->self = i;
			return 0;
		}
	snprintf(err, errlen, "repl_self %s:%u is not one of repl_sites", host, port);
	return -1;
}
