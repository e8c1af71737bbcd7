/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guestfs volume backend: the slow, complete road.  One libguestfs
 * handle per image (any format qemu reads: qcow2, vmdk, vhd(x), raw ...);
 * LVM, LUKS (with keys) and btrfs subvolumes are found by the appliance.
 * Each filesystem is a "partition" of the image; a volume mounts its
 * filesystem at the appliance's "/" on demand (one at a time per handle),
 * with the guest's other filesystems at their fstab mount points when it
 * is an operating system root, so that paths are guest paths and
 * guestfs_command() runs inside the guest root.  The daemon resolves every
 * path chrooted into the mounted guest, so guest symlinks stay inside it.
 *
 * Launch: KVM first; when the appliance cannot start (nested virt, no
 * usable /dev/kvm) the handle is recreated with backend setting force_tcg.
 * Launch progress goes to util/progress (a line on a terminal only).
 *
 * libguestfs is not linked: fixup_guestfs_open(), the only way to a
 * handle, loads it first (guestfs-dl.h), and every call goes through its
 * sym_guestfs_* pointers.  The other entry points need a handle or a
 * volume of one, so libguestfs is loaded by the time they run.
 *
 * Written against libguestfs 1.48 (Debian 12).  <guestfs.h> is included in
 * this file and guestfs-dl.{h,c} only.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <guestfs.h>

#include "image/guestfs-dl.h"
#include "util.h"
#include "image/volume-guestfs.h"

#define GFS_CHUNK (1024u * 1024) /* pread / small write limit */
#define GFS_MAX_FILESYSTEMS FIXUP_MAX_PARTITIONS
#define GFS_MAX_MOUNTPOINTS 64u
#define GFS_LAUNCH_STEPS 12u /* libguestfs reports launch in 12ths */
#define GFS_TCG_SETTING "force_tcg"
/* A KVM launch taking longer than this is taken as KVM not working (nested
 * virt can leave qemu spinning instead of failing); TCG is tried next.
 * $IMGFIX_GUESTFS_KVM_TIMEOUT (seconds) overrides it. */
#define GFS_KVM_TIMEOUT_S 60u

struct fixup_guestfs {
	guestfs_h *g;
	char *path;
	char **more; /* further disks of the guest */
	char *format;
	bool writable;
	unsigned flags;
	char **devices; /* mountables, as guestfs_list_filesystems says */
	char **fstypes;
	size_t n;
	char **roots;    /* guestfs_inspect_os() */
	char *disk;      /* the image's whole-disk device ("/dev/sda") */
	ssize_t mounted; /* filesystem mounted at "/", -1 none */
	struct util_progress *progress;
};

struct gfs_vol {
	struct fixup_guestfs *gfs;
	size_t index;
};

static const struct fixup_volume_ops gfs_ops;

/* ---- errors ------------------------------------------------------------- */

/* The errno of the failed call (daemon-side errno when it has one). */
static int
gfs_errno(guestfs_h *g)
{
	int e = sym_guestfs_last_errno(g);

	return e > 0 ? -e : -EIO;
}

static int
gfs_fail(struct fixup_guestfs *f, const char *what, const char *path)
{
	int r = gfs_errno(f->g);
	const char *msg = sym_guestfs_last_error(f->g);

	if (r == -ENOENT || r == -EEXIST || r == -ENOTDIR)
		return r;
	return fixup_set_error(r, "%s (guestfs): %s %s: %s", f->path, what,
	                       path ? path : "", msg ? msg : strerror(-r));
}

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

