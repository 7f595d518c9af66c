/* SPDX-License-Identifier: GPL-2.0-or-later */
/* paths.h — the configuration paths compiled into every program. The
 * Makefile passes -DCORRAL_SYSCONFDIR from SYSCONFDIR (`make install
 * SYSCONFDIR=/opt/corral/etc` builds programs that look there) and rebuilds
 * everything when it changes; a compile without it (an editor's checker)
 * gets /etc. */
#pragma once

#ifndef CORRAL_SYSCONFDIR
#define CORRAL_SYSCONFDIR "/etc"
#endif

/* the policies and the node config */
#define CORRAL_CONF_DIR CORRAL_SYSCONFDIR "/corral"
