/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading rule sets: finding a set by name in the rule directories, reading
 * and parsing the XML with libxml2 (no network, no entity substitution, no
 * DTD at all, bounded size, depth and attribute length), validating it
 * against the embedded RELAX NG schema, turning the tree into the structs
 * of rules-internal.h and resolving includes (cycles are errors).
 *
 * This is the only file of rules/ that includes libxml2 headers.
 */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/relaxng.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "rules-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(xmlDocPtr, xmlFreeDoc)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlParserCtxtPtr, xmlFreeParserCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGValidCtxtPtr, xmlRelaxNGFreeValidCtxt)
DEFINE_TRIVIAL_CLEANUP_FUNC(xmlRelaxNGParserCtxtPtr, xmlRelaxNGFreeParserCtxt)

/* ---- freeing ------------------------------------------------------------ */

void
pred_done(struct pred *p)
{
	free(p->fact);
	free(p->value);
	if (p->has_regex)
		regfree(&p->regex);
	for (size_t i = 0; i < p->n_children; i++)
		pred_done(&p->children[i]);
	free(p->children);
}

static void
action_done(struct rules_action *a)
{
	for (size_t i = 0; i < a->n_attrs; i++) {
		free((char *)a->attrs[i].key);
		free((char *)a->attrs[i].value);
	}
	free((struct rules_attr *)a->attrs);
}

static void
rule_done(struct rule *ru)
{
	free(ru->id);
	free(ru->description);
	if (ru->match) {
		pred_done(ru->match);
		free(ru->match);
	}
	for (size_t i = 0; i < ru->n_actions; i++)
		action_done(&ru->actions[i]);
	free(ru->actions);
}

void
rule_set_free(struct rule_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rules; i++)
		rule_done(&s->rules[i]);
	free(s->rules);
	free(s->name);
	free(s->description);
	free(s->path);
	free(s->os);
	util_strv_free(s->includes);
	free(s);
}

struct rules *
rules_new(char *const *search_dirs)
{
	struct rules *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	if (search_dirs && search_dirs[0]) {
		r->search_dirs = util_strv_copy(search_dirs);
		if (!r->search_dirs) {
			free(r);
			return NULL;
		}
	}
	return r;
}

struct rules *
rules_free(struct rules *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_sets; i++)
		rule_set_free(r->sets[i]);
	free(r->sets);
	util_strv_free(r->search_dirs);
	util_strv_free(r->diagnostics);
	if (r->schema)
		xmlRelaxNGFree(r->schema);
	free(r);
	return NULL;
}

size_t
rules_n_sets(const struct rules *r)
{
	return r->n_sets;
}

const char *
rules_set_name(const struct rules *r, size_t i)
{
	return i < r->n_sets ? r->sets[i]->name : NULL;
}

const char *
rules_set_description(const struct rules *r, size_t i)
{
	return i < r->n_sets ? r->sets[i]->description : NULL;
}

/* ---- XML parsing -------------------------------------------------------- */

struct parse_state {
	startElementNsSAX2Func start_element; /* libxml2's own handler */
	bool refused;
	char reason[160];
	unsigned line;
};

static void
parse_refuse(xmlParserCtxtPtr ctxt, const char *reason)
{
	struct parse_state *st = ctxt->_private;

	if (!st->refused) {
		st->refused = true;
		st->line = (unsigned)xmlSAX2GetLineNumber(ctxt);
		snprintf(st->reason, sizeof(st->reason), "%s", reason);
	}
	xmlStopParser(ctxt);
}

/* Any DOCTYPE is refused before its internal subset is read: no entity is
 * ever declared, so XXE and entity expansion bombs cannot happen. */
static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                   const xmlChar *system_id)
{
	parse_refuse(ctx, "DOCTYPE declarations (DTDs, entities) are not "
	                  "allowed in rule files");
}

static void
on_entity_decl(void *ctx, const xmlChar *name, int type,
               const xmlChar *public_id, const xmlChar *system_id,
               xmlChar *content)
{
	parse_refuse(ctx, "entity declarations are not allowed in rule files");
}

