/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Install-media ingest: CAB archives (driver.cab, spN.cab) and MS-compressed
 * single files (SZDD "compress.exe" and KWAJ, named *.DL_, *.SY_, *.EX_),
 * all decompressed by libmspack.  libmspack does its I/O through a
 * struct mspack_system; ours reads input files with stdio, refuses to write
 * real files, and collects each extracted member in memory up to
 * PCACHE_MAX_INGEST_FILE (a decompression bomb stops there), and it does not
 * print.  This is the only file of imgfix that includes <mspack.h>.
 */
#include <mspack.h>
#include <sys/types.h>

#include "patchcache-internal.h"

#define MAX_CAB_FILES 65535
#define MEM_OUTPUT_NAME "\001imgfix-memory-output"

/* Our mspack_system: must start with the libmspack struct. */
struct ms_sys {
	struct mspack_system sys;
	uint8_t *out;
	size_t out_len, out_alloc;
	bool overflow;
};

/* libmspack's struct mspack_file is opaque to it (a dummy); ours is this,
 * cast at the boundary. */
struct ms_file {
	FILE *f;
	struct ms_sys *mem; /* non-NULL for the in-memory output */
};

static struct ms_file *
msf(struct mspack_file *f)
{
	return (struct ms_file *)(void *)f;
}

static struct mspack_file *
ms_open(struct mspack_system *self, const char *filename, int mode)
{
	struct ms_sys *s = (struct ms_sys *)self;
	struct ms_file *f;

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	if (streq(filename, MEM_OUTPUT_NAME)) {
		if (mode != MSPACK_SYS_OPEN_WRITE) {
			free(f);
			return NULL;
		}
		s->out_len = 0;
		s->overflow = false;
		f->mem = s;
		return (struct mspack_file *)(void *)f;
	}
	/* Only inputs are real files. */
	if (mode != MSPACK_SYS_OPEN_READ) {
		free(f);
		return NULL;
	}
	f->f = fopen(filename, "rbe");
	if (!f->f) {
		free(f);
		return NULL;
	}
	return (struct mspack_file *)(void *)f;
}

static void
ms_close(struct mspack_file *file)
{
	struct ms_file *f = msf(file);

	if (!f)
		return;
	if (f->f)
		fclose(f->f);
	free(f);
}

static int
ms_read(struct mspack_file *file, void *buf, int bytes)
{
	struct ms_file *f = msf(file);
	size_t n;

	if (!f->f || bytes < 0)
		return -1;
	n = fread(buf, 1, (size_t)bytes, f->f);
	if (n == 0 && ferror(f->f))
		return -1;
	return (int)n;
}

static int
ms_write(struct mspack_file *file, void *buf, int bytes)
{
	struct ms_sys *s = msf(file)->mem;

	if (!s || bytes < 0)
		return -1;
	if ((size_t)bytes > PCACHE_MAX_INGEST_FILE - s->out_len) {
		s->overflow = true;
		return -1;
	}
	if (s->out_len + (size_t)bytes > s->out_alloc) {
		size_t na = MAX(s->out_alloc * 2, s->out_len + (size_t)bytes);
		uint8_t *p;

		na = MIN(MAX(na, (size_t)65536),
		         (size_t)PCACHE_MAX_INGEST_FILE);
		p = realloc(s->out, na);
		if (!p)
			return -1;
		s->out = p;
		s->out_alloc = na;
	}
	memcpy(s->out + s->out_len, buf, (size_t)bytes);
	s->out_len += (size_t)bytes;
	return bytes;
}

static int
ms_seek(struct mspack_file *file, off_t offset, int mode)
{
	struct ms_file *f = msf(file);
	int whence;

	if (!f->f)
		return -1;
	switch (mode) {
	case MSPACK_SYS_SEEK_START:
		whence = SEEK_SET;
		break;
	case MSPACK_SYS_SEEK_CUR:
		whence = SEEK_CUR;
		break;
	case MSPACK_SYS_SEEK_END:
		whence = SEEK_END;
		break;
	default:
		return -1;
	}
	return fseeko(f->f, offset, whence) == 0 ? 0 : -1;
}

static off_t
ms_tell(struct mspack_file *file)
{
	struct ms_file *f = msf(file);

	if (f->mem)
		return (off_t)f->mem->out_len;
	return f->f ? ftello(f->f) : -1;
}

static void
ms_message(struct mspack_file *f, const char *format, ...)
{
	/* A library does not print. */
}

static void *
ms_alloc(struct mspack_system *self, size_t bytes)
{
	return malloc(bytes);
}

static void
ms_free(void *p)
{
	free(p);
}

static void
ms_copy(void *src, void *dest, size_t bytes)
{
	memmove(dest, src, bytes);
}

static void
ms_sys_init(struct ms_sys *s)
{
	*s = (struct ms_sys){
	        .sys =
	                {
	                        .open = ms_open,
	                        .close = ms_close,
	                        .read = ms_read,
	                        .write = ms_write,
	                        .seek = ms_seek,
	                        .tell = ms_tell,
	                        .message = ms_message,
	                        .alloc = ms_alloc,
	                        .free = ms_free,
	                        .copy = ms_copy,
	                },
	};
}

