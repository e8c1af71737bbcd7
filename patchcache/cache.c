/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The patch cache: a directory the admin owns, holding the files fix-ups
 * need (HALs, kernels, IDE drivers …) taken from install media, service pack
 * CABs and hotfixes.  Content is stored once under objects/<sha256>; the
 * index (a text file, one line per name and object, format in patchcache.h
 * and imgfix-patchcache(5)) says what each object is: name, arch, version.
 * The index is rewritten atomically after every ingest.
 */
#include <inttypes.h>
#include <sys/stat.h>

#include "patchcache-internal.h"

#define INDEX_NAME "index"
#define INDEX_HEADER "imgfix-patchcache 1"
#define OBJECTS_DIR "objects"

struct pcache {
	char *dir;
	struct pcache_entry *v;
	size_t n, allocated;
};

const char *
pcache_dir(const struct pcache *c)
{
	return c->dir;
}

size_t
pcache_n_entries(const struct pcache *c)
{
	return c->n;
}

const struct pcache_entry *
pcache_entry(const struct pcache *c, size_t i)
{
	return i < c->n ? &c->v[i] : NULL;
}

struct pcache *
pcache_free(struct pcache *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
	free(c->dir);
	free(c);
	return NULL;
}

static char *
object_path(const char *dir, const char *sha)
{
	char *p = NULL;

	if (util_asprintf(&p, "%s/" OBJECTS_DIR "/%.2s/%s", dir, sha, sha) < 0)
		return NULL;
	return p;
}

char *
pcache_entry_path(const struct pcache *c, const struct pcache_entry *e)
{
	return object_path(c->dir, e->sha256);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct pcache_entry *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	if (x->arch != y->arch)
		return x->arch < y->arch ? -1 : 1;
	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->sha256, y->sha256);
}

