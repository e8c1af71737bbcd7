/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Starting the guestfs appliance: KVM first; when the appliance cannot
 * start (nested virt, no usable /dev/kvm) or gives no answer within the
 * KVM timeout, the handle is recreated with backend setting force_tcg.
 * Launch progress goes to util/progress (a line on a terminal only).
 * A writable handle is given a fresh qcow2 overlay per disk, not the disks
 * (as virt-v2v does): the appliance's writes stay out of the images until
 * fixup_guestfs_commit() (volume-guestfs.c) puts them in through the undo
 * log.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "image/disk-io.h"
#include "image/volume-guestfs-internal.h"
#include "util.h"

/* ---- launch ------------------------------------------------------------- */

static void
gfs_event(guestfs_h *g, void *opaque, uint64_t event, int event_handle,
          int flags, const char *buf, size_t buf_len, const uint64_t *array,
          size_t array_len)
{
	struct fixup_guestfs *f = opaque;

	/* array: proc_nr, serial, position, total */
	if (event == GUESTFS_EVENT_PROGRESS && array_len >= 4 && f->progress &&
	    array[3] > 0)
		util_progress_update(f->progress,
		                     array[2] * GFS_LAUNCH_STEPS / array[3]);
}

/*
 * Watchdog of a KVM launch: guestfs_launch() cannot be interrupted through
 * the handle (it holds the handle's lock), so after the timeout the qemu
 * that libguestfs started as our child is killed; the launch then fails
 * and gfs_launch() retries with TCG.
 */
struct watchdog {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done, fired;
	unsigned seconds;
	pid_t self;
};

static void
kill_qemu_children(pid_t self)
{
	DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char path[64], buf[512], *close_paren, *comm;
		long ppid = 0;
		FILE *f;
		size_t n;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		/* "pid (comm) state ppid ..." */
		comm = strchr(buf, '(');
		close_paren = strrchr(buf, ')');
		if (!comm || !close_paren || close_paren < comm ||
		    sscanf(close_paren + 1, " %*c %ld", &ppid) != 1)
			continue;
		if (ppid == (long)self &&
		    strncmp(comm + 1, "qemu-system", 11) == 0)
			(void)kill((pid_t)atol(de->d_name), SIGKILL);
	}
	closedir(d);
}