/* A configured handle with the image added. */
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
	for (size_t i = 0; i <= util_strv_length(f->more); i++) {
		const char *p = i == 0 ? f->path : f->more[i - 1];

		if (f->format)
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

static int
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

/* ---- discovery ---------------------------------------------------------- */

/* True when the --key selector sel names the LUKS device dev. */
static bool
key_selects(const char *sel, const char *dev, const char *uuid)
{
	return streq(sel, "all") || streq(sel, dev) ||
	       (uuid && *uuid && strcaseeq(sel, uuid));
}

/* Opens every LUKS device with the keys that select it, then activates
 * LVM.  A device no key selects or opens is -ENOKEY: its filesystems
 * would be missing from the inspection without a word. */
static int
gfs_unlock(struct fixup_guestfs *f, char *const *keys)
{
	char **fs = NULL;
	size_t opened = 0;
	int r = 0;

	fs = sym_guestfs_list_filesystems(f->g);
	if (!fs)
		return gfs_fail(f, "cannot list filesystems", NULL);
	for (size_t i = 0; r >= 0 && fs[i] && fs[i + 1]; i += 2) {
		_cleanup_free_ char *uuid = NULL;
		bool tried = false, ok = false;
		char map[32];

		if (!streq(fs[i + 1], "crypto_LUKS"))
			continue;
		uuid = sym_guestfs_vfs_uuid(f->g, fs[i]);
		snprintf(map, sizeof(map), "imgfix-luks%zu", opened);
		for (size_t k = 0; !ok && keys && keys[k] && keys[k + 1];
		     k += 2) {
			if (!key_selects(keys[k], fs[i], uuid))
				continue;
			tried = true;
			ok = sym_guestfs_cryptsetup_open(
			             f->g, fs[i], keys[k + 1], map, -1) >= 0;
		}
		if (ok) {
			opened++;
			continue;
		}
		if (tried)
			r = fixup_set_error(
			        -ENOKEY,
			        "%s: %s is encrypted (LUKS UUID %s) "
			        "and the key(s) given for it do not "
			        "open it",
			        f->path, fs[i], uuid ? uuid : "?");
		else
			r = fixup_set_error(
			        -ENOKEY,
			        "%s: %s is encrypted (LUKS UUID %s): "
			        "give its key with --key %s:key:KEY "
			        "or --key %s:file:FILE",
			        f->path, fs[i], uuid ? uuid : "?", fs[i],
			        uuid ? uuid : fs[i]);
	}
	util_strv_free(fs);
	if (r < 0)
		return r;
	if (opened > 0 && sym_guestfs_lvm_scan(f->g, 1) < 0)
		return gfs_fail(f, "cannot activate LVM on the opened LUKS",
		                "devices");
	return 0;
}

static int
gfs_discover(struct fixup_guestfs *f)
{
	char **devs = sym_guestfs_list_devices(f->g);
	char **fs, **roots;

	if (!devs || !devs[0]) {
		util_strv_free(devs);
		return gfs_fail(f, "cannot find the disk device", NULL);
	}
	f->disk = strdup(devs[0]);
	util_strv_free(devs);
	if (!f->disk)
		return -ENOMEM;
	fs = sym_guestfs_list_filesystems(f->g);
	if (!fs)
		return gfs_fail(f, "cannot list filesystems", NULL);
	for (size_t i = 0; fs[i] && fs[i + 1]; i += 2) {
		const char *t = fs[i + 1];

		if (streq(t, "swap") || streq(t, "unknown") ||
		    streq(t, "crypto_LUKS") || streq(t, "LVM2_member"))
			continue;
		if (f->n >= GFS_MAX_FILESYSTEMS)
			break;
		if (util_strv_push(&f->devices, fs[i]) < 0 ||
		    util_strv_push(&f->fstypes, t) < 0) {
			util_strv_free(fs);
			return -ENOMEM;
		}
		f->n++;
	}
	util_strv_free(fs);
	/* Inspection: which filesystems are OS roots (none is fine). */
	roots = sym_guestfs_inspect_os(f->g);
	f->roots = roots ? roots : calloc(1, sizeof(char *));
	return f->roots ? 0 : -ENOMEM;
}

int
fixup_guestfs_open(const char *path, char *const *more, const char *format,
                   char *const *keys, unsigned flags,
                   struct fixup_guestfs **ret)
{
	struct fixup_guestfs *f;
	int r;

	fixup_clear_error();
	r = fixup_guestfs_dl_open();
	if (r < 0)
		return r;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->mounted = -1;
	f->flags = flags;
	f->writable = (flags & FIXUP_OPEN_WRITE) != 0;
	f->path = strdup(path);
	f->format = format ? strdup(format) : NULL;
	f->more = util_strv_copy(more);
	if (!f->path || (format && !f->format) || (more && !f->more)) {
		r = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i <= util_strv_length(more); i++) {
		const char *p = i == 0 ? path : more[i - 1];

		if (access(p, f->writable ? R_OK | W_OK : R_OK) < 0) {
			r = fixup_set_error(-errno, "%s: %s", p,
			                    strerror(errno));
			goto fail;
		}
	}
	r = gfs_launch(f);
	if (r < 0)
		goto fail;
	r = gfs_unlock(f, keys);
	if (r >= 0)
		r = gfs_discover(f);
	if (r < 0)
		goto fail;
	*ret = f;
	return 0;
fail:
	(void)fixup_guestfs_close(f);
	return r;
}

int
fixup_guestfs_close(struct fixup_guestfs *f)
{
	bool writable;
	int r = 0;

	if (!f)
		return 0;
	writable = f->writable;
	if (f->g) {
		if (f->mounted >= 0 && sym_guestfs_umount_all(f->g) < 0)
			r = gfs_fail(f, "cannot unmount", "the filesystems");
		if (sym_guestfs_shutdown(f->g) < 0 && r == 0)
			r = gfs_fail(f, "cannot shut the appliance down", NULL);
		sym_guestfs_close(f->g);
	}
	util_progress_end(f->progress);
	util_strv_free(f->devices);
	util_strv_free(f->fstypes);
	util_strv_free(f->roots);
	free(f->disk);
	free(f->format);
	util_strv_free(f->more);
	free(f->path);
	free(f);
	return writable ? r : 0;
}

size_t
fixup_guestfs_n_filesystems(const struct fixup_guestfs *f)
{
	return f->n;
}

const char *
fixup_guestfs_device(const struct fixup_guestfs *f, size_t i)
{
	return i < f->n ? f->devices[i] : NULL;
}

const char *
fixup_guestfs_fstype(const struct fixup_guestfs *f, size_t i)
{
	return i < f->n ? f->fstypes[i] : NULL;
}

/* ---- mounting ----------------------------------------------------------- */

static int
mount_one(struct fixup_guestfs *f, const char *dev, const char *where)
{
	int r = f->writable ? sym_guestfs_mount(f->g, dev, where)
	                    : sym_guestfs_mount_ro(f->g, dev, where);

	if (r < 0)
		return fixup_set_error(
		        gfs_errno(f->g),
		        "%s (guestfs): cannot mount %s on %s: %s", f->path, dev,
		        where, sym_guestfs_last_error(f->g));
	return 0;
}

static int
cmp_mountpoint(const void *a, const void *b)
{
	/* pairs (mountpoint, device): shorter mount points first */
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(x[0]), ly = strlen(y[0]);

	return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x[0], y[0]);
}

