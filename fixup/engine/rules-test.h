/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `imgfix rules test` (rules-test.c), dispatched from cmd-rules.c. */
#ifndef IMGFIX_FIXUP_RULES_TEST_H
#define IMGFIX_FIXUP_RULES_TEST_H

int cmd_rules_test(int argc, char **argv);

#endif
