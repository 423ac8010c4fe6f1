/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The standalone driver shared by the fuzz targets: a deterministic mutation
 * fuzzer with its own PRNG, a pool that grows with inputs whose result
 * signature is new, corpus and FILE replay, and main() with --corpus,
 * --seconds, --seed and --runs (and libFuzzer's -max_total_time=/-seed=/
 * -runs=). Built with -DSLT_LIBFUZZER, it is left out and libFuzzer drives
 * the target instead.
 *
 * Two modes, and only one reads the clock to stop (tests/fuzz/README.md):
 *   deterministic (make test): --corpus DIR replays every file of DIR in
 *     name order (a broken invariant aborts: non-zero exit), adds them to
 *     the pool, then runs exactly --runs mutated inputs (FUZZ_DEFAULT_RUNS
 *     when not given) from --seed (1). The same binary, corpus and seed do
 *     the same executions on any machine at any load.
 *   exploratory (make fuzz): --seconds N stops after N seconds (or --runs,
 *     whichever comes first); how far it gets depends on the machine.
 *
 * A target includes this after its LLVMFuzzerTestOneInput, with defined:
 *   FUZZ_NAME            "x_fuzz", for messages
 *   FUZZ_MAX_INPUT, POOL_MAX  the largest mutated input, the pool's size
 *   FUZZ_MUTATIONS       the mutation mix, a list of enum fuzz_mutation
 *                        (repeat one to make it likelier)
 *   fuzz_interesting[]   bytes worth writing (uint8_t)
 *   fuzz_tokens[]        strings of the format, inserted whole ("\0" is one byte)
 *   fuzz_numbers[]       numbers that replace numbers
 *   signature            uint64_t, what the last input's results looked like
 *   FUZZ_DEFAULT_RUNS    mutated executions without --seconds or --runs, sized
 *                        for 5-15 s on an idle 2-core machine
 * and optionally FUZZ_ERASE_MAX (16), FUZZ_CLOCK_MASK (63: how often the
 * clock is read), FUZZ_REPLAY_MAX (1 MiB), and FUZZ_RUN_REPS with
 * fuzz_runs[] for FUZZ_LONG_RUN. After it, the target defines
 * fuzz_add_seeds(), which fills the pool (pool_add, seed_prefixes) and
 * returns the executions it ran.
 */
#ifndef SLT_FUZZ_DRIVER_H
#define SLT_FUZZ_DRIVER_H

#ifndef SLT_LIBFUZZER

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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

/* put every seed in the pool and run every prefix of it (captures and
 * files end anywhere); returns the executions */
static __attribute__((unused)) uint64_t seeds_add(const struct fuzz_seed *seeds, size_t n)
{
	uint64_t execs = 0;

	for (size_t s = 0; s < n; s++) {
		pool_add(seeds[s].data, seeds[s].len);
		execs += seed_prefixes(seeds[s].data, seeds[s].len, 1);
	}
	return execs;
}

