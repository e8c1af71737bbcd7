/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private declarations shared by the files of patchcache/.
 */
#ifndef IMGFIX_PATCHCACHE_INTERNAL_H
#define IMGFIX_PATCHCACHE_INTERNAL_H

#include "patchcache.h"

/* Formats "file:line: message" into *ret_error when ret_error is set. */
void pcache_set_error(char **ret_error, const char *file, long line,
                      const char *fmt, ...) _printf_(4, 5);

/* Lower-cases a file name and checks it is a plain name (no '/', '\\',
 * control characters, TAB, not "." or "..", at most PCACHE_MAX_NAME). */
int pcache_normalize_name(const char *s, char **ret);

/* cache.c: stores buf under name (already normalized) when it is a PE file;
 * counts into stats. */
int pcache_store_buffer(struct pcache *c, const char *name, const void *buf,
                        size_t len, struct pcache_add_stats *stats);

/* cache.c: sorts the entries and rewrites the index atomically. */
int pcache_save_index(struct pcache *c);

/* ingest.c: the libmspack side. */
enum pcache_container {
	PCACHE_CONTAINER_NONE = 0,
	PCACHE_CONTAINER_SZDD,
	PCACHE_CONTAINER_KWAJ,
	PCACHE_CONTAINER_CAB,
};
enum pcache_container pcache_detect_container(const void *head, size_t len);
/* Expands a compressed file / every file of a CAB and hands the contents to
 * pcache_store_buffer (CAB members that are themselves CABs are not
 * recursed into). */
int pcache_ingest_container(struct pcache *c, const char *path,
                            enum pcache_container kind,
                            struct pcache_add_stats *stats, char **ret_error);
/* The name of the file an SZDD/KWAJ file expands to: "hal.dl_" + missing
 * char, or from a table of the usual extensions. */
int pcache_expanded_name(const char *compressed_name, char missing, char **ret);

#endif