/* Mounts the guest's other filesystems under the OS root dev. */
static int
mount_submounts(struct fixup_guestfs *f, const char *root)
{
	char **mp = sym_guestfs_inspect_get_mountpoints(f->g, root);
	size_t n;
	int r = 0;

	if (!mp)
		return gfs_fail(f, "cannot read the mount points of", root);
	n = util_strv_length(mp) / 2;
	if (n > GFS_MAX_MOUNTPOINTS) {
		util_strv_free(mp);
		return fixup_set_error(-E2BIG,
		                       "%s (guestfs): %s has %zu mount points "
		                       "(limit %u)",
		                       f->path, root, n, GFS_MAX_MOUNTPOINTS);
	}
	qsort(mp, n, 2 * sizeof(char *), cmp_mountpoint);
	for (size_t i = 0; i < n && r >= 0; i++) {
		const char *where = mp[2 * i], *dev = mp[2 * i + 1];

		if (streq(where, "/") || where[0] != '/')
			continue;
		if (sym_guestfs_is_dir_opts(f->g, where, -1) <= 0)
			continue; /* fstab names a place the root lacks */
		r = mount_one(f, dev, where);
	}
	util_strv_free(mp);
	return r;
}

static bool
is_root(const struct fixup_guestfs *f, const char *dev)
{
	return util_strv_contains(f->roots, dev);
}

/* Makes filesystem i the one at "/". */
static int
gfs_mount(struct fixup_guestfs *f, size_t i)
{
	int r;

	if (f->mounted == (ssize_t)i)
		return 0;
	if (f->mounted >= 0) {
		if (f->writable && sym_guestfs_sync(f->g) < 0)
			return gfs_fail(f, "cannot sync", NULL);
		if (sym_guestfs_umount_all(f->g) < 0)
			return gfs_fail(f, "cannot unmount", "the filesystems");
		f->mounted = -1;
	}
	r = mount_one(f, f->devices[i], "/");
	if (r < 0)
		return r;
	f->mounted = (ssize_t)i;
	if (is_root(f, f->devices[i])) {
		r = mount_submounts(f, f->devices[i]);
		if (r < 0) {
			(void)sym_guestfs_umount_all(f->g);
			f->mounted = -1;
			return r;
		}
	}
	return 0;
}

