/*
 * or_cpu.h - the one place that says which SIMD code is built and which may
 * run (in the manner of zstd's cpu.h): the compile guard of every SIMD
 * file, the target attribute its kernels are compiled with, and the
 * run-time detection of the CPU's features.
 *
 * Build: OR_SIMD_X86 is defined on x86-64 with gcc >= 11 or clang >= 14
 * (every intrinsic the kernels use, AMX and AVX-512 VNNI included, under
 * target attributes) unless the build says OR_NO_SIMD (make NO_SIMD=1);
 * without it only the scalar code is compiled.  Kernels are compiled with
 * OR_TARGET("avx2,fma") and the like, never with -m flags, so one binary
 * runs everywhere.  A SIMD file reads
 *
 *     #include "or_cpu.h"
 *     #ifdef OR_SIMD_X86
 *     #include <immintrin.h>
 *     OR_TARGET("avx2,fma") static void kernel_avx2(...) { ... }
 *     #endif
 *     static void kernel_scalar(...) { ... }   (always: the reference)
 *     ... if (simd && or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA)) kernel_avx2(...);
 *
 * Run time: or_cpu_features() is what cpuid says the CPU has and xgetbv
 * says the OS saves (the AVX and AVX-512 registers, the AMX tiles), read
 * once; nothing when OTTOREC_NO_SIMD is set in the environment (and not
 * empty or "0") or the build has no SIMD code.  AMX also needs the Linux
 * kernel's permission for the tile data, asked for by or_cpu_amx_usable()
 * only when code is about to use the tiles.
 */
#ifndef OR_CPU_H
#define OR_CPU_H

#if !defined(OR_NO_SIMD) && defined(__x86_64__) &&                                  \
	((defined(__clang__) && __clang_major__ >= 14) ||                             \
	 (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 11))
#define OR_SIMD_X86 1
#define OR_TARGET(features) __attribute__((target(features)))
#endif

enum {
	OR_CPU_AVX2 = 1u << 0,
	OR_CPU_FMA = 1u << 1,
	OR_CPU_AVX512F = 1u << 2,
	OR_CPU_AVX512BW = 1u << 3,
	OR_CPU_AVX512VL = 1u << 4,
	OR_CPU_AVX512VNNI = 1u << 5,
	OR_CPU_AMX_TILE = 1u << 6,
	OR_CPU_AMX_INT8 = 1u << 7,
	/* the sets the kernels ask for */
	OR_CPU_AVX512 = OR_CPU_AVX512F | OR_CPU_AVX512BW | OR_CPU_AVX512VL,
	OR_CPU_AMX = OR_CPU_AMX_TILE | OR_CPU_AMX_INT8
};

/* The features of this CPU and OS (cpuid, xgetbv), whatever the build and
   the environment say; 0 off x86-64.  Not cached (for tests). */
unsigned or_cpu_detect(void);

/* What SIMD code may use: or_cpu_detect() read once, or 0 under
   OTTOREC_NO_SIMD or a build without SIMD code.  Thread-safe. */
unsigned or_cpu_features(void);

/* 1 when every feature of the set is there (see or_cpu_features). */
static inline int or_cpu_has(unsigned set)
{
	return (or_cpu_features() & set) == set;
}

/* 1 when the AMX int8 tiles may be used: the features, and (asked for at
   the first call, on Linux >= 5.16) the kernel's permission for the tile
   data (arch_prctl ARCH_REQ_XCOMP_PERM).  Cached; thread-safe. */
int or_cpu_amx_usable(void);

#endif
