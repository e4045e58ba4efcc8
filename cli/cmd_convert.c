/* cmd_convert.c - PLACEHOLDER being written right now by another engineer; will be replaced. */
#include "cli.h"
#include <stdio.h>
int cmd_convert(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "ottorec convert: not built yet\n");
	return CLI_FAIL;
}
