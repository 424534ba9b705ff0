/*
 * NAME
 *	driver - replay saved inputs through a fuzz target without libFuzzer
 * SYNOPSIS
 *	replay-TARGET [-q] PATH...
 * DESCRIPTION
 *	Each fuzz target (fuzz-*.c) is also linked with this file into a
 *	plain program, built by the normal compiler for "make check". It
 *	calls LLVMFuzzerTestOneInput() once for every file named on the
 *	command line and every regular file in a directory named there
 *	(in name order, so a failure is reproducible), then prints how
 *	many inputs it ran. A broken property aborts, so the exit status
 *	says whether every saved input still passes: a crash once found by
 *	the fuzzer stays fixed.
 *
 *	Without AddressSanitizer a read just past the end of a buffer goes
 *	unnoticed, yet "never reads past len" is what the parsers promise.
 *	So each input is copied to the very end of a mapping whose next
 *	page is inaccessible: reading one byte too far faults in any build.
 *
 *	-q prints nothing but errors. Exit status: 0 all inputs ran, 1 an
 *	input or directory could not be read, 2 usage.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static int driver_quiet;
static unsigned long driver_count;

/* Run one input, placed right before an inaccessible guard page. */
static void
driver_run(const unsigned char *data, size_t size)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t span = (size + page - 1) / page * page;
	unsigned char *map;

	map = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "replay: cannot map %zu bytes: %s\n",
		    span + page, strerror(errno));
		exit(1);
	}
	if (mprotect(map + span, page, PROT_NONE) != 0) {
		fprintf(stderr, "replay: cannot protect the guard page: %s\n",
		    strerror(errno));
		exit(1);
	}
	if (size > 0)
		memcpy(map + span - size, data, size);
	LLVMFuzzerTestOneInput(map + span - size, size);
	munmap(map, span + page);
	driver_count++;
}

/* Read the file at path and run it; 0 if it could not be read. */
static int
driver_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int ok;

	f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path,
		    strerror(errno));
		return 0;
	}
	for (;;) {
		if (len == cap) {
			unsigned char *more;

			cap = cap ? cap * 2 : 4096;
			more = realloc(buf, cap);
			if (more == NULL) {
				fprintf(stderr, "replay: out of memory reading "
				    "%s\n", path);
				free(buf);
				fclose(f);
				return 0;
			}
			buf = more;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	ok = !ferror(f);
	fclose(f);
	if (!ok)
		fprintf(stderr, "replay: cannot read %s: %s\n", path,
		    strerror(errno));
	else {
		if (!driver_quiet)
			fprintf(stderr, "replay: %s\n", path);
		driver_run(buf, len);
	}
	free(buf);
	return ok;
}

/* Skip dot files (editor droppings, .gitignore) in a corpus directory. */
static int
driver_visible(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Run every regular file in directory dir, in name order. */
static int
driver_dir(const char *dir)
{
	struct dirent **names;
	struct stat st;
	char path[4096];
	int n, i, ok = 1;

	n = scandir(dir, &names, driver_visible, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list %s: %s\n", dir,
		    strerror(errno));
		return 0;
	}
	for (i = 0; i < n; i++) {
		int w = snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name);

		if (w < 0 || (size_t)w >= sizeof(path)) {
			fprintf(stderr, "replay: path too long in %s\n", dir);
			ok = 0;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    !driver_file(path))
			ok = 0;
		free(names[i]);
	}
	free(names);
	return ok;
}

int
main(int argc, char **argv)
{
	struct stat st;
	int i = 1, ok = 1;

	if (argc > 1 && strcmp(argv[1], "-q") == 0) {
		driver_quiet = 1;
		i++;
	}
	if (i == argc) {
		fprintf(stderr, "usage: %s [-q] FILE-OR-DIRECTORY...\n",
		    argv[0]);
		return 2;
	}
	for (; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot find %s: %s\n", argv[i],
			    strerror(errno));
			ok = 0;
		} else if (S_ISDIR(st.st_mode))
			ok &= driver_dir(argv[i]);
		else
			ok &= driver_file(argv[i]);
	}
	printf("replayed %lu inputs\n", driver_count);
	return ok ? 0 : 1;
}
