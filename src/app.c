/* app.c - the application's handle on its store, reopened when it could not be opened. */
#include "app.h"

#include "log.h"

int app_store_ready(struct app *app)
{
	char err[512];
	time_t now = time(NULL);
	if (app->store)
		return 1;
	if (now == app->last_try)
		return 0; /* at most one attempt a second */
	app->last_try = now;
	if (!(app->store = store_open(&app->opts, err, sizeof(err))))
		LOG("%s", err);
	return app->store != NULL;
}

