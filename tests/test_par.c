/* test_par.c - or_par.h: the thread-count rule (1 without OpenMP), the
   team's failure flag (the first failure stays, exactly one thread records
   it, cancellation is seen), and the errors after a team. */
#include "check.h"
#include "or_par.h"

static void test_threads(void)
{
	CHECK(or_par_threads(0) >= 1);
	CHECK(or_par_threads(-3) == or_par_threads(0));
#ifdef _OPENMP
	CHECK_INT(or_par_threads(5), 5);
	CHECK_INT(or_par_threads(0), omp_get_max_threads());
#else
	CHECK_INT(or_par_threads(5), 1);
#endif
	CHECK_INT(or_par_thread_num(), 0);
	CHECK_INT(or_par_num_threads(), 1);
	/* a team of 4 (1 without OpenMP): numbers 0..n-1, each once */
	int seen[4] = { 0 }, n = 0;
	OMP(omp parallel num_threads(or_par_threads(4)))
	{
		int t = or_par_thread_num();
		if (t >= 0 && t < 4)
			__atomic_add_fetch(&seen[t], 1, __ATOMIC_RELAXED);
		if (t == 0)
			n = or_par_num_threads();
	}
	CHECK_INT(n, or_par_threads(4));
	for (int t = 0; t < 4; t++)
		CHECK_INT(seen[t], t < n);
}

static void test_fail_flag(void)
{
	int failed = OR_PAR_OK;
	CHECK_INT(or_par_failed(&failed), OR_PAR_OK);
	CHECK_INT(or_par_fail(&failed, OR_PAR_FAILED), 1);
	CHECK_INT(or_par_fail(&failed, OR_PAR_CANCELLED), 0); /* the first stays */
	CHECK_INT(or_par_failed(&failed), OR_PAR_FAILED);

	/* every iteration of a team fails: one call records it */
	failed = OR_PAR_OK;
	int recorded = 0;
	OMP(omp parallel for num_threads(or_par_threads(4)) reduction(+ : recorded))
	for (int i = 0; i < 1000; i++)
		recorded += or_par_fail(&failed, OR_PAR_CANCELLED);
	CHECK_INT(recorded, 1);
	CHECK_INT(failed, OR_PAR_CANCELLED);
}

static void test_stop(void)
{
	volatile sig_atomic_t cancel = 0;
	or_log log = { 0 };
	log.cancel = &cancel;
	int failed = OR_PAR_OK;
	CHECK_INT(or_par_stop(&failed, &log), 0);
	CHECK_INT(or_par_stop(&failed, NULL), 0);
	cancel = 1;
	CHECK_INT(or_par_stop(&failed, &log), 1);
	CHECK_INT(failed, OR_PAR_CANCELLED);
	/* an earlier failure is not turned into a cancellation */
	failed = OR_PAR_FAILED;
	CHECK_INT(or_par_stop(&failed, &log), 1);
	CHECK_INT(failed, OR_PAR_FAILED);

	/* a cancelled team skips its iterations */
	failed = OR_PAR_OK;
	int ran = 0;
	OMP(omp parallel for num_threads(or_par_threads(2)) reduction(+ : ran))
	for (int i = 0; i < 100; i++)
		if (!or_par_stop(&failed, &log))
			ran++;
	CHECK_INT(ran, 0);
	CHECK_INT(failed, OR_PAR_CANCELLED);
}

static void test_result_and_done(void)
{
	or_err err;
	CHECK_INT(or_par_result(OR_PAR_OK, &err, "x"), OR_OK);
	CHECK_INT(or_par_result(OR_PAR_FAILED, &err, "index build"), OR_ENOMEM);
	CHECK_STR_CONTAINS(err.msg, "index build: out of memory");
	CHECK_INT(or_par_result(OR_PAR_CANCELLED, &err, "knn"), OR_ECANCELLED);
	CHECK_STR_CONTAINS(err.msg, "knn: cancelled");

	size_t done = 0;
	OMP(omp parallel for num_threads(or_par_threads(3)))
	for (int i = 0; i < 300; i++)
		or_par_done(&done, 2, or_par_thread_num(), NULL, "stage", 600, "items");
	CHECK_INT(done, 600);
}

int main(void)
{
	CHECK_MAIN_BEGIN
	RUN_TEST(test_threads);
	RUN_TEST(test_fail_flag);
	RUN_TEST(test_stop);
	RUN_TEST(test_result_and_done);
	CHECK_MAIN_END
}
