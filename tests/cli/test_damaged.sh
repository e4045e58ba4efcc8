# tests/cli/test_damaged.sh - one damaged-file test over every binary format
# ottorec owns (event store, pairs, MF checkpoint, ANN index, co-visitation
# table with its item dictionary, ranker model, the ranker's item
# statistics: all or_sfile files,
# lib/base/or_sfile.h)
# and every command that reads it.  Small files of each are made with the CLI, then each is damaged
# in every way below and handed to each of its readers:
#   empty, header page only, truncated at every section boundary (each
#   section's start and end), bytes appended (1 and 4096), the previous
#   format version, a byte flipped in the header's fields, and a byte
#   flipped in the middle of each non-empty section.
# Every case but the last must fail with an error naming the file (the
# version case also says how to rebuild it).  A flipped section byte is
# caught where the reader verifies that section's checksum (or_sfile.h's
# Verification): every reader of a store verifies its offsets and
# dictionary at open and the sections its pass reads as it reads them
# (info: the aids; the others: all); train verifies the pairs file (its
# dictionary at open, the pairs as the first epoch reads them) and
# `train --resume` the checkpoint; every reader of an index, of a
# ranker model, of item statistics or of co-visitation tables verifies them
# whole at open.  There it must fail
# naming the file and the section; where a reader does not read a section
# (info and the store's ts, type and session ids) a flipped byte must at
# least not crash (no signal, no sanitizer report).
. "$TESTS_DIR/cli/lib.sh"

O="$OTTOREC"
D="$T/d"
expect_ok "make stores" "$O" synth --quiet --scale 0.0001 --seed 3 -o "$D"
expect_ok "make pairs" "$O" pairs --quiet -o "$T/p.pairs" "$D/train.store" "$D/test.store"
expect_ok "make embeddings and checkpoint" "$O" train --quiet --dim 8 --checkpoint "$T/m.ckpt" \
	-o "$T/e.npy" "$T/p.pairs"
expect_ok "make index" "$O" index build --quiet -o "$T/i.idx" "$T/e.npy"
expect_ok "make co-visitation tables" "$O" covisit --quiet -o "$T/cv" "$D/train.store" "$D/test.store"
L="$D/test_labels.jsonl"
AID=$(sed -n '1s/.*"clicks":\([0-9]*\).*/\1/p' "$L")
[ -n "$AID" ] || AID=0

# ---- the header (or_sfile.h): n_sections at 16, the section table at 160 ----
u32() { od -An -v -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
u64() { od -An -v -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
size_of() { wc -c < "$1" | tr -d ' '; }
# put_byte FILE OFFSET VALUE: overwrite one byte
put_byte() { printf "\\$(printf %03o "$3")" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null; }
flip_byte() { # FILE OFFSET
	b=$(od -An -v -t u1 -j "$2" -N 1 "$1" | tr -d ' ')
	put_byte "$1" "$2" $((b ^ 255))
}

# sections GOOD: "index offset bytes" of each section
sections() {
	i=0
	while [ "$i" -lt "$(u32 "$1" 16)" ]; do
		echo "$i $(u64 "$1" $((160 + 32 * i))) $(u64 "$1" $((168 + 32 * i)))"
		i=$((i + 1))
	done
}

# cases GOOD: "name kind arg" lines; kind is how the damaged copy is made
cases() {
	size=$(size_of "$1")
	sections "$1" > "$T/sections.txt"
	echo "empty cut 0"
	echo "header-only cut 4096"
	while read -r i off bytes; do
		[ "$off" -lt "$size" ] && echo "cut-at-section-$i-start cut $off"
		end=$((off + bytes))
		[ "$end" -lt "$size" ] && [ "$bytes" -gt 0 ] && echo "cut-at-section-$i-end cut $end"
	done < "$T/sections.txt"
	echo "appended-1 append 1"
	echo "appended-4096 append 4096"
	echo "old-version version -"
	echo "header-field-flipped flip 40"
	while read -r i off bytes; do
		[ "$bytes" -gt 0 ] && echo "section-$i-flipped section $((off + bytes / 2))"
	done < "$T/sections.txt"
}

# damage GOOD BAD KIND ARG: BAD is a damaged copy of GOOD
damage() {
	cp "$1" "$2"
	case $3 in
	cut) head -c "$4" "$1" > "$2" ;;
	append) head -c "$4" /dev/zero >> "$2" ;;
	version) put_byte "$2" 8 $(($(u32 "$1" 8) - 1)) ;;
	flip|section) flip_byte "$2" "$4" ;;
	esac
}