/* ---- the disk layout as libguestfs sees it ------------------------------ */

#define GPT_ESP_TYPE "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

static char *
upper(char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

static ssize_t
fs_index(const struct fixup_guestfs *f, const char *dev)
{
	for (size_t i = 0; i < f->n; i++)
		if (streq(f->devices[i], dev))
			return (ssize_t)i;
	return -1;
}

/* Fills one layout entry of a partition (number > 0) or filesystem. */
static int
fill_part(struct fixup_guestfs *f, const char *dev, const char *style, int num,
          const struct guestfs_partition *gp, struct fixup_partition *p)
{
	ssize_t k = fs_index(f, dev);
	int64_t size;

	p->number = num > 0 ? (unsigned)num : 0;
	if (gp) {
		p->start = gp->part_start;
		p->size = gp->part_size;
	} else {
		size = sym_guestfs_blockdev_getsize64(f->g, dev);
		p->size = size > 0 ? (uint64_t)size : 0;
	}
	if (num > 0 && streq(style, "msdos")) {
		int id = sym_guestfs_part_get_mbr_id(f->g, f->disk, num);

		if (id >= 0 && util_asprintf(&p->type, "0x%02x", id) < 0)
			return -ENOMEM;
		p->bootable =
		        sym_guestfs_part_get_bootable(f->g, f->disk, num) > 0;
	} else if (num > 0 && streq(style, "gpt")) {
		p->type = upper(
		        sym_guestfs_part_get_gpt_type(f->g, f->disk, num));
		p->uuid = upper(
		        sym_guestfs_part_get_gpt_guid(f->g, f->disk, num));
		p->esp = p->type && streq(p->type, GPT_ESP_TYPE);
	}
	if (k >= 0) {
		p->fstype = strdup(f->fstypes[k]);
		if (!p->fstype)
			return -ENOMEM;
		p->label = sym_guestfs_vfs_label(f->g, dev);
		if (p->label && !*p->label) {
			free(p->label);
			p->label = NULL;
		}
	} else {
		char *t = sym_guestfs_vfs_type(f->g, dev);

		if (t && *t)
			p->fstype = t;
		else
			free(t);
	}
	return 0;
}

/*
 * The image's layout as libguestfs sees it: the partitions of the disk's
 * table in table order (MBR signature / GPT GUID, offsets, types, like
 * fixup_probe_disk()), then the filesystems that are no partition (LVM
 * logical volumes, LUKS mappings, btrfs subvolumes, a whole-disk
 * filesystem) as entries with number 0.  (*ret_fs)[i] is the filesystem
 * index (for fixup_volume_guestfs_open()) of entry i, or -1 when it holds
 * none.  Free with fixup_disk_layout_done() and free().
 */
static int
gfs_layout(void *src, struct fixup_disk_layout *ret, ssize_t **ret_fs)
{
	struct fixup_guestfs *f = src;
	struct fixup_disk_layout l = {0};
	_cleanup_free_ ssize_t *map = NULL;
	_cleanup_free_ char *style = NULL;
	struct guestfs_partition_list *pl = NULL;
	bool *covered = NULL;
	size_t max;
	int64_t size;
	int r = 0;

	size = sym_guestfs_blockdev_getsize64(f->g, f->disk);
	if (size < 0)
		return gfs_fail(f, "cannot read the size of", f->disk);
	l.size = (uint64_t)size;
	style = sym_guestfs_part_get_parttype(f->g, f->disk);
	if (style)
		pl = sym_guestfs_part_list(f->g, f->disk);
	if (style && !pl)
		return gfs_fail(f, "cannot read the partition table of",
		                f->disk);
	max = (pl ? pl->len : 0) + f->n;
	if (max > FIXUP_MAX_PARTITIONS)
		max = FIXUP_MAX_PARTITIONS;
	l.parts = calloc(max ? max : 1, sizeof(*l.parts));
	map = calloc(max ? max : 1, sizeof(*map));
	covered = calloc(f->n ? f->n : 1, sizeof(*covered));
	if (!l.parts || !map || !covered) {
		r = -ENOMEM;
		goto out;
	}
	if (style && streq(style, "msdos")) {
		size_t n = 0;
		char *sig = sym_guestfs_pread_device(f->g, f->disk, 4, 440, &n);

		l.style = FIXUP_DISK_MBR;
		if (sig && n == 4)
			l.mbr_signature = util_le32(sig);
		free(sig);
	} else if (style && streq(style, "gpt")) {
		l.style = FIXUP_DISK_GPT;
		l.gpt_guid =
		        upper(sym_guestfs_part_get_disk_guid(f->g, f->disk));
	}
	/* The partitions of the table, in table order. */
	for (size_t i = 0; pl && i < pl->len && l.n_parts < max; i++) {
		const struct guestfs_partition *gp = &pl->val[i];
		_cleanup_free_ char *dev = NULL;
		ssize_t k;

		if (gp->part_num <= 0 ||
		    util_asprintf(&dev, "%s%d", f->disk, gp->part_num) < 0) {
			r = gp->part_num <= 0 ? -EBADMSG : -ENOMEM;
			goto out;
		}
		r = fill_part(f, dev, style, gp->part_num, gp,
		              &l.parts[l.n_parts]);
		if (r < 0)
			goto out;
		k = fs_index(f, dev);
		map[l.n_parts++] = k;
		if (k >= 0)
			covered[k] = true;
	}
	/* Then the filesystems that are no partition: a whole-disk
	 * filesystem, LVM logical volumes, LUKS mappings, btrfs
	 * subvolumes. */
	for (size_t k = 0; k < f->n && l.n_parts < max; k++) {
		if (covered[k])
			continue;
		r = fill_part(f, f->devices[k], style ? style : "", 0, NULL,
		              &l.parts[l.n_parts]);
		if (r < 0)
			goto out;
		map[l.n_parts++] = (ssize_t)k;
	}
	*ret = l;
	l = (struct fixup_disk_layout){0};
	*ret_fs = TAKE_PTR(map);
out:
	if (pl)
		sym_guestfs_free_partition_list(pl);
	free(covered);
	fixup_disk_layout_done(&l);
	return r;
}

/* Raw device I/O in chunks the protocol carries. */
static int
device_io(struct fixup_guestfs *f, const char *dev, bool write, uint64_t off,
          void *buf, size_t len)
{
	size_t done = 0;

	if (write && !f->writable)
		return -EROFS;
	if (off > INT64_MAX || len > INT64_MAX - off)
		return -EINVAL;
	if (write && f->mounted >= 0 && sym_guestfs_sync(f->g) < 0)
		return gfs_fail(f, "cannot sync", NULL);
	while (done < len) {
		size_t want = MIN(len - done, (size_t)GFS_CHUNK), got = 0;
		char *p;

		if (write) {
			int n = sym_guestfs_pwrite_device(
			        f->g, dev, (const char *)buf + done, want,
			        (int64_t)(off + done));

			if (n <= 0)
				return gfs_fail(f, "cannot write to", dev);
			done += (size_t)n;
			continue;
		}
		p = sym_guestfs_pread_device(f->g, dev, (int)want,
		                             (int64_t)(off + done), &got);
		if (!p)
			return gfs_fail(f, "cannot read from", dev);
		if (got == 0 || got > want) {
			free(p);
			return -EIO;
		}
		memcpy((uint8_t *)buf + done, p, got);
		free(p);
		done += got;
	}
	return 0;
}

/* Raw I/O on the whole disk device (MBR, GPT).  Writes need a writable
 * handle; they reach the image directly (no overlay). */
static int
gfs_disk_io(void *src, bool write, uint64_t off, void *buf, size_t len)
{
	struct fixup_guestfs *f = src;

	return device_io(f, f->disk, write, off, buf, len);
}

/* Raw I/O on the device of a guestfs volume (boot sector). */
static int
gfs_boot_io(struct fixup_volume *v, bool write, uint64_t off, void *buf,
            size_t len)
{
	struct gfs_vol *gv = v->data;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	if (write && !v->writable)
		return -EROFS;
	return device_io(gv->gfs, gv->gfs->devices[gv->index], write, off, buf,
	                 len);
}

/* ---- the volume operations ---------------------------------------------- */

static struct fixup_guestfs *
gfs_of(struct fixup_volume *v)
{
	return ((struct gfs_vol *)v->data)->gfs;
}

static int
gfs_enter(struct fixup_volume *v, struct fixup_guestfs **ret)
{
	struct gfs_vol *gv = v->data;

	*ret = gv->gfs;
	return gfs_mount(gv->gfs, gv->index);
}

static int
gfs_stat(struct fixup_volume *v, const char *path, struct fixup_stat *ret)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_statns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	*ret = (struct fixup_stat){
	        .is_dir = S_ISDIR(st->st_mode),
	        .size = st->st_size > 0 ? (uint64_t)st->st_size : 0,
	};
	sym_guestfs_free_statns(st);
	return 0;
}