static int
entries_push(struct pcache *c, const struct pcache_entry *e)
{
	if (c->n >= PCACHE_MAX_INDEX_ENTRIES)
		return -E2BIG;
	if (c->n == c->allocated) {
		size_t na = c->allocated ? c->allocated * 2 : 64;
		struct pcache_entry *v = realloc(c->v, na * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->allocated = na;
	}
	c->v[c->n++] = *e;
	return 0;
}

static bool
is_sha_hex(const char *s)
{
	if (strlen(s) != UTIL_SHA256_HEX_LEN)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

static int
parse_index_line(char *line, struct pcache_entry *e)
{
	char *f[5];
	size_t nf = 0;
	char *p = line;
	uint64_t size;

	while (nf < 5) {
		f[nf++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p++ = '\0';
	}
	if (nf != 5 || p)
		return -EBADMSG;
	if (!is_sha_hex(f[0]))
		return -EBADMSG;
	e->arch = pcache_arch_from_string(f[1]);
	if (e->arch != PCACHE_ARCH_I386 && e->arch != PCACHE_ARCH_AMD64)
		return -EBADMSG;
	if (pcache_version_parse(f[2], &e->version) < 0)
		return -EBADMSG;
	if (util_parse_u64(f[3], &size) < 0 || size > PCACHE_MAX_INGEST_FILE)
		return -EBADMSG;
	e->size = size;
	if (pcache_normalize_name(f[4], &e->name) < 0)
		return -EBADMSG;
	memcpy(e->sha256, f[0], sizeof(e->sha256));
	return 0;
}

static int
read_index(struct pcache *c, const char *path, char **ret_error)
{
	_cleanup_free_ char *buf = NULL;
	size_t len;
	long lineno = 0;
	char *p, *nl;
	int r;

	r = util_read_file(path, PCACHE_MAX_INDEX_SIZE, &buf, &len);
	if (r < 0) {
		pcache_set_error(ret_error, path, 0, "cannot read index: %s",
		                 strerror(-r));
		return r;
	}
	if (memchr(buf, '\0', len)) {
		pcache_set_error(ret_error, path, 0, "index holds NUL bytes");
		return -EBADMSG;
	}
	for (p = buf; *p; p = nl) {
		struct pcache_entry e = {0};

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		else
			nl = p + strlen(p);
		lineno++;
		if (lineno == 1) {
			if (!streq(p, INDEX_HEADER)) {
				pcache_set_error(ret_error, path, 1,
				                 "not an imgfix patch cache "
				                 "index (expected '%s')",
				                 INDEX_HEADER);
				return -EBADMSG;
			}
			continue;
		}
		if (*p == '\0')
			continue;
		if (parse_index_line(p, &e) < 0) {
			pcache_set_error(ret_error, path, lineno,
			                 "malformed index line");
			return -EBADMSG;
		}
		r = entries_push(c, &e);
		if (r < 0) {
			free(e.name);
			return r;
		}
	}
	if (lineno == 0) {
		pcache_set_error(ret_error, path, 0, "empty index");
		return -EBADMSG;
	}
	if (c->n > 0)
		qsort(c->v, c->n, sizeof(*c->v), entry_cmp);
	return 0;
}

static int
write_index(const struct pcache *c)
{
	_cleanup_free_ char *path = util_path_join(c->dir, INDEX_NAME);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!path)
		return -ENOMEM;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	fputs(INDEX_HEADER "\n", f);
	for (size_t i = 0; i < c->n; i++) {
		char v[PCACHE_VERSION_STRLEN];

		fprintf(f, "%s\t%s\t%s\t%" PRIu64 "\t%s\n", c->v[i].sha256,
		        pcache_arch_to_string(c->v[i].arch),
		        pcache_version_format(c->v[i].version, v), c->v[i].size,
		        c->v[i].name);
	}
	if (fclose(f) != 0)
		return -ENOMEM;
	r = util_write_file_atomic(path, buf, len);
	return r;
}

int
pcache_open(const char *dir, bool create, struct pcache **ret, char **ret_error)
{
	_cleanup_(pcache_freep) struct pcache *c = NULL;
	_cleanup_free_ char *index = NULL, *objects = NULL;
	struct stat st;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dir = strdup(dir);
	index = util_path_join(dir, INDEX_NAME);
	objects = util_path_join(dir, OBJECTS_DIR);
	if (!c->dir || !index || !objects)
		return -ENOMEM;
	if (stat(index, &st) < 0) {
		r = -errno;
		if (r != -ENOENT || !create) {
			pcache_set_error(
			        ret_error, dir, 0,
			        "not a patch cache (no readable index): "
			        "%s; create it with 'imgfix patchcache "
			        "add'",
			        strerror(-r));
			return r;
		}
		r = util_mkdir_p(objects);
		if (r < 0) {
			pcache_set_error(ret_error, objects, 0,
			                 "cannot create: %s", strerror(-r));
			return r;
		}
		r = write_index(c);
		if (r < 0) {
			pcache_set_error(ret_error, index, 0,
			                 "cannot write: %s", strerror(-r));
			return r;
		}
	} else {
		r = read_index(c, index, ret_error);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

int
pcache_find(const struct pcache *c, const char *name, enum pcache_arch arch,
            const struct pcache_entry ***ret)
{
	const struct pcache_entry **v = NULL;
	size_t n = 0;

	for (size_t i = 0; c && i < c->n; i++) {
		const struct pcache_entry **nv;

		if (!strcaseeq(c->v[i].name, name))
			continue;
		if (arch != PCACHE_ARCH_ANY && c->v[i].arch != arch)
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = &c->v[i];
	}
	*ret = v;
	return (int)n;
}

static int
write_object(const struct pcache *c, const char *sha, const void *buf,
             size_t len, bool *ret_new)
{
	_cleanup_free_ char *path = object_path(c->dir, sha);
	_cleanup_free_ char *sub = NULL;
	struct stat st;
	int r;

	if (!path)
		return -ENOMEM;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    (uint64_t)st.st_size == len) {
		_cleanup_free_ char *old = NULL;
		size_t old_len;

		/* Same size: keep it when the content is intact, else heal
		 * it (a corrupted object is repaired by adding it again). */
		if (util_read_file(path, len, &old, &old_len) >= 0 &&
		    old_len == len && memcmp(old, buf, len) == 0) {
			*ret_new = false;
			return 0;
		}
	}
	if (util_asprintf(&sub, "%s/" OBJECTS_DIR "/%.2s", c->dir, sha) < 0)
		return -ENOMEM;
	r = util_mkdir_p(sub);
	if (r < 0)
		return r;
	r = util_write_file_atomic(path, buf, len);
	if (r < 0)
		return r;
	*ret_new = true;
	return 0;
}

int
pcache_store_buffer(struct pcache *c, const char *name, const void *buf,
                    size_t len, struct pcache_add_stats *stats)
{
	struct pcache_pe_info info;
	struct pcache_entry e = {0};
	bool is_new = false;
	int r;

	stats->files_seen++;
	if (pcache_pe_parse(buf, len, &info) < 0 ||
	    info.arch == PCACHE_ARCH_UNKNOWN) {
		stats->skipped++;
		return 0;
	}
	util_sha256_hex(buf, len, e.sha256);
	r = write_object(c, e.sha256, buf, len, &is_new);
	if (r < 0)
		return r;
	if (is_new)
		stats->objects_new++;
	for (size_t i = 0; i < c->n; i++)
		if (streq(c->v[i].name, name) &&
		    streq(c->v[i].sha256, e.sha256)) {
			stats->duplicates++;
			return 0;
		}
	e.name = strdup(name);
	if (!e.name)
		return -ENOMEM;
	e.arch = info.arch;
	e.version = info.has_version ? info.file_version : 0;
	e.size = len;
	r = entries_push(c, &e);
	if (r < 0) {
		free(e.name);
		return r;
	}
	stats->added++;
	return 0;
}

int
pcache_save_index(struct pcache *c)
{
	if (c->n > 0)
		qsort(c->v, c->n, sizeof(*c->v), entry_cmp);
	return write_index(c);
}

int
pcache_verify(const struct pcache *c, pcache_verify_cb cb, void *userdata)
{
	int bad = 0;

	for (size_t i = 0; i < c->n; i++) {
		_cleanup_free_ char *p = pcache_entry_path(c, &c->v[i]);
		char sha[UTIL_SHA256_HEX_LEN + 1];
		int r;

		if (!p)
			return -ENOMEM;
		r = util_sha256_file(p, sha);
		if (r < 0) {
			bad++;
			if (cb)
				cb(&c->v[i],
				   r == -ENOENT ? "object missing"
				                : "object unreadable",
				   userdata);
		} else if (!streq(sha, c->v[i].sha256)) {
			bad++;
			if (cb)
				cb(&c->v[i],
				   "content does not match its sha256",
				   userdata);
		}
	}
	return bad;
}
