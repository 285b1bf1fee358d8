/* null_fcgi.c - the benchmark's baseline: a responder that parses nothing, as FastCGI or, started
 * as plain CGI, once. */
#include <fcgiapp.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
	static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
				    "{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\"}";
	FCGX_Request r;
	if (FCGX_IsCGI())
		return fwrite(reply, 1, sizeof(reply) - 1, stdout) == sizeof(reply) - 1 ? 0 : 1;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
