/* dispatch.h - the webhook dispatcher: a process beside the FastCGI workers that delivers the
 * outbox in order. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include "request/app.h"

/* Delivers events until SIGTERM/SIGINT, or with once only those due now (for at most a cron
 * interval); returns the exit status. Only one dispatcher of a site delivers at a time. */
int dispatch_run(struct app *app, int once);

#endif