static int
gfs_list(struct fixup_volume *v, const char *path, char ***ret)
{
	struct fixup_guestfs *f;
	char **l;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	l = sym_guestfs_ls(f->g, path);
	if (!l)
		return gfs_fail(f, "cannot list", path);
	if (util_strv_length(l) > FIXUP_MAX_DIR_ENTRIES) {
		util_strv_free(l);
		return -E2BIG;
	}
	*ret = l;
	return 0;
}

/* Size of a regular file (links followed inside the guest). */
static int
regular_size(struct fixup_guestfs *f, const char *path, uint64_t *ret)
{
	struct guestfs_statns *st = sym_guestfs_statns(f->g, path);
	int r = 0;

	if (!st)
		return gfs_fail(f, "cannot stat", path);
	if (S_ISDIR(st->st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st->st_mode))
		r = -EINVAL;
	else
		*ret = st->st_size > 0 ? (uint64_t)st->st_size : 0;
	sym_guestfs_free_statns(st);
	return r;
}

static int
gfs_read_file(struct fixup_volume *v, const char *path, size_t max, char **ret,
              size_t *ret_len)
{
	struct fixup_guestfs *f;
	uint64_t size;
	size_t n = 0;
	char *buf, *out;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	r = regular_size(f, path, &size);
	if (r < 0)
		return r;
	if (size > max)
		return -EFBIG;
	buf = sym_guestfs_read_file(f->g, path, &n);
	if (!buf)
		return gfs_fail(f, "cannot read", path);
	if (n > max) { /* grew since stat */
		free(buf);
		return -EFBIG;
	}
	/* guestfs returns n bytes plus a NUL; keep our contract explicit. */
	out = realloc(buf, n + 1);
	if (!out) {
		free(buf);
		return -ENOMEM;
	}
	out[n] = '\0';
	*ret = out;
	if (ret_len)
		*ret_len = n;
	return 0;
}

