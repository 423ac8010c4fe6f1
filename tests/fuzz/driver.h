/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The standalone driver shared by the fuzz targets: a deterministic mutation
 * fuzzer with its own PRNG, a pool that grows with inputs whose result
 * signature is new, FILE replay, and main() with --seconds/--seed/--runs
 * (and libFuzzer's -max_total_time=/-seed=/-runs=). Built with
 * -DSLT_LIBFUZZER, it is left out and libFuzzer drives the target instead.
 *
 * A target includes this after its LLVMFuzzerTestOneInput, with defined:
 *   FUZZ_NAME            "x_fuzz", for messages
 *   MAX_INPUT, POOL_MAX  the largest mutated input, the pool's size
 *   FUZZ_MUTATIONS       the mutation mix, a list of enum fuzz_mutation
 *                        (repeat one to make it likelier)
 *   fuzz_interesting[]   bytes worth writing (uint8_t)
 *   fuzz_tokens[]        strings of the format, inserted whole ("\0" is one byte)
 *   fuzz_numbers[]       numbers that replace numbers
 *   signature            uint64_t, what the last input's results looked like
 * and optionally FUZZ_ERASE_MAX (16), FUZZ_CLOCK_MASK (63: how often the
 * clock is read), FUZZ_REPLAY_MAX (1 MiB), and FUZZ_RUN_REPS with
 * fuzz_runs[] for FUZZ_LONG_RUN. After it, the target defines
 * fuzz_add_seeds(), which fills the pool (pool_add, seed_prefixes) and
 * returns the executions it ran.
 */
#ifndef SLT_FUZZ_DRIVER_H
#define SLT_FUZZ_DRIVER_H

#ifndef SLT_LIBFUZZER

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/log.h"
#include "core/parse.h"

#ifndef FUZZ_ERASE_MAX
#define FUZZ_ERASE_MAX 16
#endif
#ifndef FUZZ_CLOCK_MASK
#define FUZZ_CLOCK_MASK 63
#endif
#ifndef FUZZ_REPLAY_MAX
#define FUZZ_REPLAY_MAX (1 << 20)
#endif
#define SIG_SLOTS 8192

#define FUZZ_NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define SEED(lit)                                                                                  \
	{                                                                                          \
		(const uint8_t *)(lit), sizeof(lit) - 1                                            \
	}

struct fuzz_seed {
	const uint8_t *data;
	size_t len;
};

enum fuzz_mutation {
	FUZZ_FLIP,	  /* a bit flipped */
	FUZZ_INTERESTING, /* a byte from fuzz_interesting[] */
	FUZZ_RANDOM,	  /* random bytes inserted */
	FUZZ_ERASE,	  /* a range deleted */
	FUZZ_DUPLICATE,	  /* a range duplicated elsewhere */
	FUZZ_SPLICE,	  /* our head, another input's tail */
	FUZZ_TRUNCATE,	  /* cut short, as a capture limit or a full disk does */
	FUZZ_TOKEN,	  /* a token from fuzz_tokens[] */
	FUZZ_LINE,	  /* a line repeated, up to a giant head */
	FUZZ_NUMBER,	  /* a number replaced by one from fuzz_numbers[] */
	FUZZ_NUDGE,	  /* a number nudged by one: edges, sums that no longer add up */
	FUZZ_LONG_RUN,	  /* a long run of one of fuzz_runs[] */
	FUZZ_PRINTABLE,	  /* a printable byte */
};

struct input {
	uint8_t *data;
	size_t len;
};

static struct input pool[POOL_MAX];
static int npool, nseeds;
static uint64_t sigs[SIG_SLOTS];
static int nsigs;
static uint64_t rng;

static uint64_t fuzz_add_seeds(uint8_t *buf);

/* splitmix64: small, fast, and the same everywhere */
static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static size_t below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void pool_add(const uint8_t *data, size_t len)
{
	struct input *in;
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy)
		return;
	memcpy(copy, data, len);
	if (npool < POOL_MAX) {
		in = &pool[npool++];
	} else {
		/* seeds stay; a random grown entry makes room */
		in = &pool[nseeds + (int)below((size_t)(POOL_MAX - nseeds))];
		free(in->data);
	}
	in->data = copy;
	in->len = len;
}

/* whether this result signature is new; remembers it */
static int sig_new(uint64_t s)
{
	size_t i = (size_t)(s % SIG_SLOTS);

	s |= 1; /* 0 marks an empty slot */
	if (nsigs >= SIG_SLOTS * 3 / 4)
		return 0;
	for (; sigs[i]; i = (i + 1) % SIG_SLOTS)
		if (sigs[i] == s)
			return 0;
	sigs[i] = s;
	nsigs++;
	return 1;
}

