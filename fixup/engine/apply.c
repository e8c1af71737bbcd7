/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a plan: journal first, then the writes through the volume layer,
 * then commit (raw images: overlay → undo log → image), read-back
 * verification, and the journal marked complete.  Rollback reverses it.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "engine/apply.h"
#include "image/disk-io.h"
#include "image/qcow2-merge.h"
#include "image/disk.h"
#include "image/volume.h"

void
fixup_apply_result_done(struct fixup_apply_result *r)
{
	free(r->backup_dir);
	*r = (struct fixup_apply_result){0};
}

/* Fault injection on the dir road (the raw road counts in disk.c). */
static long fault_writes = -1;
static bool fault_kill;

static void
fault_init(void)
{
	const char *e = getenv("IMGFIX_FAULT_WRITES");
	const char *m = getenv("IMGFIX_FAULT_MODE");
	uint64_t n;

	fault_writes = -1;
	if (e && *e && util_parse_u64(e, &n) == 0 && n < 1000000) {
		fault_writes = (long)n;
		fault_kill = m && streq(m, "kill");
	}
}

static int
fault_point(void)
{
	if (fault_writes < 0)
		return 0;
	if (fault_writes == 0) {
		if (fault_kill)
			raise(SIGKILL);
		return -EIO;
	}
	fault_writes--;
	return 0;
}

static void
now_iso(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The bytes an op leaves in its file: in the op, or a host file mapped
 * read-only (a hive is 10+ MiB: no copy into fresh heap pages). */
struct content {
	const char *data;
	size_t len;
	void *map;
	size_t map_len;
	char *owned;
};

static void
content_done(struct content *c)
{
	if (c->map)
		(void)munmap(c->map, c->map_len);
	free(c->owned);
	*c = (struct content){0};
}

static int
content_map(const char *path, size_t max, struct content *c)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	if (st.st_size == 0) {
		c->data = "";
		return 0;
	}
	c->map = mmap(NULL, (size_t)st.st_size, PROT_READ,
	              MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		return -errno;
	}
	c->map_len = (size_t)st.st_size;
	c->data = c->map;
	c->len = c->map_len;
	return 0;
}

/* The bytes an op leaves in its file (none for removals). */
static int
op_content(const struct fixup_op *op, struct content *ret)
{
	*ret = (struct content){.data = ""};
	switch (op->kind) {
	case FIXUP_OP_PUT_FILE: {
		/* read, not mapped: a store file truncated meanwhile must not
		 * be a SIGBUS */
		int r = util_read_file(op->source, FIXUP_MAX_PUT_FILE,
		                       &ret->owned, &ret->len);

		if (r < 0)
			return r;
		ret->data = ret->owned;
		return 0;
	}
	case FIXUP_OP_HIVE:
		/* the plan's private scratch file */
		return content_map(op->hive_tmp, FIXUP_MAX_HIVE_FILE, ret);
	case FIXUP_OP_WRITE_FILE:
		ret->data = (const char *)op->data;
		ret->len = op->len;
		return 0;
	default:
		return 0;
	}
}

static char *
parent_of(const char *path)
{
	const char *s = strrchr(path, '/');

	if (!s || s == path)
		return strdup("/");
	return util_strndup0(path, (size_t)(s - path));
}

/* Records the directories mkdir -p of dir would create. */
static int
note_missing_dirs(struct fixup_volume *v, const char *dir, struct journal *j)
{
	_cleanup_free_ char *parent = NULL;
	struct fixup_stat st;
	int r;

	if (streq(dir, "/") || fixup_volume_stat(v, dir, &st) >= 0)
		return 0;
	parent = parent_of(dir);
	if (!parent)
		return -ENOMEM;
	r = note_missing_dirs(v, parent, j);
	if (r < 0)
		return r;
	if (util_strv_contains(j->created_dirs, dir))
		return 0;
	return util_strv_push(&j->created_dirs, dir);
}

