/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The main() of the fuzz targets in the default build (no libFuzzer): runs
 * LLVMFuzzerTestOneInput() once over every file given, and over every file
 * under every directory given (recursively, sorted), so the `fuzz` suite
 * replays the seed corpora and the regression inputs under the normal
 * compiler and its sanitizers.
 *
 * A file named *.hex holds the input as hex text (whitespace and '#'
 * comment lines ignored): how binary seeds and regression inputs are kept
 * in the source tree.  Missing paths are an error; an empty directory is
 * not.  Exit 0 when every input ran, 1 on an unreadable input (a failing
 * property aborts the process).
 */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define REPLAY_MAX_INPUT (64u * 1024 * 1024)
#define REPLAY_MAX_DEPTH 16

static size_t replay_count;

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes hex text in place; -EBADMSG on an odd digit count or junk. */
static int
hex_decode(char *text, size_t len, size_t *ret_len)
{
	size_t n = 0;
	int hi = -1;

	for (size_t i = 0; i < len; i++) {
		int v;

		if (text[i] == '#') {
			while (i < len && text[i] != '\n')
				i++;
			continue;
		}
		if (strchr(" \t\r\n", text[i]))
			continue;
		v = hex_value((unsigned char)text[i]);
		if (v < 0)
			return -EBADMSG;
		if (hi < 0) {
			hi = v;
		} else {
			text[n++] = (char)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0)
		return -EBADMSG;
	*ret_len = n;
	return 0;
}

static int
replay_file(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ uint8_t *exact = NULL;
	size_t len = 0;
	int r;

	r = util_read_file(path, REPLAY_MAX_INPUT, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "fuzz-replay: cannot read %s: %s\n", path,
		        strerror(-r));
		return r;
	}
	if (util_endswith_case(path, ".hex")) {
		r = hex_decode(buf, len, &len);
		if (r < 0) {
			fprintf(stderr, "fuzz-replay: %s: not hex text\n",
			        path);
			return r;
		}
	}
	if (getenv("FUZZ_REPLAY_VERBOSE"))
		fprintf(stderr, "fuzz-replay: %s (%zu bytes)\n", path, len);
	/* an allocation of exactly len bytes, as libFuzzer passes it, so
	 * that a sanitizer sees any read past the end */
	exact = malloc(len ? len : 1);
	if (!exact)
		return -ENOMEM;
	memcpy(exact, buf, len);
	(void)LLVMFuzzerTestOneInput(exact, len);
	replay_count++;
	return 0;
}

static int
replay_path(const char *path, unsigned depth)
{
	struct dirent **names = NULL;
	struct stat st;
	int n, r = 0;

	if (stat(path, &st) < 0) {
		r = -errno;
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode))
		return S_ISREG(st.st_mode) ? replay_file(path) : 0;
	if (depth >= REPLAY_MAX_DEPTH)
		return 0;
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		r = -errno;
		fprintf(stderr, "fuzz-replay: %s: %s\n", path, strerror(-r));
		return r;
	}
	for (int i = 0; i < n; i++) {
		if (names[i]->d_name[0] != '.') {
			_cleanup_free_ char *p =
			        util_path_join(path, names[i]->d_name);
			int k = p ? replay_path(p, depth + 1) : -ENOMEM;

			if (k < 0 && r == 0)
				r = k;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

int
main(int argc, char **argv)
{
	int r = 0;

	for (int i = 1; i < argc; i++) {
		int k = replay_path(argv[i], 0);

		if (k < 0 && r == 0)
			r = k;
	}
	fprintf(stderr, "fuzz-replay: %zu input(s) replayed\n", replay_count);
	return r < 0 ? 1 : 0;
}
