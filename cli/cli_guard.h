/*
 * cli_guard.h - what keeps a command from destroying its own inputs or
 * another run's outputs: the one output-versus-input check of every command
 * that writes, and the lock of an output directory.
 *
 * The output check (docs/hacking.md, "Reliability"): an output conflicts
 * with an input when
 *   - both name the same file: the same path once the directories are
 *     resolved (realpath of the output's directory plus its name, since the
 *     output need not exist yet), or the same st_dev/st_ino (hard links);
 *   - the output is a directory written by the command (split, synth,
 *     covisit, run, demo) and one of the files it writes there is an input
 *     (a directory that merely holds an input the command does not rewrite
 *     is fine: `run --train D/train.jsonl -o D` is allowed, while
 *     `split -o D D/train.store` is not);
 *   - the output (file or directory) lies inside an input directory (a
 *     covisit directory given to recommend or tune), or is one.
 * "-" (standard input or output) never conflicts.  The message names both.
 * Also refused up front: a file output that is an existing directory, a
 * directory output that is an existing file.
 *
 * The lock: flock(LOCK_EX | LOCK_NB) on DIR/.ottorec.lock, held until the
 * process exits (the kernel drops it even after kill -9), so a second
 * writer of the same directory fails at once instead of mixing two runs.
 */
#ifndef OR_CLI_GUARD_H
#define OR_CLI_GUARD_H

#include <stddef.h>

/* A path that an output must not be (or lie in): an input of the command. */
typedef struct cli_input {
	const char *path;
	int is_dir; /* a directory the command reads (covisit tables) */
} cli_input;

/*
 * CLI_OK when output `out` conflicts with none of inputs[0..n_inputs), else
 * the usage error printed ("ottorec CMD: the output OUT is the input IN ...") and
 * CLI_USAGE.  names: NULL when out is a file; else out is a directory and
 * names the files (NULL-terminated) the command writes in it.  Inputs that
 * are NULL are skipped.
 */
int cli_check_output(const char *cmd, const char *out, const char *const *names,
		     const cli_input *inputs, size_t n_inputs);
/* The same for inputs that are all files, given as an argv slice. */
int cli_check_output_argv(const char *cmd, const char *out, const char *const *names,
			  char *const *inputs, int n_inputs);

/*
 * Lock directory dir (which must exist) against a second writer: CLI_OK
 * with the lock held until exit, or CLI_FAIL after a message naming the
 * directory (another process holds it, or the lock file cannot be made).
 */
int cli_lock_dir(const char *cmd, const char *dir);

#endif
