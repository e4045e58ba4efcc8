# tests/cli/test_index.sh - `ottorec index build|eval|synth` and
# `ottorec neighbors`: usage, build determinism, recall report, by-item and
# batch queries (self left out, -1 rows omitted), damaged index files, and
# option errors.
. "$TESTS_DIR/cli/lib.sh"

expect_ok "index -h" "$OTTOREC" index -h
expect_true "index usage names build/eval/synth" grep -q -- 'ottorec index build EMB.npy -o IDX' "$T/stdout"
expect_ok "neighbors -h" "$OTTOREC" neighbors -h
expect_true "neighbors usage names --aid" grep -q -- '--aid A' "$T/stdout"
expect_ok "help index" "$OTTOREC" help index

# data: clustered embeddings and an isotropic Gaussian
expect_ok "index synth clustered" "$OTTOREC" index synth -o "$T/c.npy" --rows 3000 --dim 16 --clusters 30 --seed 5
expect_ok "index synth gaussian" "$OTTOREC" index synth -o "$T/g.npy" --rows 1500 --dim 8 --seed 5 --json
expect_true "synth json" grep -q '^{"command":"index synth".*"rows":1500,"dim":8' "$T/stdout"

# build: the same seed with 1 and 2 threads gives the same bytes
expect_ok "build 1 thread" "$OTTOREC" index build "$T/c.npy" -o "$T/a.idx" --threads 1 --seed 7 --quiet
expect_ok "build 2 threads" "$OTTOREC" index build "$T/c.npy" -o "$T/b.idx" --threads 2 --seed 7 --json --quiet
expect_same "same bytes with 1 and 2 threads" "$T/a.idx" "$T/b.idx"
expect_true "build json: nprobe, time, memory" grep -q -E \
	'^\{"command":"index build".*"metric":"l2","rows":3000,"dim":16,.*"nprobe":[0-9]+,.*"wall_seconds":[0-9.e-]+,.*"peak_rss_bytes":[0-9]+\}$' "$T/stdout"
expect_true "no temporary files left" sh -c "! ls '$T' | grep -q tmp"
expect_ok "build seed 8" "$OTTOREC" index build "$T/c.npy" -o "$T/s8.idx" --seed 8 --quiet
expect_true "another seed, other bytes" sh -c "! cmp -s '$T/a.idx' '$T/s8.idx'"

# finite but huge vectors (~1e19): their l2 distances overflow float32, so
# build refuses them naming the row (before: inf distances, empty answers)
python3 - "$T/g.npy" "$T/huge.npy" <<'EOF'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
off = 10 + struct.unpack('<H', b[8:10])[0]
for i in range(8):  # row 3 of 8 columns
    at = off + 4 * (3 * 8 + i)
    struct.pack_into('<f', b, at, struct.unpack_from('<f', b, at)[0] * 1e19)
open(sys.argv[2], 'wb').write(b)
EOF
expect_fail "build on huge vectors" "row 3 has squared norm .* more than the .* float32 l2 distances" \
	"$OTTOREC" index build "$T/huge.npy" -o "$T/huge.idx" --quiet
expect_true "nothing written" test ! -e "$T/huge.idx"
expect_fail "ip too" "row 3 has squared norm" "$OTTOREC" index build "$T/huge.npy" -o "$T/huge.idx" --metric ip --quiet
expect_ok "cos normalises them" "$OTTOREC" index build "$T/huge.npy" -o "$T/huge.idx" --metric cos --quiet

