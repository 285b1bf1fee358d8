/* null_main.c - the benchmark's baseline: a FastCGI responder that parses nothing. */
#include <fcgiapp.h>
#include <string.h>

int main(void)
{
	static const char reply[] = "Status: 200 OK\r\nContent-Type: application/json\r\n\r\n"
				    "{\"ActionStatus\":\"OK\",\"ErrorCode\":0,\"ErrorInfo\":\"\"}";
	FCGX_Request r;
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
