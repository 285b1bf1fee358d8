/* graphgen.c - make bench-scale's data: a followctl import stream of ACCOUNTS accounts and EDGES
 * edges, written to stdout as JSON lines.
 *
 * usage: graphgen ACCOUNTS EDGES STAR_FANS
 *
 * Accounts are u0000000, u0000001, ...; u0000000 is the star, followed by accounts 1..STAR_FANS.
 * The other edges are spread evenly over the accounts as followers; each one's targets are drawn
 * from a power law (target index = ACCOUNTS * r^3 for r uniform in [0,1)), so a few accounts
 * have very many fans and most have few, as on a real network. Edges come grouped by follower,
 * the order an export of a live service does not have but an import from another system often
 * does. The same arguments always give the same stream (a fixed seed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FANOUT_MAX 1000  /* follows per account beyond the star's */
#define TIME_BASE 1700000000u
#define TRIES_PER_EDGE 100 /* draws before an account's remaining follows are given up */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	/* xorshift64*: fast, and good enough to spread targets */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static int parse(const char *s, unsigned long *v)
{
	char *end;
	*v = strtoul(s, &end, 10);
	return *s && !*end;
}

int main(int argc, char **argv)
{
	unsigned long accounts, edges, star, rest, per, extra, i, k, n;
	static unsigned long picked[FANOUT_MAX];
	unsigned t = TIME_BASE;

	if (argc != 4 || !parse(argv[1], &accounts) || !parse(argv[2], &edges) ||
	    !parse(argv[3], &star) || accounts < 2 || star >= accounts || star > edges) {
		fprintf(stderr, "usage: graphgen ACCOUNTS EDGES STAR_FANS (STAR_FANS < ACCOUNTS)\n");
		return 2;
	}
	rest = edges - star;
	per = rest / accounts;
	extra = rest % accounts;
	if (per + 1 > FANOUT_MAX || per + 2 >= accounts) {
		fprintf(stderr, "graphgen: %lu edges per account is too many\n", per + 1);
		return 2;
	}
	for (i = 0; i < accounts; i++)
		printf("{\"account\":\"u%07lu\"}\n", i);
	for (i = 0; i < accounts; i++) {
		unsigned long want = per + (i < extra), tries = 0;
		if (i >= 1 && i <= star)
			printf("{\"from\":\"u%07lu\",\"to\":\"u0000000\",\"time\":%u}\n", i, t++);
		for (n = 0; n < want && tries < want * TRIES_PER_EDGE; tries++) {
			double r = (double)(next() >> 11) / 9007199254740992.0;
			unsigned long to = 1 + (unsigned long)((double)(accounts - 1) * r * r * r);
			for (k = 0; k < n && picked[k] != to; k++)
				;
			if (to == i || to >= accounts || k < n)
				continue;
			picked[n++] = to;
			printf("{\"from\":\"u%07lu\",\"to\":\"u%07lu\",\"time\":%u}\n", i, to, t++);
		}
		if (n < want) {
			fprintf(stderr, "graphgen: account %lu got only %lu of %lu follows\n", i, n,
				want);
			return 1;
		}
	}
	return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
