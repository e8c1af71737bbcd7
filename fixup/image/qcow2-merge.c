/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Committing a qcow2 overlay into its backing image through disk.c's
 * overlay and undo log (see qcow2-merge.h): `qemu-img map` says which
 * ranges the overlay's top layer holds, qemu-nbd (io-nbd.c) reads them,
 * fixup_disk_pwrite() stages them and fixup_disk_commit() writes them
 * with the undo log first.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"
#include "image/disk-io.h"
#include "image/disk.h"
#include "image/qcow2-merge.h"
#include "image/volume.h"

#define MERGE_CHUNK (1024u * 1024) /* bytes copied per read */
#define MERGE_QEMU_IMG "qemu-img"

extern char **environ;

static int
get_u64(struct json_object *e, const char *key, uint64_t *ret)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(e, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -EBADMSG;
	x = json_object_get_int64(v);
	if (x < 0)
		return -EBADMSG;
	*ret = (uint64_t)x;
	return 0;
}

static bool
get_flag(struct json_object *e, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(e, key, &v) &&
	       json_object_is_type(v, json_type_boolean) &&
	       json_object_get_boolean(v);
}

int
fixup_merge_parse_map(const char *path, const char *json, size_t len,
                      uint64_t disk_size, struct fixup_merge_extent **ret,
                      size_t *ret_n)
{
	_cleanup_free_ struct fixup_merge_extent *ext = NULL;
	struct json_tokener *tok;
	struct json_object *root;
	uint64_t next = 0;
	size_t n = 0, count;

	if (len > FIXUP_MERGE_MAP_MAX)
		return fixup_set_error(-EBADMSG,
		                       "%s: qemu-img map output of %zu bytes "
		                       "(at most %u expected)",
		                       path, len, FIXUP_MERGE_MAP_MAX);
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (root && json_tokener_get_parse_end(tok) < len) {
		/* trailing bytes other than white space */
		for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
			if (json[i] != '\n' && json[i] != ' ' &&
			    json[i] != '\t' && json[i] != '\r') {
				json_object_put(root);
				root = NULL;
				break;
			}
	}
	json_tokener_free(tok);
	if (!root || !json_object_is_type(root, json_type_array)) {
		json_object_put(root);
		return fixup_set_error(-EBADMSG,
		                       "%s: qemu-img map output is not a "
		                       "JSON array",
		                       path);
	}
	count = json_object_array_length(root);
	if (count > FIXUP_MERGE_EXTENTS_MAX) {
		json_object_put(root);
		return fixup_set_error(-EBADMSG,
		                       "%s: qemu-img map lists %zu extents (at "
		                       "most %u accepted)",
		                       path, count, FIXUP_MERGE_EXTENTS_MAX);
	}
	for (size_t i = 0; i < count; i++) {
		struct json_object *e = json_object_array_get_idx(root, i);
		uint64_t start, length, depth;

		if (!e || !json_object_is_type(e, json_type_object) ||
		    get_u64(e, "start", &start) < 0 ||
		    get_u64(e, "length", &length) < 0 ||
		    get_u64(e, "depth", &depth) < 0) {
			json_object_put(root);
			return fixup_set_error(
			        -EBADMSG,
			        "%s: qemu-img map extent %zu has "
			        "no valid start, length and depth",
			        path, i);
		}
		if (start > disk_size || length > disk_size - start ||
		    start < next) {
			json_object_put(root);
			return fixup_set_error(
			        -EBADMSG,
			        "%s: qemu-img map extent %zu (%" PRIu64
			        " bytes at %" PRIu64 ") lies outside the "
			        "disk of %" PRIu64 " bytes or overlaps the one "
			        "before",
			        path, i, length, start, disk_size);
		}
		next = start + length;
		if (depth != 0 || length == 0)
			continue;
		if (!ext) {
			ext = calloc(count, sizeof(*ext));
			if (!ext) {
				json_object_put(root);
				return -ENOMEM;
			}
		}
		ext[n++] = (struct fixup_merge_extent){
		        .start = start,
		        .length = length,
		        .zero = get_flag(e, "zero") && !get_flag(e, "data"),
		};
	}
	json_object_put(root);
	*ret = TAKE_PTR(ext);
	*ret_n = n;
	return 0;
}

/* Runs `qemu-img map --output=json -f qcow2 overlay` (no shell) and
 * returns its standard output. */
static int
run_map(const char *overlay, char **ret, size_t *ret_len)
{
	char *argv[] = {(char *)MERGE_QEMU_IMG,
	                (char *)"map",
	                (char *)"--output=json",
	                (char *)"-f",
	                (char *)"qcow2",
	                (char *)overlay,
	                NULL};
	_cleanup_close_ int fd = memfd_create("imgfix-map", MFD_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	posix_spawn_file_actions_t fa;
	struct stat st;
	size_t got;
	pid_t pid;
	int r, status;

	if (fd < 0)
		return -errno;
	r = posix_spawn_file_actions_init(&fa);
	if (r != 0)
		return -r;
	r = posix_spawn_file_actions_adddup2(&fa, fd, STDOUT_FILENO);
	if (r == 0)
		r = posix_spawnp(&pid, MERGE_QEMU_IMG, &fa, NULL, argv,
		                 environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r != 0)
		return fixup_set_error(-r, "%s: cannot run %s: %s", overlay,
		                       MERGE_QEMU_IMG, strerror(r));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return fixup_set_error(-EIO,
		                       "%s: '%s map' failed (status %d): "
		                       "cannot tell what the appliance wrote",
		                       overlay, MERGE_QEMU_IMG, status);
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size > FIXUP_MERGE_MAP_MAX)
		return fixup_set_error(-EBADMSG,
		                       "%s: qemu-img map output of %" PRIu64
		                       " bytes (at most %u expected)",
		                       overlay, (uint64_t)st.st_size,
		                       FIXUP_MERGE_MAP_MAX);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	r = fixup_fd_pread(fd, buf, (size_t)st.st_size, 0, &got);
	if (r < 0)
		return r;
	buf[got] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = got;
	return 0;
}