static const char *
ms_strerror(int e)
{
	switch (e) {
	case MSPACK_ERR_OPEN:
		return "cannot open";
	case MSPACK_ERR_READ:
		return "read error or truncated";
	case MSPACK_ERR_WRITE:
		return "member too large or write error";
	case MSPACK_ERR_SEEK:
		return "seek error (truncated?)";
	case MSPACK_ERR_NOMEMORY:
		return "out of memory";
	case MSPACK_ERR_SIGNATURE:
		return "bad signature";
	case MSPACK_ERR_DATAFORMAT:
		return "bad data format";
	case MSPACK_ERR_CHECKSUM:
		return "checksum mismatch";
	case MSPACK_ERR_DECRUNCH:
		return "decompression error";
	default:
		return "error";
	}
}

enum pcache_container
pcache_detect_container(const void *head, size_t len)
{
	static const uint8_t szdd[] = {'S',  'Z',  'D',  'D',
	                               0x88, 0xf0, 0x27, 0x33};
	static const uint8_t kwaj[] = {'K',  'W',  'A',  'J',
	                               0x88, 0xf0, 0x27, 0xd1};

	if (len >= 8 && memcmp(head, szdd, 8) == 0)
		return PCACHE_CONTAINER_SZDD;
	if (len >= 8 && memcmp(head, kwaj, 8) == 0)
		return PCACHE_CONTAINER_KWAJ;
	if (len >= 8 && memcmp(head, "MSCF\0\0\0\0", 8) == 0)
		return PCACHE_CONTAINER_CAB;
	return PCACHE_CONTAINER_NONE;
}

int
pcache_expanded_name(const char *compressed_name, char missing, char **ret)
{
	static const struct {
		const char *from, *to;
	} ext[] = {
	        {".dl_", ".dll"}, {".sy_", ".sys"}, {".ex_", ".exe"},
	        {".in_", ".inf"}, {".ca_", ".cat"}, {".cp_", ".cpl"},
	        {".dr_", ".drv"}, {".oc_", ".ocx"}, {".co_", ".com"},
	        {".sc_", ".scr"}, {".ax_", ".ax"},  {".ms_", ".msc"},
	};
	_cleanup_free_ char *name = NULL;
	size_t n;
	int r;

	r = pcache_normalize_name(compressed_name, &name);
	if (r < 0)
		return r;
	n = strlen(name);
	if (n < 2 || name[n - 1] != '_') {
		*ret = TAKE_PTR(name);
		return 0;
	}
	if (missing > 0x20 && missing < 0x7f && missing != '/' &&
	    missing != '\\') {
		if (missing >= 'A' && missing <= 'Z')
			name[n - 1] = (char)(missing - 'A' + 'a');
		else
			name[n - 1] = missing;
		*ret = TAKE_PTR(name);
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(ext); i++)
		if (util_endswith_case(name, ext[i].from)) {
			char *out = NULL;

			if (util_asprintf(&out, "%.*s%s",
			                  (int)(n - strlen(ext[i].from)), name,
			                  ext[i].to) < 0)
				return -ENOMEM;
			*ret = out;
			return 0;
		}
	/* Unknown extension: keep the underscore name. */
	*ret = TAKE_PTR(name);
	return 0;
}

static const char *
base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* The error of a single-file container (SZDD, KWAJ, kind) that libmspack
 * opened but could not expand: e of extract(), or output over the limit. */
static int
expand_failed(char **ret_error, const char *path, const char *kind,
              const struct ms_sys *s, int e)
{
	pcache_set_error(ret_error, path, 0, "cannot expand %s file: %s", kind,
	                 s->overflow ? "output over the size limit"
	                             : ms_strerror(e));
	return -EBADMSG;
}

/* Stores what a single-file container expanded to under name; name_r < 0
 * (no usable name could be made) skips the file instead. */
static int
store_expanded(struct pcache *c, int name_r, const char *name,
               const struct ms_sys *s, struct pcache_add_stats *stats)
{
	if (name_r < 0) {
		stats->skipped++;
		return 0;
	}
	return pcache_store_buffer(c, name, s->out, s->out_len, stats);
}

static int
ingest_szdd(struct pcache *c, const char *path, struct ms_sys *s,
            struct pcache_add_stats *stats, char **ret_error)
{
	struct msszdd_decompressor *d;
	struct msszddd_header *h;
	_cleanup_free_ char *name = NULL;
	int r, e;

