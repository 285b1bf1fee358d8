/* usersig_test.c - TLSSigAPIv2 against the spec's check vector, and round trips. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "request/usersig.h"
#include "check.h"

#define KEY "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e"

static int verify(const char *sig, const char *id, unsigned sdkappid, long now)
{
	char info[128];
	return usersig_verify(sig, KEY, sdkappid, id, now, info, sizeof(info));
}

int main(void)
{
	char mac[64], *sig, *other;

	/* spec §9's check vector */
	CHECK_EQ_INT(usersig_hmac(KEY, "xiaojun", 1400000000, 1700000000, 15552000, NULL, mac,
				  sizeof(mac)), 0);
	CHECK_EQ_INT(strcmp(mac, "LvA7d/Iw7gSsnskvVzBDPOCCDbuNCw4GHwTC0bip+B4="), 0);

	sig = usersig_make(KEY, 1400000000, "xiaojun", 15552000, 1700000000);
	CHECK_EQ_INT(sig != NULL, 1);
	CHECK_EQ_INT(verify(sig, "xiaojun", 1400000000, 1700000000), 0);
	CHECK_EQ_INT(verify(sig, "xiaojun", 1400000000, 1700000000 + 15552000), 0);
	CHECK_EQ_INT(verify(sig, "xiaojun", 1400000000, 1700000000 + 15552001), ERR_SIG_EXPIRED);
	CHECK_EQ_INT(verify(sig, "other", 1400000000, 1700000000), ERR_SIG_IDENTIFIER);
	CHECK_EQ_INT(verify(sig, "xiaojun", 1400000001, 1700000000), ERR_SIG_SDKAPPID);
	CHECK_EQ_INT(verify("", "xiaojun", 1400000000, 1700000000), ERR_SIG_DECODE);
	CHECK_EQ_INT(verify("!!!!", "xiaojun", 1400000000, 1700000000), ERR_SIG_DECODE);
	CHECK_EQ_INT(verify("eJyrVgrxCQ__", "xiaojun", 1400000000, 1700000000), ERR_SIG_DECODE);

	/* the same document signed with another key does not verify */
	other = usersig_make("another key", 1400000000, "xiaojun", 15552000, 1700000000);
	CHECK_EQ_INT(verify(other, "xiaojun", 1400000000, 1700000000), ERR_SIG_VERIFY);

	/* every single-character change of a valid sig is refused, never accepted */
	{
		size_t i, len = strlen(sig);
		for (i = 0; i < len; i++) {
			char *t = strdup(sig);
			t[i] = t[i] == 'A' ? 'B' : 'A';
			set_ctx("a sig tampered at %zu", i);
			CHECK(verify(t, "xiaojun", 1400000000, 1700000000) != 0 || strcmp(t, sig) == 0);
			free(t);
		}
		g_ctx[0] = '\0';
	}
	free(sig);
	free(other);
	/* The per-process cache of verified sigs: a cached sig still answers each check anew, a
	 * different key still refuses it, and an identifier too long to keep still verifies. */
	{
		char info[128], id[300];
		char *s2 = usersig_make(KEY, 1400000000, "cached", 100, 1700000000);
		char *s3;
		int i;
		memset(id, 'x', sizeof(id) - 1);
		id[sizeof(id) - 1] = '\0';
		s3 = usersig_make(KEY, 1400000000, id, 100, 1700000000);
		for (i = 0; i < 3; i++) {
			CHECK_EQ_INT(verify(s2, "cached", 1400000000, 1700000100), 0);
			CHECK_EQ_INT(verify(s2, "cached", 1400000000, 1700000101), ERR_SIG_EXPIRED);
			CHECK_EQ_INT(verify(s2, "cachee", 1400000000, 1700000000), ERR_SIG_IDENTIFIER);
			CHECK_EQ_INT(usersig_verify(s2, "another key", 1400000000, "cached", 1700000000,
						    info, sizeof(info)), ERR_SIG_VERIFY);
			CHECK_EQ_INT(verify(s3, id, 1400000000, 1700000000), 0);
			CHECK_EQ_INT(verify(s3, "x", 1400000000, 1700000000), ERR_SIG_IDENTIFIER);
		}
		free(s2);
		free(s3);
	}
	return check_summary("usersig_test");
}
