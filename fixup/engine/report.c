/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Plan and fix reports (json-c; <json-c/...> only here and in journal.c,
 * inspect's JSON and the CLI's facts reader). */
#include "image/disk.h"
#include "engine/json-util.h"
#include "engine/report.h"
#include "image/volume.h"

static const char *
type_name(uint32_t t)
{
	static const char *const names[] = {"none",
	                                    "sz",
	                                    "expand_sz",
	                                    "binary",
	                                    "dword",
	                                    "dword_be",
	                                    "link",
	                                    "multi_sz",
	                                    "resource_list",
	                                    "full_resource_descriptor",
	                                    "resource_requirements_list",
	                                    "qword"};

	return t < ELEMENTSOF(names) ? names[t] : "unknown";
}

static struct json_object *
edit_data(const struct hive_edit *e)
{
	switch (e->type) {
	case HIVE_T_SZ:
	case HIVE_T_EXPAND_SZ: {
		_cleanup_free_ char *s = NULL;
		size_t n;

		if (util_utf16le_to_utf8(e->data, e->len & ~(size_t)1, &s,
		                         &n) >= 0) {
			while (n > 0 && s[n - 1] == '\0')
				n--;
			return json_object_new_string_len(s, (int)n);
		}
		break;
	}
	case HIVE_T_DWORD:
		if (e->len == 4)
			return json_object_new_int64(util_le32(e->data));
		break;
	case HIVE_T_QWORD:
		if (e->len == 8)
			return json_object_new_int64(
			        (int64_t)util_le64(e->data));
		break;
	case HIVE_T_MULTI_SZ: {
		_cleanup_strv_free_ char **l = NULL;

		if (hive_decode_multi_sz(e->data, e->len, &l) >= 0)
			return jstrv(l);
		break;
	}
	default:
		break;
	}
	_cleanup_free_ char *hex = malloc(e->len * 3 + 1);
	if (!hex)
		return NULL;
	hex[0] = '\0';
	for (size_t i = 0; i < e->len; i++)
		sprintf(hex + strlen(hex), i ? ",%02x" : "%02x", e->data[i]);
	return json_object_new_string(hex);
}

static const char *
edit_kind(enum hive_edit_kind k)
{
	switch (k) {
	case HIVE_EDIT_SET_VALUE:
		return "set";
	case HIVE_EDIT_DELETE_VALUE:
		return "delete-value";
	case HIVE_EDIT_CREATE_KEY:
		return "create-key";
	case HIVE_EDIT_DELETE_KEY:
		return "delete-key";
	case HIVE_EDIT_MULTI_SZ_ADD:
		return "multi-sz-add";
	case HIVE_EDIT_MULTI_SZ_REMOVE:
		return "multi-sz-remove";
	}
	return "?";
}