	d = mspack_create_szdd_decompressor(&s->sys);
	if (!d)
		return -ENOMEM;
	h = d->open(d, path);
	if (!h) {
		e = d->last_error(d);
		pcache_set_error(ret_error, path, 0,
		                 "not a valid SZDD compressed file: %s",
		                 ms_strerror(e));
		mspack_destroy_szdd_decompressor(d);
		return -EBADMSG;
	}
	if (h->length < 0 || (uint64_t)h->length > PCACHE_MAX_INGEST_FILE) {
		pcache_set_error(
		        ret_error, path, 0,
		        "SZDD header claims %lld bytes, over the limit",
		        (long long)h->length);
		r = -EFBIG;
		goto out;
	}
	e = d->extract(d, h, MEM_OUTPUT_NAME);
	if (e != MSPACK_ERR_OK) {
		r = expand_failed(ret_error, path, "SZDD", s, e);
		goto out;
	}
	r = pcache_expanded_name(base_name(path), h->missing_char, &name);
	r = store_expanded(c, r, name, s, stats);
out:
	d->close(d, h);
	mspack_destroy_szdd_decompressor(d);
	return r;
}

static int
ingest_kwaj(struct pcache *c, const char *path, struct ms_sys *s,
            struct pcache_add_stats *stats, char **ret_error)
{
	struct mskwaj_decompressor *d;
	struct mskwajd_header *h;
	_cleanup_free_ char *name = NULL;
	int r, e;

	d = mspack_create_kwaj_decompressor(&s->sys);
	if (!d)
		return -ENOMEM;
	h = d->open(d, path);
	if (!h) {
		e = d->last_error(d);
		pcache_set_error(ret_error, path, 0,
		                 "not a valid KWAJ compressed file: %s",
		                 ms_strerror(e));
		mspack_destroy_kwaj_decompressor(d);
		return -EBADMSG;
	}
	e = d->extract(d, h, MEM_OUTPUT_NAME);
	if (e != MSPACK_ERR_OK) {
		r = expand_failed(ret_error, path, "KWAJ", s, e);
		goto out;
	}
	if (h->filename && *h->filename)
		r = pcache_normalize_name(base_name(h->filename), &name);
	else
		r = pcache_expanded_name(base_name(path), 0, &name);
	r = store_expanded(c, r, name, s, stats);
out:
	d->close(d, h);
	mspack_destroy_kwaj_decompressor(d);
	return r;
}

/* CAB member names may carry folders ("i386\\hal.dll"): keep the last
 * component. */
static const char *
cab_base_name(const char *p)
{
	const char *s = p;

	for (const char *q = p; *q; q++)
		if (*q == '\\' || *q == '/')
			s = q + 1;
	return s;
}

static int
ingest_cab(struct pcache *c, const char *path, struct ms_sys *s,
           struct pcache_add_stats *stats, char **ret_error)
{
	struct mscab_decompressor *d;
	struct mscabd_cabinet *cab;
	unsigned n = 0;
	int r = 0, e;

	d = mspack_create_cab_decompressor(&s->sys);
	if (!d)
		return -ENOMEM;
	cab = d->open(d, path);
	if (!cab) {
		e = d->last_error(d);
		pcache_set_error(ret_error, path, 0,
		                 "not a valid CAB archive: %s", ms_strerror(e));
		mspack_destroy_cab_decompressor(d);
		return -EBADMSG;
	}
	for (struct mscabd_file *f = cab->files; f; f = f->next) {
		_cleanup_free_ char *name = NULL;

		if (++n > MAX_CAB_FILES) {
			pcache_set_error(ret_error, path, 0,
			                 "more than %u members", MAX_CAB_FILES);
			r = -E2BIG;
			break;
		}
		if (!f->filename ||
		    pcache_normalize_name(cab_base_name(f->filename), &name) <
		            0 ||
		    f->length > PCACHE_MAX_INGEST_FILE) {
			stats->skipped++;
			continue;
		}
		e = d->extract(d, f, MEM_OUTPUT_NAME);
		if (e != MSPACK_ERR_OK) {
			pcache_set_error(ret_error, path, 0,
			                 "cannot extract member '%s': %s", name,
			                 s->overflow ? "over the size limit"
			                             : ms_strerror(e));
			r = -EBADMSG;
			break;
		}
		r = pcache_store_buffer(c, name, s->out, s->out_len, stats);
		if (r < 0)
			break;
	}
	d->close(d, cab);
	mspack_destroy_cab_decompressor(d);
	return r;
}

int
pcache_ingest_container(struct pcache *c, const char *path,
                        enum pcache_container kind,
                        struct pcache_add_stats *stats, char **ret_error)
{
	struct ms_sys s;
	int r, selftest;

	MSPACK_SYS_SELFTEST(selftest);
	if (selftest != MSPACK_ERR_OK) {
		pcache_set_error(ret_error, NULL, 0,
		                 "libmspack was built with an incompatible "
		                 "off_t size");
		return -ENOSYS;
	}
	ms_sys_init(&s);
	switch (kind) {
	case PCACHE_CONTAINER_SZDD:
		r = ingest_szdd(c, path, &s, stats, ret_error);
		break;
	case PCACHE_CONTAINER_KWAJ:
		r = ingest_kwaj(c, path, &s, stats, ret_error);
		break;
	case PCACHE_CONTAINER_CAB:
		r = ingest_cab(c, path, &s, stats, ret_error);
		break;
	default:
		r = -EINVAL;
	}
	free(s.out);
	return r;
}