static void
on_start_element(void *ctx, const xmlChar *localname, const xmlChar *prefix,
                 const xmlChar *uri, int nb_namespaces,
                 const xmlChar **namespaces, int nb_attributes,
                 int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse_state *st = ctxt->_private;

	/* nameNr counts the element being opened */
	if (ctxt->nameNr > RULES_MAX_DEPTH) {
		char m[96];

		snprintf(m, sizeof(m), "elements nested deeper than %d levels",
		         RULES_MAX_DEPTH);
		parse_refuse(ctxt, m);
		return;
	}
	/* attributes: 5 pointers each, value from [3] to [4] */
	for (int i = 0; i < nb_attributes; i++) {
		const xmlChar *b = attributes[5 * i + 3];
		const xmlChar *e = attributes[5 * i + 4];

		if (b && e && (size_t)(e - b) > RULES_MAX_ATTR_LEN) {
			char m[128];

			snprintf(m, sizeof(m),
			         "attribute '%.40s' longer than %u bytes",
			         (const char *)attributes[5 * i],
			         RULES_MAX_ATTR_LEN);
			parse_refuse(ctxt, m);
			return;
		}
	}
	st->start_element(ctx, localname, prefix, uri, nb_namespaces,
	                  namespaces, nb_attributes, nb_defaulted, attributes);
}

static char *
chomp_dup(const char *s)
{
	char *d = strdup(s ? s : "unknown error");
	size_t n;

	if (!d)
		return NULL;
	n = strlen(d);
	while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == ' '))
		d[--n] = '\0';
	return d;
}

static int
parse_xml(struct rules *r, const char *path, const char *buf, size_t len,
          xmlDocPtr *ret)
{
	_cleanup_(xmlFreeParserCtxtp) xmlParserCtxtPtr ctxt = NULL;
	struct parse_state st = {0};

	if (len > INT32_MAX)
		return rules_diag(r, -EFBIG, path, 0, "file too large");
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!ctxt)
		return rules_diag(r, -ENOMEM, path, 0, "out of memory");
	/* NONET; no NOENT, DTDLOAD, DTDATTR, XINCLUDE, HUGE. */
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR |
	                                XML_PARSE_NOWARNING |
	                                XML_PARSE_BIG_LINES);
	ctxt->_private = &st;
	st.start_element = ctxt->sax->startElementNs;
	ctxt->sax->startElementNs = on_start_element;
	ctxt->sax->internalSubset = on_internal_subset;
	ctxt->sax->externalSubset = on_internal_subset;
	ctxt->sax->entityDecl = on_entity_decl;
	ctxt->sax->getEntity = NULL;
	ctxt->sax->getParameterEntity = NULL;

	(void)xmlParseDocument(ctxt);
	if (st.refused) {
		if (ctxt->myDoc)
			xmlFreeDoc(ctxt->myDoc);
		ctxt->myDoc = NULL;
		return rules_diag(r, -EINVAL, path, st.line, "%s", st.reason);
	}
	if (!ctxt->wellFormed || !ctxt->myDoc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		_cleanup_free_ char *m = chomp_dup(e ? e->message : NULL);

		if (ctxt->myDoc)
			xmlFreeDoc(ctxt->myDoc);
		ctxt->myDoc = NULL;
		return rules_diag(r, -EINVAL, path, e ? (unsigned)e->line : 0,
		                  "not well-formed XML: %s", m ? m : "?");
	}
	*ret = ctxt->myDoc;
	ctxt->myDoc = NULL;
	return 0;
}

/* ---- RELAX NG ----------------------------------------------------------- */

struct rng_errors {
	struct rules *r;
	const char *path;
	int n;
};

static void
on_rng_error(void *data, xmlErrorPtr e)
{
	struct rng_errors *re = data;
	_cleanup_free_ char *m = chomp_dup(e->message);

	re->n++;
	(void)rules_diag(re->r, -EINVAL, re->path, (unsigned)e->line,
	                 "schema: %s", m ? m : "?");
}

