/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loads libguestfs at run time (see guestfs-dl.h): dlopen() of
 * libguestfs.so.0 on the first use of the guestfs backend, dlsym() of
 * every function the backend calls.  The library stays loaded for the
 * life of the process (RTLD_NODELETE; the handle is never closed once the
 * symbols are resolved): libguestfs keeps process-wide state (atexit
 * handlers that close open handles) that must not be unmapped.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "image/guestfs-dl.h"
#include "util.h"
#include "image/volume.h"

#define FIXUP_GUESTFS_DL_DEFINE(f) typeof(f) *sym_##f;
FIXUP_GUESTFS_DL_SYMBOLS(FIXUP_GUESTFS_DL_DEFINE)
#undef FIXUP_GUESTFS_DL_DEFINE

struct dl_symbol {
	const char *name;
	void **ptr;
};

/* The pointer is written through void ** (as systemd's dlopen helpers do):
 * ISO C has no conversion from dlsym()'s void * to a function pointer. */
#define FIXUP_GUESTFS_DL_ENTRY(f) {#f, (void **)&sym_##f},
static const struct dl_symbol dl_symbols[] = {
        FIXUP_GUESTFS_DL_SYMBOLS(FIXUP_GUESTFS_DL_ENTRY)};
#undef FIXUP_GUESTFS_DL_ENTRY

static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;
static bool dl_loaded;

static void
dl_reset(void)
{
	for (size_t i = 0; i < ELEMENTSOF(dl_symbols); i++)
		*dl_symbols[i].ptr = NULL;
}

static int
dl_load(void)
{
	const char *lib = secure_getenv(FIXUP_GUESTFS_DL_ENV);
	const char *err;
	void *h;

	if (!lib || !*lib)
		lib = FIXUP_GUESTFS_DL_LIBRARY;
	h = dlopen(lib, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!h) {
		err = dlerror();
		return fixup_set_error(-EOPNOTSUPP,
		                       "the guestfs backend needs libguestfs "
		                       "(%s); install libguestfs0",
		                       err ? err : lib);
	}
	for (size_t i = 0; i < ELEMENTSOF(dl_symbols); i++) {
		(void)dlerror();
		*dl_symbols[i].ptr = dlsym(h, dl_symbols[i].name);
		if (*dl_symbols[i].ptr)
			continue;
		/* "<path>: undefined symbol: guestfs_..." */
		err = dlerror();
		(void)fixup_set_error(-EOPNOTSUPP,
		                      "the guestfs backend needs libguestfs "
		                      "1.48 or later (%s: %s); install "
		                      "libguestfs0",
		                      lib, err ? err : dl_symbols[i].name);
		dl_reset();
		(void)dlclose(h);
		return -EOPNOTSUPP;
	}
	/* h is deliberately kept: the library stays for the process. */
	return 0;
}

int
fixup_guestfs_dl_open(void)
{
	int r = 0;

	pthread_mutex_lock(&dl_lock);
	if (!dl_loaded) {
		r = dl_load();
		dl_loaded = r >= 0;
	}
	pthread_mutex_unlock(&dl_lock);
	return r;
}
