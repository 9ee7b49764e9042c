#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# migrate.sh with postcopy enabled on both QEMUs and both ports
# (postcopy-support=1), completing in pre-copy: the destination port takes
# POSTCOPY_ADVISE, and the migration is not disturbed by it.
# vpt-tries: 3
MIGRATE_POSTCOPY=capable exec bash "$(dirname "$0")/migrate.sh"
