/* log.h - one line per event on stderr (lighttpd's error log), with the source position. */
#ifndef LOG_H
#define LOG_H

void log_msg(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOG(...) log_msg(__FILE__, __LINE__, __VA_ARGS__)

#endif
