/*
 * LD_PRELOAD shim for the test server: Kamailio's db_sqlite opens its connections without a
 * busy timeout, so when two Kamailio processes write the sqlite database at the same moment
 * one of them fails at once with "database is locked" (an XCAP PUT would answer 500). This
 * wraps sqlite3_open_v2 and gives every connection a busy timeout, so writers wait for each
 * other instead. Built by start.sh into run/; Kamailio runs without it if no C compiler exists.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>

typedef struct sqlite3 sqlite3;
typedef int (*open_v2_fn)(const char *, sqlite3 **, int, const char *);
typedef int (*busy_timeout_fn)(sqlite3 *, int);

#define BUSY_TIMEOUT_MS 10000

int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs)
{
	static open_v2_fn real_open = NULL;
	static busy_timeout_fn busy_timeout = NULL;
	if (real_open == NULL) {
		/* libsqlite3 is loaded by db_sqlite.so before it opens a connection. */
		void *lib = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_NOLOAD);
		if (lib == NULL)
			lib = dlopen("libsqlite3.so.0", RTLD_NOW);
		if (lib == NULL)
			return 14; /* SQLITE_CANTOPEN */
		real_open = (open_v2_fn)dlsym(lib, "sqlite3_open_v2");
		busy_timeout = (busy_timeout_fn)dlsym(lib, "sqlite3_busy_timeout");
		if (real_open == NULL)
			return 14;
	}
	int rc = real_open(filename, db, flags, vfs);
	if (rc == 0 && busy_timeout != NULL && db != NULL && *db != NULL)
		busy_timeout(*db, BUSY_TIMEOUT_MS);
	return rc;
}