static int
schema_get(struct rules *r, xmlRelaxNGPtr *ret)
{
	_cleanup_(xmlRelaxNGFreeParserCtxtp) xmlRelaxNGParserCtxtPtr pc = NULL;
	struct rng_errors re = {r, "rules.rng (built in)", 0};

	if (!r->schema) {
		pc = xmlRelaxNGNewMemParserCtxt((const char *)rules_schema_rng,
		                                (int)rules_schema_rng_len);
		if (!pc)
			return -ENOMEM;
		xmlRelaxNGSetParserStructuredErrors(pc, on_rng_error, &re);
		r->schema = xmlRelaxNGParse(pc);
		if (!r->schema)
			return rules_diag(r, -EINVAL, re.path, 0,
			                  "cannot compile the rule schema");
	}
	*ret = r->schema;
	return 0;
}

static int
validate_doc(struct rules *r, const char *path, xmlDocPtr doc)
{
	_cleanup_(xmlRelaxNGFreeValidCtxtp) xmlRelaxNGValidCtxtPtr vc = NULL;
	struct rng_errors re = {r, path, 0};
	xmlRelaxNGPtr schema = NULL;
	int k;

	k = schema_get(r, &schema);
	if (k < 0)
		return k;
	vc = xmlRelaxNGNewValidCtxt(schema);
	if (!vc)
		return -ENOMEM;
	xmlRelaxNGSetValidStructuredErrors(vc, on_rng_error, &re);
	k = xmlRelaxNGValidateDoc(vc, doc);
	if (k != 0) {
		if (re.n == 0)
			(void)rules_diag(r, -EINVAL, path, 0,
			                 "does not match the rule schema");
		return -EINVAL;
	}
	return 0;
}

/* ---- tree → structs ----------------------------------------------------- */

static unsigned
node_line(const xmlNode *n)
{
	long l = xmlGetLineNo(n);

	return l > 0 ? (unsigned)l : 0;
}

static bool
is_elem(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	       streq((const char *)n->name, name);
}

/* Returns a malloc'd copy of attribute name of n, NULL when absent; sets
 * *oom on allocation failure. */
static char *
attr_dup(const xmlNode *n, const char *name, bool *oom)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *d;

	if (!v)
		return NULL;
	d = strdup((const char *)v);
	xmlFree(v);
	if (!d)
		*oom = true;
	return d;
}

static char *
text_dup(const xmlNode *n, bool *oom)
{
	xmlChar *v = xmlNodeGetContent(n);
	char *d;

	d = strdup(v ? (const char *)v : "");
	xmlFree(v);
	if (!d)
		*oom = true;
	return d;
}

struct build {
	struct rules *r;
	const char *path;
	size_t n_preds; /* in the current rule */
	bool oom;
};

static size_t
count_elements(const xmlNode *n)
{
	size_t c = 0;

	for (const xmlNode *k = n->children; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE)
			c++;
	return c;
}

static const struct {
	const char *name;
	enum pred_kind kind;
} pred_names[] = {
        {"all", PRED_ALL},
        {"any", PRED_ANY},
        {"not", PRED_NOT},
        {"equals", PRED_EQUALS},
        {"not-equals", PRED_NOT_EQUALS},
        {"glob", PRED_GLOB},
        {"regex", PRED_REGEX},
        {"version", PRED_VERSION},
        {"exists", PRED_EXISTS},
        {"absent", PRED_ABSENT},
};

const char *const version_op_names[_VOP_MAX] = {"lt", "le", "gt", "ge", "eq"};

static int build_pred(struct build *b, const xmlNode *n, struct pred *p);

static int
build_children(struct build *b, const xmlNode *n, struct pred *p)
{
	size_t c = count_elements(n);

	if (c == 0)
		return 0;
	p->children = calloc(c, sizeof(*p->children));
	if (!p->children)
		return -ENOMEM;
	for (const xmlNode *k = n->children; k; k = k->next) {
		int q;

		if (k->type != XML_ELEMENT_NODE)
			continue;
		q = build_pred(b, k, &p->children[p->n_children++]);
		if (q < 0)
			return q;
	}
	return 0;
}

