#!/usr/bin/env bash
# make bootstrap-dev: stage the agent host without starting the agent (make seed-dev does that).
#   macOS: the Lima VM otherix-dev (dev/lima/otherix-dev.yaml), the agent cross-built and copied in.
#   Linux: libvirt + QEMU (tools/host/setup.sh), bin/otherix-agent, and .local/agent/agent.yaml.
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$OTX_ROOT"
if [ "$(uname -s)" = Darwin ]; then
  exec dev/scripts/lima.sh bootstrap
fi
if [ "$(id -u)" = 0 ]; then tools/host/setup.sh; else sudo tools/host/setup.sh; fi
make -s build-agent
mkdir -p "$AGENT_DIR"
[ -f "$AGENT_DIR/agent.yaml" ] || write_agent_config "$DEV_STATE_DIR"
say "agent staged: ${AGENT_DIR#"$OTX_ROOT"/}/agent.yaml; make seed-dev joins and starts it"
