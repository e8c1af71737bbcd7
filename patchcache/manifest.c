/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Patch-cache manifests: XML files (format in imgfix-patchcache(5), schema in
 * patchcache/schema/manifest.rng) saying, per Windows version / service pack
 * / arch / product type, which files a fix-up may need, at which versions,
 * where to find them, and which updates the guest must have.  Parsed with
 * libxml2 without network access or entity substitution, a DTD is refused,
 * and the document is RELAX NG validated before it is read; errors carry
 * file:line.  This is the only file of patchcache/ that includes libxml2.
 */
#include <dirent.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>

#include "patchcache-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGPtr, xmlRelaxNGFree)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGParserCtxtPtr, xmlRelaxNGFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGValidCtxtPtr, xmlRelaxNGFreeValidCtxt)

static void
xml_freep(xmlChar **p)
{
	if (*p)
		xmlFree(*p);
}
#define _cleanup_xmlfree_ _cleanup_(xml_freep)

/* First structured error seen during a parse or validation. */
struct xml_err {
	char *msg;
	long line;
};

static void
xml_err_handler(void *userdata, xmlErrorPtr e)
{
	struct xml_err *err = userdata;
	size_t n;

	if (err->msg || !e || !e->message)
		return;
	err->msg = strdup(e->message);
	if (err->msg) {
		n = strlen(err->msg);
		while (n > 0 && err->msg[n - 1] == '\n')
			err->msg[--n] = '\0';
	}
	err->line = e->line;
}

static void
manifest_file_done(struct pcache_manifest_file *f)
{
	free(f->name);
	free(f->hal);
	free(f->guest_path);
	util_strv_free(f->hints);
	free(f->note);
}

static void
manifest_done(struct pcache_manifest *m)
{
	free(m->path);
	free(m->id);
	free(m->title);
	free(m->product_type);
	for (size_t i = 0; i < m->n_files; i++)
		manifest_file_done(&m->files[i]);
	free(m->files);
	for (size_t i = 0; i < m->n_updates; i++) {
		free(m->updates[i].kb);
		free(m->updates[i].title);
		util_strv_free(m->updates[i].hints);
	}
	free(m->updates);
	*m = (struct pcache_manifest){0};
}

void
pcache_manifest_set_done(struct pcache_manifest_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		manifest_done(&set->v[i]);
	free(set->v);
	*set = (struct pcache_manifest_set){0};
}

static bool
is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       xmlStrcmp(n->name, (const xmlChar *)name) == 0;
}

/* Copies attribute name of n (NULL when absent) into *ret. */
static int
attr_dup(xmlNode *n, const char *name, char **ret)
{
	_cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	*ret = NULL;
	if (!v)
		return 0;
	*ret = strdup((const char *)v);
	return *ret ? 0 : -ENOMEM;
}

static int
attr_version(xmlNode *n, const char *name, uint64_t def, uint64_t *ret)
{
	_cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);

	if (!v) {
		*ret = def;
		return 0;
	}
	return pcache_version_parse((const char *)v, ret);
}

static int
attr_uint(xmlNode *n, const char *name, unsigned def, unsigned *ret)
{
	_cleanup_xmlfree_ xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	uint32_t u;

	if (!v) {
		*ret = def;
		return 0;
	}
	if (util_parse_u32((const char *)v, &u) < 0 || u > 255)
		return -EINVAL;
	*ret = u;
	return 0;
}

