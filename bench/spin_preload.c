// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * spin_preload.so: a known CPU cost per request, the yardstick of
 * bench/requests.sh's calibration row. Preloaded into nginx (LD_PRELOAD,
 * inherited by its forked worker), it wraps writev(), which nginx calls
 * once per response when it serves a static file with sendfile on (the
 * headers; the body goes by sendfile), and before each call spins for the
 * number of nanoseconds written in the control file SLT_SPIN_FILE (decimal
 * text, fixed width, rewritten in place by the benchmark; 0 or no file:
 * no spin). The file is mapped once, at load: switching the cost on and
 * off needs no restart of nginx and no system call in it.
 *
 * Spinning reads CLOCK_MONOTONIC through the vDSO: the cost is time on the
 * CPU of the worker, in its request path, like a tracer's programs are.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define SPIN_FILE_BYTES 16

typedef ssize_t (*writev_fn)(int, const struct iovec *, int);

static writev_fn real_writev;
static const volatile char *spin_text; /* SPIN_FILE_BYTES, or NULL */

__attribute__((constructor)) static void spin_init(void)
{
	const char *path = getenv("SLT_SPIN_FILE");
	struct stat st;
	void *p;
	int fd;

	real_writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
	if (!path)
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* a shorter file would fault past its end: leave the cost off */
	if (!fstat(fd, &st) && st.st_size >= SPIN_FILE_BYTES) {
		p = mmap(NULL, SPIN_FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED)
			spin_text = p;
	}
	close(fd);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* the decimal number at the start of the control file (digits only) */
static uint64_t spin_ns(void)
{
	uint64_t v = 0;

	if (!spin_text)
		return 0;
	for (int i = 0; i < SPIN_FILE_BYTES && spin_text[i] >= '0' && spin_text[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(spin_text[i] - '0');
	return v;
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	uint64_t ns = spin_ns();

	if (ns) {
		uint64_t end = now_ns() + ns;

		while (now_ns() < end)
			;
	}
	if (!real_writev)
		return -1;
	return real_writev(fd, iov, iovcnt);
}
