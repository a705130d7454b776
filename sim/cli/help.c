/* Help texts: `tcpsim --help` and `tcpsim COMMAND --help`. */
#include <string.h>

#include "cli.h"

static const char main_help[] =
    "usage: tcpsim COMMAND [ARGS] [OPTIONS]\n"
    "\n"
    "A deterministic simulator of TCP/IP networks: virtual hosts with full stacks\n"
    "exchange real frames over simulated links, as a scenario file describes.\n"
    "\n"
    "commands:\n"
    "  run      SCENARIO.json [options]   run and report\n"
    "  check    PATH... [options]         run scenarios (files or folders, recursively)\n"
    "                                     and judge their \"expect\" blocks\n"
    "  validate PATH...                   parse and validate only; nothing is simulated\n"
    "  viz      SCENARIO.json [options]   interactive window, or PNG images\n"
    "\n"
    "  tcpsim COMMAND --help   options of a command\n"
    "  tcpsim --version        the version\n"
    "\n"
    "exit codes: 0 success, 1 an expectation failed, 2 bad input (file, JSON,\n"
    "schema, option), 3 internal or resource error.\n";

static const char run_help[] =
    "usage: tcpsim run SCENARIO.json [options]\n"
    "\n"
    "Runs a scenario and prints a report: each connection's state transitions,\n"
    "bytes delivered per application, drops, retransmissions and the verdict of\n"
    "the scenario's expectations.\n"
    "\n"
    "options:\n"
    "  --seed N          override the scenario's seed\n"
    "  --until TIME      stop at this simulated time (overrides duration), e.g. 1.5s\n"
    "  --trace FILE      JSON Lines event log; '-' writes it to stdout (the report\n"
    "                    then goes to stderr)\n"
    "  --pcap FILE       pcapng capture of every frame\n"
    "  --ladder          ASCII ladder diagram of the exchanges on stdout\n"
    "  --mermaid FILE    the ladder as a Mermaid sequence diagram\n"
    "  --svg FILE        the ladder as an SVG image\n"
    "  --stats           events, frames, bytes, drops, wall time, events/s, peak memory\n"
    "  --digest          print sha256:<hex> of the JSON Lines trace (even with --quiet)\n"
    "  --quiet           only errors and the final verdict\n"
    "  --event-limit N   stop a runaway world after N events (default 200000000; 0: none)\n"
    "  --max-frames N    most frames alive at once (default 1000000; 0: none); more is exit 3\n"
    "\n"
    "ladder options (--ladder, --mermaid, --svg):\n"
    "  --hosts A,B       columns to show, in this order\n"
    "  --conn NAME       only this connection (a client app id, or srv#1)\n"
    "  --from TIME       start of the time window\n"
    "  --to TIME         end of the time window\n"
    "  --width N         text columns (default 80)\n"
    "  --unicode         box-drawing arrows (default on a UTF-8 terminal)\n"
    "  colours are used on a terminal unless NO_COLOR is set\n"
    "\n"
    "The digest covers the events of the run; the expectation verdicts appended to\n"
    "the trace after the run are not part of it.\n"
    "Outputs are written whole or not at all: on an error no file is left behind.\n";

static const char check_help[] =
    "usage: tcpsim check PATH... [options]\n"
    "\n"
    "Runs every scenario (PATH: files, or folders searched recursively for *.json,\n"
    "skipping schema.json and subfolders named 'bad' or 'bench') and judges its expectations.\n"
    "Prints one TAP line per scenario, in file order, and 'N passed, N failed'.\n"
    "A scenario without expectations passes when it runs without error.\n"
    "Exit 1 when an expectation failed, 2 when a file is bad input.\n"
    "\n"
    "options:\n"
    "  -j N              run N scenarios at once (default: the number of CPUs)\n"
    "  --junit FILE      also write a JUnit XML report\n"
    "  --shard K/N       run only the K-th of N slices (file i when i % N == K-1)\n"
    "  --update-golden   rewrite the trace_sha256 values of the files in place\n"
    "  --seed N          override every scenario's seed\n"
    "  --until TIME      stop each run at this simulated time\n"
    "  --event-limit N   stop a runaway world after N events (default 200000000; 0: none)\n"
    "  --max-frames N    most frames alive at once (default 1000000; 0: none)\n"
    "  --quiet           print only the failures and the final count\n";

static const char validate_help[] =
    "usage: tcpsim validate PATH...\n"
    "\n"
    "Loads and validates scenarios (files, or folders searched like check does)\n"
    "without simulating.  Errors are printed as FILE:LINE:COL: error: PATH: message;\n"
    "exit 2 on any error.\n";

static const char viz_help[] =
    "usage: tcpsim viz SCENARIO.json [options]\n"
    "\n"
    "Runs a scenario and shows it in a window: the topology, packets moving along\n"
    "links, each connection's TCP state, the RFC 9293 state diagram and a ladder.\n"
    "Keys: space play/pause, left/right step, +/- speed, Home restart, H help,\n"
    "Esc or q quit.  The window and pictures come from the module tcpsim-viz-sdl.so,\n"
    "loaded from $TCPSIM_VIZ_MODULE, the build tree or the install location.\n"
    "\n"
    "options:\n"
    "  --seed N          override the scenario's seed\n"
    "  --until TIME      stop the run at this simulated time\n"
    "  --lang LANG       en (default) or ko\n"
    "  --png FILE        write one picture at --at TIME and exit (no display needed)\n"
    "  --at TIME         the time of the --png picture\n"
    "  --frames DIR      write frame00000.png ... for the whole run\n"
    "  --fps N           pictures per second of playback with --frames (default 30)\n"
    "  --speed X         simulated seconds per wall second (default 0.01)\n"
    "  --autoplay        start playing at once\n"
    "  --exit-at-end     close the window when the run has been played\n"
    "  --screenshot FILE on closing the window, save its last picture as PNG\n"
    "  --size WxH        window or picture size (default 1280x800)\n";

void cli_help_main(FILE *out)
{
    fputs(main_help, out);
}

bool cli_help_command(const char *cmd, FILE *out)
{
    static const struct {
        const char *name, *text;
    } helps[] = {
        {"run", run_help}, {"check", check_help}, {"validate", validate_help}, {"viz", viz_help}};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        if (strcmp(cmd, helps[i].name) == 0) {
            fputs(helps[i].text, out);
            return true;
        }
    }
    return false;
}
