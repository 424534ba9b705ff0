#include "autoconf.h"
#include "tap.h"
int main(void) { return tap_done(); }
