/* tail.h: follow a log file across rotation (see tail.c). */
#ifndef TLSPIN_TAIL_H
#define TLSPIN_TAIL_H

#include <stddef.h>
#include <stdint.h>

#define TAIL_LINE_MAX 8192	/* longer lines are cut and flagged */
#define TAIL_ERR_MAX 512

/*
 * Where the follower stands: the file (device, inode) and the byte
 * offset just after the last complete line handed out. Stored by the
 * learner in the same LMDB transaction as what those lines taught it.
 * HEAD is a hash of the file's first bytes (up to 1 KiB, never past
 * offset): inode numbers are reused once a rotated file is deleted, so
 * (dev, ino) alone can name a newer file. 0: not checked.
 */
struct tail_pos {
	uint64_t dev, ino, offset;
	uint64_t head;
};

struct tail;

/*
 * Open PATH. With RESUME (a position saved earlier): continue there if
 * PATH is still that file and at least that long; if PATH is a newer
 * file, first finish the rotated one (PATH.1 with RESUME's inode) when it
 * is still there; otherwise start PATH from 0 and say so in NOTE.
 * Without RESUME: start at the beginning of PATH. A missing PATH is not
 * an error: tail_next waits for it to appear. -1 with ERR on failure.
 */
int tail_open(struct tail **out, const char *path,
    const struct tail_pos *resume, char *note, size_t notesz,
    char *err, size_t errsz);

/*
 * The next complete line, without its '\n'. 1: *line and *len set (valid
 * until the next call), *cut set when the line was longer than
 * TAIL_LINE_MAX (the rest is skipped). 0: nothing new now (call again
 * later). -1: error (ERR). Handles rename+create rotation (the old file
 * is read to its end first, then PATH from 0) and copytruncate (PATH
 * shrank below our offset: restart at 0). A last line without '\n' is
 * returned only once the file has been rotated away.
 */
int tail_next(struct tail *t, const char **line, size_t *len, int *cut,
    char *err, size_t errsz);

/* Position just after the last line tail_next returned. */
void tail_position(const struct tail *t, struct tail_pos *pos);

/* Rotations seen and bytes skipped (truncations, vanished files). */
struct tail_stats {
	uint64_t rotations, truncations, lines, cut;
};
void tail_stats(const struct tail *t, struct tail_stats *st);

void tail_close(struct tail *t);

#endif
