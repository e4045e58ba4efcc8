/* cmd_synth.c - PLACEHOLDER being written right now by another engineer; will be replaced. */
#include "cli.h"
#include <stdio.h>
int cmd_synth(int argc, char **argv)
{
	(void)argc; (void)argv;
	fprintf(stderr, "ottorec synth: not built yet\n");
	return CLI_FAIL;
}
