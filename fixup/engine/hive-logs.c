/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Hives and their transaction logs in a guest (see hive-logs.h): copying a
 * hive out with its logs and replaying them into the private copy, and the
 * write ops that reset the logs when a fix writes the recovered hive back.
 *
 * Why reset the logs after writing: the primary imgfix writes is clean
 * (equal sequence numbers, valid checksum), and Windows ignores the logs
 * of a clean primary at load.  But the old entries would still sit in the
 * logs, with sequence numbers that a later crash of Windows' own (a dirty
 * primary again) could make look like candidates to a recovery tool or a
 * future kernel.  After a successful flush Windows starts each log anew: a
 * base block copy with the current sequence number, entries from offset
 * 512.  imgfix leaves each log in that state with no entry yet, the file
 * cut to its 512-byte base block (hive_log_reset()): nothing in it can
 * ever be replayed over the fix, no old entry is left in it, and it costs
 * one sector to write.  A log that is empty (0 bytes, the usual third .LOG
 * file) is left alone.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/volume.h"
#include "util.h"
#include "engine/hive-logs.h"

static const char *const log_suffixes[] = {".LOG1", ".LOG2", ".LOG"};

void
fixup_hive_copy_done(struct fixup_hive_copy *c)
{
	hive_recovery_done(&c->rec);
	util_strv_free(c->guest_logs);
	c->guest_logs = NULL;
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The transaction logs beside path on v (real-case paths): all of them
 * with (sizes, may be NULL, HIVE_LOG_MAX_LOGS slots) their sizes, and
 * (ret_nonempty, may be NULL) those holding anything. */
static int
find_logs(struct fixup_volume *v, const char *path, char ***ret_all,
          uint64_t *sizes, char ***ret_nonempty)
{
	_cleanup_strv_free_ char **all = NULL, **nonempty = NULL;
	size_t n = 0;
	int r;

	all = calloc(1, sizeof(char *));
	nonempty = calloc(1, sizeof(char *));
	if (!all || !nonempty)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(log_suffixes); i++) {
		_cleanup_free_ char *want = NULL, *real = NULL;
		struct fixup_stat st;

		if (util_asprintf(&want, "%s%s", path, log_suffixes[i]) < 0)
			return -ENOMEM;
		if (fixup_volume_lookup(v, want, &real) < 0 ||
		    fixup_volume_stat(v, real, &st) < 0 || st.is_dir)
			continue;
		if ((st.size > 0 &&
		     (r = util_strv_push(&nonempty, real)) < 0) ||
		    (r = util_strv_consume(&all, TAKE_PTR(real))) < 0)
			return r;
		if (sizes)
			sizes[n] = st.size;
		n++;
	}
	*ret_all = TAKE_PTR(all);
	if (ret_nonempty)
		*ret_nonempty = TAKE_PTR(nonempty);
	return 0;
}

int
fixup_hive_guest_logs(struct fixup_volume *v, const char *path, char ***ret)
{
	_cleanup_strv_free_ char **all = NULL;

	return find_logs(v, path, &all, NULL, ret);
}

/* A log in the guest, read on demand by the replay. */
struct guest_log {
	struct fixup_volume *v;
	const char *path;
};

static int
guest_log_read(void *userdata, uint64_t off, void *buf, size_t len)
{
	const struct guest_log *g = userdata;
	size_t n;
	int r = fixup_volume_read_at(g->v, g->path, off, buf, len, &n);

	if (r < 0)
		return r;
	return n == len ? 0 : -EIO; /* shorter than it said */
}

int
fixup_hive_copy_out(struct fixup_volume *v, const char *path, size_t max,
                    const char *host_path, struct fixup_hive_copy *ret)
{
	struct fixup_hive_copy c = {0};
	struct hive_log_source src[HIVE_LOG_MAX_LOGS] = {0};
	struct guest_log gl[HIVE_LOG_MAX_LOGS] = {0};
	uint64_t sizes[HIVE_LOG_MAX_LOGS] = {0};
	_cleanup_strv_free_ char **all = NULL;
	size_t n_logs = 0;
	int r;

	r = fixup_volume_copy_out(v, path, max, host_path);
	if (r < 0)
		return r;
	/* a clean primary: Windows ignores its logs, so does imgfix */
	r = hive_file_dirty(host_path);
	if (r <= 0) {
		if (ret)
			*ret = c;
		return r;
	}
	r = find_logs(v, path, &all, sizes, &c.guest_logs);
	if (r >= 0) {
		STRV_FOREACH (l, all) {
			gl[n_logs] = (struct guest_log){.v = v, .path = *l};
			src[n_logs] = (struct hive_log_source){
			        .name = base_name(*l),
			        .size = sizes[n_logs],
			        .read = guest_log_read,
			        .userdata = &gl[n_logs],
			};
			n_logs++;
		}
		r = hive_recover_file_logs(host_path, src, n_logs, &c.rec);
	}
	if (r < 0) {
		fixup_hive_copy_done(&c);
		return r;
	}
	if (ret)
		*ret = c;
	else
		fixup_hive_copy_done(&c);
	return 0;
}

void
fixup_hive_copy_log(const struct fixup_hive_copy *c, const char *what,
                    const char *path)
{
	if (c->rec.recovered)
		log_info("%s hive %s was dirty: replayed %s into the copy "
		         "imgfix reads",
		         what, path, c->rec.logs);
	else if (c->rec.dirty)
		log_warning("%s hive %s is dirty: %s. Reading its primary file "
		            "as it is, without the changes only the logs hold.",
		            what, path, c->rec.problem);
}

int
fixup_hive_guest_dirty(struct fixup_volume *v, const char *path)
{
	uint8_t hdr[512];
	size_t n;
	int r;

	r = fixup_volume_read_at(v, path, 0, hdr, sizeof(hdr), &n);
	if (r < 0)
		return r;
	return hive_header_dirty(hdr, n) ? 1 : 0;
}

int
fixup_hive_log_reset(struct fixup_volume *v, const char *log,
                     const char *primary, struct fixup_hive_log_reset *ret)
{
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_close_ int fd = -1;
	uint8_t old[HIVE_LOG_BASE_BLOCK];
	struct fixup_stat st;
	size_t old_n, len;
	char hdr[HIVE_LOG_BASE_BLOCK];
	uint8_t *d;
	ssize_t hdr_len;
	int r;

	/* only its first sector goes into the logs */
	fd = open(primary, O_RDONLY | O_CLOEXEC);
	hdr_len = fd < 0 ? -1 : pread(fd, hdr, sizeof(hdr), 0);
	if (hdr_len < 0)
		return log_error_errno(-errno, "Failed to read %s: %m",
		                       primary);
	/* the old log's base block says its format; the rest is dropped */
	r = fixup_volume_stat(v, log, &st);
	if (r >= 0)
		r = fixup_volume_read_at(v, log, 0, old, sizeof(old), &old_n);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to read the transaction log "
		                       "%s: %m",
		                       log);
	r = hive_log_reset(hdr, (size_t)hdr_len, old, old_n, &data, &len);
	if (r < 0)
		return log_error_errno(r,
		                       "Failed to build the reset of "
		                       "transaction log %s: %m",
		                       log);
	if (len == st.size && len == old_n && memcmp(data, old, len) == 0)
		return 0;
	/* NUL-terminated like every WRITE_FILE op's data */
	d = realloc(data, len + 1);
	if (!d)
		return -ENOMEM;
	data = NULL;
	d[len] = 0;
	*ret = (struct fixup_hive_log_reset){
	        .old_len = st.size,
	        .data = d,
	        .len = len,
	};
	return 1;
}
