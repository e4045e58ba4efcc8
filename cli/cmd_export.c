/* cmd_export.c - PLACEHOLDER being written right now by another engineer; will be replaced. */
#include "cli.h"
#include <stdio.h>
int cmd_export(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "ottorec export: not built yet\n");
	return CLI_FAIL;
}
