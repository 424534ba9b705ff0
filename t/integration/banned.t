#!/bin/sh
# The sources never use unbounded string functions or unchecked atoi; the
# tests never give wait_for a "$(...)": the shell would expand it once,
# before the first poll, and the wait would be a 10 s sleep.
. "$abs_top_srcdir/t/integration/lib.sh"
cd "$abs_top_srcdir" || exit 99
for f in strcpy strcat sprintf vsprintf gets atoi atol; do
	hits=$(grep -rnE "(^|[^_a-zA-Z0-9.>])$f[[:space:]]*\\(" --include='*.c' --include='*.h' \
		daemon tools t 2>/dev/null | grep -v '^t/integration/banned.t')
	is "$hits" "" "no $f() in the sources"
done
hits=$(grep -rnE 'wait_for[[:space:]].*\$\([^(]' --include='*.t' --include='*.sh' \
	t 2>/dev/null | grep -v '^t/integration/banned.t')
is "$hits" "" "no wait_for with a \$(...) in its arguments in the tests"
done_testing
