/*
 * or_parquet_decode.c - Parquet's value and level encodings and its page
 * compression: the RLE / bit-packed hybrid (levels, dictionary indices),
 * DELTA_BINARY_PACKED, and SNAPPY / GZIP / ZSTD through Debian's libsnappy,
 * zlib and libzstd.  Hand-written for the reasons in or_parquet.h.  Input is
 * untrusted: a run or miniblock that claims more bytes than are there is an
 * error when a value would come from the missing bytes, never a read past
 * the buffer and never a made-up value.
 */
#include "or_parquet_internal.h"
#include "or_par.h"

#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

/* bw bits at bit position pos of base[0..len); the caller has checked
   pos + bw <= 8 * len.  bw is 0..64. */
static inline uint64_t load_bits(const uint8_t *base, size_t len, uint64_t pos, int bw)
{
	if (bw == 0)
		return 0;
	size_t byte = (size_t)(pos >> 3);
	int shift = (int)(pos & 7);
	uint64_t mask = bw == 64 ? ~(uint64_t)0 : ((uint64_t)1 << bw) - 1;
	if (byte + 9 <= len) {
		uint64_t w;
		memcpy(&w, base + byte, 8);
		w >>= shift;
		if (shift + bw > 64)
			w |= (uint64_t)base[byte + 8] << (64 - shift);
		return w & mask;
	}
	uint64_t v = 0;
	for (int i = 0; i < bw; i++) {
		uint64_t b = pos + (uint64_t)i;
		if ((base[b >> 3] >> (b & 7)) & 1)
			v |= (uint64_t)1 << i;
	}
	return v;
}

static int uleb(const uint8_t **pp, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *pp;
	uint64_t x = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (p >= end)
			return -1;
		uint8_t b = *p++;
		if (shift == 63 && (b & 0x7e))
			return -1;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

/* ---- RLE / bit-packed hybrid --------------------------------------------- */

/* Unpack n groups of 8 values of width BW (a constant after inlining, so
   the shifts and offsets are too); reads up to 8 bytes past each group's
   bw bytes, which the caller guarantees are there. */
static inline __attribute__((always_inline)) void
unpack_groups_bw(const uint8_t *in, size_t n, uint32_t *out, const int bw)
{
	const uint64_t mask = bw == 32 ? 0xffffffffu : ((uint64_t)1 << bw) - 1;
	for (size_t g = 0; g < n; g++, in += bw, out += 8)
#pragma GCC unroll 8
		for (int j = 0; j < 8; j++) {
			uint64_t w;
			memcpy(&w, in + ((j * bw) >> 3), 8);
			out[j] = (uint32_t)((w >> ((j * bw) & 7)) & mask);
		}
}

/* Whole bytes: values of 8, 16 or 32 bits, little-endian, widened (one
   vectorised loop) */
static void unpack_bytes(const uint8_t *restrict in, size_t n, uint32_t *restrict out, int bw)
{
	if (bw == 8) {
		OMP(omp simd)
		for (size_t i = 0; i < n; i++)
			out[i] = in[i];
	} else if (bw == 16) {
		OMP(omp simd)
		for (size_t i = 0; i < n; i++)
			out[i] = (uint32_t)in[2 * i] | (uint32_t)in[2 * i + 1] << 8;
	} else {
		memcpy(out, in, n * 4); /* little-endian hosts, as everywhere else here */
	}
}

static void unpack_groups(const uint8_t *in, size_t n, uint32_t *out, int bw)
{
	if (bw == 8 || bw == 16 || bw == 32) {
		unpack_bytes(in, n * 8, out, bw);
		return;
	}
	switch (bw) {
#define C(B) case B: unpack_groups_bw(in, n, out, B); break;
	C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)
	C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30) C(31) C(32)
#undef C
	default: break;
	}
}

void or_parquet_rle_init(or_parquet_rle *r, const uint8_t *p, size_t n, int bw)
{
	memset(r, 0, sizeof(*r));
	r->p = p;
	r->end = p ? p + n : p; /* no levels: p is NULL */
	r->bw = bw;
}

static int rle_next_run(or_parquet_rle *r, const char **why)
{
	uint64_t h;
	if (r->p >= r->end) {
		*why = "RLE/bit-packed data ends before its values";
		return -1;
	}
	if (uleb(&r->p, r->end, &h)) {
		*why = "bad RLE/bit-packed run header";
		return -1;
	}
	if (h & 1) {
		uint64_t groups = h >> 1;
		if (groups > UINT32_MAX / 8) {
			*why = "bit-packed run too long";
			return -1;
		}
		uint64_t bytes = groups * (uint64_t)r->bw;
		size_t avail = (size_t)(r->end - r->p);
		r->packed = 1;
		r->run_left = (uint32_t)(groups * 8);
		r->bits = r->p;
		r->bits_len = bytes < avail ? (size_t)bytes : avail;
		r->bit_pos = 0;
		r->p += r->bits_len;
	} else {
		uint64_t count = h >> 1;
		if (count > UINT32_MAX) {
			*why = "RLE run too long";
			return -1;
		}
		int nb = (r->bw + 7) / 8;
		if (r->end - r->p < nb) {
			*why = "RLE run value truncated";
			return -1;
		}
		uint32_t v = 0;
		for (int i = 0; i < nb; i++)
			v |= (uint32_t)r->p[i] << (8 * i);
		r->p += nb;
		r->packed = 0;
		r->value = v;
		r->run_left = (uint32_t)count;
	}
	return 0;
}

