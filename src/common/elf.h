/* What an executable needs to run: whether it can run anywhere (inside an
 * arbitrary image as berth's --init) or needs the host's libraries. */
#ifndef BERTH_COMMON_ELF_H
#define BERTH_COMMON_ELF_H

#include <stdbool.h>

/* True for an ELF64 executable without a program interpreter (static);
 * false for a dynamic one (the sanitizer build) or anything unreadable. */
bool elf_linked_statically(int fd);

#endif
