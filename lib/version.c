/* Version string; the only file besides main.c that reads the autoconf header. */
#include "lib/version.h"

#include "config.h"

const char *gaiasim_version(void)
{
	return PACKAGE_STRING;
}