/* Saves the original of one touched path into the journal. */
static int
journal_original(struct journal *j, struct fixup_volume *v, const char *path,
                 bool save_copy, bool removed)
{
	_cleanup_free_ char *buf = NULL;
	struct journal_file *f;
	size_t len;
	int r;

	unsigned vi = (unsigned)fixup_volume_index(v);

	for (size_t i = 0; i < j->n_files; i++)
		if (j->files[i].volume == vi && streq(j->files[i].path, path)) {
			j->files[i].removed = removed;
			return 0;
		}
	r = journal_add_file(j, path, &f);
	if (r < 0)
		return r;
	f->volume = vi;
	f->removed = removed;
	/* A symlink is journalled as one (systemd wants/ links). */
	if (save_copy && removed &&
	    fixup_volume_readlink(v, path, &f->link) >= 0) {
		f->existed = true;
		util_sha256_hex(f->link, strlen(f->link), f->sha_before);
		return 0;
	}
	if (!save_copy) {
		/* Raw road: the undo log keeps the original bytes; the
		 * journal only records what the fix touches. */
		struct fixup_stat st;

		r = fixup_volume_stat(v, path, &st);
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return log_error_errno(r, "Failed to look at %s: %m",
			                       path);
		f->existed = true;
		return 0;
	}
	r = fixup_volume_read_file(v, path, FIXUP_MAX_HIVE_FILE, &buf, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return log_error_errno(r, "Failed to read %s to back it up: %m",
		                       path);
	f->existed = true;
	util_sha256_hex(buf, len, f->sha_before);
	if (save_copy) {
		_cleanup_free_ char *host = NULL;

		if (util_asprintf(&f->backup, "files/%04zu", j->n_files) < 0)
			return -ENOMEM;
		host = util_path_join(j->dir, f->backup);
		if (!host)
			return -ENOMEM;
		r = util_write_file_atomic(host, buf, len);
		if (r < 0)
			return log_error_errno(r,
			                       "Failed to write the backup %s: "
			                       "%m",
			                       host);
	}
	return 0;
}

static int
prepare_backup_dir(const char *dir)
{
	_cleanup_free_ char *files = util_path_join(dir, "files");
	struct journal old;
	int r;

	r = journal_load(dir, &old);
	if (r >= 0) {
		/* Rolled back, or stopped before the image was touched. */
		bool done = streq(old.state, "rolled-back") ||
		            streq(old.state, "aborted");

		journal_done(&old);
		if (!done)
			return log_error_errno(
			        -EEXIST,
			        "%s already holds the journal of a fix (state "
			        "'%s'); roll it back with 'imgfix rollback' or "
			        "choose another --backup directory.",
			        dir, old.state);
		/* A rolled-back journal is replaced. */
		(void)util_rm_rf(files);
	} else if (r != -ENOENT)
		return log_error_errno(r, "Cannot use backup directory %s: %m",
		                       dir);
	if (!files)
		return -ENOMEM;
	r = util_mkdir_p(files);
	if (r < 0)
		return log_error_errno(
		        r, "Cannot create backup directory %s: %m", dir);
	/* Prove it is writable before touching anything. */
	_cleanup_free_ char *probe = util_path_join(dir, ".probe");
	if (!probe)
		return -ENOMEM;
	r = util_write_file_atomic(probe, "ok\n", 3);
	if (r < 0)
		return log_error_errno(r,
		                       "Backup directory %s is not writable: "
		                       "%m",
		                       dir);
	(void)unlink(probe);
	return 0;
}

static int
execute_op(struct fixup_volume *root, const struct fixup_op *op,
           struct fixup_apply_result *res)
{
	struct fixup_volume *v = op->vol ? op->vol : root;
	_cleanup_free_ char *parent = NULL;
	struct content c;
	int r;

	r = fault_point();
	if (r < 0)
		return r;
	switch (op->kind) {
	case FIXUP_OP_REMOVE:
		r = fixup_volume_remove(v, op->path);
		if (r == -ENOENT)
			r = 0;
		if (r >= 0)
			res->files_removed++;
		return r;
	case FIXUP_OP_BOOT_BYTES:
		return fixup_volume_write_boot(v, op->offset, op->data,
		                               op->len);
	default:
		break;
	}
	r = op_content(op, &c);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to read the new content of %s: "
		                       "%m",
		                       op->path);
	parent = parent_of(op->path);
	r = parent ? fixup_volume_mkdir_p(v, parent) : -ENOMEM;
	if (r < 0) {
		content_done(&c);
		return log_error_errno(r, "Failed to create %s: %m",
		                       parent ? parent : op->path);
	}
	r = fixup_volume_write_file(v, op->path, c.data, c.len);
	content_done(&c);
	if (r < 0)
		return log_error_errno(r, "Failed to write %s: %m", op->path);
	res->files_written++;
	return 0;
}

