/* The table of consistency models. */
#include "ps/sync.h"

#include <string.h>

static const struct sync_ops *const models[] = {
	&sync_bsp, &sync_ssp, &sync_async, &sync_gaia, &sync_lan,
};

const struct sync_ops *sync_find(const char *spec, const char **arg)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	*arg = colon ? colon + 1 : NULL;
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (strlen(models[i]->name) == len && !strncmp(spec, models[i]->name, len))
			return models[i];
	return NULL;
}
