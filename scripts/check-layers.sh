#!/bin/sh
# scripts/check-layers.sh [LIBDIR] - the include rules of lib/'s areas
# (docs/hacking.md): base/ includes no header of another area, and io/ never
# includes a header of rec/.  Prints one line per broken rule and exits 1
# when there is one.  tests/cli/test_layers.sh runs it on lib/ and on a tree
# with a planted violation (so the check itself is seen to fail).
set -u
lib=${1:-lib}
bad=0
# headers_of AREA: the basenames of the headers of lib/AREA/
headers_of() { for h in "$lib/$1"/*.h; do [ -f "$h" ] && basename "$h"; done; }
# forbid FROM TO: no file of lib/FROM/ includes a header of lib/TO/
forbid() {
	for h in $(headers_of "$2"); do
		hits=$(grep -l "#include \"$h\"" "$lib/$1"/*.c "$lib/$1"/*.h 2>/dev/null)
		for f in $hits; do
			echo "$f includes $h of $2/ ($1/ must not)" >&2
			bad=1
		done
	done
}
for area in io store embed covisit rec report; do forbid base "$area"; done
forbid io rec
exit $bad