/* Re-reads every touched file and compares it with what the plan wrote.
 * The file road records each file's SHA-256 after the fix in the journal;
 * the raw road's undo log has checksums of every written extent instead. */
static int
verify(struct fixup_image *img, const size_t *op_vol,
       const struct fixup_plan *p, struct journal *j, bool raw)
{
	for (size_t i = 0; i < j->n_files; i++) {
		struct journal_file *f = &j->files[i];
		_cleanup_free_ char *buf = NULL;
		const struct fixup_op *last = NULL;
		struct fixup_volume *v;
		size_t len;
		int r;

		r = fixup_image_open_volume(img, f->volume, &v);
		if (r < 0)
			return log_error_errno(r, "Verification failed: cannot "
			                          "reopen the volume: %m");
		r = fixup_volume_read_file(v, f->path, FIXUP_MAX_HIVE_FILE,
		                           &buf, &len);
		if (f->removed) {
			if (r != -ENOENT)
				return log_error_errno(-EIO,
				                       "Verification failed: "
				                       "%s still exists.",
				                       f->path);
			continue;
		}
		if (r < 0)
			return log_error_errno(r,
			                       "Verification failed: cannot "
			                       "read back %s: %m",
			                       f->path);
		/* The last op writing the path decides its content. */
		for (size_t k = 0; k < p->n_ops; k++)
			if (op_vol[k] == f->volume &&
			    p->ops[k].kind != FIXUP_OP_BOOT_BYTES &&
			    streq(p->ops[k].path, f->path))
				last = &p->ops[k];
		if (last && last->kind != FIXUP_OP_REMOVE) {
			struct content want;
			bool same;

			r = op_content(last, &want);
			if (r < 0)
				return r;
			same = want.len == len &&
			       memcmp(want.data, buf, len) == 0;
			content_done(&want);
			if (!same)
				return log_error_errno(
				        -EIO,
				        "Verification failed: %s does not "
				        "hold what was written.",
				        f->path);
		}
		if (!raw)
			util_sha256_hex(buf, len, f->sha_after);
	}
	return 0;
}

int
fixup_apply(struct fixup_image *img, struct fixup_volume *root,
            const struct fixup_plan *p, const char *backup_dir,
            struct fixup_apply_result *ret)
{
	_cleanup_free_ char *abs_image = NULL, *undo = NULL;
	_cleanup_free_ size_t *op_vol = NULL;
	struct fixup_apply_result res = {0};
	struct journal j = {0};
	bool gfs = fixup_image_is_guestfs(img),
	     raw = !fixup_image_is_dir(img) && !gfs, committed = false;
	/* The raw and the guestfs road commit through undo logs (the guestfs
	 * road one per disk, qcow2-merge.h). */
	bool undo_logs = raw || gfs;
	const char *format = fixup_image_format(img);
	/* guestfs: no format when it was detected (rollback detects it again
	 * from the header magic, as the commit did). */
	bool keep_format = raw || (gfs && !streq(format, "auto"));
	char created[32];
	int r;

