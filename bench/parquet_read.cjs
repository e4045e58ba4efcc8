// bench/parquet_read.cjs - polars' own read time of a Parquet file (the peer
// figure beside `ottorec convert`): prints "<seconds> <rows>".
//   NODE_PATH=tests/data/parquet/node_modules node bench/parquet_read.cjs FILE
const pl = require('nodejs-polars')
const t0 = process.hrtime.bigint()
const df = pl.readParquet(process.argv[2])
const s = Number(process.hrtime.bigint() - t0) / 1e9
console.log(`${s.toFixed(2)} ${df.height}`)
