/* The memory limit of a run (lib/memlimit.h). */
#include "lib/memlimit.h"

#include "lib/diag.h"
#include "lib/runcfg.h"

int memlimit_check(struct runcfg *cfg, const char *what, double bytes, const char *why)
{
	double gb;
	if (runcfg_double(cfg, "limits.memory_gb", MEMLIMIT_DEFAULT_GB, 0.001, 1e6, &gb) < 0)
		return -1;
	double need = bytes / (1024.0 * 1024 * 1024);
	if (need <= gb)
		return 0;
	return diag_error("%s would need about %.1f GB of memory (%s), more than limits.memory_gb "
	                  "= %g: make the run smaller, or raise the limit (e.g. --set "
	                  "limits.memory_gb=%.0f) on a machine that has the memory",
	                  what, need, why, gb, need + 1);
}
