/* fcgi_close.h - ending a FastCGI connection without libfcgi's wait (see fcgi_close.c). */
#ifndef FCGI_CLOSE_H
#define FCGI_CLOSE_H

#include <fcgiapp.h>

/* After the answer, before FCGX_Finish_r: when the request's input has ended (looking only at
 * what has arrived, never waiting), has the close be a plain close(). 0 when it will be; -1 when
 * libfcgi's graceful close stays (input still coming, a broken or a kept connection). */
int fcgi_close_quickly(FCGX_Request *r);

#endif