# expect_no_crash NAME CMD...: any exit status, but no signal and no
# sanitizer report
expect_no_crash() {
	name=$1; shift
	"$@" >"$T/stdout" 2>"$T/stderr"
	rc=$?
	if [ $rc -ge 128 ]; then fail "$name" "died with signal $((rc - 128)): $(head -c 600 "$T/stderr")"
	elif grep -q -E 'Sanitizer|runtime error' "$T/stderr"; then fail "$name" "sanitizer: $(head -c 600 "$T/stderr")"
	else pass "$name"; fi
}

# run_format FORMAT GOOD BAD READER...: every case against every reader.
# A reader is the name of a function called with the damaged file's path
# and a scratch output path, and marked "=verify" when it checks every
# section's checksum, "=verify:I,J" when it checks sections I and J only.
run_format() {
	fmt=$1 good=$2 bad=$3
	shift 3
	cases "$good" > "$T/cases.txt"
	while read -r cname kind arg; do
		damage "$good" "$bad" "$kind" "$arg"
		ver=$(($(u32 "$good" 8) - 1))
		sec=${cname#section-}
		sec=${sec%-flipped}
		for reader in "$@"; do
			fn=${reader%%=*}
			checks=${reader#"$fn"}
			name="$fmt $cname: $fn"
			rm -rf "$T/out"
			mkdir -p "$T/out"
			if [ "$kind" = version ]; then
				expect_fail "$name" "$bad: .*format version $ver, .*reads version $((ver + 1))" "$fn" "$bad" "$T/out"
			elif [ "$kind" != section ]; then
				expect_fail "$name" "$bad" "$fn" "$bad" "$T/out"
			elif [ "$checks" = "=verify" ] || case ",${checks#=verify:}," in *",$sec,"*) true ;; *) false ;; esac; then
				expect_fail "$name" "$bad: checksum mismatch in the .* section" "$fn" "$bad" "$T/out"
			else
				expect_no_crash "$name" "$fn" "$bad" "$T/out"
			fi
		done
	done < "$T/cases.txt"
}

# ---- readers of an event store ----
r_info() { "$O" info --quiet "$1"; }
r_verify() { "$O" info --quiet --verify "$1"; }
r_export() { "$O" export --quiet -o "$2/x.jsonl" "$1"; }
r_split() { "$O" split --quiet -o "$2" "$1"; }
r_pairs() { "$O" pairs --quiet -o "$2/p" "$1"; }
r_covisit() { "$O" covisit --quiet -o "$2" "$1"; }
r_rec_covisit() { "$O" recommend --quiet --strategy covisit --test "$1" --covisit "$T/cv" -o "$2/s.csv"; }
r_rec_seed() { "$O" recommend --quiet --strategy seed --test "$1" --index "$T/i.idx" -o "$2/s.csv"; }
r_tune() { "$O" tune --quiet --sessions 1 --test "$1" --labels "$L" --covisit "$T/cv" -o "$2/w"; }
r_run() { "$O" run --quiet --strategy covisit --train "$1" --test "$D/test.store" -o "$2"; }
# Every store reader verifies the offsets and the dictionary (sections 1
# and 5) at open, and the sections its pass reads as it reads them (info:
# the aids, section 2; the others all of them).
run_format store "$D/train.store" "$T/bad.store" r_info=verify:1,2,5 r_verify=verify r_export=verify \
	r_split=verify r_pairs=verify r_covisit=verify r_rec_covisit=verify r_rec_seed=verify \
	r_tune=verify r_run=verify

# ---- the pairs file and the MF checkpoint ----
r_train() { "$O" train --quiet --dim 8 -o "$2/e.npy" "$1"; }
run_format pairs "$T/p.pairs" "$T/bad.pairs" r_train=verify
# the item dictionary (section 2, the last) was cut at its start and flipped
expect_true "pairs cases cover the item dictionary" \
	[ "$(grep -c -x -e "cut-at-section-2-start cut .*" -e "section-2-flipped section .*" "$T/cases.txt")" = 2 ]