static struct json_object *
plan_object(const struct fixup_plan *p)
{
	struct json_object *o = json_object_new_object();
	struct json_object *ops = json_object_new_array();
	struct json_object *probs = json_object_new_array();
	struct json_object *rules = json_object_new_array();

	for (size_t i = 0; i < p->n_ops; i++) {
		const struct fixup_op *op = &p->ops[i];
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "op",
		                       jstr(fixup_op_kind_name(op->kind)));
		json_object_object_add(j, "path", jstr(op->path));
		json_object_object_add(j, "rule", jstr(op->origin));
		json_object_object_add(j, "summary", jstr(op->summary));
		if (op->kind == FIXUP_OP_HIVE) {
			struct json_object *edits = json_object_new_array();

			json_object_object_add(j, "hive", jstr(op->hive_name));
			for (size_t e = 0; e < op->edits.n; e++) {
				const struct hive_edit *he = &op->edits.v[e];
				struct json_object *je =
				        json_object_new_object();

				json_object_object_add(
				        je, "edit", jstr(edit_kind(he->kind)));
				json_object_object_add(je, "key",
				                       jstr(he->key));
				if (he->name)
					json_object_object_add(je, "value",
					                       jstr(he->name));
				if (he->kind == HIVE_EDIT_SET_VALUE) {
					json_object_object_add(
					        je, "type",
					        jstr(type_name(he->type)));
					json_object_object_add(je, "data",
					                       edit_data(he));
					if (he->no_clobber)
						json_object_object_add(
						        je, "no_clobber",
						        json_object_new_boolean(
						                1));
				}
				if (he->item)
					json_object_object_add(je, "item",
					                       jstr(he->item));
				json_object_object_add(je, "rule",
				                       jstr(he->origin));
				json_object_array_add(edits, je);
			}
			json_object_object_add(j, "edits", edits);
		}
		if (op->kind == FIXUP_OP_PUT_FILE) {
			char sha[UTIL_SHA256_HEX_LEN + 1] = "";
			const char *base = strrchr(op->source, '/');

			(void)util_sha256_file(op->source, sha);
			json_object_object_add(
			        j, "source",
			        jstr(base ? base + 1 : op->source));
			json_object_object_add(j, "sha256", jstr(sha));
		}
		if (op->kind == FIXUP_OP_WRITE_FILE) {
			char sha[UTIL_SHA256_HEX_LEN + 1];

			util_sha256_hex(op->data, op->len, sha);
			json_object_object_add(
			        j, "created",
			        json_object_new_boolean(!op->existed));
			json_object_object_add(j, "sha256", jstr(sha));
		}
		if (op->kind == FIXUP_OP_BOOT_BYTES) {
			json_object_object_add(
			        j, "offset",
			        json_object_new_int64((int64_t)op->offset));
			json_object_object_add(
			        j, "length",
			        json_object_new_int64((int64_t)op->len));
		}
		json_object_array_add(ops, j);
	}
	for (size_t i = 0; i < p->n_problems; i++) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "rule", jstr(p->problems[i].origin));
		json_object_object_add(j, "message",
		                       jstr(p->problems[i].message));
		json_object_object_add(j, "hint", jstr(p->problems[i].hint));
		json_object_object_add(
		        j, "blocking",
		        json_object_new_boolean(p->problems[i].blocking));
		json_object_array_add(probs, j);
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		struct json_object *j = json_object_new_object();

		json_object_object_add(j, "rule", jstr(p->rules[i].origin));
		json_object_object_add(j, "actions",
		                       jstrv(p->rules[i].actions));
		json_object_array_add(rules, j);
	}
	json_object_object_add(o, "rules", rules);
	json_object_object_add(o, "ops", ops);
	json_object_object_add(o, "problems", probs);
	json_object_object_add(o, "warnings", jstrv(p->warnings));
	json_object_object_add(o, "notes", jstrv(p->notes));
	return o;
}

static int
to_string(struct json_object *o, char **ret)
{
	const char *s = json_object_to_json_string_ext(
	        o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	                   JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s)
		return -ENOMEM;
	if (util_asprintf(ret, "%s\n", s) < 0)
		return -ENOMEM;
	return 0;
}

int
fixup_plan_json(const struct fixup_plan *p, char **ret)
{
	_cleanup_(json_object_putp) struct json_object *o = plan_object(p);

	if (!o)
		return -ENOMEM;
	return to_string(o, ret);
}

int
fixup_report_json(const struct fixup_report *r, char **ret)
{
	_cleanup_(json_object_putp) struct json_object *o =
	        json_object_new_object();
	const struct fixup_session *s = r->session;
	struct json_object *facts = json_object_new_object();

	if (!o || !facts)
		return -ENOMEM;
	json_object_object_add(o, "command", jstr(r->command));
	json_object_object_add(o, "status", jstr(r->status));
	if (s->img)
		json_object_object_add(o, "image",
		                       jstr(fixup_image_path(s->img)));
	json_object_object_add(o, "backend", jstr(r->backend));
	if (s->img) {
		/* which road read the image, and in which format */
		json_object_object_add(o, "road",
		                       jstr(fixup_image_is_guestfs(s->img)
		                                    ? "guestfs"
		                                    : "direct"));
		json_object_object_add(o, "image_format",
		                       jstr(fixup_image_format(s->img)));
	}
	if (s->guest) {
		json_object_object_add(o, "root", jstr(s->guest->root));
		for (size_t i = 0; i < util_strmap_size(s->guest->facts); i++)
			json_object_object_add(
			        facts, util_strmap_key(s->guest->facts, i),
			        jstr(util_strmap_value(s->guest->facts, i)));
	}
	json_object_object_add(o, "facts", facts);
	if (s->planned)
		json_object_object_add(o, "plan", plan_object(&s->plan));
	if (s->img && fixup_image_disk(s->img)) {
		/* direct road: bytes of the image read and written so far (of
		 * the guest-visible disk for qcow2 ... through NBD; libblkid's
		 * partition-table probe of a raw file not counted) */
		struct json_object *io = json_object_new_object();
		uint64_t rd, wr;

		fixup_disk_io(fixup_image_disk(s->img), &rd, &wr);
		json_object_object_add(io, "bytes_read",
		                       json_object_new_int64((int64_t)rd));
		json_object_object_add(io, "bytes_written",
		                       json_object_new_int64((int64_t)wr));
		json_object_object_add(o, "image_io", io);
	}
	if (r->applied) {
		struct json_object *a = json_object_new_object();

		json_object_object_add(a, "backup",
		                       jstr(r->applied->backup_dir));
		json_object_object_add(
		        a, "files_written",
		        json_object_new_int((int)r->applied->files_written));
		json_object_object_add(
		        a, "files_removed",
		        json_object_new_int((int)r->applied->files_removed));
		json_object_object_add(
		        a, "extents",
		        json_object_new_int((int)r->applied->extents));
		json_object_object_add(o, "applied", a);
	}
	return to_string(o, ret);
}

