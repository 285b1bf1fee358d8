/* dispatch.h - the webhook dispatcher: a process beside the FastCGI workers that delivers the
 * outbox in order. */
#ifndef DISPATCH_H
#define DISPATCH_H

#include "request/app.h"

/* Delivers events until SIGTERM/SIGINT; returns the exit status. */
int dispatch_run(struct app *app);

#endif