r_resume() { "$O" train --quiet --dim 8 --epochs 2 --checkpoint "$1" --resume -o "$2/e.npy" "$T/p.pairs"; }
run_format checkpoint "$T/m.ckpt" "$T/bad.ckpt" r_resume=verify

# ---- the ANN index ----
r_eval() { "$O" index eval --quiet --queries 20 --speed-queries 20 "$1"; }
r_neighbors() { "$O" neighbors --quiet "$1" --aid "$AID"; }
r_rec_index() { "$O" recommend --quiet --strategy seed --test "$D/test.store" --index "$1" -o "$2/s.csv"; }
r_tune_index() { "$O" tune --quiet --sessions 1 --test "$D/test.store" --labels "$L" --covisit "$T/cv" --index "$1" -o "$2/w"; }
run_format index "$T/i.idx" "$T/bad.idx" r_eval=verify r_neighbors=verify r_rec_index=verify \
	r_tune_index=verify
# the rows' aids (section 8, the last) were cut at their start and flipped
expect_true "index cases cover the row aids" \
	[ "$(grep -c -x -e "cut-at-section-8-start cut .*" -e "section-8-flipped section .*" "$T/cases.txt")" = 2 ]

# ---- the ranker model of `ottorec fit` (checked whole at open) ----
python3 "$TESTS_DIR/cli/make_candidates.py" "$T/cand" --groups 40 --rows 12 --no-type orders
expect_ok "make ranker model" "$O" fit --quiet --rounds 3 --depth 2 --threads 1 --candidates "$T/cand" -o "$T/r.model"
r_fit_eval() { "$O" fit --quiet --candidates "$T/cand" --evaluate "$1"; }
run_format ranker "$T/r.model" "$T/bad.model" r_fit_eval=verify
# its four sections: the meta JSON, then the boosters of clicks, carts and
# orders (empty here: orders uses the carts model)
expect_true "ranker cases cover the meta and both boosters" \
	[ "$(grep -c -x -e "section-[012]-flipped section .*" "$T/cases.txt")" = 3 ]

# ---- the ranker's item statistics of `ottorec stats` (checked whole at open) ----
expect_ok "make item statistics" "$O" stats --quiet --train "$D/train.store" --train "$D/test.store" -o "$T/i.stats"
r_cand_stats() { "$O" candidates --quiet --test "$D/test.store" --stats "$1" -o "$2/c"; }
run_format stats "$T/i.stats" "$T/bad.stats" r_cand_stats=verify
# its eight sections, every one non-empty: the dictionary, counts, features,
# the next-item table's three, the sources and their paths
expect_true "stats cases cover all eight sections" \
	[ "$(grep -c -x -e "section-[0-7]-flipped section .*" "$T/cases.txt")" = 8 ]

# ---- a co-visitation table (in a copy of the directory) ----
# Its four sections: row offsets, neighbours, weights and the item
# dictionary (section 3).  The clicks table is opened first and builds the
# dictionary's lookup; the other two are opened like it (their dictionary
# compared with its), so one of them goes through every case too.
expect_true "a co-visitation table has 4 sections, the item dictionary last" \
	test "$(u32 "$T/cv/clicks.covisit" 16)" -eq 4 -a "$(u64 "$T/cv/clicks.covisit" $((168 + 32 * 3)))" -gt 0
mkdir -p "$T/badcv"
cp "$T/cv/"*.covisit "$T/badcv/"
r_rec_cv() { "$O" recommend --quiet --strategy covisit --test "$D/test.store" --covisit "$T/badcv" -o "$2/s.csv"; }
r_blend_cv() { "$O" recommend --quiet --strategy blend --test "$D/test.store" --covisit "$T/badcv" --index "$T/i.idx" -o "$2/s.csv"; }
r_tune_cv() { "$O" tune --quiet --sessions 1 --test "$D/test.store" --labels "$L" --covisit "$T/badcv" -o "$2/w"; }
run_format covisit "$T/cv/clicks.covisit" "$T/badcv/clicks.covisit" r_rec_cv=verify \
	r_blend_cv=verify r_tune_cv=verify
cp "$T/cv/clicks.covisit" "$T/badcv/"
run_format covisit-like "$T/cv/carts_orders.covisit" "$T/badcv/carts_orders.covisit" r_rec_cv=verify

rm -rf "$T"
