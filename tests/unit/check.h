/* check.h - the checks of the C unit tests. Each CHECK counts; a failing one prints its file, line
 * and expression (and the context set with set_ctx, if any) to stderr and counts as failed.
 * A test ends with `return check_summary("name_test");`, which prints
 * "name_test: N checks, F failed" and gives the exit status (1 when any check failed). */
#ifndef CHECK_H
#define CHECK_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int g_checks, g_fail;
static char g_ctx[256]; /* printed with every failure when set; "" clears it */

/* Ends a failure's line with the context, if any, and counts the failure. */
static inline void check_failed_(void)
{
	g_fail++;
	if (g_ctx[0])
		fprintf(stderr, "  [%s]", g_ctx);
	fputc('\n', stderr);
}

static inline int check_(int ok, const char *expr, const char *file, int line)
{
	g_checks++;
	if (!ok) {
		fprintf(stderr, "%s:%d: CHECK failed: %s", file, line, expr);
		check_failed_();
	}
	return ok;
}

static inline int check_eq_int_(long long a, long long b, const char *ea, const char *eb,
				const char *file, int line)
{
	g_checks++;
	if (a != b) {
		fprintf(stderr, "%s:%d: CHECK_EQ_INT failed: %s == %s (%lld vs %lld)", file, line, ea,
			eb, a, b);
		check_failed_();
	}
	return a == b;
}

static inline int check_eq_str_(const char *a, const char *b, const char *ea, const char *eb,
				const char *file, int line)
{
	int ok = a && b && strcmp(a, b) == 0;
	g_checks++;
	if (!ok) {
		fprintf(stderr, "%s:%d: CHECK_EQ_STR failed: %s == %s (\"%s\" vs \"%s\")", file, line,
			ea, eb, a ? a : "(null)", b ? b : "(null)");
		check_failed_();
	}
	return ok;
}

/* Each evaluates to whether the check held. */
#define CHECK(c) check_((c) != 0, #c, __FILE__, __LINE__)
#define CHECK_EQ_INT(a, b) check_eq_int_((long long)(a), (long long)(b), #a, #b, __FILE__, __LINE__)
#define CHECK_EQ_STR(a, b) check_eq_str_((a), (b), #a, #b, __FILE__, __LINE__)
/* The same, for helpers that report their caller's position (parameters `file` and `line`). */
#define CHECK_AT(c) check_((c) != 0, #c, file, line)
#define CHECK_EQ_INT_AT(a, b) check_eq_int_((long long)(a), (long long)(b), #a, #b, file, line)

static inline void set_ctx(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_ctx, sizeof g_ctx, fmt, ap);
	va_end(ap);
}

/* Prints "<name>: N checks, F failed"; returns the exit status of the test. */
static inline int check_summary(const char *name)
{
	printf("%s: %d check%s, %d failed\n", name, g_checks, g_checks == 1 ? "" : "s", g_fail);
	return g_fail ? 1 : 0;
}

#endif