static int
build_pred(struct build *b, const xmlNode *n, struct pred *p)
{
	_cleanup_free_ char *nocase = NULL;
	size_t i;

	if (++b->n_preds > RULES_MAX_PREDICATES)
		return rules_diag(b->r, -E2BIG, b->path, node_line(n),
		                  "more than %d predicates in one rule",
		                  RULES_MAX_PREDICATES);
	for (i = 0; i < ELEMENTSOF(pred_names); i++)
		if (streq((const char *)n->name, pred_names[i].name))
			break;
	if (i >= ELEMENTSOF(pred_names))
		return rules_diag(b->r, -EINVAL, b->path, node_line(n),
		                  "unknown predicate <%s>", n->name);
	p->kind = pred_names[i].kind;
	p->line = node_line(n);

	switch (p->kind) {
	case PRED_ALL:
	case PRED_ANY:
	case PRED_NOT:
		return build_children(b, n, p);
	case PRED_EQUALS:
	case PRED_NOT_EQUALS:
		p->value = attr_dup(n, "value", &b->oom);
		break;
	case PRED_GLOB:
	case PRED_REGEX:
		p->value = attr_dup(n, "pattern", &b->oom);
		break;
	case PRED_VERSION:
		for (int o = 0; o < _VOP_MAX; o++) {
			_cleanup_free_ char *v =
			        attr_dup(n, version_op_names[o], &b->oom);

			if (!v)
				continue;
			if (version_parse(v, &p->op[o]) < 0)
				return rules_diag(
				        b->r, -EINVAL, b->path, p->line,
				        "version %s=\"%s\" is not a dotted "
				        "version of at most %d numbers",
				        version_op_names[o], v,
				        RULES_MAX_VERSION_PARTS);
			p->has_op[o] = true;
		}
		break;
	case PRED_EXISTS:
	case PRED_ABSENT:
		break;
	}
	p->fact = attr_dup(n, "fact", &b->oom);
	nocase = attr_dup(n, "nocase", &b->oom);
	p->nocase = nocase && streq(nocase, "true");
	if (b->oom)
		return -ENOMEM;
	if (!p->fact)
		return rules_diag(b->r, -EINVAL, b->path, p->line,
		                  "<%s> without a fact", n->name);
	if ((p->kind == PRED_GLOB || p->kind == PRED_REGEX ||
	     p->kind == PRED_EQUALS || p->kind == PRED_NOT_EQUALS) &&
	    !p->value)
		return rules_diag(b->r, -EINVAL, b->path, p->line,
		                  "<%s> without a value or pattern", n->name);
	if (p->kind == PRED_REGEX) {
		int k;

		if (strlen(p->value) > RULES_MAX_REGEX_LEN)
			return rules_diag(b->r, -EINVAL, b->path, p->line,
			                  "regex longer than %d bytes",
			                  RULES_MAX_REGEX_LEN);
		for (const char *c = p->value; *c; c++)
			if (c[0] == '\\' && c[1] >= '1' && c[1] <= '9')
				return rules_diag(
				        b->r, -EINVAL, b->path, p->line,
				        "regex \"%s\": back-references are not "
				        "allowed",
				        p->value);
			else if (c[0] == '\\' && c[1])
				c++;
		k = regcomp(&p->regex, p->value,
		            REG_EXTENDED | REG_NOSUB |
		                    (p->nocase ? REG_ICASE : 0));
		if (k != 0) {
			char m[160];

			regerror(k, &p->regex, m, sizeof(m));
			return rules_diag(b->r, -EINVAL, b->path, p->line,
			                  "bad regex \"%s\": %s", p->value, m);
		}
		p->has_regex = true;
	}
	return 0;
}

