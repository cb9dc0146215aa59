#ifndef BERTH_CLI_INIT_H
#define BERTH_CLI_INIT_H

/* The `berth-init` entry point (see init.c). */
int berth_init_main(int argc, char **argv);

#endif
