/* tcpsim: the command line (SPEC §1).  Each command lives in its own file;
 * this one only dispatches. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "tcpsim_config.h"

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } commands[] = {
        {"run", cli_run}, {"check", cli_check}, {"validate", cli_validate}, {"viz", cli_viz}};
    if (argc < 2)
        return cli_usage_error(NULL, "no command given (run, check, validate, viz)");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        if (argc > 2 && strcmp(cmd, "help") == 0 && cli_help_command(argv[2], stdout))
            return CLI_OK;
        cli_help_main(stdout);
        return CLI_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("tcpsim %s\n", TCPSIM_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    if (cmd[0] == '-')
        return cli_usage_error(NULL, "unknown option '%s'", cmd);
    return cli_usage_error(NULL, "unknown command '%s' (run, check, validate, viz)", cmd);
}
