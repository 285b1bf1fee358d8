/* follow_usersig.c - cgi-bin/follow-usersig: prints a UserSig for an identifier, signed with the
 * secret key of the same config file the service reads, so admins can call the API. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/conf.h"
#include "common/ids.h"
#include "request/usersig.h"

#define DEFAULT_EXPIRE 86400L

static int usage(void)
{
	fprintf(stderr,
		"usage: follow-usersig [-c CONF] IDENTIFIER [EXPIRE_SECONDS]\n"
		"  Prints a UserSig (TLSSigAPIv2) for IDENTIFIER, valid for EXPIRE_SECONDS\n"
		"  (default %ld). CONF defaults to $FOLLOW_CONF, then ../conf/follow.conf\n"
		"  beside this program.\n",
		DEFAULT_EXPIRE);
	return 2;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], err[512], *end, *sig;
	const char *conf_path = NULL;
	struct conf c;
	long expire = DEFAULT_EXPIRE;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "-c") == 0) {
		conf_path = argv[2];
		i = 3;
	}
	if (argc - i < 1 || argc - i > 2 || strcmp(argv[i], "--help") == 0)
		return usage();
	if (!id_valid(argv[i], strlen(argv[i]))) {
		fprintf(stderr, "follow-usersig: '%s' is not a valid identifier\n", argv[i]);
		return 2;
	}
	if (argc - i == 2) {
		errno = 0;
		expire = strtol(argv[i + 1], &end, 10);
		if (errno || *end || expire <= 0) {
			fprintf(stderr, "follow-usersig: EXPIRE_SECONDS must be a positive number\n");
			return 2;
		}
	}
	if ((!conf_path || !*conf_path) &&
	    !(conf_path = conf_default_path(argv[0], path, sizeof(path)))) {
		fprintf(stderr, "follow-usersig: cannot find myself; use -c CONF\n");
		return 2;
	}
	if (conf_load(conf_path, &c, err, sizeof(err)) != 0) {
		fprintf(stderr, "follow-usersig: %s\n", err);
		return 1;
	}
	if (!conf_is_admin(&c, argv[i]))
		fprintf(stderr, "follow-usersig: note: %s is not in admins of %s; the REST API will "
				"refuse it\n", argv[i], conf_path);
	sig = usersig_make(c.secret_key, c.sdkappid, argv[i], expire, time(NULL));
	conf_free(&c);
	if (!sig) {
		fprintf(stderr, "follow-usersig: out of memory\n");
		return 1;
	}
	printf("%s\n", sig);
	free(sig);
	return 0;
}
