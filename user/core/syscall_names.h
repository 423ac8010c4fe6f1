/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Names for syscall numbers (x86_64, generated) and errno values. */
#ifndef SLT_CORE_SYSCALL_NAMES_H
#define SLT_CORE_SYSCALL_NAMES_H

#define SLT_SYSCALL_NAMES_MAX 1024

extern const char *const slt_syscall_names[SLT_SYSCALL_NAMES_MAX];

/* "openat", or "syscall_N" (into buf) for a number with no name */
const char *slt_syscall_name(unsigned nr, char *buf, unsigned long len);
/* syscall number for a name, or -1 */
int slt_syscall_nr(const char *name);
/* "ENOENT", the kernel-internal restart codes by name, or "E<N>" */
const char *slt_errno_name(unsigned err, char *buf, unsigned long len);

#endif
