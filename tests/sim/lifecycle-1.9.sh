#!/usr/bin/env bash
# tests/sim/lifecycle-1.9.sh: lifecycle.sh with the simulator at 1.9.3.
SMOLVM_SIM_VERSION=1.9.3 exec bash "$(dirname "$0")/lifecycle.sh"
