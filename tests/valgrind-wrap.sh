#!/usr/bin/env bash
# The `valgrind` test setup's wrapper: C test executables run under
# valgrind memcheck (any error or definite leak fails the test); test
# scripts run as they are — valgrind would only check the shell or Python
# interpreter, whose own allocations are not ours.  The scripts' imgfix runs
# are covered by the C tests of the same code and by the ASan build.
if [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
	exec valgrind --quiet --error-exitcode=3 --leak-check=full \
		--show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect --track-origins=yes \
		--trace-children=no "$@"
fi
exec "$@"
