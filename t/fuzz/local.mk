# automake fragment for t/fuzz (included from Makefile.am)