static int
gfs_read_at(struct fixup_volume *v, const char *path, uint64_t off, void *buf,
            size_t len, size_t *ret_n)
{
	struct fixup_guestfs *f;
	uint64_t size;
	size_t done = 0;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	r = regular_size(f, path, &size);
	if (r < 0)
		return r;
	if (off > INT64_MAX)
		return -EINVAL;
	while (done < len && off + done < size) {
		size_t want = MIN(len - done, (size_t)GFS_CHUNK), got = 0;
		char *p = sym_guestfs_pread(f->g, path, (int)want,
		                            (int64_t)(off + done), &got);

		if (!p)
			return gfs_fail(f, "cannot read", path);
		if (got > want) {
			free(p);
			return -EIO;
		}
		memcpy((uint8_t *)buf + done, p, got);
		free(p);
		if (got == 0)
			break;
		done += got;
	}
	*ret_n = done;
	return 0;
}

/* Large contents go through a host temp file and guestfs_upload (no
 * protocol message size limit); both keep an existing file's inode. */
static int
upload(struct fixup_guestfs *f, const char *path, const void *buf, size_t len)
{
	_cleanup_free_ char *dir = NULL, *tmp = NULL;
	int r;

	r = util_mkdtemp("guestfs-upload", &dir);
	if (r < 0)
		return r;
	tmp = util_path_join(dir, "content");
	if (!tmp) {
		(void)util_rm_rf(dir);
		return -ENOMEM;
	}
	r = util_write_file_atomic(tmp, buf, len);
	if (r >= 0 && sym_guestfs_upload(f->g, tmp, path) < 0)
		r = gfs_fail(f, "cannot write", path);
	(void)util_rm_rf(dir);
	return r;
}

static int
gfs_write_file(struct fixup_volume *v, const char *path, const void *buf,
               size_t len)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (len > GFS_CHUNK)
		return upload(f, path, buf, len);
	if (sym_guestfs_write(f->g, path, buf, len) < 0)
		return gfs_fail(f, "cannot write", path);
	return 0;
}

