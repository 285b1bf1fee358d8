/* log.c - writes log lines to stderr, which lighttpd routes to its error log. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

void log_msg(const char *file, int line, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n = snprintf(buf, sizeof(buf), "follow[%d] %s:%d: ", (int)getpid(), file, line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	/* One write per line, so lines from several processes do not interleave. */
	fprintf(stderr, "%s\n", buf);
	fflush(stderr);
}
