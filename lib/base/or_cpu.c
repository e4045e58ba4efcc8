/*
 * or_cpu.c - the CPU feature detection of or_cpu.h: cpuid leaves 1 and 7,
 * xgetbv for the register states the OS saves, OTTOREC_NO_SIMD, and the
 * Linux permission request for the AMX tile data.
 */
#include "or_cpu.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>
#endif
#define OR_CPU_CPUID 1
#endif

#define CACHED 0x80000000u /* marks a filled cache word */

#ifdef OR_CPU_CPUID
/* XCR0: the register states the OS saves on a context switch */
static unsigned long long xcr0(void)
{
	unsigned lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (unsigned long long)hi << 32 | lo;
}
#endif

unsigned or_cpu_detect(void)
{
	unsigned f = 0;
#ifdef OR_CPU_CPUID
	unsigned a, b, c, d;
	if (__get_cpuid_max(0, NULL) < 7)
		return 0;
	__cpuid(1, a, b, c, d);
	if (!(c >> 27 & 1)) /* OSXSAVE: no xgetbv, no AVX state */
		return 0;
	int fma = c >> 12 & 1, avx = c >> 28 & 1;
	unsigned long long x = xcr0();
	int os_avx = (x & 0x6) == 0x6;          /* XMM, YMM */
	int os_avx512 = (x & 0xe6) == 0xe6;     /* and opmask, ZMM 0-15, ZMM 16-31 */
	int os_amx = (x & 0x60000) == 0x60000;  /* TILECFG, TILEDATA */
	__cpuid_count(7, 0, a, b, c, d);
	if (avx && os_avx) {
		f |= (b >> 5 & 1) ? OR_CPU_AVX2 : 0;
		f |= fma ? OR_CPU_FMA : 0;
	}
	if (os_avx512) {
		f |= (b >> 16 & 1) ? OR_CPU_AVX512F : 0;
		f |= (b >> 30 & 1) ? OR_CPU_AVX512BW : 0;
		f |= (b >> 31 & 1) ? OR_CPU_AVX512VL : 0;
		f |= (c >> 11 & 1) ? OR_CPU_AVX512VNNI : 0;
	}
	if (os_amx) {
		f |= (d >> 24 & 1) ? OR_CPU_AMX_TILE : 0;
		f |= (d >> 25 & 1) ? OR_CPU_AMX_INT8 : 0;
	}
#endif
	return f;
}

unsigned or_cpu_features(void)
{
	static unsigned cached;
	unsigned f = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (!(f & CACHED)) {
		f = 0;
#ifdef OR_SIMD_X86
		const char *env = getenv("OTTOREC_NO_SIMD");
		if (!(env && env[0] && strcmp(env, "0") != 0))
			f = or_cpu_detect();
#endif
		__atomic_store_n(&cached, f | CACHED, __ATOMIC_RELAXED);
	}
	return f & ~CACHED;
}

int or_cpu_amx_usable(void)
{
	static int cached = -1;
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (c < 0) {
		c = 0;
#if defined(OR_CPU_CPUID) && defined(__linux__)
		if (or_cpu_has(OR_CPU_AMX))
			c = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */,
				    18 /* XFEATURE_XTILEDATA */) == 0;
#endif
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return c;
}
