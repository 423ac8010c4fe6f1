// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include "core/syscall_names.h"

const char *slt_syscall_name(unsigned nr, char *buf, unsigned long len)
{
	if (nr < SLT_SYSCALL_NAMES_MAX && slt_syscall_names[nr])
		return slt_syscall_names[nr];
	snprintf(buf, len, "syscall_%u", nr);
	return buf;
}

int slt_syscall_nr(const char *name)
{
	for (int i = 0; i < SLT_SYSCALL_NAMES_MAX; i++)
		if (slt_syscall_names[i] && !strcmp(slt_syscall_names[i], name))
			return i;
	return -1;
}

const char *slt_errno_name(unsigned err, char *buf, unsigned long len)
{
	const char *n = NULL;

	/* kernel-internal codes seen at sys_exit when a signal interrupts a
	 * syscall that the kernel then restarts (include/linux/errno.h) */
	switch (err) {
	case 512: n = "ERESTARTSYS"; break;
	case 513: n = "ERESTARTNOINTR"; break;
	case 514: n = "ERESTARTNOHAND"; break;
	case 515: n = "ENOIOCTLCMD"; break;
	case 516: n = "ERESTART_RESTARTBLOCK"; break;
	default: n = err < 512 ? strerrorname_np((int)err) : NULL; break;
	}
	if (n)
		return n;
	snprintf(buf, len, "E%u", err);
	return buf;
}