static void buf_insert(uint8_t *b, size_t *len, size_t pos, const uint8_t *src, size_t n)
{
	if (n > FUZZ_MAX_INPUT - *len)
		n = FUZZ_MAX_INPUT - *len;
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
	static uint8_t tmp[FUZZ_MAX_INPUT];
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
		for (i = 0; i < reps && *len < FUZZ_MAX_INPUT; i++)
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

/* the file being replayed, named when an invariant aborts on it */
static char replaying[4096];

static void on_abort(int sig)
{
	static const char head[] = FUZZ_NAME ": broken by '";
	size_t n = strlen(replaying);
	ssize_t w;

	if (n) {
		w = write(2, head, sizeof(head) - 1);
		w = write(2, replaying, n);
		w = write(2, "'\n", 2);
		(void)w;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/* run one file's bytes; into the pool too when add (and it fits a mutation buffer) */
static int replay(const char *file, int add, int quiet)
{
	static uint8_t data[FUZZ_REPLAY_MAX];
	FILE *f = fopen(file, "rb");
	size_t len;
	int err;

	if (!f) {
		slt_error("cannot open '%s': %s", file, strerror(errno));
		return -1;
	}
	len = fread(data, 1, sizeof(data), f);
	err = ferror(f);
	fclose(f);
	if (err) {
		slt_error("cannot read '%s': %s", file, strerror(EIO));
		return -1;
	}
	snprintf(replaying, sizeof(replaying), "%s", file);
	run_one(data, len);
	replaying[0] = '\0';
	if (add) {
		sig_new(signature);
		if (len <= FUZZ_MAX_INPUT)
			pool_add(data, len);
	}
	if (!quiet)
		printf(FUZZ_NAME ": '%s' (%zu bytes) ok\n", file, len);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every regular file of dir (dot files skipped), in strcmp order of their
 * names so the pool and the PRNG's path through it are the same everywhere.
 * The count replayed, or -1 (after saying why) when dir cannot be read, is
 * empty, or a file cannot be read.
 */
static int replay_corpus(const char *dir, int add)
{
	char **names = NULL, **grown, path[4096];
	int n = 0, cap = 0, err = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d) {
		slt_error("cannot open corpus '%s': %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			grown = realloc(names, (size_t)cap * sizeof(*names));
			if (!grown) {
				err = -1;
				break;
			}
			names = grown;
		}
		names[n] = strdup(e->d_name);
		if (!names[n]) {
			err = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (err)
		slt_error("cannot list corpus '%s': %s", dir, strerror(ENOMEM));
	if (!err && !n) {
		slt_error("cannot use corpus '%s': it holds no inputs", dir);
		err = -1;
	}
	if (!err)
		qsort(names, (size_t)n, sizeof(*names), by_name);
	for (int i = 0; i < n && !err; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		err = replay(path, add, 1);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (err)
		return -1;
	printf(FUZZ_NAME ": %d corpus inputs from '%s' ok\n", n, dir);
	return n;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: " FUZZ_NAME
		" [--corpus DIR] [--seconds N] [--seed N] [--runs N] [FILE...]\n"
		"  --corpus DIR  replay every file in DIR (by name) first, then fuzz from them\n"
		"  --seconds N   fuzz for N seconds, however many inputs that is\n"
		"                (also -max_total_time=N)\n"
		"  --seed N      PRNG seed (default 1; also -seed=N)\n"
		"  --runs N      mutated inputs to run (default %llu without --seconds;\n"
		"                also -runs=N)\n"
		"  --save DIR    at the end, write the pool to DIR (corpus candidates)\n"
		"  FILE...       run these inputs once each instead of fuzzing\n",
		(unsigned long long)FUZZ_DEFAULT_RUNS);
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

/* write the pool to dir, one file per input named by its FNV-1a hash: corpus candidates */
static int save_pool(const char *dir)
{
	char path[4096];
	FILE *f;

	for (int i = 0; i < npool; i++) {
		uint64_t h = 0xcbf29ce484222325ull;

		for (size_t k = 0; k < pool[i].len; k++)
			h = (h ^ pool[i].data[k]) * 0x100000001b3ull;
		snprintf(path, sizeof(path), "%s/%016llx", dir, (unsigned long long)h);
		f = fopen(path, "wb");
		if (!f || fwrite(pool[i].data, 1, pool[i].len, f) != pool[i].len || fclose(f)) {
			slt_error("cannot write '%s': %s", path, strerror(errno));
			if (f)
				fclose(f);
			return -1;
		}
	}
	return 0;
}

/* the mutation buffer, at file scope: GCC's bounds warnings lose track of a
 * function-static one inlined through fuzz_add_seeds() */
static uint8_t buf[FUZZ_MAX_INPUT];

/* "--name V" or "--name=V": 1 when arg is this option */
static int str_opt(int argc, char **argv, int *i, const char *name, const char **v)
{
	size_t nl = strlen(name);
	const char *a = argv[*i];

	if (!strncmp(a, name, nl) && a[nl] == '=') {
		*v = a + nl + 1;
		return 1;
	}
	if (strcmp(a, name))
		return 0;
	if (*i + 1 >= argc) {
		slt_error("option '%s' needs a value", name);
		usage(stderr);
		exit(SLT_EXIT_USAGE);
	}
	*v = argv[++*i];
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t seconds = 0, seed = 1, runs = 0, execs = 0, bytes = 0;
	const char *corpus = NULL, *save = NULL;
	int nfiles = 0, err = 0, ncorpus = 0;
	double start, end;
	size_t len;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return SLT_EXIT_OK;
		}
		if (str_opt(argc, argv, &i, "--corpus", &corpus) ||
		    str_opt(argc, argv, &i, "--save", &save))
			continue;
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
	signal(SIGABRT, on_abort);
	rng = seed;
	if (corpus) {
		ncorpus = replay_corpus(corpus, !nfiles);
		if (ncorpus < 0)
			return SLT_EXIT_FAIL;
		execs += (uint64_t)ncorpus;
	}
	if (nfiles) {
		for (int i = 1; i < argc; i++) {
			if (argv[i][0] == '-') {
				/* options with a separate value skip it */
				i += !strchr(argv[i], '=') && i + 1 < argc;
				continue;
			}
			err |= replay(argv[i], 0, 0);
		}
		return err ? SLT_EXIT_FAIL : SLT_EXIT_OK;
	}

	execs += fuzz_add_seeds(buf);
	nseeds = npool;
	/* without --seconds the count alone decides when to stop: no clock */
	if (!seconds && !runs)
		runs = FUZZ_DEFAULT_RUNS;

	start = now_s();
	end = start + (double)seconds;
	for (uint64_t r = 0; !runs || r < runs; r++) {
		const struct input *in = &pool[below((size_t)npool)];
		int stack = 1 + (int)below(4);

		if (seconds && !(r & FUZZ_CLOCK_MASK) && now_s() >= end)
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
	printf(FUZZ_NAME ": %llu executions in %.1fs (seed %llu, %s, mean input %llu bytes, "
			 "pool %d, %d result signatures)\n",
	       (unsigned long long)execs, now_s() - start, (unsigned long long)seed,
	       seconds ? "time-bounded" : "fixed count",
	       (unsigned long long)(bytes / (execs ? execs : 1)), npool, nsigs);
	if (save && save_pool(save))
		err = 1;
	for (int i = 0; i < npool; i++)
		free(pool[i].data);
	if (err)
		return SLT_EXIT_FAIL;
	return fflush(stdout) || ferror(stdout) ? SLT_EXIT_FAIL : SLT_EXIT_OK;
}

#endif /* SLT_LIBFUZZER */
#endif /* SLT_FUZZ_DRIVER_H */