static int
attr_cmp(const void *a, const void *b)
{
	const struct rules_attr *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int
build_action(struct build *b, const struct rule_set *s, const struct rule *ru,
             const xmlNode *n, struct rules_action *a)
{
	struct rules_attr *attrs;
	size_t c = 0;
	int k;

	k = rules_action_kind_from_string((const char *)n->name);
	if (k < 0)
		return rules_diag(b->r, -EINVAL, b->path, node_line(n),
		                  "unknown action <%s>", n->name);
	a->kind = (enum rules_action_kind)k;
	a->set_name = s->name;
	a->rule_id = ru->id;
	a->file = s->path;
	a->line = node_line(n);
	for (const xmlAttr *at = n->properties; at; at = at->next)
		c++;
	if (c == 0)
		return 0;
	attrs = calloc(c, sizeof(*attrs));
	if (!attrs)
		return -ENOMEM;
	a->attrs = attrs;
	for (const xmlAttr *at = n->properties; at; at = at->next) {
		xmlChar *v = xmlNodeListGetString(n->doc, at->children, 1);

		attrs[a->n_attrs].key = strdup((const char *)at->name);
		attrs[a->n_attrs].value = strdup(v ? (const char *)v : "");
		xmlFree(v);
		a->n_attrs++;
		if (!attrs[a->n_attrs - 1].key || !attrs[a->n_attrs - 1].value)
			return -ENOMEM;
	}
	qsort(attrs, a->n_attrs, sizeof(*attrs), attr_cmp);
	return 0;
}

static int
build_rule(struct build *b, const struct rule_set *s, const xmlNode *n,
           struct rule *ru)
{
	size_t c = count_elements(n);
	int k;

	ru->line = node_line(n);
	ru->id = attr_dup(n, "id", &b->oom);
	if (b->oom)
		return -ENOMEM;
	if (!ru->id)
		return rules_diag(b->r, -EINVAL, b->path, ru->line,
		                  "rule without an id");
	if (c > RULES_MAX_ACTIONS + 2)
		return rules_diag(b->r, -E2BIG, b->path, ru->line,
		                  "rule '%s' has more than %d actions", ru->id,
		                  RULES_MAX_ACTIONS);
	ru->actions = calloc(c ? c : 1, sizeof(*ru->actions));
	if (!ru->actions)
		return -ENOMEM;
	b->n_preds = 0;
	for (const xmlNode *k2 = n->children; k2; k2 = k2->next) {
		if (k2->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(k2, "description")) {
			free(ru->description);
			ru->description = text_dup(k2, &b->oom);
			if (b->oom)
				return -ENOMEM;
		} else if (is_elem(k2, "match")) {
			ru->match = calloc(1, sizeof(*ru->match));
			if (!ru->match)
				return -ENOMEM;
			/* <match> is an implicit <all> */
			ru->match->kind = PRED_ALL;
			ru->match->line = node_line(k2);
			k = build_children(b, k2, ru->match);
			if (k < 0)
				return k;
		} else {
			k = build_action(b, s, ru, k2,
			                 &ru->actions[ru->n_actions]);
			ru->n_actions++;
			if (k < 0)
				return k;
		}
	}
	return 0;
}

static int
build_set(struct rules *r, const char *path, const xmlDoc *doc,
          struct rule_set **ret)
{
	struct build b = {r, path, 0, false};
	struct rule_set *s;
	const xmlNode *root = xmlDocGetRootElement(doc);
	size_t c;
	int k;

	if (!root || !is_elem(root, "ruleset"))
		return rules_diag(r, -EINVAL, path, 0,
		                  "the root element is not <ruleset>");
	c = count_elements(root);
	if (c > RULES_MAX_RULES + RULES_MAX_SETS + 1)
		return rules_diag(r, -E2BIG, path, node_line(root),
		                  "more than %d rules", RULES_MAX_RULES);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = attr_dup(root, "name", &b.oom);
	s->os = attr_dup(root, "os", &b.oom);
	s->path = strdup(path);
	s->rules = calloc(c ? c : 1, sizeof(*s->rules));
	if (b.oom || !s->path || !s->rules || !s->name) {
		rule_set_free(s);
		return -ENOMEM;
	}
	for (const xmlNode *n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(n, "description")) {
			free(s->description);
			s->description = text_dup(n, &b.oom);
			k = b.oom ? -ENOMEM : 0;
		} else if (is_elem(n, "include")) {
			_cleanup_free_ char *inc = attr_dup(n, "set", &b.oom);

			if (b.oom || !inc)
				k = -ENOMEM;
			else
				k = util_strv_consume(&s->includes,
				                      TAKE_PTR(inc));
		} else if (is_elem(n, "rule")) {
			if (s->n_rules >= RULES_MAX_RULES)
				k = rules_diag(r, -E2BIG, path, node_line(n),
				               "more than %d rules",
				               RULES_MAX_RULES);
			else
				k = build_rule(&b, s, n,
				               &s->rules[s->n_rules++]);
		} else
			k = rules_diag(r, -EINVAL, path, node_line(n),
			               "unexpected element <%s>", n->name);
		if (k < 0) {
			rule_set_free(s);
			return k;
		}
	}
	*ret = s;
	return 0;
}