static int
gfs_mkdir(struct fixup_volume *v, const char *path)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_mkdir(f->g, path) < 0)
		return gfs_fail(f, "cannot create directory", path);
	return 0;
}

static int
gfs_remove(struct fixup_volume *v, const char *path)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	bool dir;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_lstatns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	dir = S_ISDIR(st->st_mode);
	sym_guestfs_free_statns(st);
	r = dir ? sym_guestfs_rmdir(f->g, path) : sym_guestfs_rm(f->g, path);
	return r < 0 ? gfs_fail(f, "cannot remove", path) : 0;
}

static int
gfs_readlink(struct fixup_volume *v, const char *path, char **ret)
{
	struct fixup_guestfs *f;
	struct guestfs_statns *st;
	bool link;
	char *t;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	st = sym_guestfs_lstatns(f->g, path);
	if (!st)
		return gfs_fail(f, "cannot stat", path);
	link = S_ISLNK(st->st_mode);
	sym_guestfs_free_statns(st);
	if (!link)
		return -EINVAL;
	t = sym_guestfs_readlink(f->g, path);
	if (!t)
		return gfs_fail(f, "cannot read the link", path);
	*ret = t;
	return 0;
}

static int
gfs_symlink(struct fixup_volume *v, const char *target, const char *path)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_ln_s(f->g, target, path) < 0)
		return gfs_fail(f, "cannot create the link", path);
	return 0;
}

static int
gfs_rename(struct fixup_volume *v, const char *from, const char *to)
{
	struct fixup_guestfs *f;
	int r = gfs_enter(v, &f);

	if (r < 0)
		return r;
	if (sym_guestfs_rename(f->g, from, to) < 0)
		return gfs_fail(f, "cannot rename", from);
	return 0;
}

static int
gfs_sync(struct fixup_volume *v)
{
	struct fixup_guestfs *f = gfs_of(v);

	if (f->writable && f->mounted >= 0 && sym_guestfs_sync(f->g) < 0)
		return gfs_fail(f, "cannot sync", NULL);
	return 0;
}

static int
gfs_close(struct fixup_volume *v)
{
	int r = gfs_sync(v);

	free(v->data);
	v->data = NULL;
	return r;
}

/* The filesystem UUID (guestfs_vfs_uuid). */
static int
gfs_fs_uuid(struct fixup_volume *v, char **ret)
{
	struct gfs_vol *gv = v->data;
	struct fixup_guestfs *f;
	char *u;

	f = gv->gfs;
	u = sym_guestfs_vfs_uuid(f->g, f->devices[gv->index]);
	if (!u)
		return gfs_fail(f, "cannot read the UUID of",
		                f->devices[gv->index]);
	if (!*u) {
		free(u);
		return -ENODATA;
	}
	*ret = u;
	return 0;
}

static const struct fixup_volume_ops gfs_ops = {
        .name = "guestfs",
        .stat = gfs_stat,
        .list = gfs_list,
        .read_file = gfs_read_file,
        .read_at = gfs_read_at,
        .write_file = gfs_write_file,
        .mkdir = gfs_mkdir,
        .remove = gfs_remove,
        .rename = gfs_rename,
        .set_attributes = NULL,
        .sync = gfs_sync,
        .mark_dirty = NULL,
        .readlink = gfs_readlink,
        .symlink = gfs_symlink,
        .boot_io = gfs_boot_io,
        .fs_uuid = gfs_fs_uuid,
        .close = gfs_close,
};

int
fixup_volume_guestfs_open(struct fixup_volume *v, struct fixup_guestfs *f,
                          size_t i, unsigned flags)
{
	struct gfs_vol *gv;
	int r;

	if (i >= f->n)
		return -EINVAL;
	if ((flags & FIXUP_OPEN_WRITE) && !f->writable)
		return -EROFS;
	r = gfs_mount(f, i);
	if (r < 0)
		return r;
	gv = calloc(1, sizeof(*gv));
	if (!gv)
		return -ENOMEM;
	gv->gfs = f;
	gv->index = i;
	v->ops = &gfs_ops;
	v->data = gv;
	v->writable = f->writable && (flags & FIXUP_OPEN_WRITE);
	return 0;
}

bool
fixup_volume_is_guestfs(const struct fixup_volume *v)
{
	return v && v->ops == &gfs_ops;
}

/* ---- commands inside the guest ------------------------------------------ */

/* Guest path of a program: argv[0] itself when it has a '/', else the
 * first of the usual bin directories that holds it. */
