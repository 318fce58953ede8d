#!/usr/bin/env bash
# make clean-dev: removes the dev agent (stops everything, deletes its config, bootstrap files and
# certificate; on macOS stops and deletes the Lima VM). The node then shows as pending/unreachable
# until make bootstrap-dev + make seed-dev join it again. The control plane's state stays until
# make etcd-reset; VMs and pools on this host are left for you to delete (otherix vm delete).
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$OTX_ROOT"
if [ "$(uname -s)" = Darwin ]; then
  exec dev/scripts/lima.sh clean
fi
"$OTX_ROOT/dev/scripts/dev-stop.sh"
state_dir=$(agent_state_dir)
if [ -n "$state_dir" ] && [ -d "$state_dir/certs" ]; then
  rm -rf "$state_dir/certs"
  say "removed the agent's certificate ($state_dir/certs)"
fi
rm -rf "$AGENT_DIR" "$RUN_DIR"
say "removed ${AGENT_DIR#"$OTX_ROOT"/} (agent config and bootstrap files)"
