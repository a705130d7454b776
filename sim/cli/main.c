#include <stdio.h>
#include "tcpsim_config.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tcpsim %s\n", TCPSIM_VERSION);
    return 0;
}