	fault_init();
	r = prepare_backup_dir(backup_dir);
	if (r < 0)
		return r;
	abs_image = fixup_io_is_nbd_uri(fixup_image_path(img))
	                    ? strdup(fixup_image_path(img))
	                    : realpath(fixup_image_path(img), NULL);
	j.dir = strdup(backup_dir);
	j.image = abs_image ? strdup(abs_image) : NULL;
	STRV_FOREACH (d, fixup_image_more_disks(img)) {
		char *a = realpath(*d, NULL);

		if (!a || util_strv_consume(&j.disks, a) < 0) {
			r = a ? -ENOMEM : -errno;
			goto finish;
		}
	}
	j.image_format = keep_format ? strdup(format) : NULL;
	j.backend = strdup(fixup_volume_backend(root));
	j.root = strdup(fixup_volume_name(root));
	now_iso(created);
	j.created = strdup(created);
	j.undo_log = undo_logs;
	j.image_size = fixup_image_layout(img)->size;
	res.backup_dir = strdup(backup_dir);
	if (!j.dir || !j.image || !j.backend || !j.root || !j.created ||
	    !res.backup_dir || (keep_format && !j.image_format)) {
		r = -ENOMEM;
		goto finish;
	}

	/* 1. Originals into the journal, before any write. */
	for (size_t i = 0; i < p->n_ops && r >= 0; i++) {
		const struct fixup_op *op = &p->ops[i];
		_cleanup_free_ char *parent = parent_of(op->path);

		if (op->kind == FIXUP_OP_BOOT_BYTES)
			continue;
		struct fixup_volume *v = op->vol ? op->vol : root;

		r = parent ? note_missing_dirs(v, parent, &j) : -ENOMEM;
		if (r >= 0)
			r = journal_original(&j, v, op->path, !raw,
			                     op->kind == FIXUP_OP_REMOVE);
	}
	if (r >= 0)
		r = journal_set_state(&j, "prepared");
	util_log_phase("apply: journal");
	if (r < 0) {
		log_error_errno(r, "Failed to write the journal in %s: %m",
		                backup_dir);
		goto finish;
	}

	/* 2. The writes. */
	r = journal_set_state(&j, "applying");
	{
		_cleanup_(util_progress_endp) struct util_progress *prog = NULL;

		(void)util_progress_start("applying", p->n_ops, &prog);
		for (size_t i = 0; i < p->n_ops && r >= 0; i++) {
			r = execute_op(root, &p->ops[i], &res);
			util_progress_update(prog, i + 1);
		}
	}
	util_log_phase("apply: writes");
	if (r < 0) {
		log_error_errno(r, "The fix failed before it was committed.");
		goto finish;
	}

	/* Volumes are closed by the commit: remember their indexes. */
	op_vol = calloc(p->n_ops + 1, sizeof(size_t));
	if (!op_vol) {
		r = -ENOMEM;
		goto finish;
	}
	for (size_t i = 0; i < p->n_ops; i++)
		op_vol[i] = fixup_volume_index(p->ops[i].vol ? p->ops[i].vol
		                                             : root);

	/* 3. guestfs: verify through the appliance before its commit shuts
	 * it down (what it wrote is then in the qcow2 overlays; the commit
	 * reads back the bytes it writes to the disks). */
	if (gfs) {
		r = fixup_image_close_volumes(img);
		if (r < 0) {
			log_error_errno(r, "Failed to flush the changes: %s",
			                fixup_error_detail()
			                        ? fixup_error_detail()
			                        : strerror(-r));
			goto finish;
		}
		r = verify(img, op_vol, p, &j, raw);
		if (r < 0)
			goto finish;
		util_log_phase("apply: verify");
	}

	/* 4. Commit: flush the volume; raw images write the overlay now,
	 * the guestfs road its qcow2 overlays. */
	undo = util_path_join(backup_dir, JOURNAL_UNDO);
	if (!undo) {
		r = -ENOMEM;
		goto finish;
	}
	fixup_clear_error();
	r = fixup_image_commit(img, undo_logs ? undo : NULL);
	if (r < 0) {
		/* The detail says more than errno when there is one (the NBD
		 * server went away ...). */
		if (fixup_error_detail())
			log_error_errno(r, "Failed to commit the changes: %s",
			                fixup_error_detail());
		else
			log_error_errno(
			        r, "Failed to commit the changes to %s: %m",
			        fixup_image_path(img));
		goto finish;
	}
	res.extents = (unsigned)r;
	committed = true;
	util_log_phase("apply: commit");

