/*
 * or_ann_sq.c - the compressed lists of the IVF index (or_ann.h, format 3):
 * 8-bit scalar quantisation of the stored vectors, their layout in blocks of
 * 16 vectors, and the quantised query.  The scan kernels that read them are
 * in or_ann_scan.c.
 *
 * Code of coordinate j of a stored vector x: c_j = round((x_j - min_j) /
 * scale_j) in 0..255, with min_j and scale_j = (max_j - min_j) / 255 over all
 * stored vectors.  A query q is turned into w_j = q_j * scale_j, then into
 * signed bytes qi_j = round(w_j / s), s = max_j |w_j| / 127, so that
 *   q . x  ~=  q . min + s * sum_j qi_j c_j,
 * the sum being exact int32 arithmetic (u8 x s8 -> s32 products: AMX
 * tdpbusd, AVX-512 VNNI vpdpbusd or plain C, same integers).  The
 * approximation only ranks candidates; the best `rerank` of them are
 * re-scored with the float vectors (or_ann_search.c), so the answers are
 * exact distances.
 *
 * Block layout: list l's vectors (stored positions offsets[l] ..) are cut
 * into blocks of 16 (the last one zero-padded); a block is 16 rows of
 * w = 4 * ceil(d / 4) bytes, row v holding the codes of vector v (padding
 * dims 0), i.e. 64 * ceil(d / 4) bytes per block, blocks of a list
 * consecutive, lists in order.  A block is thereby the row-major 16 x w
 * left operand of an AMX tile product (format 2 had the transposed,
 * 4-byte-interleaved layout of a one-query VNNI scan).  Why hand-written: no
 * Debian library offers an mmap-able quantised IVF (faiss's IVF-SQ/PQ fast
 * scan is C++ with its own file format and non-deterministic multithreaded
 * training).
 */
#include "or_ann_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t or_ann_sq_groups(size_t d) { return (d + 3) / 4; }

int or_ann_sq_blocks(const uint64_t *offsets, size_t nlist, uint64_t *bstart)
{
	uint64_t b = 0;
	for (size_t l = 0; l < nlist; l++) {
		if (offsets[l + 1] < offsets[l])
			return -1;
		if (bstart)
			bstart[l] = b;
		b += (offsets[l + 1] - offsets[l] + 15) / 16;
	}
	if (bstart)
		bstart[nlist] = b;
	return 0;
}

void or_ann_sq_train(const float *vecs, size_t n, size_t d, float *vmin, float *scale)
{
	for (size_t j = 0; j < d; j++) {
		vmin[j] = INFINITY;
		scale[j] = -INFINITY; /* max for now */
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < d; j++) {
			float v = vecs[i * d + j];
			if (v < vmin[j])
				vmin[j] = v;
			if (v > scale[j])
				scale[j] = v;
		}
	for (size_t j = 0; j < d; j++) {
		float r = (scale[j] - vmin[j]) / 255.0f;
		scale[j] = r > 0 && isfinite(r) ? r : 1.0f;
	}
}

void or_ann_sq_encode(const float *vecs, const uint64_t *offsets, size_t nlist,
		      size_t d, const float *vmin, const float *scale,
		      const uint64_t *bstart, uint8_t *codes)
{
	size_t w = 4 * or_ann_sq_groups(d), bb = 16 * w;
	memset(codes, 0, (size_t)bstart[nlist] * bb);
	for (size_t l = 0; l < nlist; l++) {
		uint8_t *blk0 = codes + (size_t)bstart[l] * bb;
		for (uint64_t p = offsets[l]; p < offsets[l + 1]; p++) {
			size_t i = (size_t)(p - offsets[l]);
			uint8_t *row = blk0 + (i / 16) * bb + (i % 16) * w;
			for (size_t j = 0; j < d; j++) {
				float c = roundf((vecs[p * d + j] - vmin[j]) / scale[j]);
				row[j] = (uint8_t)(c < 0 ? 0 : c > 255 ? 255 : c);
			}
		}
	}
}

float or_ann_sq_query(const float *q, size_t d, const float *vmin,
		      const float *scale, int8_t *qi, float *base)
{
	float m = 0, b = 0;
	for (size_t j = 0; j < d; j++) {
		float w = fabsf(q[j] * scale[j]);
		if (w > m)
			m = w;
		b += q[j] * vmin[j];
	}
	float s = m > 0 ? m / 127.0f : 1.0f;
	memset(qi, 0, or_ann_sq_groups(d) * 4);
	for (size_t j = 0; j < d; j++) {
		float v = roundf(q[j] * scale[j] / s);
		if (v != v) /* a query that is not finite: its answer is -1s anyway */
			v = 0;
		qi[j] = (int8_t)(v < -127 ? -127 : v > 127 ? 127 : v);
	}
	*base = b;
	return s;
}