/* The next k <= want values are in the current run (a new one read when
   it is used up); a bit-packed run's k values checked to lie in its data.
   Shared by the value readers below. */
static int rle_take(or_parquet_rle *r, size_t want, size_t *k, const char **why)
{
	while (r->run_left == 0)
		if (rle_next_run(r, why))
			return -1;
	*k = want < r->run_left ? want : r->run_left;
	if (r->packed && r->bit_pos + (uint64_t)*k * (uint64_t)r->bw > (uint64_t)r->bits_len * 8) {
		*why = "bit-packed run is cut short by the end of its data";
		return -1;
	}
	return 0;
}

int or_parquet_rle_fill(or_parquet_rle *r, const char **why)
{
	while (r->run_left == 0)
		if (rle_next_run(r, why))
			return -1;
	return 0;
}

int or_parquet_rle_get(or_parquet_rle *r, uint32_t *out, size_t n, const char **why)
{
	size_t i = 0;
	while (i < n) {
		size_t k;
		if (rle_take(r, n - i, &k, why))
			return -1;
		if (!r->packed) {
			uint32_t v = r->value; /* a local: out may alias r */
			uint32_t *o = out + i;
			OMP(omp simd)
			for (size_t j = 0; j < k; j++)
				o[j] = v;
		} else {
			int bw = r->bw;
			const uint8_t *b = r->bits;
			/* the run's values lie within bits_len (checked above);
			   loads may read on to the end of the data */
			size_t len = (size_t)(r->end - r->bits);
			uint64_t pos = r->bit_pos;
			size_t j = 0;
			if (bw > 0 && bw <= 32) {
				/* to a group boundary, then whole groups with a
				   specialised unpacker while 8 bytes of slack remain */
				for (; j < k && (pos / (uint64_t)bw) % 8; j++, pos += (uint64_t)bw)
					out[i + j] = (uint32_t)load_bits(b, len, pos, bw);
				size_t byte = (size_t)(pos >> 3);
				size_t groups = (k - j) / 8;
				size_t room = len > byte + 8 ? (len - byte - 8) / (size_t)bw : 0;
				if (groups > room)
					groups = room;
				unpack_groups(b + byte, groups, out + i + j, bw);
				j += groups * 8;
				pos += (uint64_t)groups * 8 * (uint64_t)bw;
			}
			if (bw > 0 && bw <= 32) {
				/* fast path: one unaligned 8-byte load per value while
				   8 bytes are readable (bw <= 32: shift + bw <= 39) */
				uint64_t mask = ((uint64_t)1 << bw) - 1;
				/* an 8-byte load at byte pos/8 stays inside while
				   pos/8 + 8 <= len */
				uint64_t lim = len >= 8 ? (uint64_t)(len - 8) * 8 + 7 : 0;
				for (; len >= 8 && j < k && pos <= lim; j++, pos += (uint64_t)bw) {
					uint64_t w;
					memcpy(&w, b + (pos >> 3), 8);
					out[i + j] = (uint32_t)((w >> (pos & 7)) & mask);
				}
			}
			for (; j < k; j++, pos += (uint64_t)bw)
				out[i + j] = (uint32_t)load_bits(b, len, pos, bw);
			r->bit_pos = pos;
		}
		r->run_left -= (uint32_t)k;
		i += k;
	}
	return 0;
}

/* The values of one byte of width-BW data through lut into out (8 / BW
   bytes, lowest bits first). */
static inline __attribute__((always_inline)) void
map_bytes_bw(const uint8_t *in, size_t n, const uint64_t lut[256], uint8_t *out, const int bw)
{
	for (size_t q = 0; q < n; q++)
		memcpy(out + q * (size_t)(8 / bw), &lut[in[q]], (size_t)(8 / bw));
}

