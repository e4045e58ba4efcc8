// tests/data/parquet/make_fixtures.mjs - regenerates the Parquet fixtures of
// tests/test_parquet.c and tests/cli/test_parquet.sh with two independent
// writers, and next to each file the writer's own CSV export of the same
// frame (the reference every value read is compared with).
//
//   cd tests/data/parquet && npm install && node make_fixtures.mjs
//
// Writers: nodejs-polars (Rust polars' parquet writer) and hyparquet-writer
// (a JavaScript writer).  Versions are pinned in package.json.  CI never runs
// this: the outputs are committed.  node_modules/ is not committed.
import fs from 'node:fs'
import pl from 'nodejs-polars'
import { parquetWriteFile } from 'hyparquet-writer'

const here = new URL('.', import.meta.url).pathname
const sampleJsonl = here + '../otto-sample-train.jsonl'
const TYPES = ['clicks', 'carts', 'orders']

// ---- the data ----------------------------------------------------------
// 1. the 20 real OTTO sessions, ts as int32 seconds (as the community's
//    train.parquet), type as uint8
const sample = { session: [], aid: [], ts: [], type: [], tsMs: [] }
for (const line of fs.readFileSync(sampleJsonl, 'utf8').split('\n')) {
  if (!line.trim()) continue
  const s = JSON.parse(line)
  for (const e of s.events) {
    sample.session.push(s.session)
    sample.aid.push(e.aid)
    sample.ts.push(Math.floor(e.ts / 1000))
    sample.tsMs.push(e.ts)
    sample.type.push(TYPES.indexOf(e.type))
  }
}

// 2. a medium synthetic set (deterministic LCG): 700 sessions, ~9000
//    events, so that there are several row groups and pages
function medium() {
  let x = 12345
  const rnd = (n) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n }
  const d = { session: [], aid: [], ts: [], type: [] }
  let ts = 1661119200
  for (let s = 0; s < 700; s++) {
    const id = 12899779 + s * 3
    const n = 1 + rnd(25)
    ts += rnd(600)
    let t = ts
    const hot = rnd(1855603)
    for (let i = 0; i < n; i++) {
      t += rnd(4) === 0 ? 0 : rnd(3600)
      const r = rnd(100)
      d.session.push(id)
      d.aid.push(rnd(3) === 0 ? hot : rnd(1855603))
      d.ts.push(t)
      d.type.push(r < 88 ? 0 : r < 97 ? 1 : 2)
    }
  }
  return d
}
const med = medium()

function frame(d) {
  return pl.DataFrame({
    session: pl.Series('session', d.session, pl.Int32),
    aid: pl.Series('aid', d.aid, pl.Int32),
    ts: pl.Series('ts', d.ts, pl.Int32),
    type: pl.Series('type', d.type, pl.UInt8),
  })
}

function writeCsv(df, name) {
  df.writeCSV(here + name)
}

// ---- polars --------------------------------------------------------------
const sdf = frame(sample)
sdf.writeParquet(here + 'pl_default.parquet')
for (const c of ['snappy', 'zstd', 'gzip', 'uncompressed'])
  sdf.writeParquet(here + `pl_${c}.parquet`, { compression: c })
writeCsv(sdf, 'sample.csv')

// several row groups and small pages
const mdf = frame(med)
mdf.lazy().sinkParquet(here + 'pl_rowgroups.parquet',
  { compression: 'zstd', rowGroupSize: 1000, dataPagesizeLimit: 2048 }).collectSync?.()
writeCsv(mdf, 'medium.csv')

// ts as a millisecond timestamp, session int64, type as a string
const tdf = pl.DataFrame({
  session: pl.Series('session', sample.session, pl.Int64),
  aid: pl.Series('aid', sample.aid, pl.Int64),
  ts: pl.Series('ts', sample.tsMs, pl.Int64).cast(pl.Datetime('ms')),
  type: pl.Series('type', sample.type.map((t) => TYPES[t]), pl.Utf8),
})
tdf.writeParquet(here + 'pl_timestamp_ms.parquet', { compression: 'snappy' })
pl.DataFrame({
  session: tdf.getColumn('session'),
  aid: tdf.getColumn('aid'),
  ts: pl.Series('ts', sample.tsMs, pl.Int64),
  type: tdf.getColumn('type'),
}).writeCSV(here + 'pl_timestamp_ms.csv')

// a null aid: must be an error naming the row
pl.DataFrame({
  session: pl.Series('session', [1, 1, 2], pl.Int32),
  aid: pl.Series('aid', [5, null, 7], pl.Int32),
  ts: pl.Series('ts', [1661119200, 1661119201, 1661119202], pl.Int32),
  type: pl.Series('type', [0, 0, 1], pl.UInt8),
}).writeParquet(here + 'pl_null_aid.parquet')

