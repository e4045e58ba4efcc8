// bench/parquet_write.cjs - makes the full-scale Parquet benchmark input the
// way the community's train.parquet looks: session/aid/ts int32 (ts in
// seconds), type uint8, written by polars (streaming, zstd).  Input: an
// `ottorec export --format csv --type-digits` CSV (ts in ms).
//   NODE_PATH=tests/data/parquet/node_modules node bench/parquet_write.cjs IN.csv OUT.parquet
const pl = require('nodejs-polars')
const [csv, out] = process.argv.slice(2)
const t0 = Date.now()
const sink = pl.scanCSV(csv)
  .select(
    pl.col('session').cast(pl.Int32),
    pl.col('aid').cast(pl.Int32),
    pl.col('ts').div(1000).cast(pl.Int32),
    pl.col('type').cast(pl.UInt8),
  )
  .sinkParquet(out, { compression: 'zstd' })
if (sink && sink.collectSync) sink.collectSync() // newer versions return a lazy sink
console.log(`wrote ${out} in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
