/* cmd_users.c — placeholder until its owner lands it (issue 7). */
#include <stdio.h>

#include "cli.h"

int cmd_users(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("kefu: not yet\n", stderr);
    return 2;
}

int cmd_keys(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fputs("kefu: not yet\n", stderr);
    return 2;
}
