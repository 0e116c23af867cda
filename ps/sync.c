/* The table of consistency models, and what is derived from it (lists, key checks). */
#include "ps/sync.h"

#include <string.h>

const struct sync_ops *const sync_models[] = {
	&sync_bsp, &sync_ssp, &sync_async, &sync_gaia, &sync_lan,
};
const size_t sync_nmodels = sizeof sync_models / sizeof sync_models[0];

const struct sync_ops *sync_find(const char *spec, const char **arg)
{
	const char *colon = strchr(spec, ':');
	size_t len = colon ? (size_t)(colon - spec) : strlen(spec);
	*arg = colon ? colon + 1 : NULL;
	for (size_t i = 0; i < sync_nmodels; i++)
		if (strlen(sync_models[i]->name) == len && !strncmp(spec, sync_models[i]->name, len))
			return sync_models[i];
	return NULL;
}

const char *sync_list(void)
{
	/* Built from the constant table on each call; 256 bytes hold far more models than exist. */
	static char buf[256];
	buf[0] = '\0';
	for (size_t i = 0; i < sync_nmodels; i++) {
		if (i)
			strncat(buf, ", ", sizeof buf - strlen(buf) - 1);
		strncat(buf, sync_models[i]->spec, sizeof buf - strlen(buf) - 1);
	}
	return buf;
}

int sync_check_keys(struct runcfg *cfg)
{
	for (size_t i = 0; i < sync_nmodels; i++)
		if (sync_models[i]->check_keys && sync_models[i]->check_keys(cfg) < 0)
			return -1;
	return 0;
}
