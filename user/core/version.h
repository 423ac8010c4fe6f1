/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef SLT_CORE_VERSION_H
#define SLT_CORE_VERSION_H

#define SLT_VERSION "0.1.0"

#endif