	/* 5. Verify by reading everything back (volumes are reopened). */
	if (!gfs) {
		r = verify(img, op_vol, p, &j, raw);
		if (r < 0)
			goto finish;
		util_log_phase("apply: verify");
	}
	r = journal_set_state(&j, "complete");

finish:
	if (r >= 0) {
		*ret = res;
		res = (struct fixup_apply_result){0};
	} else if (undo_logs && !committed && j.state) {
		/* Writes were still in the overlay: the image is untouched
		 * (unless the commit itself failed after its undo log). */
		_cleanup_free_ char *u =
		        util_path_join(backup_dir, JOURNAL_UNDO);

		if (u && access(u, F_OK) < 0) {
			(void)journal_set_state(&j, "aborted");
			log_error("Nothing was written to %s.",
			          fixup_image_path(img));
		} else
			log_error("The journal in %s says how to undo what "
			          "was done: run 'imgfix rollback --backup %s "
			          "%s'.",
			          backup_dir, backup_dir,
			          fixup_image_path(img));
	} else if (j.state)
		log_error("The journal in %s says how to undo what was done: "
		          "run 'imgfix rollback --backup %s %s'.",
		          backup_dir, backup_dir, fixup_image_path(img));
	fixup_apply_result_done(&res);
	journal_done(&j);
	return r;
}

static int
rollback_dir(struct journal *j, char *const *keys)
{
	struct fixup_image_options o = {.keys = keys, .more_disks = j->disks};
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_volume *v;
	int r;

	r = fixup_image_open_opts(
	        j->image,
	        FIXUP_OPEN_WRITE | (j->backend && streq(j->backend, "guestfs")
	                                    ? FIXUP_OPEN_GUESTFS
	                                    : FIXUP_OPEN_DIRECT),
	        &o, &img);
	util_log_phase("rollback: open image");
	if (r < 0)
		return log_error_errno(
		        r, "Failed to open %s for rollback: %s", j->image,
		        fixup_error_detail() ? fixup_error_detail() : "%m");
	for (size_t i = j->n_files; i-- > 0;) {
		struct journal_file *f = &j->files[i];
		_cleanup_free_ char *host = NULL, *buf = NULL;
		size_t len;

		r = fixup_image_open_volume(img, f->volume, &v);
		if (r < 0)
			return log_error_errno(r,
			                       "Failed to open the volume of "
			                       "%s: %m",
			                       f->path);
		if (f->link) {
			(void)fixup_volume_remove(v, f->path);
			r = fixup_volume_symlink(v, f->link, f->path);
			if (r < 0)
				return log_error_errno(r,
				                       "Failed to restore the "
				                       "symlink %s: %m",
				                       f->path);
			continue;
		}
		if (!f->existed) {
			r = fixup_volume_remove(v, f->path);
			if (r < 0 && r != -ENOENT)
				return log_error_errno(
				        r, "Failed to remove %s: %m", f->path);
			continue;
		}
		if (!f->backup)
			return log_error_errno(-EBADMSG,
			                       "Journal has no backup of %s.",
			                       f->path);
		host = util_path_join(j->dir, f->backup);
		if (!host)
			return -ENOMEM;
		r = util_read_file(host, FIXUP_MAX_HIVE_FILE, &buf, &len);
		if (r < 0)
			return log_error_errno(
			        r, "Failed to read backup %s: %m", host);
		char sha[UTIL_SHA256_HEX_LEN + 1];
		util_sha256_hex(buf, len, sha);
		if (!streq(sha, f->sha_before))
			return log_error_errno(-EBADMSG,
			                       "Backup %s of %s is damaged "
			                       "(checksum mismatch).",
			                       host, f->path);
		r = fixup_volume_write_file(v, f->path, buf, len);
		if (r < 0)
			return log_error_errno(r, "Failed to restore %s: %m",
			                       f->path);
	}
	/* Directories the fix created (dir road: one volume). */
	if (fixup_image_open_volume(img, j->n_files ? j->files[0].volume : 0,
	                            &v) >= 0)
		for (size_t i = util_strv_length(j->created_dirs); i-- > 0;)
			(void)fixup_volume_remove(v, j->created_dirs[i]);
	/* The guestfs road writes through qcow2 overlays: commit them (a
	 * journal without undo logs has none to write either). */
	if (fixup_image_is_guestfs(img)) {
		r = fixup_image_commit(img, NULL);
		return r < 0 ? r : 0;
	}
	return fixup_image_close_volumes(img);
}

