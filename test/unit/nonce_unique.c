/*-------------------------------------------------------------------------
 *
 * nonce_unique.c
 *	  The envelope nonces never repeat: 10 million seals under one key give
 *	  10 million distinct nonces, and a forked child never hands out the
 *	  nonces its parent had buffered.
 *
 * Prints TAP.  Run by test/unit/run.sh (and so by test/check.sh).
 *
 *-------------------------------------------------------------------------
 */
#include "envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_SEALS 10000000

static int
cmp_nonce(const void *a, const void *b)
{
	return memcmp(a, b, CI_NONCE_LEN);
}

static void
seal_one(const uint8_t *key, uint8_t *nonce)
{
	static const uint8_t pt[] = "11010519491231002X";
	uint8_t		env[CI_ENVELOPE_OVERHEAD + sizeof(pt)];

	if (!ci_envelope_seal(CI_SUITE_AES_GCM, 1, key, NULL, 0, pt, sizeof(pt), env))
	{
		printf("Bail out! sealing failed\n");
		exit(1);
	}
	memcpy(nonce, env + 6, CI_NONCE_LEN);
}

int
main(void)
{
	uint8_t		key[CI_KEY_LEN] = {0};
	uint8_t    *nonces = malloc((size_t) N_SEALS * CI_NONCE_LEN);
	size_t		repeats = 0;
	uint8_t		parent_next[CI_NONCE_LEN];
	uint8_t		child_first[CI_NONCE_LEN];
	int			fds[2];
	pid_t		pid;

	printf("1..2\n");
	if (nonces == NULL)
	{
		printf("Bail out! out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < N_SEALS; i++)
		seal_one(key, nonces + i * CI_NONCE_LEN);
	qsort(nonces, N_SEALS, CI_NONCE_LEN, cmp_nonce);
	for (size_t i = 1; i < N_SEALS; i++)
		if (memcmp(nonces + (i - 1) * CI_NONCE_LEN, nonces + i * CI_NONCE_LEN,
				   CI_NONCE_LEN) == 0)
			repeats++;
	printf("%s 1 - %d seals under one key, %zu repeated nonces\n",
		   repeats == 0 ? "ok" : "not ok", N_SEALS, repeats);
	free(nonces);

	/*
	 * The parent has a partly used nonce buffer now.  A child must not
	 * take the parent's next nonce from its copy of that buffer.
	 */
	if (pipe(fds) != 0 || (pid = fork()) < 0)
	{
		printf("Bail out! fork failed\n");
		return 1;
	}
	if (pid == 0)
	{
		seal_one(key, child_first);
		if (write(fds[1], child_first, CI_NONCE_LEN) != CI_NONCE_LEN)
			_exit(1);
		_exit(0);
	}
	seal_one(key, parent_next);
	if (read(fds[0], child_first, CI_NONCE_LEN) != CI_NONCE_LEN)
	{
		printf("Bail out! child failed\n");
		return 1;
	}
	waitpid(pid, NULL, 0);
	printf("%s 2 - a forked child does not repeat its parent's buffered nonces\n",
		   memcmp(parent_next, child_first, CI_NONCE_LEN) != 0 ? "ok" : "not ok");
	return 0;
}
