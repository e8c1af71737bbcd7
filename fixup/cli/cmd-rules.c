/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix rules`: check rule files and show what rule sets do.
 *
 *   imgfix rules validate FILE|SET...
 *   imgfix rules eval -r SET [-r SET...] [--json] [--fact NAME=VALUE...]
 *                     [--facts FILE.json | IMAGE]
 *
 * The facts file is either a flat JSON object {"os.version": "10.0", ...}
 * or the output of `imgfix inspect --json` ({"guests":[{"facts":{...}}]},
 * first guest).  json-c is used here only to read that file.  An IMAGE is
 * inspected read-only (fixup/engine/inspect.h) and its first guest's facts
 * used.
 */
#include <getopt.h>
#include <json-c/json.h>

#include "cli/cmd.h"
#include "engine/road.h"
#include "engine/rules-test.h"
#include "engine/inspect.h"
#include "engine/json-util.h"
#include "rules.h"
#include "util.h"

#define FACTS_MAX_FILE_SIZE (64u * 1024 * 1024)
#define FACTS_MAX_JSON_DEPTH 16
#define FACTS_MAX_COUNT 1000000

static void
print_diagnostics(const struct rules *r)
{
	STRV_FOREACH (d, rules_diagnostics(r))
		fprintf(stderr, "%s\n", *d);
}

static struct rules *
new_rules(void)
{
	_cleanup_free_ char *sets = imgfix_data_path("rules/sets");
	char *dirs[] = {sets, NULL};

	if (!sets)
		return NULL;
	return rules_new(dirs);
}

/* ---- validate ----------------------------------------------------------- */

static void
validate_help(FILE *f)
{
	fprintf(f, "Usage: imgfix rules validate FILE|SET...\n\n"
	           "Checks rule files against the schema and the semantic "
	           "rules of\nimgfix-rules(5): unknown fact names, impossible "
	           "version ranges,\nactions the rule's OS cannot take, bad "
	           "attributes, duplicate ids,\nconflicts, include cycles.  "
	           "Includes are looked up next to the file\nand in the "
	           "shipped rule directory.  Exit 0 when every file is "
	           "valid.\n");
}

static int
rules_validate(int argc, char **argv)
{
	static const struct option options[] = {
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int c, ret = IMGFIX_EXIT_OK;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0) {
		switch (c) {
		case 'h':
			validate_help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			validate_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		validate_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	for (int i = optind; i < argc; i++) {
		_cleanup_(rules_freep) struct rules *r = new_rules();
		int k;

		if (!r)
			return log_error_errno(-ENOMEM, "Out of memory"),
			       IMGFIX_EXIT_FAILURE;
		k = rules_load(r, argv[i]);
		if (k < 0) {
			print_diagnostics(r);
			log_error("%s: not a valid rule set", argv[i]);
			ret = IMGFIX_EXIT_FAILURE;
			continue;
		}
		printf("%s: OK (%zu set%s)\n", argv[i], rules_n_sets(r),
		       rules_n_sets(r) == 1 ? "" : "s");
	}
	return ret;
}

/* ---- eval --------------------------------------------------------------- */

static int
facts_add_object(struct util_strmap *facts, struct json_object *obj,
                 const char *file)
{
	if (!json_object_is_type(obj, json_type_object))
		return log_error_errno(-EINVAL,
		                       "%s: facts must be a JSON object", file);
	json_object_object_foreach(obj, key, val)
	{
		int k;

		if (util_strmap_size(facts) >= FACTS_MAX_COUNT)
			return log_error_errno(-E2BIG, "%s: more than %u facts",
			                       file, FACTS_MAX_COUNT);
		switch (json_object_get_type(val)) {
		case json_type_string:
		case json_type_int:
		case json_type_double:
		case json_type_boolean:
			k = util_strmap_set(facts, key,
			                    json_object_get_string(val));
			break;
		default:
			return log_error_errno(-EINVAL,
			                       "%s: fact '%s' is not a string, "
			                       "number or boolean",
			                       file, key);
		}
		if (k < 0)
			return log_error_errno(k, "Out of memory");
	}
	return 0;
}

static int
facts_load_json(struct util_strmap *facts, const char *file)
{
	_cleanup_(json_object_putp) struct json_object *root = NULL;
	_cleanup_free_ char *buf = NULL;
	struct json_tokener *tok;
	struct json_object *guests, *g, *f;
	enum json_tokener_error jerr;
	size_t len;
	int k;

	k = util_read_file(file, FACTS_MAX_FILE_SIZE, &buf, &len);
	if (k < 0)
		return log_error_errno(k, "Failed to read facts file '%s': %m",
		                       file);
	if (len > INT32_MAX)
		return log_error_errno(-EFBIG, "%s: too large", file);
	tok = json_tokener_new_ex(FACTS_MAX_JSON_DEPTH);
	if (!tok)
		return log_error_errno(-ENOMEM, "Out of memory");
	root = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success ||
	    (size_t)json_tokener_get_parse_end(tok) < len) {
		/* trailing whitespace is fine */
		size_t end = (size_t)json_tokener_get_parse_end(tok);
		bool only_space = root && jerr == json_tokener_success &&
		                  strspn(buf + end, " \t\r\n") == len - end;

		if (!only_space) {
			log_error("%s: not valid JSON near byte %zu: %s", file,
			          end, json_tokener_error_desc(jerr));
			json_tokener_free(tok);
			return -EINVAL;
		}
	}
	json_tokener_free(tok);

	if (json_object_object_get_ex(root, "guests", &guests)) {
		if (!json_object_is_type(guests, json_type_array) ||
		    json_object_array_length(guests) == 0)
			return log_error_errno(-EINVAL,
			                       "%s: \"guests\" is not a "
			                       "non-empty array",
			                       file);
		if (json_object_array_length(guests) > 1)
			log_warning("%s: %zu guests, using the first", file,
			            json_object_array_length(guests));
		g = json_object_array_get_idx(guests, 0);
		if (!json_object_is_type(g, json_type_object) ||
		    !json_object_object_get_ex(g, "facts", &f))
			return log_error_errno(-EINVAL,
			                       "%s: the first guest has no "
			                       "\"facts\" object",
			                       file);
		return facts_add_object(facts, f, file);
	}
	return facts_add_object(facts, root, file);
}

/* Inspects image read-only and copies its first guest's facts. */
static int
facts_from_image(struct util_strmap *facts, const char *image)
{
	_cleanup_(fixup_image_freep) struct fixup_image *img = NULL;
	struct fixup_guest *guests = NULL;
	size_t n = 0;
	int k;

	util_log_phase("start");
	k = fixup_road_open_inspect(
	        image, imgfix_globals.verbose >= 2 ? FIXUP_OPEN_VERBOSE : 0,
	        NULL, &img, &guests, &n);
	if (k < 0)
		return log_error_errno(k, "Failed to inspect '%s': %s", image,
		                       fixup_error_detail()
		                               ? fixup_error_detail()
		                               : strerror(-k));
	if (n > 1)
		log_warning("%s: %zu guests, using the first (%s)", image, n,
		            guests[0].root);
	STRV_FOREACH (w, guests[0].warnings)
		log_warning("%s: %s: %s", image, guests[0].root, *w);
	for (size_t i = 0; k >= 0 && i < util_strmap_size(guests[0].facts); i++)
		k = util_strmap_set(facts, util_strmap_key(guests[0].facts, i),
		                    util_strmap_value(guests[0].facts, i));
	fixup_guests_free(guests, n);
	if (k < 0)
		return log_error_errno(k, "Out of memory");
	k = fixup_image_close_volumes(img);
	if (k < 0)
		return log_error_errno(k, "Failed to close '%s': %s", image,
		                       strerror(-k));
	return 0;
}

static void
print_text(const struct rules_result *res)
{
	for (size_t i = 0; i < rules_result_size(res); i++) {
		const struct rules_action *a = rules_result_get(res, i);

		printf("%s/%s: %s", a->set_name, a->rule_id,
		       rules_action_kind_to_string(a->kind));
		for (size_t j = 0; j < a->n_attrs; j++)
			printf(" %s=\"%s\"", a->attrs[j].key,
			       a->attrs[j].value);
		putchar('\n');
	}
	if (rules_result_size(res) == 0)
		printf("(no actions)\n");
}

static int
print_json(const struct rules *r, const struct rules_result *res)
{
	_cleanup_(json_object_putp) struct json_object *root =
	        json_object_new_object();
	struct json_object *sets = json_object_new_array();
	struct json_object *acts = json_object_new_array();

	if (!root || !sets || !acts) {
		json_object_put(sets);
		json_object_put(acts);
		return -ENOMEM;
	}
	json_object_object_add(root, "sets", sets);
	json_object_object_add(root, "actions", acts);
	for (size_t i = 0; i < rules_n_sets(r); i++)
		json_object_array_add(
		        sets, json_object_new_string(rules_set_name(r, i)));
	for (size_t i = 0; i < rules_result_size(res); i++) {
		const struct rules_action *a = rules_result_get(res, i);
		struct json_object *o = json_object_new_object();
		struct json_object *attrs = json_object_new_object();

		if (!o || !attrs) {
			json_object_put(o);
			json_object_put(attrs);
			return -ENOMEM;
		}
		json_object_object_add(
		        o, "kind",
		        json_object_new_string(
		                rules_action_kind_to_string(a->kind)));
		json_object_object_add(o, "set",
		                       json_object_new_string(a->set_name));
		json_object_object_add(o, "rule",
		                       json_object_new_string(a->rule_id));
		json_object_object_add(o, "file",
		                       json_object_new_string(a->file));
		json_object_object_add(o, "line",
		                       json_object_new_int((int)a->line));
		for (size_t j = 0; j < a->n_attrs; j++)
			json_object_object_add(
			        attrs, a->attrs[j].key,
			        json_object_new_string(a->attrs[j].value));
		json_object_object_add(o, "attrs", attrs);
		json_object_array_add(acts, o);
	}
	printf("%s\n", json_object_to_json_string_ext(
	                       root, JSON_C_TO_STRING_PRETTY |
	                                     JSON_C_TO_STRING_NOSLASHESCAPE));
	return 0;
}

static void
eval_help(FILE *f)
{
	fprintf(f,
	        "Usage: imgfix rules eval -r SET [-r SET...] [--json]\n"
	        "                         [--fact NAME=VALUE...] "
	        "[--facts FILE.json | IMAGE]\n\n"
	        "Prints the actions the rule sets produce for the given "
	        "facts, in\nevaluation order, each with its set and rule.  "
	        "SET is a shipped\nset's name (kvm-virtio) or a path.  The "
	        "facts file is a JSON object\nof fact names to values, or the "
	        "output of 'imgfix inspect --json'\n(first guest); an IMAGE is "
	        "inspected read-only.  --fact adds or\noverrides one "
	        "fact.\n\n"
	        "  -r, --rules SET       rule set to load (repeatable)\n"
	        "  -f, --facts FILE      facts (JSON)\n"
	        "  -D, --fact NAME=VALUE one fact (repeatable)\n"
	        "      --json            machine-readable output\n"
	        "  -h, --help            this help\n");
}

static int
rules_eval_cmd(int argc, char **argv)
{
	enum { OPT_JSON = 0x100 };
	static const struct option options[] = {
	        {"rules", required_argument, NULL, 'r'},
	        {"facts", required_argument, NULL, 'f'},
	        {"fact", required_argument, NULL, 'D'},
	        {"json", no_argument, NULL, OPT_JSON},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *facts = NULL;
	_cleanup_strv_free_ char **sets = NULL, **extra = NULL;
	const char *facts_file = NULL, *image = NULL;
	bool json = false;
	int c, k;

	while ((c = getopt_long(argc, argv, "r:f:D:h", options, NULL)) >= 0) {
		switch (c) {
		case 'r':
			if (util_strv_push(&sets, optarg) < 0)
				return log_error_errno(-ENOMEM,
				                       "Out of memory"),
				       IMGFIX_EXIT_FAILURE;
			break;
		case 'f':
			facts_file = optarg;
			break;
		case 'D':
			if (!strchr(optarg, '=') || optarg[0] == '=') {
				log_error("--fact wants NAME=VALUE, not '%s'",
				          optarg);
				return IMGFIX_EXIT_USAGE;
			}
			if (util_strv_push(&extra, optarg) < 0)
				return log_error_errno(-ENOMEM,
				                       "Out of memory"),
				       IMGFIX_EXIT_FAILURE;
			break;
		case OPT_JSON:
			json = true;
			break;
		case 'h':
			eval_help(stdout);
			return IMGFIX_EXIT_OK;
		default:
			eval_help(stderr);
			return IMGFIX_EXIT_USAGE;
		}
	}
	if (optind < argc)
		image = argv[optind++];
	if (!sets || optind < argc || (facts_file && image) ||
	    (!facts_file && !image && !extra)) {
		eval_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}

	facts = util_strmap_new();
	r = new_rules();
	if (!facts || !r)
		return log_error_errno(-ENOMEM, "Out of memory"),
		       IMGFIX_EXIT_FAILURE;
	if (facts_file && facts_load_json(facts, facts_file) < 0)
		return IMGFIX_EXIT_FAILURE;
	if (image && facts_from_image(facts, image) < 0)
		return IMGFIX_EXIT_FAILURE;
	STRV_FOREACH (e, extra) {
		_cleanup_free_ char *name = util_strndup0(*e, strcspn(*e, "="));

		if (!name ||
		    util_strmap_set(facts, name, *e + strlen(name) + 1) < 0)
			return log_error_errno(-ENOMEM, "Out of memory"),
			       IMGFIX_EXIT_FAILURE;
	}
	STRV_FOREACH (s, sets) {
		k = rules_load(r, *s);
		if (k < 0) {
			print_diagnostics(r);
			log_error_errno(k, "Failed to load rule set '%s': %m",
			                *s);
			return IMGFIX_EXIT_FAILURE;
		}
	}
	k = rules_eval(r, facts, &res);
	if (k < 0) {
		print_diagnostics(r);
		log_error_errno(k, "Failed to evaluate the rule sets: %m");
		return IMGFIX_EXIT_FAILURE;
	}
	if (json) {
		if (print_json(r, res) < 0)
			return log_error_errno(-ENOMEM, "Out of memory"),
			       IMGFIX_EXIT_FAILURE;
	} else
		print_text(res);
	return IMGFIX_EXIT_OK;
}

/* ---- front door --------------------------------------------------------- */

static void
rules_help(FILE *f)
{
	fprintf(f, "Usage: imgfix rules COMMAND ...\n\n"
	           "  validate FILE|SET...           check rule files\n"
	           "  eval -r SET... (--facts F.json | IMAGE)\n"
	           "                                 show the actions of "
	           "rule sets\n"
	           "  test -r SET... [-d STORE...] [-p CACHE] [--profiles DIR] "
	           "[--junit FILE]\n"
	           "                                 check sets against guest "
	           "profiles\n\n"
	           "See imgfix-rules(5) for the rule language and 'imgfix "
	           "rules COMMAND --help'.\n");
}

int
cmd_rules(int argc, char **argv)
{
	if (argc < 2) {
		rules_help(stderr);
		return IMGFIX_EXIT_USAGE;
	}
	if (streq(argv[1], "-h") || streq(argv[1], "--help")) {
		rules_help(stdout);
		return IMGFIX_EXIT_OK;
	}
	/* the sub-subcommand parses from its own name on */
	optind = 0;
	if (streq(argv[1], "validate"))
		return rules_validate(argc - 1, argv + 1);
	if (streq(argv[1], "eval"))
		return rules_eval_cmd(argc - 1, argv + 1);
	if (streq(argv[1], "test"))
		return cmd_rules_test(argc - 1, argv + 1);
	log_error("Unknown rules command '%s'. See 'imgfix rules --help'.",
	          argv[1]);
	return IMGFIX_EXIT_USAGE;
}