int or_parquet_rle_get_u8(or_parquet_rle *r, uint8_t *out, size_t n, const uint8_t map[16],
			  const char **why)
{
	const int bw = r->bw;
	if (bw != 1 && bw != 2 && bw != 4) {
		*why = "byte values of a width other than 1, 2 or 4 bits";
		return -1;
	}
	const unsigned mask = (1u << bw) - 1, per = 8u / (unsigned)bw;
	/* each byte of packed data: its 8 / bw values, mapped */
	uint64_t lut[256];
	for (unsigned x = 0; x < 256; x++) {
		uint64_t v = 0;
		for (unsigned t = 0; t < per; t++)
			v |= (uint64_t)map[(x >> (t * (unsigned)bw)) & mask] << (8 * t);
		lut[x] = v;
	}
	size_t i = 0;
	while (i < n) {
		size_t k;
		if (rle_take(r, n - i, &k, why))
			return -1;
		if (!r->packed) {
			memset(out + i, r->value < 16 ? map[r->value] : 0xff, k);
		} else {
			/* bw divides 8: no value straddles a byte */
			const uint8_t *b = r->bits;
			uint64_t pos = r->bit_pos;
			size_t j = 0;
			for (; j < k && (pos & 7); j++, pos += (uint64_t)bw)
				out[i + j] = map[(b[pos >> 3] >> (pos & 7)) & mask];
			size_t bytes = (k - j) / per;
			if (bw == 1)
				map_bytes_bw(b + (pos >> 3), bytes, lut, out + i + j, 1);
			else if (bw == 2)
				map_bytes_bw(b + (pos >> 3), bytes, lut, out + i + j, 2);
			else
				map_bytes_bw(b + (pos >> 3), bytes, lut, out + i + j, 4);
			j += bytes * per;
			pos += (uint64_t)bytes * 8;
			for (; j < k; j++, pos += (uint64_t)bw)
				out[i + j] = map[(b[pos >> 3] >> (pos & 7)) & mask];
			r->bit_pos = pos;
		}
		r->run_left -= (uint32_t)k;
		i += k;
	}
	return 0;
}

/* ---- DELTA_BINARY_PACKED -------------------------------------------------- */

int or_parquet_delta_init(or_parquet_delta *d, const uint8_t *p, size_t n, const char **why)
{
	memset(d, 0, sizeof(*d));
	d->end = p + n;
	uint64_t first;
	if (uleb(&p, d->end, &d->block_size) || uleb(&p, d->end, &d->n_mini) ||
	    uleb(&p, d->end, &d->total) || uleb(&p, d->end, &first)) {
		*why = "truncated DELTA_BINARY_PACKED header";
		return -1;
	}
	if (d->block_size == 0 || d->block_size % 128 || d->block_size > (1u << 20) ||
	    d->n_mini == 0 || d->n_mini > 256 || d->block_size % d->n_mini ||
	    (d->block_size / d->n_mini) % 32) {
		*why = "bad DELTA_BINARY_PACKED block layout";
		return -1;
	}
	d->per_mini = d->block_size / d->n_mini;
	d->last = or_parquet_unzigzag(first);
	d->p = p;
	d->mini = d->n_mini; /* no block loaded */
	return 0;
}

int or_parquet_delta_get(or_parquet_delta *d, int64_t *out, size_t n, const char **why)
{
	size_t i = 0;
	if (n > d->total - d->done) {
		*why = "DELTA_BINARY_PACKED data holds fewer values than the page";
		return -1;
	}
	if (n && !d->started) {
		out[i++] = d->last;
		d->started = 1;
		d->done++;
	}
	while (i < n) {
		if (d->mini == d->n_mini || (d->in_mini == d->per_mini && d->mini + 1 == d->n_mini)) {
			uint64_t md;
			if (uleb(&d->p, d->end, &md) || (uint64_t)(d->end - d->p) < d->n_mini) {
				*why = "truncated DELTA_BINARY_PACKED block header";
				return -1;
			}
			d->min_delta = or_parquet_unzigzag(md);
			memcpy(d->widths, d->p, (size_t)d->n_mini);
			d->p += d->n_mini;
			for (uint64_t k = 0; k < d->n_mini; k++)
				if (d->widths[k] > 64) {
					*why = "DELTA_BINARY_PACKED bit width above 64";
					return -1;
				}
			d->mini = 0;
			d->in_mini = d->per_mini; /* start miniblock 0 below */
			d->mini_data = NULL;
		}
		if (d->in_mini == d->per_mini) {
			if (d->mini_data)
				d->mini++;
			int w = d->widths[d->mini];
			uint64_t bytes = d->per_mini * (uint64_t)w / 8;
			size_t avail = (size_t)(d->end - d->p);
			d->mini_data = d->p;
			d->p += bytes < avail ? (size_t)bytes : avail;
			d->in_mini = 0;
		}
		int w = d->widths[d->mini];
		size_t len = (size_t)(d->p - d->mini_data);
		size_t k = n - i;
		if (k > d->per_mini - d->in_mini)
			k = (size_t)(d->per_mini - d->in_mini);
		if ((d->in_mini + k) * (uint64_t)w > (uint64_t)len * 8) {
			*why = "DELTA_BINARY_PACKED miniblock is cut short by the end of the page";
			return -1;
		}
		uint64_t last = (uint64_t)d->last, md = (uint64_t)d->min_delta;
		uint64_t pos = d->in_mini * (uint64_t)w;
		for (size_t j = 0; j < k; j++, pos += (uint64_t)w) {
			last += md + load_bits(d->mini_data, len, pos, w);
			out[i + j] = (int64_t)last;
		}
		d->last = (int64_t)last;
		d->in_mini += k;
		d->done += k;
		i += k;
	}
	return 0;
}