/* Restores one disk from its undo log (only checks that it can, when
 * check_only): 0 when restored or never written (no complete undo log). */
static int
rollback_disk(const char *image, const char *format, const char *undo,
              bool force, bool check_only)
{
	_cleanup_(fixup_io_freep) struct fixup_io *io = NULL;
	int r;

	/* The image's bytes as the fix saw them: through qemu-nbd for a
	 * qcow2, vmdk ... (so rollback restores what the guest sees),
	 * directly for a raw file; format NULL: detected from the header. */
	r = fixup_io_open(image, format, true, &io);
	if (r < 0)
		return log_error_errno(r, "Failed to open %s: %s", image,
		                       fixup_error_detail()
		                               ? fixup_error_detail()
		                               : strerror(-r));
	r = check_only ? fixup_disk_undo_check_io(io, undo)
	               : fixup_disk_undo_io(io, undo, force);
	/* qemu-nbd has closed the image before the journal says rolled
	 * back. */
	io = fixup_io_free(io);
	if (r == -ENOENT || r == -ENODATA)
		/* The undo log was never completed: the image was never
		 * written. */
		return 0;
	if (r == -ESTALE)
		log_error("%s changed after the fix (the guest ran, or "
		          "another tool wrote to it): rolling back now "
		          "would corrupt its filesystem. Nothing was "
		          "written to it%s. Restore a copy, or use --force to "
		          "put the original bytes back anyway.",
		          image,
		          check_only ? " or to the other disks of the guest"
		                     : "");
	else if (r < 0)
		log_error_errno(r, "Failed to restore %s from %s: %m", image,
		                undo);
	return r;
}

int
fixup_rollback(const char *image, const char *backup_dir, bool force,
               char *const *keys)
{
	_cleanup_free_ char *abs_image = fixup_io_is_nbd_uri(image)
	                                         ? strdup(image)
	                                         : realpath(image, NULL);
	_cleanup_free_ char *undo = util_path_join(backup_dir, JOURNAL_UNDO);
	struct journal j = {0};
	int r;

	r = journal_load(backup_dir, &j);
	if (r == -ENOENT)
		return log_error_errno(r,
		                       "No journal in %s: nothing imgfix "
		                       "could roll back.",
		                       backup_dir);
	if (r < 0)
		return r;
	if (!abs_image || !streq(abs_image, j.image)) {
		log_error("The journal in %s belongs to %s, not %s.",
		          backup_dir, j.image, image);
		journal_done(&j);
		return -EINVAL;
	}
	if (streq(j.state, "rolled-back") || streq(j.state, "aborted")) {
		journal_done(&j);
		return 1;
	}
	if (j.undo_log) {
		bool gfs = j.backend && streq(j.backend, "guestfs");
		const char *format =
		        j.image_format ? j.image_format : (gfs ? NULL : "raw");

		/* One undo log per disk (the guestfs road's further disks:
		 * fixup_merge_undo_path()).  Several disks are all or
		 * nothing: every one is checked before any is written, so
		 * that a disk changed since the fix leaves all of them as
		 * they are.  (A rollback interrupted later is finished by
		 * running it again: an extent already restored passes the
		 * check.) */
		bool several = util_strv_length(j.disks) > 0;

		r = 0;
		for (int pass = several && !force ? 0 : 1; r >= 0 && pass < 2;
		     pass++) {
			r = rollback_disk(j.image, format, undo, force,
			                  pass == 0);
			for (size_t i = 0;
			     r >= 0 && i < util_strv_length(j.disks); i++) {
				_cleanup_free_ char *u =
				        fixup_merge_undo_path(undo, i + 1);

				r = u ? rollback_disk(j.disks[i], format, u,
				                      force, pass == 0)
				      : -ENOMEM;
			}
		}
	} else
		r = rollback_dir(&j, keys);
	if (r >= 0)
		r = journal_set_state(&j, "rolled-back");
	journal_done(&j);
	return r < 0 ? r : 0;
}