# eval: recall against exact search
expect_ok "eval" "$OTTOREC" index eval "$T/a.idx" --queries 300 --speed-queries 500 --json
expect_true "eval json" grep -q -E '^\{"command":"index eval".*"recall":[0-9.e-]+,.*"queries_per_s":[0-9.e+-]+,.*"peak_rss_bytes":[0-9]+\}$' "$T/stdout"
recall=$(sed -n 's/.*"recall":\([0-9.e-]*\).*/\1/p' "$T/stdout")
expect_true "clustered recall@20 >= 0.9 ($recall)" awk -v r="$recall" 'BEGIN { exit !(r >= 0.9) }'
expect_ok "eval exhaustive" "$OTTOREC" index eval "$T/a.idx" --queries 200 --nprobe 65536 --json
recall=$(sed -n 's/.*"recall":\([0-9.e-]*\).*/\1/p' "$T/stdout")
expect_true "all lists: recall 1 ($recall)" awk -v r="$recall" 'BEGIN { exit !(r >= 0.999) }'
# rerank: the json reports it; re-ranking every row of every list is exact
expect_true "default rerank 32 in eval json" sh -c "'$OTTOREC' index eval '$T/a.idx' --queries 50 --speed-queries 50 --json | grep -q '\"rerank\":32,'"
expect_ok "build --rerank 32" "$OTTOREC" index build "$T/c.npy" -o "$T/r32.idx" --rerank 32 --quiet
expect_true "built rerank 32 reported" sh -c "'$OTTOREC' index eval '$T/r32.idx' --queries 50 --speed-queries 50 --json | grep -q '\"rerank\":32,'"
expect_ok "eval --rerank 3000 all lists" "$OTTOREC" index eval "$T/a.idx" --queries 200 --nprobe 65536 --rerank 3000 --json
recall=$(sed -n 's/.*"recall":\([0-9.e-]*\).*/\1/p' "$T/stdout")
expect_true "all lists, all re-ranked: recall 1 ($recall)" awk -v r="$recall" 'BEGIN { exit !(r >= 0.999) }'
expect_fail "bad --rerank" "--rerank must be an integer" "$OTTOREC" index eval "$T/a.idx" --rerank 0
expect_ok "eval text" "$OTTOREC" index eval "$T/a.idx" --queries 100 --speed-queries 100
expect_true "eval text names recall@20" grep -q '^recall@20 ' "$T/stdout"
for m in ip cos; do
	expect_ok "build --metric $m" "$OTTOREC" index build "$T/c.npy" -o "$T/$m.idx" --metric $m --quiet
	expect_ok "eval $m" "$OTTOREC" index eval "$T/$m.idx" --queries 200 --speed-queries 200 --json
	expect_true "eval $m metric" grep -q "\"metric\":\"$m\"" "$T/stdout"
done
expect_ok "gaussian build" "$OTTOREC" index build "$T/g.npy" -o "$T/g.idx" --quiet --no-simd
expect_ok "gaussian eval" "$OTTOREC" index eval "$T/g.idx" --queries 200 --json
recall=$(sed -n 's/.*"recall":\([0-9.e-]*\).*/\1/p' "$T/stdout")
expect_true "gaussian recall@20 >= 0.85 ($recall)" awk -v r="$recall" 'BEGIN { exit !(r >= 0.85) }'

# neighbors of one aid: 20 rows, never the aid itself
expect_ok "neighbors --aid" "$OTTOREC" neighbors "$T/a.idx" --aid 42
expect_true "header" test "$(head -n 1 "$T/stdout")" = "aid,rank,neighbor,distance"
expect_true "20 neighbours" test "$(tail -n +2 "$T/stdout" | wc -l)" -eq 20
expect_true "self left out" sh -c "! tail -n +2 '$T/stdout' | cut -d, -f3 | grep -qx 42"
expect_true "ranks 1..20" sh -c "tail -n +2 '$T/stdout' | cut -d, -f2 | tr '\n' ' ' | grep -q '^1 2 3 .* 20 \$'"
cp "$T/stdout" "$T/one.csv"
expect_ok "neighbors no-simd 1 thread" "$OTTOREC" neighbors "$T/a.idx" --aid 42 --no-simd --threads 1
expect_true "same neighbours without SIMD" sh -c "cut -d, -f1-3 '$T/one.csv' > '$T/x1'; cut -d, -f1-3 '$T/stdout' > '$T/x2'; cmp -s '$T/x1' '$T/x2'"
# OTTOREC_NO_SIMD=1: every kernel scalar, the same answers
expect_ok "eval under OTTOREC_NO_SIMD=1" env OTTOREC_NO_SIMD=1 "$OTTOREC" index eval "$T/a.idx" --queries 100 --speed-queries 100 --json
expect_true "OTTOREC_NO_SIMD=1: scalar scan" grep -q '"scan":"scalar"' "$T/stdout"
expect_ok "neighbors under OTTOREC_NO_SIMD=1" env OTTOREC_NO_SIMD=1 "$OTTOREC" neighbors "$T/a.idx" --aid 42
expect_true "same neighbours under OTTOREC_NO_SIMD=1" sh -c "cut -d, -f1-3 '$T/stdout' | cmp -s - '$T/x1'"