int
fixup_report_text(const struct fixup_report *r, FILE *out)
{
	const struct fixup_session *s = r->session;
	const struct fixup_plan *p = &s->plan;
	const struct util_strmap *f = s->guest ? s->guest->facts : NULL;

	fprintf(out, "imgfix %s: %s\n", r->command, r->status);
	if (s->img)
		fprintf(out, "  image:   %s (%s, %s road, %s backend)\n",
		        fixup_image_path(s->img), fixup_image_format(s->img),
		        fixup_image_is_guestfs(s->img) ? "guestfs" : "direct",
		        r->backend ? r->backend : "?");
	if (f)
		fprintf(out, "  guest:   %s %s (%s, %s) on %s\n",
		        util_strmap_get(f, "os.product")
		                ? util_strmap_get(f, "os.product")
		                : (util_strmap_get(f, "os.distro")
		                           ? util_strmap_get(f, "os.distro")
		                           : "?"),
		        util_strmap_get(f, "os.version")
		                ? util_strmap_get(f, "os.version")
		                : "",
		        util_strmap_get(f, "os.arch")
		                ? util_strmap_get(f, "os.arch")
		                : "?",
		        util_strmap_get(f, "source.platform")
		                ? util_strmap_get(f, "source.platform")
		                : "unknown source",
		        s->guest->root);
	if (!s->planned)
		return 0;
	if (p->n_rules) {
		fprintf(out, "\nRules applied:\n");
		for (size_t i = 0; i < p->n_rules; i++) {
			fprintf(out, "  %s\n", p->rules[i].origin);
			STRV_FOREACH (a, p->rules[i].actions)
				fprintf(out, "    - %s\n", *a);
		}
	}
	if (p->n_ops) {
		fprintf(out, "\nChanges (%zu):\n", p->n_ops);
		for (size_t i = 0; i < p->n_ops; i++)
			fprintf(out, "  %-9s %s%s%s\n",
			        fixup_op_kind_name(p->ops[i].kind),
			        p->ops[i].path,
			        p->ops[i].kind == FIXUP_OP_HIVE ? "  " : "",
			        p->ops[i].kind == FIXUP_OP_HIVE ? "(registry)"
			                                        : "");
	}
	if (p->n_problems) {
		fprintf(out, "\nMissing / problems:\n");
		for (size_t i = 0; i < p->n_problems; i++) {
			fprintf(out, "  %s %s%s%s\n",
			        p->problems[i].blocking ? "[blocking]"
			                                : "[warning] ",
			        p->problems[i].origin ? p->problems[i].origin
			                              : "",
			        p->problems[i].origin ? ": " : "",
			        p->problems[i].message);
			if (p->problems[i].hint)
				fprintf(out, "             hint: %s\n",
				        p->problems[i].hint);
		}
	}
	if (p->warnings) {
		fprintf(out, "\nWarnings:\n");
		STRV_FOREACH (w, p->warnings)
			fprintf(out, "  %s\n", *w);
	}
	if (r->applied)
		fprintf(out,
		        "\nBackup and journal: %s\n"
		        "  undo with: imgfix rollback --backup %s %s\n",
		        r->applied->backup_dir, r->applied->backup_dir,
		        fixup_image_path(s->img));
	return 0;
}
