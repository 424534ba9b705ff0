/* learnchild.h: the learner process's whole life (see learnchild.c). */
#ifndef TLSPIN_LEARNCHILD_H
#define TLSPIN_LEARNCHILD_H

#include "config.h"

void learnchild_main(const struct config *cfg, int hint_fd, int launcher)
    __attribute__((noreturn));

#endif
