/* test_cpu.c - or_cpu.h: the features cpuid and xgetbv give are the ones
   the Linux kernel lists in /proc/cpuinfo; what SIMD code may use is them,
   or nothing under OTTOREC_NO_SIMD or a NO_SIMD=1 build; AMX is usable only
   with its features. */
#include "check.h"
#include "or_cpu.h"

/* 1 when the "flags" line of /proc/cpuinfo lists flag, 0 when not, -1
   when there is no such file */
static int cpuinfo_has(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return -1;
	static char line[16384];
	int has = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) != 0)
			continue;
		size_t n = strlen(flag);
		for (const char *p = strstr(line, flag); p; p = strstr(p + 1, flag))
			if (p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n'))
				has = 1;
		break;
	}
	fclose(f);
	return has;
}

static void test_detect(void)
{
	static const struct {
		unsigned bit;
		const char *flag;
	} feat[] = {
		{ OR_CPU_AVX2, "avx2" },           { OR_CPU_FMA, "fma" },
		{ OR_CPU_AVX512F, "avx512f" },     { OR_CPU_AVX512BW, "avx512bw" },
		{ OR_CPU_AVX512VL, "avx512vl" },   { OR_CPU_AVX512VNNI, "avx512_vnni" },
		{ OR_CPU_AMX_TILE, "amx_tile" },   { OR_CPU_AMX_INT8, "amx_int8" },
	};
	unsigned f = or_cpu_detect();
	printf("  this CPU:");
	for (size_t i = 0; i < sizeof(feat) / sizeof(feat[0]); i++) {
		if (f & feat[i].bit)
			printf(" %s", feat[i].flag);
		int want = cpuinfo_has(feat[i].flag);
#if defined(__x86_64__)
		if (want >= 0)
			CHECK_INT(!!(f & feat[i].bit), want);
#else
		CHECK_INT(f, 0);
#endif
	}
	printf("\n");
	CHECK_INT(or_cpu_detect(), f); /* the same every time */
}

static void test_features(void)
{
	const char *env = getenv("OTTOREC_NO_SIMD");
	int off = env && env[0] && strcmp(env, "0") != 0;
	unsigned f = or_cpu_features();
#ifdef OR_SIMD_X86
	CHECK_INT(f, off ? 0 : or_cpu_detect());
#else
	CHECK_INT(f, 0); /* NO_SIMD=1, or no SIMD code for this compiler */
	(void)off;
#endif
	CHECK_INT(or_cpu_features(), f);
	CHECK(or_cpu_has(0));
	CHECK_INT(or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA), (f & (OR_CPU_AVX2 | OR_CPU_FMA)) == (OR_CPU_AVX2 | OR_CPU_FMA));
	CHECK_INT(or_cpu_has(OR_CPU_AVX512), (f & OR_CPU_AVX512) == OR_CPU_AVX512);
	if (!or_cpu_has(OR_CPU_AMX))
		CHECK_INT(or_cpu_amx_usable(), 0);
	CHECK_INT(or_cpu_amx_usable(), or_cpu_amx_usable());
	printf("  usable: %s%s%s\n", or_cpu_has(OR_CPU_AVX2 | OR_CPU_FMA) ? "avx2+fma " : "",
	       or_cpu_has(OR_CPU_AVX512 | OR_CPU_AVX512VNNI) ? "avx512-vnni " : "",
	       or_cpu_amx_usable() ? "amx" : "");
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_detect);
	RUN_TEST(test_features);
	CHECK_MAIN_END
}