static int
find_program(struct fixup_guestfs *f, const char *name, char **ret)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin",
	                                   "/bin"};

	if (strchr(name, '/')) {
		if (sym_guestfs_is_file_opts(
		            f->g, name, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
		            -1) <= 0)
			return -ENOENT;
		*ret = strdup(name);
		return *ret ? 0 : -ENOMEM;
	}
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		_cleanup_free_ char *p = util_path_join(dirs[i], name);

		if (!p)
			return -ENOMEM;
		if (sym_guestfs_is_file_opts(
		            f->g, p, GUESTFS_IS_FILE_OPTS_FOLLOWSYMLINKS, 1,
		            -1) > 0) {
			*ret = TAKE_PTR(p);
			return 0;
		}
	}
	return -ENOENT;
}

int
fixup_volume_guestfs_run(struct fixup_volume *v, char *const *argv,
                         char **ret_output)
{
	_cleanup_strv_free_ char **args = NULL;
	struct fixup_guestfs *f;
	char *prog = NULL, *out;
	int r;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	if (!argv || !argv[0])
		return -EINVAL;
	if (!v->writable)
		return -EROFS;
	r = gfs_enter(v, &f);
	if (r < 0)
		return r;
	r = find_program(f, argv[0], &prog);
	if (r < 0)
		return r;
	args = util_strv_copy(argv);
	if (!args) {
		free(prog);
		return -ENOMEM;
	}
	free(args[0]);
	args[0] = prog;
	out = sym_guestfs_command(f->g, args);
	if (!out)
		return fixup_set_error(
		        -EIO, "%s (guestfs): %s failed in the guest: %s",
		        f->path, args[0], sym_guestfs_last_error(f->g));
	if (strlen(out) > FIXUP_GUESTFS_OUTPUT_MAX)
		out[FIXUP_GUESTFS_OUTPUT_MAX] = '\0';
	if (ret_output)
		*ret_output = out;
	else
		free(out);
	return 0;
}

int
fixup_volume_guestfs_rebuild_initramfs(struct fixup_volume *v,
                                       const char **ret_tool)
{
	static const struct {
		const char *tool;
		const char *argv[5];
	} tools[] = {
	        {"dracut", {"dracut", "-f", "--regenerate-all", NULL}},
	        {"update-initramfs",
	         {"update-initramfs", "-u", "-k", "all", NULL}},
	        {"mkinitrd", {"mkinitrd", NULL}},
	};
	struct fixup_guestfs *f;
	int r;

	if (!fixup_volume_is_guestfs(v))
		return -EOPNOTSUPP;
	r = gfs_enter(v, &f);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(tools); i++) {
		_cleanup_free_ char *prog = NULL;

		if (find_program(f, tools[i].tool, &prog) < 0)
			continue;
		r = fixup_volume_guestfs_run(v, (char *const *)tools[i].argv,
		                             NULL);
		if (r >= 0 && ret_tool)
			*ret_tool = tools[i].tool;
		return r;
	}
	return fixup_set_error(-ENOENT,
	                       "%s (guestfs): the guest has none of dracut, "
	                       "update-initramfs, mkinitrd",
	                       f->path);
}

/* ---- the image source --------------------------------------------------- */

static int
gfs_source_open(const char *path, unsigned flags,
                const struct fixup_image_options *o, void **ret)
{
	struct fixup_guestfs *f = NULL;
	int r = fixup_guestfs_open(path, o ? o->more_disks : NULL,
	                           o ? o->format : NULL, o ? o->keys : NULL,
	                           flags, &f);

	if (r < 0)
		return r;
	*ret = f;
	return 0;
}

static const char *
gfs_source_device(void *src, size_t fs)
{
	return fixup_guestfs_device(src, fs);
}

static int
gfs_source_open_volume(struct fixup_volume *v, void *src, size_t fs,
                       unsigned flags)
{
	return fixup_volume_guestfs_open(v, src, fs, flags);
}

static int
gfs_source_close(void *src)
{
	return fixup_guestfs_close(src);
}

const struct fixup_source_ops fixup_source_guestfs = {
        .name = "guestfs",
        .open = gfs_source_open,
        .layout = gfs_layout,
        .disk_io = gfs_disk_io,
        .device = gfs_source_device,
        .open_volume = gfs_source_open_volume,
        .close = gfs_source_close,
};
