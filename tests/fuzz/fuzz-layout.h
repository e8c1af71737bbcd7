/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The disk layouts the winboot fuzz targets fix against: one MBR disk with
 * a primary NTFS, an extended container and a logical drive, and one GPT
 * disk with an ESP and a Windows partition.
 */
#ifndef IMGFIX_TESTS_FUZZ_LAYOUT_H
#define IMGFIX_TESTS_FUZZ_LAYOUT_H

#include "util.h"
#include "windows/winboot.h"

static const struct winboot_partition fuzz_mbr_parts[] = {
        {.index = 1, .start = 32256, .size = 1u << 30, .mbr_type = 0x07},
        {.index = 2,
         .start = (1ull << 30) + 32256,
         .size = 2ull << 30,
         .mbr_type = 0x0f},
        {.index = 5,
         .start = (1ull << 30) + 65536,
         .size = 1ull << 30,
         .mbr_type = 0x07},
};

static const struct winboot_layout fuzz_mbr_layout = {
        .style = WINBOOT_STYLE_MBR,
        .mbr_signature = 0x4d2c6e1f,
        .disk_size = 4ull << 30,
        .partitions = fuzz_mbr_parts,
        .n_partitions = ELEMENTSOF(fuzz_mbr_parts),
        .windows_part = 0,
        .boot_part = 0,
};

static const struct winboot_partition fuzz_gpt_parts[] = {
        {.index = 1,
         .start = 1u << 20,
         .size = 100u << 20,
         .guid = {0x11, 0x22, 0x33, 0x44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                  12},
         .type_guid = {0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba,
                       0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b}},
        {.index = 2,
         .start = 101u << 20,
         .size = 4ull << 30,
         .guid = {0x55, 0x66, 0x77, 0x88, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
                  12},
         .type_guid = {0xa2, 0xa0, 0xd0, 0xeb, 0xe5, 0xb9, 0x33, 0x44, 0x87,
                       0xc0, 0x68, 0xb6, 0xb7, 0x26, 0x99, 0xc7}},
};

static const struct winboot_layout fuzz_gpt_layout = {
        .style = WINBOOT_STYLE_GPT,
        .disk_guid = {0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                      11},
        .disk_size = 8ull << 30,
        .partitions = fuzz_gpt_parts,
        .n_partitions = ELEMENTSOF(fuzz_gpt_parts),
        .windows_part = 1,
        .boot_part = 0,
};

#endif
