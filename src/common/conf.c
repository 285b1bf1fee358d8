/* conf.c - parses `key = value` lines into struct conf; a bad line stops start-up. */
#include "common/conf.h"
#include "common/replconf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*conf_setter)(struct conf *c, const char *value, void *field);

struct conf_key {
	const char *name;
	conf_setter set;
	size_t offset;
	int required;
};

static int parse_u64(const char *v, unsigned long long max, unsigned long long *out)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	*out = strtoull(v, &end, 10);
	return (errno || *end || *out > max) ? -1 : 0;
}

static int set_u32(struct conf *c, const char *v, void *field)
{
	unsigned long long n;
	(void)c;
	if (parse_u64(v, UINT32_MAX, &n) != 0)
		return -1;
	*(uint32_t *)field = (uint32_t)n;
	return 0;
}

static int set_size(struct conf *c, const char *v, void *field)
{
	unsigned long long n;
	(void)c;
	if (parse_u64(v, SIZE_MAX / 2, &n) != 0 || n == 0)
		return -1;
	*(size_t *)field = (size_t)n;
	return 0;
}

static int set_cache_mb(struct conf *c, const char *v, void *field)
{
	unsigned long long n;
	(void)c;
	if (parse_u64(v, STORE_CACHE_MB_MAX, &n) != 0 || n < STORE_CACHE_MB_MIN)
		return -1;
	*(unsigned *)field = (unsigned)n;
	return 0;
}

#define METRICS_ALLOW_DEFAULT "127.0.0.0/8, ::1" /* loopback only */

/* "ADDR" or "ADDR/BITS", IPv4 or IPv6. */
static int parse_net(const char *s, size_t len, struct conf_net *n)
{
	char buf[64], *slash;
	unsigned long long bits;
	unsigned max;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')))
		*slash = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1)
		n->family = AF_INET, max = 32;
	else if (inet_pton(AF_INET6, buf, n->addr) == 1)
		n->family = AF_INET6, max = 128;
	else
		return -1;
	if (!slash)
		bits = max;
	else if (parse_u64(slash + 1, max, &bits) != 0)
		return -1;
	n->prefix = (unsigned)bits;
	return 0;
}

