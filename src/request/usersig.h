/* usersig.h - Tencent's TLSSigAPIv2 UserSig: verifying one, and making one for admins. */
#ifndef USERSIG_H
#define USERSIG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Checks sig against the app's key for `identifier` and `sdkappid` at time `now`, in the order
 * of spec §9. Returns 0 or the error code (70001, 70003, 70009, 70013, 70014), with the reason
 * in info. An empty sig is the caller's 70002. */
int usersig_verify(const char *sig, const char *key, uint32_t sdkappid, const char *identifier,
		   time_t now, char *info, size_t infolen);

/* A UserSig as Tencent's generators make it; malloc'd, NULL when out of memory. */
char *usersig_make(const char *key, uint32_t sdkappid, const char *identifier, long expire,
		   time_t now);

/* base64(HMAC-SHA256(key, content of §9 step 1)) into out (at least 45 bytes); 0 on success. */
int usersig_hmac(const char *key, const char *identifier, uint32_t sdkappid, int64_t time,
		 int64_t expire, const char *userbuf, char *out, size_t outlen);

#endif
