/*
 * fuzz_serve_request.c - libFuzzer target for `ottorec serve`'s request
 * bodies (cli/serve_request.c, built in by the Makefile's rule for this
 * target): any bytes must give a batch or an error message (never a
 * crash, hang or sanitizer report); a batch must make a store whose
 * sessions are its lines, and its answer lines and the error JSON must be
 * written within their buffers.  Small limits, so that they are reached.
 * Built and run by `make fuzz`; the kept corpus is
 * tests/fuzz/corpus/serve_request/.
 */
#include "serve_request.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	serve_limits lim = { 1u << 16, 16, 64 };
	serve_batch b;
	memset(&b, 0, sizeof(b));
	or_err err;
	int rc = serve_batch_parse(&b, (const char *)data, size, &lim, &err);
	if (rc != OR_OK) {
		if (err.msg[0] == '\0')
			__builtin_trap(); /* every error must say what was wrong */
		free(serve_error_json(err.msg));
	} else {
		or_store *st = NULL;
		if (b.ns == 0 || b.ns > lim.max_sessions || serve_batch_store(&b, &st, &err) != OR_OK)
			__builtin_trap();
		if (or_store_n_sessions(st) != b.ns)
			__builtin_trap();
		int64_t *rows[3];
		size_t k = 3;
		for (int t = 0; t < 3; t++) {
			rows[t] = malloc(b.ns * k * sizeof(int64_t));
			for (size_t i = 0; rows[t] && i < b.ns * k; i++)
				rows[t][i] = i % 2 ? -1 : (int64_t)i * 1000000007;
		}
		char *out = NULL;
		size_t len = 0, cap = 0;
		for (size_t i = 0; rows[0] && rows[1] && rows[2] && i < b.ns; i++) {
			or_session s;
			or_store_session(st, i, &s);
			if (s.n == 0 || s.n > lim.max_events || s.id != b.sid[i])
				__builtin_trap();
			if (serve_answer_line(&out, &len, &cap, s.id, rows, i, k))
				break;
		}
		free(out);
		for (int t = 0; t < 3; t++)
			free(rows[t]);
		or_store_free(st);
	}
	serve_batch_release(&b);
	return 0;
}
