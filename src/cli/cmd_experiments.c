/* cmd_experiments.c — placeholder until its owner lands it (issue 7). */
#include <stdio.h>

#include "cli.h"

int cmd_experiments(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("kefu: not yet\n", stderr);
    return 2;
}
