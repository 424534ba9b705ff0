/* pubsuffix.h: the Public Suffix List's boundaries (see pubsuffix.c). */
#ifndef TLSPIN_PUBSUFFIX_H
#define TLSPIN_PUBSUFFIX_H

int pubsuffix_below(const char *name);

#endif