// labels: one row per (session, type), ground_truth list<int64>; rows of a
// session are not adjacent (sorted by type first), one list is empty
const lab = { session: [], type: [], ground_truth: [] }
for (let t = 0; t < 3; t++)
  for (let s = 0; s < 40; s++) {
    if ((s + t) % 3 === 2) continue
    const n = t === 0 ? 1 + (s % 2) : s % 5
    const g = []
    for (let i = 0; i < n; i++) g.push((s * 7919 + i * 104729 + t) % 1855603)
    if (t === 1 && s % 7 === 0) g.push(g.length ? g[0] : 5) // a repeat: read as a set
    lab.session.push(12899779 + s)
    lab.type.push(TYPES[t])
    lab.ground_truth.push(g)
  }
const ldf = pl.DataFrame({
  session: pl.Series('session', lab.session, pl.Int64),
  type: pl.Series('type', lab.type, pl.Utf8),
  ground_truth: pl.Series('ground_truth', lab.ground_truth, pl.List(pl.Int64)),
})
ldf.writeParquet(here + 'pl_labels.parquet')
ldf.writeJSON(here + 'pl_labels.ndjson', { format: 'lines' })

// ---- hyparquet-writer ----------------------------------------------------
const i32 = (a) => Int32Array.from(a)
function hyEvents(name, d, opts, cols) {
  parquetWriteFile({
    filename: here + name,
    columnData: [
      { name: 'session', data: i32(d.session), type: 'INT32', ...cols },
      { name: 'aid', data: i32(d.aid), type: 'INT32', ...cols },
      { name: 'ts', data: i32(d.ts), type: 'INT32', ...cols },
      { name: 'type', data: i32(d.type), type: 'INT32', ...cols },
    ],
    ...opts,
  })
}
// defaults: dictionary where it pays, snappy, data page v2, optional columns
hyEvents('hy_default.parquet', med, {})
// dictionary off (PLAIN), uncompressed, several row groups, required columns
hyEvents('hy_plain.parquet', med, { codec: 'UNCOMPRESSED', rowGroupSize: 2000, pageSize: 4096 },
  { encoding: 'PLAIN', nullable: false })
// DELTA_BINARY_PACKED, several row groups, small pages
hyEvents('hy_delta.parquet', med, { rowGroupSize: [500, 3000], pageSize: 2048 },
  { encoding: 'DELTA_BINARY_PACKED' })
// the writer's rows, read back by polars (an independent reader) as CSV
writeCsv(pl.readParquet(here + 'hy_default.parquet'), 'hy_medium.csv')

parquetWriteFile({
  filename: here + 'hy_labels.parquet',
  columnData: [
    { name: 'session', data: lab.session.map(BigInt) },
    { name: 'type', data: lab.type },
    { name: 'ground_truth', data: lab.ground_truth.map((g) => g.map(BigInt)) },
  ],
  schema: [
    { name: 'root', num_children: 3 },
    { name: 'session', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'type', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
    { name: 'ground_truth', repetition_type: 'OPTIONAL', num_children: 1, converted_type: 'LIST' },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
  ],
})
// ts as TIMESTAMP(MICROS) int64 (read as whole milliseconds), session int64
parquetWriteFile({
  filename: here + 'hy_ts_us.parquet',
  columnData: [
    { name: 'session', data: BigInt64Array.from(sample.session.map(BigInt)) },
    { name: 'aid', data: Int32Array.from(sample.aid) },
    { name: 'ts', data: BigInt64Array.from(sample.tsMs.map((t) => BigInt(t) * 1000n)) },
    { name: 'type', data: Int32Array.from(sample.type) },
  ],
  schema: [
    { name: 'root', num_children: 4 },
    { name: 'session', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'aid', type: 'INT32', repetition_type: 'REQUIRED' },
    { name: 'ts', type: 'INT64', repetition_type: 'REQUIRED',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
    { name: 'type', type: 'INT32', repetition_type: 'REQUIRED' },
  ],
})
// rows of a session out of time order: must be an error naming the row
pl.DataFrame({
  session: pl.Series('session', [1, 1, 1, 2], pl.Int32),
  aid: pl.Series('aid', [5, 6, 7, 8], pl.Int32),
  ts: pl.Series('ts', [1661119200, 1661119300, 1661119250, 1661119200], pl.Int32),
  type: pl.Series('type', [0, 0, 1, 0], pl.UInt8),
}).writeParquet(here + 'pl_unordered.parquet', { compression: 'snappy' })
console.log('fixtures written')