expect_ok "neighbors --rerank 3000 --nprobe 65536" "$OTTOREC" neighbors "$T/a.idx" --aid 42 --rerank 3000 --nprobe 65536
expect_true "exhaustive neighbours = default exhaustive (exact)" sh -c "'$OTTOREC' neighbors '$T/a.idx' --aid 42 --nprobe 65536 | cmp -s - '$T/stdout'"
expect_fail "neighbors bad --rerank" "--rerank must be an integer" "$OTTOREC" neighbors "$T/a.idx" --aid 1 --rerank x

# batch from a file (blank lines skipped, CRLF fine) -> TSV file
printf '1\n\n2\r\n2999\n42\n' > "$T/q.txt"
expect_ok "neighbors --queries" "$OTTOREC" neighbors "$T/a.idx" --queries "$T/q.txt" -k 5 --format tsv -o "$T/out.tsv" --json
expect_true "batch json" grep -q '^{"command":"neighbors".*"queries":4,"k":5,.*"queries_per_s"' "$T/stdout"
expect_true "4 x 5 rows + header" test "$(wc -l < "$T/out.tsv")" -eq 21
expect_true "tsv header" test "$(head -n 1 "$T/out.tsv")" = "$(printf 'aid\trank\tneighbor\tdistance')"
expect_true "batch agrees with --aid" sh -c "grep -P '^42\t' '$T/out.tsv' | cut -f3 > '$T/b42'; tail -n +2 '$T/one.csv' | head -n 5 | cut -d, -f3 > '$T/a42'; cmp -s '$T/a42' '$T/b42'"

# -1 padding: a 4-row index has only 3 other items
expect_ok "tiny synth" "$OTTOREC" index synth -o "$T/t.npy" --rows 4 --dim 3
expect_ok "tiny build" "$OTTOREC" index build "$T/t.npy" -o "$T/t.idx" --quiet
expect_ok "k larger than n-1" "$OTTOREC" neighbors "$T/t.idx" --aid 0 -k 10
expect_true "only 3 rows" test "$(tail -n +2 "$T/stdout" | wc -l)" -eq 3

# errors
expect_fail "aid out of range" "aid 3000 is not in the index" "$OTTOREC" neighbors "$T/a.idx" --aid 3000
printf '1\nabc\n' > "$T/bad.txt"
expect_fail "bad query line" "bad.txt:2: expected an aid" "$OTTOREC" neighbors "$T/a.idx" --queries "$T/bad.txt"
expect_fail "--aid and --queries" "either --aid or --queries" "$OTTOREC" neighbors "$T/a.idx" --aid 1 --queries "$T/q.txt"
expect_fail "bad metric" "--metric must be l2, ip or cos" "$OTTOREC" index build "$T/c.npy" -o "$T/z.idx" --metric manhattan
expect_fail "no output" "give the output index with -o" "$OTTOREC" index build "$T/c.npy"
expect_fail "missing npy" "nope.npy" "$OTTOREC" index build "$T/nope.npy" -o "$T/z.idx"
expect_fail "unknown subcommand" "unknown subcommand" "$OTTOREC" index frobnicate
expect_true "failed builds leave no file" test ! -e "$T/z.idx"
head -c 5000 "$T/a.idx" > "$T/cut.idx"
expect_fail "truncated index" "truncated index" "$OTTOREC" neighbors "$T/cut.idx" --aid 1
cp "$T/a.idx" "$T/flip.idx"
printf '\377' | dd of="$T/flip.idx" bs=1 seek=20000 conv=notrunc 2>/dev/null
expect_fail "flipped byte" "checksum mismatch" "$OTTOREC" index eval "$T/flip.idx"
expect_fail "not an index" "not an ottorec index" "$OTTOREC" neighbors "$T/c.npy" --aid 1
rm -rf "$T"
