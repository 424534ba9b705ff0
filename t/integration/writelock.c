/*
 * NAME
 *	writelock - hold LMDB's write lock on a store for writelock.t
 * SYNOPSIS
 *	writelock STORE
 * DESCRIPTION
 *	Opens the LMDB environment in the directory STORE, begins a write
 *	transaction (which takes LMDB's one write lock, as "tlspin import"
 *	or the learner's commits do), prints "held" on stdout and keeps the
 *	lock until it reads a newline or the end of stdin; then aborts the transaction, prints
 *	"released" and exits 0. The test decides how long the lock is held
 *	by when it closes our stdin, so no timing is guessed. Exits 1 with
 *	a message on stderr if the store cannot be opened or locked.
 */
#include "autoconf.h"

#include <lmdb.h>
#include <stdio.h>

int
main(int argc, char **argv)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	int rc, ch;

	if (argc != 2) {
		fprintf(stderr, "usage: writelock STORE\n");
		return 2;
	}
	rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 4);
	if (rc == 0)
		rc = mdb_env_open(env, argv[1], MDB_NOTLS, 0640);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, 0, &txn);
	if (rc != 0) {
		fprintf(stderr, "writelock: cannot lock store %s: %s\n",
		    argv[1], mdb_strerror(rc));
		return 1;
	}
	printf("held\n");
	fflush(stdout);
	while ((ch = getchar()) != EOF && ch != '\n')
		continue;
	mdb_txn_abort(txn);
	mdb_env_close(env);
	printf("released\n");
	return 0;
}
