/* webhook_test.c - the callback Sign against the spec's check vector (§8). */
#include <stdio.h>
#include <string.h>

#include "webhook.h"

int main(void)
{
	char sign[65];
	int failed = 0;
	if (webhook_sign("xxxxyyyy", 1669872112L, sign) != 0 ||
	    strcmp(sign, "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061") != 0) {
		fprintf(stderr, "%s:%d: Sign is %s\n", __FILE__, __LINE__, sign);
		failed = 1;
	}
	printf("webhook_test: 1 check, %d failed\n", failed);
	return failed;
}
