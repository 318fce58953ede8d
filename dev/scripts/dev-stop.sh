#!/usr/bin/env bash
# make dev-stop: stops what local-dev-start and seed-dev started (agent, control plane, file server),
# by PID file or systemd unit, never by process name. State stays: make local-dev-start resumes it.
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
for name in files agent api; do
  stop_service "$name"
done