static int set_nets(struct conf *c, const char *v, void *field)
{
	const char *p = v, *end;
	(void)field;
	c->n_metrics_allow = 0;
	for (;;) {
		size_t len;
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (c->n_metrics_allow == CONF_NETS_MAX ||
		    parse_net(p, len, &c->metrics_allow[c->n_metrics_allow]) != 0)
			return -1;
		c->n_metrics_allow++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

int conf_metrics_allowed(const struct conf *c, const char *ip)
{
	unsigned char a[16];
	int family;
	size_t i;
	if (inet_pton(AF_INET, ip, a) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		family = AF_INET6;
	else
		return 0;
	for (i = 0; i < c->n_metrics_allow; i++) {
		const struct conf_net *n = &c->metrics_allow[i];
		unsigned full = n->prefix / 8, rest = n->prefix % 8;
		if (n->family != family || memcmp(n->addr, a, full) != 0)
			continue;
		if (!rest || ((n->addr[full] ^ a[full]) & (0xff00 >> rest) & 0xff) == 0)
			return 1;
	}
	return 0;
}

static int set_string(struct conf *c, const char *v, void *field)
{
	char **s = field;
	(void)c;
	free(*s);
	*s = strdup(v);
	return *s ? 0 : -1;
}

static int set_secret(struct conf *c, const char *v, void *field)
{
	return *v ? set_string(c, v, field) : -1;
}

static int set_durability(struct conf *c, const char *v, void *field)
{
	(void)c;
	enum store_durability *d = field;
	if (strcmp(v, "nosync") == 0)
		*d = STORE_NOSYNC;
	else if (strcmp(v, "write") == 0)
		*d = STORE_WRITE;
	else if (strcmp(v, "sync") == 0)
		*d = STORE_SYNC;
	else
		return -1;
	return 0;
}

static int set_repl_self(struct conf *c, const char *v, void *field)
{
	(void)field;
	c->repl_on = 1;
	return replconf_addr(v, c->repl_self_host, sizeof(c->repl_self_host), &c->repl_self_port);
}

static int set_repl_sites(struct conf *c, const char *v, void *field)
{
	(void)field;
	return replconf_sites(&c->repl, v);
}

static int set_repl_ack(struct conf *c, const char *v, void *field)
{
	(void)field;
	return replconf_ack(v, &c->repl.ack);
}

static int set_unsigned(unsigned max, const char *v, unsigned *field)
{
	unsigned long long n;
	if (parse_u64(v, max, &n) != 0)
		return -1;
	*field = (unsigned)n;
	return 0;
}

static int set_repl_priority(struct conf *c, const char *v, void *field)
{
	(void)field;
	return set_unsigned(UINT32_MAX / 2, v, &c->repl.priority);
}

/* A replication timeout in milliseconds: at least 1. */
static int set_repl_ms(struct conf *c, const char *v, void *field)
{
	(void)c;
	return set_unsigned(REPL_TIMEOUT_MS_MAX, v, field) != 0 || !*(unsigned *)field ? -1 : 0;
}

static void free_admins(struct conf *c)
{
	size_t i;
	for (i = 0; i < c->n_admins; i++)
		free(c->admins[i]);
	free(c->admins);
	c->admins = NULL;
	c->n_admins = 0;
}

static int set_admins(struct conf *c, const char *v, void *field)
{
	const char *p = v;
	(void)field;
	free_admins(c);
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char **grown;
		while (len && isspace((unsigned char)*p))
			p++, len--;
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len == 0 || len > STORE_ID_MAX)
			return -1;
		if (!(grown = realloc(c->admins, (c->n_admins + 1) * sizeof(*grown))))
			return -1;
		c->admins = grown;
		if (!(c->admins[c->n_admins] = strndup(p, len)))
			return -1;
		c->n_admins++;
		if (!end)
			break;
		p = end + 1;
	}
	return c->n_admins ? 0 : -1;
}

#define F(field) offsetof(struct conf, field)
static const struct conf_key keys[] = {
	{"sdkappid", set_u32, F(sdkappid), 1},
	{"secret_key", set_secret, F(secret_key), 1},
	{"admins", set_admins, 0, 1},
	{"data_dir", set_secret, F(data_dir), 1},
	{"max_following", set_u32, F(max_following), 0},
	{"max_followers", set_u32, F(max_followers), 0},
	{"max_mutual", set_u32, F(max_mutual), 0},
	{"max_body_bytes", set_size, F(max_body_bytes), 0},
	{"rate_limit", set_u32, F(rate_limit), 0},
	{"durability", set_durability, F(durability), 0},
	{"cache_mb", set_cache_mb, F(cache_mb), 0},
	{"metrics_allow", set_nets, 0, 0},
	{"callback_url", set_string, F(callback_url), 0},
	{"callback_token", set_string, F(callback_token), 0},
	{"callback_retry_seconds", set_u32, F(callback_retry_seconds), 0},
	{"repl_self", set_repl_self, 0, 0},
	{"repl_sites", set_repl_sites, 0, 0},
	{"repl_ack", set_repl_ack, 0, 0},
	{"repl_priority", set_repl_priority, 0, 0},
	{"repl_ack_timeout_ms", set_repl_ms, F(repl.ack_timeout_ms), 0},
	{"repl_election_timeout_ms", set_repl_ms, F(repl.election_timeout_ms), 0},
	{"repl_heartbeat_ms", set_repl_ms, F(repl.heartbeat_ms), 0},
	{"repl_master_wait_ms", set_repl_ms, F(repl.master_wait_ms), 0},
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static char *trim(char *s)
{
	char *end;
	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* data_dir is relative to the config file's folder, so a config can travel with its data. */
static int resolve_data_dir(struct conf *c, const char *path)
{
	char folder[PATH_MAX], joined[2 * PATH_MAX + 2], *slash;
	if (c->data_dir[0] == '/')
		return 0;
	if (!realpath(path, folder))
		return -1;
	slash = strrchr(folder, '/');
	*slash = '\0';
	snprintf(joined, sizeof(joined), "%s/%s", folder, c->data_dir);
	return set_string(c, joined, &c->data_dir);
}

int conf_load(const char *path, struct conf *c, char *err, size_t errlen)
{
	char line[4096];
	int seen[N_KEYS] = {0};
	unsigned lineno = 0;
	size_t i;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->max_following = 5000;
	c->max_body_bytes = 1024 * 1024;
	c->durability = STORE_WRITE;
	c->cache_mb = STORE_CACHE_MB_DEFAULT;
	set_nets(c, METRICS_ALLOW_DEFAULT, NULL); /* a fixed, valid list */
	c->callback_retry_seconds = 3600;
	replconf_defaults(&c->repl);
	if (!(f = fopen(path, "r"))) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *k, *v, *eq;
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: line too long", path, lineno);
			goto fail;
		}
		k = trim(line);
		if (*k == '#' || *k == '\0')
			continue;
		if (!(eq = strchr(k, '='))) {
			snprintf(err, errlen, "%s:%u: expected `key = value`", path, lineno);
			goto fail;
		}
		*eq = '\0';
		k = trim(k);
		v = trim(eq + 1);
		for (i = 0; i < N_KEYS && strcmp(keys[i].name, k) != 0; i++)
			;
		if (i == N_KEYS) {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path, lineno, k);
			goto fail;
		}
		if (keys[i].set(c, v, (char *)c + keys[i].offset) != 0) {
			snprintf(err, errlen, "%s:%u: bad value for %s: '%s'", path, lineno, k, v);
			goto fail;
		}
		seen[i] = 1;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto fail;
	}
	for (i = 0; i < N_KEYS; i++) {
		if (keys[i].required && !seen[i]) {
			snprintf(err, errlen, "%s: missing required key '%s'", path, keys[i].name);
			goto fail;
		}
	}
	if (!c->repl_on && c->repl.n_sites) {
		snprintf(err, errlen, "%s: repl_sites is set but repl_self is not: name this site's "
				      "own HOST:PORT among them", path);
		goto fail;
	}
	if (c->repl_on && replconf_finish(&c->repl, c->repl_self_host, c->repl_self_port, line,
					  sizeof(line)) != 0) {
		snprintf(err, errlen, "%s: %s", path, line);
		goto fail;
	}
	if (resolve_data_dir(c, path) != 0) {
		snprintf(err, errlen, "%s: cannot resolve data_dir", path);
		goto fail;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	conf_free(c);
	return -1;
}

void conf_free(struct conf *c)
{
	free(c->secret_key);
	free(c->data_dir);
	free(c->callback_url);
	free(c->callback_token);
	free_admins(c);
	memset(c, 0, sizeof(*c));
}

int conf_is_admin(const struct conf *c, const char *id)
{
	size_t i;
	for (i = 0; i < c->n_admins; i++)
		if (strcmp(c->admins[i], id) == 0)
			return 1;
	return 0;
}

/* mkdir -p: a fresh config's data_dir just works. One stat when it exists (every plain CGI
 * call asks). */
int conf_make_data_dir(const struct conf *c)
{
	char buf[PATH_MAX];
	char *p;
	struct stat st;
	if (stat(c->data_dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (snprintf(buf, sizeof(buf), "%s", c->data_dir) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return (mkdir(buf, 0700) != 0 && errno != EEXIST) ? -1 : 0;
}

void conf_store_opts(const struct conf *c, struct store_opts *o)
{
	*o = (struct store_opts){.dir = c->data_dir,
				 .durability = c->durability,
				 .cache_mb = c->cache_mb,
				 .repl = c->repl_on ? &c->repl : NULL,
				 .max_following = c->max_following,
				 .max_followers = c->max_followers,
				 .max_mutual = c->max_mutual};
}

/* Where a program looks for its config beside itself: a shared host's copy of follow.fcgi with
 * its follow.conf in one folder; the repository's cgi-bin/ and conf/; an install's PREFIX/bin/
 * and PREFIX/lib/follow/ with PREFIX/etc/follow/. */
static const char *const conf_places[] = {
	"follow.conf",
	"../conf/follow.conf",
	"../etc/follow/follow.conf",
	"../../etc/follow/follow.conf",
};

const char *conf_default_path(const char *argv0, char *buf, size_t len)
{
	const char *env = getenv("FOLLOW_CONF");
	char self[PATH_MAX], *dir;
	size_t i;
	if (env && *env)
		return env;
	if (!argv0 || (!realpath("/proc/self/exe", self) && !realpath(argv0, self)))
		return NULL;
	dir = dirname(self);
	for (i = 0; i < sizeof(conf_places) / sizeof(conf_places[0]); i++) {
		snprintf(buf, len, "%s/%s", dir, conf_places[i]);
		if (access(buf, F_OK) == 0)
			return buf;
	}
	/* None exists: name the repository's place in the error. */
	snprintf(buf, len, "%s/%s", dir, conf_places[1]);
	return buf;
}