/* run one input from an allocation of exactly its size */
static void run_one(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (!copy) {
		slt_error("cannot allocate %zu bytes: %s", len, strerror(errno));
		exit(SLT_EXIT_FAIL);
	}
	memcpy(copy, data, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
}

/* run every step-th prefix of a seed, remembering its signatures: inputs end anywhere */
static uint64_t seed_prefixes(const uint8_t *data, size_t len, size_t step)
{
	uint64_t execs = 0;

	for (size_t n = 0; n <= len; n += step) {
		run_one(data, n);
		sig_new(signature);
		execs++;
	}
	return execs;
}

static void buf_insert(uint8_t *b, size_t *len, size_t pos, const uint8_t *src, size_t n)
{
	if (n > MAX_INPUT - *len)
		n = MAX_INPUT - *len;
	memmove(b + pos + n, b + pos, *len - pos);
	memcpy(b + pos, src, n);
	*len += n;
}

static void buf_erase(uint8_t *b, size_t *len, size_t pos, size_t n)
{
	if (n > *len - pos)
		n = *len - pos;
	memmove(b + pos, b + pos + n, *len - pos - n);
	*len -= n;
}

static void mutate(uint8_t *b, size_t *len)
{
	static const enum fuzz_mutation mix[] = { FUZZ_MUTATIONS };
	static uint8_t tmp[MAX_INPUT];
	size_t pos = below(*len + 1), n, i;
	const struct input *other;
	const char *tok;

	switch (mix[below(FUZZ_NELEM(mix))]) {
	case FUZZ_FLIP:
		if (*len)
			b[below(*len)] ^= (uint8_t)(1u << below(8));
		break;
	case FUZZ_INTERESTING:
		if (*len)
			b[below(*len)] = fuzz_interesting[below(sizeof(fuzz_interesting))];
		break;
	case FUZZ_RANDOM:
		n = 1 + below(8);
		for (i = 0; i < n; i++)
			tmp[i] = (uint8_t)rnd();
		buf_insert(b, len, pos, tmp, n);
		break;
	case FUZZ_ERASE:
		buf_erase(b, len, pos, 1 + below(FUZZ_ERASE_MAX));
		break;
	case FUZZ_DUPLICATE:
		if (!*len)
			break;
		i = below(*len);
		n = 1 + below(*len - i);
		memcpy(tmp, b + i, n);
		buf_insert(b, len, below(*len + 1), tmp, n);
		break;
	case FUZZ_SPLICE:
		other = &pool[below((size_t)npool)];
		i = below(other->len + 1);
		*len = pos;
		buf_insert(b, len, pos, other->data + i, other->len - i);
		break;
	case FUZZ_TRUNCATE:
		*len = pos;
		break;
	case FUZZ_TOKEN:
		tok = fuzz_tokens[below(FUZZ_NELEM(fuzz_tokens))];
		buf_insert(b, len, pos, (const uint8_t *)tok, tok[0] ? strlen(tok) : 1);
		break;
	case FUZZ_LINE: {
		const uint8_t *lf;
		size_t s = pos < *len ? pos : 0, e, reps = 1 + below(below(4) ? 4 : 200);

		lf = s < *len ? memchr(b + s, '\n', *len - s) : NULL;
		if (!lf)
			break;
		s = (size_t)(lf - b) + 1;
		lf = s < *len ? memchr(b + s, '\n', *len - s) : NULL;
		e = lf ? (size_t)(lf - b) + 1 : *len;
		n = e - s;
		if (!n)
			break;
		memcpy(tmp, b + s, n);
		for (i = 0; i < reps && *len < MAX_INPUT; i++)
			buf_insert(b, len, s, tmp, n);
		break;
	}
	case FUZZ_NUMBER: {
		size_t s = pos;

		while (s < *len && (b[s] < '0' || b[s] > '9'))
			s++;
		if (s == *len)
			break;
		for (i = s; i < *len && b[i] >= '0' && b[i] <= '9'; i++)
			;
		buf_erase(b, len, s, i - s);
		tok = fuzz_numbers[below(FUZZ_NELEM(fuzz_numbers))];
		buf_insert(b, len, s, (const uint8_t *)tok, strlen(tok));
		break;
	}
	case FUZZ_NUDGE: {
		size_t s = pos;

		while (s < *len && (b[s] < '0' || b[s] > '9'))
			s++;
		for (i = s; i < *len && b[i] >= '0' && b[i] <= '9'; i++)
			;
		if (i > s)
			b[i - 1] = b[i - 1] == '9' ? '8' : (uint8_t)(b[i - 1] + 1);
		break;
	}
	case FUZZ_LONG_RUN: {
#ifdef FUZZ_RUN_REPS
		size_t reps = 1 + below(FUZZ_RUN_REPS);

		tok = fuzz_runs[below(FUZZ_NELEM(fuzz_runs))];
		n = strlen(tok);
		for (i = 0; i < reps && (i + 1) * n <= sizeof(tmp); i++)
			memcpy(tmp + i * n, tok, n);
		buf_insert(b, len, pos, tmp, i * n);
#endif
		break;
	}
	case FUZZ_PRINTABLE:
		if (*len)
			b[below(*len)] = (uint8_t)(0x20 + below(0x5f));
		break;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int replay(const char *file)
{
	static uint8_t data[FUZZ_REPLAY_MAX];
	FILE *f = fopen(file, "rb");
	size_t len;

	if (!f) {
		slt_error("cannot open '%s': %s", file, strerror(errno));
		return -1;
	}
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	run_one(data, len);
	printf(FUZZ_NAME ": '%s' (%zu bytes) ok\n", file, len);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: " FUZZ_NAME " [--seconds N] [--seed N] [--runs N] [FILE...]\n"
		   "  --seconds N  fuzz for N seconds (default 10; also -max_total_time=N)\n"
		   "  --seed N     PRNG seed (default 1; also -seed=N)\n"
		   "  --runs N     stop after N mutated inputs, whatever the time (also -runs=N)\n"
		   "  FILE...      run these inputs once each instead of fuzzing\n");
}

/* "--name N", "--name=N" or libFuzzer's "-alias=N": 1 when arg is this option */
static int num_opt(int argc, char **argv, int *i, const char *name, const char *alias, uint64_t max,
		   uint64_t *v)
{
	size_t nl = strlen(name), al = strlen(alias);
	const char *a = argv[*i], *val;

	if (!strcmp(a, name)) {
		if (*i + 1 >= argc) {
			slt_error("option '%s' needs a value", name);
			usage(stderr);
			exit(SLT_EXIT_USAGE);
		}
		val = argv[++*i];
	} else if (!strncmp(a, name, nl) && a[nl] == '=') {
		val = a + nl + 1;
	} else if (!strncmp(a, alias, al) && a[al] == '=') {
		val = a + al + 1;
	} else {
		return 0;
	}
	if (slt_parse_u64(val, 0, max, v)) {
		slt_error("invalid value '%s' for '%s'", val, name);
		usage(stderr);
		exit(SLT_EXIT_USAGE);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static uint8_t buf[MAX_INPUT];
	uint64_t seconds = 10, seed = 1, runs = 0, execs = 0, bytes = 0;
	int nfiles = 0, err = 0;
	double start, end;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return SLT_EXIT_OK;
		}
		if (num_opt(argc, argv, &i, "--seconds", "-max_total_time", 86400 * 365,
			    &seconds) ||
		    num_opt(argc, argv, &i, "--seed", "-seed", UINT64_MAX, &seed) ||
		    num_opt(argc, argv, &i, "--runs", "-runs", UINT64_MAX, &runs))
			continue;
		if (argv[i][0] == '-') {
			slt_error("unknown option '%s'", argv[i]);
			usage(stderr);
			return SLT_EXIT_USAGE;
		}
		nfiles++;
	}
	if (nfiles) {
		for (int i = 1; i < argc; i++) {
			if (argv[i][0] == '-') {
				/* options with a separate value skip it */
				i += !strchr(argv[i], '=') && i + 1 < argc;
				continue;
			}
			err |= replay(argv[i]);
		}
		return err ? SLT_EXIT_FAIL : SLT_EXIT_OK;
	}

	rng = seed;
	execs = fuzz_add_seeds(buf);
	nseeds = npool;

	start = now_s();
	end = start + (double)seconds;
	for (uint64_t r = 0; !runs || r < runs; r++) {
		const struct input *in = &pool[below((size_t)npool)];
		int stack = 1 + (int)below(4);

		if (!(r & FUZZ_CLOCK_MASK) && now_s() >= end && !runs)
			break;
		len = in->len;
		memcpy(buf, in->data, len);
		while (stack--)
			mutate(buf, &len);
		run_one(buf, len);
		execs++;
		bytes += len;
		if (sig_new(signature))
			pool_add(buf, len);
	}
	printf(FUZZ_NAME ": %llu executions in %.1fs (seed %llu, mean input %llu bytes, pool %d, "
			 "%d result signatures)\n",
	       (unsigned long long)execs, now_s() - start, (unsigned long long)seed,
	       (unsigned long long)(bytes / (execs ? execs : 1)), npool, nsigs);
	for (int i = 0; i < npool; i++)
		free(pool[i].data);
	return fflush(stdout) || ferror(stdout) ? SLT_EXIT_FAIL : SLT_EXIT_OK;
}

#endif /* SLT_LIBFUZZER */
#endif /* SLT_FUZZ_DRIVER_H */