/* ---- finding and loading sets ------------------------------------------- */

static bool
set_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || s[0] == '-' || s[0] == '_')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return true;
}

static bool
is_path(const char *s)
{
	return strchr(s, '/') || util_endswith_case(s, ".xml");
}

static struct rule_set *
find_loaded(const struct rules *r, const char *name)
{
	for (size_t i = 0; i < r->n_sets; i++)
		if (streq(r->sets[i]->name, name))
			return r->sets[i];
	return NULL;
}

/* Finds <dir>/<name>.xml in first_dir (may be NULL), then the search dirs. */
static int
find_set(const struct rules *r, const char *first_dir, const char *name,
         char **ret)
{
	_cleanup_free_ char *file = NULL;
	size_t n = util_strv_length(r->search_dirs);

	if (util_asprintf(&file, "%s.xml", name) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n + 1; i++) {
		const char *dir = i == 0 ? first_dir : r->search_dirs[i - 1];
		char *p;

		if (!dir)
			continue;
		p = util_path_join(dir, file);
		if (!p)
			return -ENOMEM;
		if (access(p, R_OK) == 0) {
			*ret = p;
			return 0;
		}
		free(p);
	}
	return -ENOENT;
}

static char *
dir_of(const char *path)
{
	const char *sl = strrchr(path, '/');

	if (!sl)
		return strdup(".");
	if (sl == path)
		return strdup("/");
	return util_strndup0(path, (size_t)(sl - path));
}

/* The names of the sets being loaded, outermost first: stack[0..depth). */
typedef const char *load_stack[RULES_MAX_INCLUDE_DEPTH + 2];

static bool
in_stack(const char **stack, unsigned depth, const char *name)
{
	for (unsigned i = 0; i < depth; i++)
		if (streq(stack[i], name))
			return true;
	return false;
}

static char *
stack_join(const char **stack, unsigned depth)
{
	char *s = strdup("");

	for (unsigned i = 0; s && i < depth; i++) {
		char *n = NULL;

		if (util_asprintf(&n, "%s%s%s", s, i ? " -> " : "", stack[i]) <
		    0)
			n = NULL;
		free(s);
		s = n;
	}
	return s;
}

static int load_one(struct rules *r, const char *spec, const char *from_file,
                    unsigned from_line, const char **stack, unsigned depth);

