/* webhook_test.c - the callback Sign against the spec's check vector (§8). */
#include <stdio.h>
#include <string.h>

#include "webhook/webhook.h"
#include "check.h"

int main(void)
{
	char sign[65] = "";
	if (!CHECK(webhook_sign("xxxxyyyy", 1669872112L, sign) == 0 &&
		   strcmp(sign, "17773bc39a671d7b9aa835458704d2a6db81360a5940292b587d6d760d484061") == 0))
		fprintf(stderr, "Sign is %s\n", sign);
	return check_summary("webhook_test");
}