/* Copies len bytes at off from io to fd (same offset) through buf. */
static int
copy_io_to_fd(struct fixup_io *io, int fd, uint64_t off, uint64_t len,
              void *buf)
{
	for (uint64_t o = 0; o < len;) {
		size_t n = (size_t)MIN((uint64_t)MERGE_CHUNK, len - o);
		int r = io->ops->pread(io, buf, n, off + o);

		if (r < 0)
			return r;
		r = fixup_fd_pwrite(fd, buf, n, off + o);
		if (r < 0)
			return r;
		o += n;
	}
	return 0;
}

/* Stages extent e of the staging file fd (zeros for a zero extent) in d. */
static int
stage_extent(int fd, struct fixup_disk *d, const struct fixup_merge_extent *e,
             void *buf)
{
	for (uint64_t o = 0; o < e->length;) {
		size_t n = (size_t)MIN((uint64_t)MERGE_CHUNK, e->length - o);
		size_t got = n;
		int r = 0;

		if (e->zero)
			memset(buf, 0, n);
		else
			r = fixup_fd_pread(fd, buf, n, e->start + o, &got);
		if (r < 0)
			return r;
		if (got != n)
			return -EIO;
		r = fixup_disk_pwrite(d, buf, n, e->start + o);
		if (r < 0)
			return r;
		o += n;
	}
	return 0;
}

/*
 * The top layer of the overlay: its extents (*ret, *ret_n) and their data
 * in a sparse staging file at staging (same offsets), *ret_size the
 * overlay's size.  Read before the image is opened for writing: qemu holds
 * a write lock on a qcow2 image, which the overlay's reader (that opens
 * the image as its backing file) could not share.
 */
static int
read_top_layer(const char *overlay, const char *staging,
               struct fixup_merge_extent **ret, size_t *ret_n,
               uint64_t *ret_size)
{
	_cleanup_(fixup_io_freep) struct fixup_io *io = NULL;
	_cleanup_free_ struct fixup_merge_extent *ext = NULL;
	_cleanup_free_ char *json = NULL, *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	size_t len = 0, n = 0;
	int r;

	r = run_map(overlay, &json, &len);
	if (r < 0)
		return r;
	r = fixup_io_open(overlay, "qcow2", false, &io);
	if (r < 0)
		return r;
	r = fixup_merge_parse_map(overlay, json, len, io->size, &ext, &n);
	if (r < 0)
		return r;
	fd = open(staging, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	          0600);
	if (fd < 0)
		return fixup_set_error(-errno, "%s: %s", staging,
		                       strerror(errno));
	buf = malloc(MERGE_CHUNK);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (ext[i].zero)
			continue;
		r = copy_io_to_fd(io, fd, ext[i].start, ext[i].length, buf);
		if (r < 0)
			return fixup_set_error(
			        r,
			        "%s: cannot copy %" PRIu64 " bytes at %" PRIu64
			        " to %s: %s",
			        overlay, ext[i].length, ext[i].start, staging,
			        strerror(-r));
	}
	*ret_size = io->size;
	*ret = TAKE_PTR(ext);
	*ret_n = n;
	return 0;
}

int
fixup_merge_commit(const char *image, const char *format, const char *overlay,
                   const char *undo_path)
{
	_cleanup_(fixup_disk_freep) struct fixup_disk *d = NULL;
	_cleanup_free_ struct fixup_merge_extent *ext = NULL;
	_cleanup_free_ char *staging = NULL, *buf = NULL;
	_cleanup_close_ int fd = -EBADF;
	struct fixup_io *io = NULL;
	uint64_t size = 0;
	size_t n = 0;
	int r;

	if (util_asprintf(&staging, "%s.top", overlay) < 0)
		return -ENOMEM;
	(void)unlink(staging);
	r = read_top_layer(overlay, staging, &ext, &n, &size);
	if (r < 0 || n == 0)
		goto out;
	fd = open(staging, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = fixup_io_open(image, format, true, &io);
	if (r < 0)
		goto out;
	r = fixup_disk_open_io(image, io, &d);
	if (r < 0)
		goto out;
	if (fixup_disk_size(d) != size) {
		r = fixup_set_error(-EBADMSG,
		                    "%s: the overlay holds %" PRIu64
		                    " bytes, its image %s %" PRIu64,
		                    overlay, size, image, fixup_disk_size(d));
		goto out;
	}
	buf = malloc(MERGE_CHUNK);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && r >= 0; i++) {
		r = stage_extent(fd, d, &ext[i], buf);
		if (r < 0)
			r = fixup_set_error(r,
			                    "%s: cannot stage %" PRIu64
			                    " bytes at %" PRIu64 ": %s",
			                    image, ext[i].length, ext[i].start,
			                    strerror(-r));
	}
	if (r >= 0)
		r = fixup_disk_commit(d, undo_path);
out:
	(void)unlink(staging);
	return r;
}

char *
fixup_merge_undo_path(const char *undo, size_t i)
{
	char *p = NULL;

	if (i == 0)
		return strdup(undo);
	return util_asprintf(&p, "%s.%zu", undo, i) < 0 ? NULL : p;
}
