// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/listeners.h"
#include "core/parse.h"

#define MAX_INODES 4096

/* socket inodes of a process's fds */
static int socket_inodes(uint32_t pid, unsigned long *inodes, int n, int max)
{
	char dir[64], path[320], link[64];
	struct dirent *d;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%u/fd", pid);
	dp = opendir(dir);
	if (!dp)
		return n;
	while ((d = readdir(dp)) && n < max) {
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strncmp(link, "socket:[", 8))
			inodes[n++] = strtoul(link + 8, NULL, 10);
	}
	closedir(dp);
	return n;
}

static int add_port(uint16_t *ports, int n, int max, uint16_t port)
{
	for (int i = 0; i < n; i++)
		if (ports[i] == port)
			return n;
	if (n < max)
		ports[n++] = port;
	return n;
}

static int scan_table(const char *file, const unsigned long *inodes, int ninodes, int all,
		      uint16_t *ports, int n, int max)
{
	char line[512];
	FILE *f = fopen(file, "r");

	if (!f)
		return n;
	if (!fgets(line, sizeof(line), f)) { /* header */
		fclose(f);
		return n;
	}
	while (fgets(line, sizeof(line), f)) {
		char local[64], remote[64];
		unsigned st, port;
		unsigned long inode;
		char *colon;

		if (sscanf(line, "%*d: %63s %63s %x %*s %*s %*s %*u %*u %lu", local, remote, &st,
			   &inode) != 4 || st != 0x0A /* TCP_LISTEN */)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		if (!all) {
			int mine = 0;

			for (int i = 0; i < ninodes && !mine; i++)
				mine = inodes[i] == inode;
			if (!mine)
				continue;
		}
		n = add_port(ports, n, max, (uint16_t)port);
	}
	fclose(f);
	return n;
}

int listeners_ports(const uint32_t *pids, int npids, uint16_t *ports, int max)
{
	unsigned long *inodes = calloc(MAX_INODES, sizeof(*inodes));
	int ninodes = 0, n = 0;

	if (!inodes)
		return 0;
	for (int i = 0; i < npids; i++)
		ninodes = socket_inodes(pids[i], inodes, ninodes, MAX_INODES);
	if (npids && !ninodes)
		goto out;
	n = scan_table("/proc/net/tcp", inodes, ninodes, !npids, ports, n, max);
	n = scan_table("/proc/net/tcp6", inodes, ninodes, !npids, ports, n, max);
out:
	free(inodes);
	return n;
}

int listeners_ports_netns(uint32_t pid, uint16_t *ports, int n, int max)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%u/net/tcp", pid);
	n = scan_table(path, NULL, 0, 1, ports, n, max);
	snprintf(path, sizeof(path), "/proc/%u/net/tcp6", pid);
	return scan_table(path, NULL, 0, 1, ports, n, max);
}

int listeners_pids_by_comm(const char *comm, uint32_t *pids, int max)
{
	char path[300], buf[64];
	struct dirent *d;
	int n = 0;
	DIR *dp = opendir("/proc");

	if (!dp)
		return 0;
	while ((d = readdir(dp)) && n < max) {
		uint64_t pid;
		FILE *f;

		if (slt_parse_u64(d->d_name, 1, UINT32_MAX, &pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f)) {
			buf[strcspn(buf, "\n")] = 0;
			if (!strcmp(buf, comm))
				pids[n++] = (uint32_t)pid;
		}
		fclose(f);
	}
	closedir(dp);
	return n;
}