const uint8_t *or_parquet_delta_end(const or_parquet_delta *d) { return d->p; }

/* ---- compression ------------------------------------------------------------ */

const char *or_parquet_codec_name(int codec)
{
	static const char *const n[] = { "UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
					 "BROTLI", "LZ4", "ZSTD", "LZ4_RAW" };
	return codec >= 0 && codec < 8 ? n[codec] : "unknown codec";
}

const char *or_parquet_encoding_name(int enc)
{
	static const char *const n[] = { "PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE",
					 "BIT_PACKED", "DELTA_BINARY_PACKED",
					 "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
					 "RLE_DICTIONARY", "BYTE_STREAM_SPLIT" };
	return enc >= 0 && enc < 10 ? n[enc] : "unknown encoding";
}

static int gunzip(const uint8_t *src, size_t src_n, uint8_t *dst, size_t dst_n, const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 32) != Z_OK) {
		*why = "zlib initialisation failed";
		return -1;
	}
	size_t in_at = 0, out_at = 0;
	int rc = -1;
	for (;;) {
		uInt in_chunk = src_n - in_at > UINT32_MAX ? UINT32_MAX : (uInt)(src_n - in_at);
		uInt out_chunk = dst_n - out_at > UINT32_MAX ? UINT32_MAX : (uInt)(dst_n - out_at);
		z.next_in = (Bytef *)(uintptr_t)(src + in_at);
		z.avail_in = in_chunk;
		z.next_out = dst + out_at;
		z.avail_out = out_chunk;
		int zr = inflate(&z, Z_NO_FLUSH);
		in_at += in_chunk - z.avail_in;
		out_at += out_chunk - z.avail_out;
		if (zr == Z_STREAM_END) {
			if (out_at == dst_n) {
				rc = 0;
				break;
			}
			if (in_at >= src_n || inflateReset(&z) != Z_OK) {
				*why = "GZIP data is shorter than the page";
				break;
			}
			continue; /* another gzip member */
		}
		if (zr == Z_OK && out_at < dst_n && in_at < src_n)
			continue;
		if (zr == Z_OK && out_at == dst_n) {
			*why = "GZIP data is longer than the page";
			break;
		}
		*why = zr == Z_OK || zr == Z_BUF_ERROR ? "GZIP data is truncated" : "damaged GZIP data";
		break;
	}
	inflateEnd(&z);
	return rc;
}

void or_parquet_zstd_free(void *zctx)
{
	ZSTD_freeDCtx(zctx);
}

int or_parquet_decompress(int codec, const uint8_t *src, size_t src_n,
			  uint8_t *dst, size_t dst_n, void **zctx, const char **why)
{
	switch (codec) {
	case OR_PQ_UNCOMPRESSED:
		if (src_n != dst_n) {
			*why = "uncompressed page sizes disagree";
			return -1;
		}
		if (dst_n)
			memcpy(dst, src, dst_n);
		return 0;
	case OR_PQ_SNAPPY: {
		size_t len;
		if (snappy_uncompressed_length((const char *)src, src_n, &len) != SNAPPY_OK ||
		    len != dst_n) {
			*why = "SNAPPY data does not match the page size";
			return -1;
		}
		if (snappy_uncompress((const char *)src, src_n, (char *)dst, &len) != SNAPPY_OK ||
		    len != dst_n) {
			*why = "damaged SNAPPY data";
			return -1;
		}
		return 0;
	}
	case OR_PQ_GZIP:
		return gunzip(src, src_n, dst, dst_n, why);
	case OR_PQ_ZSTD: {
		if (zctx && !*zctx)
			*zctx = ZSTD_createDCtx(); /* kept by the caller for the next page */
		size_t r = zctx && *zctx ? ZSTD_decompressDCtx(*zctx, dst, dst_n, src, src_n)
					 : ZSTD_decompress(dst, dst_n, src, src_n);
		if (ZSTD_isError(r)) {
			*why = "damaged ZSTD data (or larger than the page)";
			return -1;
		}
		if (r != dst_n) {
			*why = "ZSTD data is shorter than the page";
			return -1;
		}
		return 0;
	}
	default:
		*why = "codec";
		return -1;
	}
}