static void *
watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	struct timespec deadline;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += w->seconds;
	pthread_mutex_lock(&w->lock);
	while (!w->done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&w->cond, &w->lock, &deadline);
	if (!w->done) {
		w->fired = true;
		kill_qemu_children(w->self);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static unsigned
kvm_timeout(void)
{
	const char *e = getenv("IMGFIX_GUESTFS_KVM_TIMEOUT");
	uint32_t v;

	if (e && util_parse_u32(e, &v) == 0 && v > 0 && v < 86400)
		return v;
	return GFS_KVM_TIMEOUT_S;
}

/* guestfs_launch() under the watchdog; *ret_timed_out when it fired. */
static int
launch_watched(guestfs_h *g, bool *ret_timed_out)
{
	struct watchdog w = {
	        .lock = PTHREAD_MUTEX_INITIALIZER,
	        .cond = PTHREAD_COND_INITIALIZER,
	        .seconds = kvm_timeout(),
	        .self = getpid(),
	};
	pthread_t t;
	bool watched;
	int r;

	watched = pthread_create(&t, NULL, watchdog_main, &w) == 0;
	r = sym_guestfs_launch(g);
	if (watched) {
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(t, NULL);
	}
	*ret_timed_out = w.fired;
	return r;
}

static bool
env_forces_tcg(void)
{
	const char *s = getenv("LIBGUESTFS_BACKEND_SETTINGS");

	return s && strstr(s, GFS_TCG_SETTING);
}

/* ---- the overlays of a writable handle --------------------------------- */

void
gfs_overlays_remove(struct fixup_guestfs *f)
{
	if (f->tmpdir)
		(void)util_rmdtemp(f->tmpdir);
	free(f->tmpdir);
	f->tmpdir = NULL;
	util_strv_free(f->overlays);
	f->overlays = NULL;
}

/* The format of the image at path: f->format, or detected from its header
 * (format.c: qemu never probes).  -EROFS for a format that cannot be
 * written in place. */
static int
base_format(struct fixup_guestfs *f, const char *path, const char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	bool ro = false;
	int r;

	if (f->format) {
		*ret = f->format;
		return 0;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return fixup_set_error(-errno, "%s: cannot open: %s", path,
		                       strerror(errno));
	r = fixup_format_detect(fd, path, ret, &ro);
	if (r < 0)
		return r;
	if (ro)
		return fixup_set_error(-EROFS,
		                       "%s: a streamOptimized vmdk cannot be "
		                       "written in place; convert it first "
		                       "(qemu-img convert -O vmdk -o "
		                       "subformat=monolithicSparse)",
		                       path);
	return 0;
}

/*
 * A fresh qcow2 overlay per disk, backed by the disk (absolute path,
 * backing format given), in a private directory: the appliance writes
 * there and the disks stay untouched until fixup_guestfs_commit().
 * Recreated for each launch attempt (a failed KVM launch leaves nothing
 * worth keeping).
 */
static int
gfs_overlays_create(struct fixup_guestfs *f, guestfs_h *g)
{
	size_t n = 1 + util_strv_length(f->more);
	int r;

	if (!f->tmpdir) {
		r = util_mkdtemp("guestfs", &f->tmpdir);
		if (r < 0)
			return fixup_set_error(r,
			                       "%s: cannot create a temporary "
			                       "directory for the overlays: %s",
			                       f->path, strerror(-r));
	}
	util_strv_free(f->overlays);
	f->overlays = calloc(n + 1, sizeof(char *));
	if (!f->overlays)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const char *p = i == 0 ? f->path : f->more[i - 1];
		_cleanup_free_ char *base = realpath(p, NULL);
		const char *fmt;

		if (!base)
			return fixup_set_error(-errno, "%s: %s", p,
			                       strerror(errno));
		r = base_format(f, base, &fmt);
		if (r < 0)
			return r;
		if (util_asprintf(&f->overlays[i], "%s/disk%zu.qcow2",
		                  f->tmpdir, i) < 0)
			return -ENOMEM;
		(void)unlink(f->overlays[i]);
		if (sym_guestfs_disk_create(
		            g, f->overlays[i], "qcow2", -1,
		            GUESTFS_DISK_CREATE_BACKINGFILE, base,
		            GUESTFS_DISK_CREATE_BACKINGFORMAT, fmt, -1) < 0)
			return fixup_set_error(-EIO,
			                       "%s: cannot create its qcow2 "
			                       "overlay: %s",
			                       p, sym_guestfs_last_error(g));
	}
	return 0;
}

/* A configured handle with the image added: the disks themselves when
 * read-only, their overlays when writable. */
static int
gfs_handle(struct fixup_guestfs *f, bool tcg)
{
	guestfs_h *g = sym_guestfs_create();
	int r;

	if (!g)
		return fixup_set_error(-ENOMEM,
		                       "%s: cannot create a libguestfs handle",
		                       f->path);
	sym_guestfs_set_error_handler(g, NULL, NULL);
	if (f->flags & FIXUP_OPEN_VERBOSE) {
		(void)sym_guestfs_set_verbose(g, 1);
		(void)sym_guestfs_set_trace(g, 1);
	}
	if (tcg) {
		char *settings[] = {(char *)GFS_TCG_SETTING, NULL};

		(void)sym_guestfs_set_backend_settings(g, settings);
	}
	r = sym_guestfs_set_event_callback(g, gfs_event, GUESTFS_EVENT_PROGRESS,
	                                   0, f);
	if (r < 0) {
		sym_guestfs_close(g);
		return -ENOMEM;
	}
	if (f->writable) {
		r = gfs_overlays_create(f, g);
		if (r < 0) {
			sym_guestfs_close(g);
			return r;
		}
	}
	for (size_t i = 0; i <= util_strv_length(f->more); i++) {
		const char *p = i == 0 ? f->path : f->more[i - 1];

		if (f->writable)
			r = sym_guestfs_add_drive_opts(
			        g, f->overlays[i],
			        GUESTFS_ADD_DRIVE_OPTS_FORMAT, "qcow2",
			        GUESTFS_ADD_DRIVE_OPTS_READONLY, 0, -1);
		else if (f->format)
			r = sym_guestfs_add_drive_opts(
			        g, p, GUESTFS_ADD_DRIVE_OPTS_FORMAT, f->format,
			        GUESTFS_ADD_DRIVE_OPTS_READONLY,
			        f->writable ? 0 : 1, -1);
		else
			r = sym_guestfs_add_drive_opts(
			        g, p, GUESTFS_ADD_DRIVE_OPTS_READONLY,
			        f->writable ? 0 : 1, -1);
		if (r < 0) {
			r = fixup_set_error(-EINVAL,
			                    "%s: libguestfs cannot add it: %s",
			                    p, sym_guestfs_last_error(g));
			sym_guestfs_close(g);
			return r;
		}
	}
	f->g = g;
	return 0;
}

int
gfs_launch(struct fixup_guestfs *f)
{
	_cleanup_free_ char *first = NULL;
	bool tcg = env_forces_tcg();
	int r;

	for (;;) {
		r = gfs_handle(f, tcg);
		if (r < 0)
			return r;
		bool timed_out = false;

		(void)util_progress_start("guestfs appliance", GFS_LAUNCH_STEPS,
		                          &f->progress);
		if (tcg)
			r = sym_guestfs_launch(f->g);
		else
			r = launch_watched(f->g, &timed_out);
		f->progress = util_progress_end(f->progress);
		if (r >= 0)
			return 0;
		if (!first && timed_out)
			(void)util_asprintf(&first,
			                    "no answer within %u s with KVM",
			                    kvm_timeout());
		else if (!first)
			first = strdup(sym_guestfs_last_error(f->g)
			                       ? sym_guestfs_last_error(f->g)
			                       : "unknown error");
		sym_guestfs_close(f->g);
		f->g = NULL;
		if (tcg)
			break;
		/* KVM did not work (nested virt, /dev/kvm unusable): TCG. */
		log_info("guestfs: the appliance did not start with KVM (%s); "
		         "retrying with TCG (slower)",
		         first ? first : "?");
		tcg = true;
	}
	return fixup_set_error(-ENXIO,
	                       "%s: the libguestfs appliance cannot start: %s "
	                       "(run 'libguestfs-test-tool' to diagnose; "
	                       "Debian needs the packages supermin and "
	                       "linux-image-amd64)",
	                       f->path, first ? first : "unknown error");
}
