/* follow_codes.c - build/follow-codes: prints console/codes.js, the service's own table of error
 * codes and their texts (common/errors.c) for the console page, so the page never holds a copy
 * made by hand. Run by make. */
#include <stdio.h>

#include "common/errors.h"

/* The texts are ASCII without quotes or backslashes; anything else stops the build. */
static int plain(const char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e || *s == '"' || *s == '\\')
			return 0;
	return 1;
}

int main(void)
{
	const char *text;
	unsigned i;
	int code;
	printf("// Made by build/follow-codes from src/common/errors.c: do not edit.\n"
	       "window.FOLLOW_CODES = {\n");
	for (i = 0; err_entry(i, &code, &text); i++) {
		if (!plain(text)) {
			fprintf(stderr, "follow-codes: the text of %d needs escaping\n", code);
			return 1;
		}
		printf("  \"%d\": \"%s\",\n", code, code ? text : "OK");
	}
	printf("};\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