static int
load_file(struct rules *r, const char *path, const char *want_name,
          const char **stack, unsigned depth)
{
	_cleanup_(xmlFreeDocp) xmlDocPtr doc = NULL;
	_cleanup_free_ char *buf = NULL;
	struct rule_set *s = NULL, *old;
	size_t len;
	int k;

	k = util_read_file(path, RULES_MAX_FILE_SIZE, &buf, &len);
	if (k == -EFBIG)
		return rules_diag(r, k, path, 0,
		                  "rule file larger than %u bytes",
		                  RULES_MAX_FILE_SIZE);
	if (k < 0)
		return rules_diag(r, k, path, 0, "cannot read: %s",
		                  strerror(-k));
	k = parse_xml(r, path, buf, len, &doc);
	if (k < 0)
		return k;
	k = validate_doc(r, path, doc);
	if (k < 0)
		return k;
	k = build_set(r, path, doc, &s);
	if (k < 0)
		return k;

	if (want_name && !streq(s->name, want_name)) {
		k = rules_diag(r, -EINVAL, path, 0,
		               "file defines set '%s', expected '%s'", s->name,
		               want_name);
		goto fail;
	}
	old = find_loaded(r, s->name);
	if (old) {
		/* the same file twice is fine; two files, one name is not */
		if (!streq(old->path, path))
			k = rules_diag(r, -EINVAL, path, 0,
			               "set '%s' is already loaded from %s",
			               s->name, old->path);
		else
			k = 0;
		goto fail;
	}
	if (in_stack(stack, depth, s->name)) {
		_cleanup_free_ char *chain = stack_join(stack, depth);

		k = rules_diag(r, -ELOOP, path, 0, "include cycle: %s -> %s",
		               chain ? chain : "?", s->name);
		goto fail;
	}
	k = rules_check_set(r, s);
	if (k < 0)
		goto fail;

	/* includes first: they are evaluated before the including set */
	stack[depth] = s->name;
	STRV_FOREACH (inc, s->includes) {
		k = load_one(r, *inc, path, 0, stack, depth + 1);
		if (k < 0)
			goto fail;
	}

	if (r->n_sets >= RULES_MAX_SETS) {
		k = rules_diag(r, -E2BIG, path, 0, "more than %d sets loaded",
		               RULES_MAX_SETS);
		goto fail;
	}
	{
		struct rule_set **n =
		        reallocarray(r->sets, r->n_sets + 1, sizeof(*n));

		if (!n) {
			k = -ENOMEM;
			goto fail;
		}
		r->sets = n;
		r->sets[r->n_sets++] = s;
	}
	return 0;
fail:
	rule_set_free(s);
	return k;
}

static int
load_one(struct rules *r, const char *spec, const char *from_file,
         unsigned from_line, const char **stack, unsigned depth)
{
	_cleanup_free_ char *path = NULL, *first_dir = NULL;
	const char *where = from_file ? from_file : spec;
	int k;

	if (depth > RULES_MAX_INCLUDE_DEPTH)
		return rules_diag(r, -ELOOP, where, from_line,
		                  "includes nested deeper than %d",
		                  RULES_MAX_INCLUDE_DEPTH);
	if (!from_file && is_path(spec))
		return load_file(r, spec, NULL, stack, depth);

	if (!set_name_valid(spec))
		return rules_diag(r, -EINVAL, where, from_line,
		                  "'%s' is not a rule set name (a-z, 0-9, "
		                  "'-', '_') nor a path",
		                  spec);
	/* cycle check before looking at the loaded sets: an include of a set
	 * still being loaded is a cycle */
	if (in_stack(stack, depth, spec)) {
		_cleanup_free_ char *chain = stack_join(stack, depth);

		return rules_diag(r, -ELOOP, where, from_line,
		                  "include cycle: %s -> %s",
		                  chain ? chain : "?", spec);
	}
	if (find_loaded(r, spec))
		return 0;
	if (from_file) {
		first_dir = dir_of(from_file);
		if (!first_dir)
			return -ENOMEM;
	}
	k = find_set(r, first_dir, spec, &path);
	if (k == -ENOENT)
		return rules_diag(r, k, where, from_line,
		                  "rule set '%s' not found in the rule "
		                  "directories",
		                  spec);
	if (k < 0)
		return k;
	return load_file(r, path, spec, stack, depth);
}

int
rules_load(struct rules *r, const char *name_or_path)
{
	size_t before = r->n_sets;
	load_stack stack = {0};
	int k;

	rules_diag_clear(r);
	k = load_one(r, name_or_path, NULL, 0, stack, 0);
	if (k < 0) {
		while (r->n_sets > before)
			rule_set_free(r->sets[--r->n_sets]);
		if (k == -ENOMEM && r->n_diagnostics == 0)
			(void)rules_diag(r, k, name_or_path, 0,
			                 "out of memory");
	}
	return k;
}