static int
collect_hints(xmlNode *parent, char ***hints)
{
	for (xmlNode *c = parent->children; c; c = c->next) {
		_cleanup_xmlfree_ xmlChar *t = NULL;
		int r;

		if (!is_elem(c, "hint"))
			continue;
		t = xmlNodeGetContent(c);
		if (!t)
			return -ENOMEM;
		r = util_strv_push(hints, (const char *)t);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *
default_guest_dir(enum pcache_role role)
{
	switch (role) {
	case PCACHE_ROLE_IDE_DRIVER:
	case PCACHE_ROLE_STORAGE_PORT:
		return "system32\\drivers\\";
	default:
		return "system32\\";
	}
}

#define FAIL(line, ...)                                                 \
	do {                                                            \
		pcache_set_error(ret_error, path, (line), __VA_ARGS__); \
		return -EBADMSG;                                        \
	} while (0)

static int
parse_file(xmlNode *n, const char *path, uint64_t def_min, uint64_t def_below,
           char *const *common_hints, struct pcache_manifest_file *f,
           char **ret_error)
{
	_cleanup_free_ char *name = NULL, *role = NULL;
	int r;

	r = attr_dup(n, "name", &name);
	if (r < 0)
		return r;
	r = attr_dup(n, "role", &role);
	if (r < 0)
		return r;
	if (!name || pcache_normalize_name(name, &f->name) < 0)
		FAIL(xmlGetLineNo(n), "bad file name");
	if (!role || pcache_role_from_string(role, &f->role) < 0)
		FAIL(xmlGetLineNo(n), "bad role of '%s'", f->name);
	r = attr_dup(n, "hal", &f->hal);
	if (r < 0)
		return r;
	if (f->hal && !pcache_hal_lookup(f->hal))
		FAIL(xmlGetLineNo(n), "unknown HAL type '%s'", f->hal);
	r = attr_dup(n, "guest-path", &f->guest_path);
	if (r < 0)
		return r;
	if (!f->guest_path &&
	    util_asprintf(&f->guest_path, "%s%s", default_guest_dir(f->role),
	                  f->name) < 0)
		return -ENOMEM;
	if (attr_version(n, "min-version", def_min, &f->min_version) < 0 ||
	    attr_version(n, "below-version", def_below, &f->below_version) < 0)
		FAIL(xmlGetLineNo(n), "bad version of '%s'", f->name);
	if (f->below_version && f->below_version <= f->min_version)
		FAIL(xmlGetLineNo(n),
		     "below-version of '%s' is not above its min-version",
		     f->name);
	r = attr_dup(n, "note", &f->note);
	if (r < 0)
		return r;
	r = collect_hints(n, &f->hints);
	if (r < 0)
		return r;
	STRV_FOREACH (h, common_hints) {
		r = util_strv_push(&f->hints, *h);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
parse_manifest(xmlNode *root, const char *path, struct pcache_manifest *m,
               char **ret_error)
{
	_cleanup_strv_free_ char **common = NULL;
	_cleanup_free_ char *ver = NULL, *arch = NULL;
	uint64_t def_min = 0, def_below = 0;
	xmlNode *os = NULL;
	size_t items = 0;
	int r;

	if (attr_dup(root, "id", &m->id) < 0 ||
	    attr_dup(root, "title", &m->title) < 0 || !m->id || !m->title)
		FAIL(xmlGetLineNo(root), "manifest needs id and title");
	r = collect_hints(root, &common);
	if (r < 0)
		return r;
	for (xmlNode *c = root->children; c; c = c->next) {
		if (is_elem(c, "os"))
			os = c;
		else if (is_elem(c, "versions") &&
		         (attr_version(c, "min-version", 0, &def_min) < 0 ||
		          attr_version(c, "below-version", 0, &def_below) < 0))
			FAIL(xmlGetLineNo(c), "bad version range");
		if (c->type == XML_ELEMENT_NODE &&
		    ++items > PCACHE_MAX_MANIFEST_ITEMS)
			FAIL(xmlGetLineNo(c), "too many entries (limit %u)",
			     PCACHE_MAX_MANIFEST_ITEMS);
	}
	if (!os)
		FAIL(xmlGetLineNo(root), "no <os> element");
	if (attr_dup(os, "version", &ver) < 0 || !ver ||
	    sscanf(ver, "%u.%u", &m->os_major, &m->os_minor) != 2)
		FAIL(xmlGetLineNo(os), "bad os version");
	if (attr_uint(os, "sp-min", 0, &m->sp_min) < 0 ||
	    attr_uint(os, "sp-max", 255, &m->sp_max) < 0 ||
	    m->sp_max < m->sp_min)
		FAIL(xmlGetLineNo(os), "bad service pack range");
	if (attr_dup(os, "arch", &arch) < 0 || !arch)
		return -ENOMEM;
	m->arch = pcache_arch_from_string(arch);
	if (m->arch == PCACHE_ARCH_UNKNOWN)
		FAIL(xmlGetLineNo(os), "bad arch '%s'", arch);
	r = attr_dup(os, "product-type", &m->product_type);
	if (r < 0)
		return r;

	m->files = calloc(items, sizeof(*m->files));
	m->updates = calloc(items, sizeof(*m->updates));
	if (items && (!m->files || !m->updates))
		return -ENOMEM;
	for (xmlNode *c = root->children; c; c = c->next) {
		if (is_elem(c, "file")) {
			struct pcache_manifest_file *f =
			        &m->files[m->n_files++];

			r = parse_file(c, path, def_min, def_below, common, f,
			               ret_error);
			if (r < 0)
				return r;
			for (size_t i = 0; i + 1 < m->n_files; i++)
				if (streq(m->files[i].name, f->name))
					FAIL(xmlGetLineNo(c),
					     "file '%s' listed twice", f->name);
		} else if (is_elem(c, "update")) {
			struct pcache_manifest_update *u =
			        &m->updates[m->n_updates++];

			if (attr_dup(c, "kb", &u->kb) < 0 ||
			    attr_dup(c, "title", &u->title) < 0 ||
			    collect_hints(c, &u->hints) < 0)
				return -ENOMEM;
			if (!u->kb || !u->title)
				FAIL(xmlGetLineNo(c),
				     "update needs kb and title");
		}
	}
	return 0;
}

static int
load_schema(const char *schema_path, xmlRelaxNGPtr *ret, char **ret_error)
{
	_cleanup_(xmlRelaxNGFreeParserCtxtp) xmlRelaxNGParserCtxtPtr pctx =
	        NULL;
	struct xml_err err = {0};
	xmlRelaxNGPtr schema;

	pctx = xmlRelaxNGNewParserCtxt(schema_path);
	if (!pctx)
		return -ENOMEM;
	xmlRelaxNGSetParserStructuredErrors(pctx, xml_err_handler, &err);
	schema = xmlRelaxNGParse(pctx);
	if (!schema) {
		pcache_set_error(ret_error, schema_path, err.line,
		                 "cannot load schema: %s",
		                 err.msg ? err.msg : "parse error");
		free(err.msg);
		return -EBADMSG;
	}
	free(err.msg);
	*ret = schema;
	return 0;
}

static int
load_one(struct pcache_manifest_set *set, const char *path,
         xmlRelaxNGPtr schema, char **ret_error)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctx = NULL;
	_cleanup_(xmlRelaxNGFreeValidCtxtp) xmlRelaxNGValidCtxtPtr vctx = NULL;
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_free_ char *buf = NULL;
	struct pcache_manifest m = {0};
	struct xml_err err = {0};
	struct pcache_manifest *v;
	size_t len;
	int r;

	r = util_read_file(path, PCACHE_MAX_MANIFEST_SIZE, &buf, &len);
	if (r < 0) {
		pcache_set_error(ret_error, path, 0, "cannot read: %s",
		                 strerror(-r));
		return r;
	}
	if (len > INT32_MAX)
		return -EFBIG;
	ctx = xmlNewParserCtxt();
	if (!ctx)
		return -ENOMEM;
	/* No XML_PARSE_NOENT (no entity substitution), no DTD loading, no
	 * network.  The first error is collected, not printed: libxml2 2.9
	 * has no per-context structured handler, so the (thread-local)
	 * global one is set around the parse and restored. */
	{
		xmlStructuredErrorFunc saved = xmlStructuredError;
		void *saved_ctx = xmlStructuredErrorContext;

		xmlSetStructuredErrorFunc(&err, xml_err_handler);
		doc = xmlCtxtReadMemory(ctx, buf, (int)len, path, NULL,
		                        XML_PARSE_NONET | XML_PARSE_NOWARNING);
		xmlSetStructuredErrorFunc(saved_ctx, saved);
	}
	if (!doc || !ctx->wellFormed) {
		if (!err.msg)
			xml_err_handler(&err, xmlCtxtGetLastError(ctx));
		pcache_set_error(ret_error, path, err.line, "%s",
		                 err.msg ? err.msg : "not well-formed XML");
		free(err.msg);
		return -EBADMSG;
	}
	if (doc->intSubset || doc->extSubset) {
		free(err.msg);
		pcache_set_error(ret_error, path, 1,
		                 "a DOCTYPE is not allowed in a manifest");
		return -EBADMSG;
	}
	free(err.msg);
	err = (struct xml_err){0};

	vctx = xmlRelaxNGNewValidCtxt(schema);
	if (!vctx)
		return -ENOMEM;
	xmlRelaxNGSetValidStructuredErrors(vctx, xml_err_handler, &err);
	if (xmlRelaxNGValidateDoc(vctx, doc) != 0) {
		pcache_set_error(ret_error, path, err.line,
		                 "does not match the manifest schema: %s",
		                 err.msg ? err.msg : "invalid");
		free(err.msg);
		return -EBADMSG;
	}
	free(err.msg);

	m.path = strdup(path);
	if (!m.path)
		return -ENOMEM;
	r = parse_manifest(xmlDocGetRootElement(doc), path, &m, ret_error);
	if (r < 0) {
		manifest_done(&m);
		return r;
	}
	for (size_t i = 0; i < set->n; i++)
		if (streq(set->v[i].id, m.id)) {
			pcache_set_error(
			        ret_error, path, 0,
			        "manifest id '%s' already loaded from %s", m.id,
			        set->v[i].path);
			manifest_done(&m);
			return -EBADMSG;
		}
	v = realloc(set->v, (set->n + 1) * sizeof(*v));
	if (!v) {
		manifest_done(&m);
		return -ENOMEM;
	}
	set->v = v;
	set->v[set->n++] = m;
	return 0;
}

int
pcache_manifest_load_file(struct pcache_manifest_set *set, const char *path,
                          const char *schema_path, char **ret_error)
{
	_cleanup_(xmlRelaxNGFreep) xmlRelaxNGPtr schema = NULL;
	int r;

	r = load_schema(schema_path, &schema, ret_error);
	if (r < 0)
		return r;
	return load_one(set, path, schema, ret_error);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
pcache_manifest_load_dir(struct pcache_manifest_set *set, const char *dir,
                         const char *schema_path, char **ret_error)
{
	_cleanup_(xmlRelaxNGFreep) xmlRelaxNGPtr schema = NULL;
	_cleanup_strv_free_ char **names = NULL;
	DIR *d;
	struct dirent *de;
	int r = 0;

	d = opendir(dir);
	if (!d) {
		r = -errno;
		pcache_set_error(ret_error, dir, 0, "cannot open: %s",
		                 strerror(-r));
		return r;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' ||
		    !util_endswith_case(de->d_name, ".xml"))
			continue;
		if (util_strv_length(names) >= PCACHE_MAX_MANIFEST_ITEMS) {
			r = -E2BIG;
			break;
		}
		r = util_strv_push(&names, de->d_name);
		if (r < 0)
			break;
	}
	closedir(d);
	if (r < 0)
		return r;
	if (names)
		qsort(names, util_strv_length(names), sizeof(char *), cmp_str);
	r = load_schema(schema_path, &schema, ret_error);
	if (r < 0)
		return r;
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = util_path_join(dir, *n);

		if (!p)
			return -ENOMEM;
		r = load_one(set, p, schema, ret_error);
		if (r < 0)
			return r;
	}
	return (int)util_strv_length(names);
}
