#!/usr/bin/env bash
# make deploy-dev: rebuild the agent and restart it; its certificate and state are untouched, so the
# node stays the same node (on macOS the binary is cross-built and copied into the Lima VM).
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$OTX_ROOT"
if [ "$(uname -s)" = Darwin ]; then
  exec dev/scripts/lima.sh deploy
fi
[ "${OTHERIX_DEV_SKIP_BUILD:-}" = 1 ] || make -s build-agent
stop_service agent
start_service agent "$AGENT" serve --config "$AGENT_DIR/agent.yaml"
wait_for 60 "node $DEV_NODE ready after the redeploy" node_ready || die "node $DEV_NODE is not ready; see ${LOG_DIR#"$OTX_ROOT"/}/agent.log"
