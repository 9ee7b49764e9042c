#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# migrate.sh in postcopy mode: the guest runs on the destination before
# most of its memory arrived, and our port there (postcopy-support=1)
# waits for each page it touches through the userfaultfd it gave QEMU.
# testpmd runs with its default mlockall(): the library must not let that
# populate the destination's memory before the userfaultfd covers it.
# vpt-tries: 3
MIGRATE_POSTCOPY=1 exec bash "$(dirname "$0")/migrate.sh"
