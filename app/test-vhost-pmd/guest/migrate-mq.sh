#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The live migration of migrate.sh with 2 queue pairs on both ports
# (mq=on, 2 vCPUs): the dirty log is turned on across all four vrings of
# the source, and the destination comes up on its own two queue pairs.
# Up to 3 tries in the suite, as migrate.sh says why.
# vpt-tries: 3
VPT_MIGRATE_QUEUES=2 exec bash "$(dirname "$0")/migrate.sh"
