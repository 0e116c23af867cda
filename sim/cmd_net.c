/* gaiasim net: placeholder until the module lands (replaced in this session). */
#include <stdio.h>

#include "sim/cmd.h"

int cmd_net(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "gaiasim: net: not built yet\n");
	return 1;
}
