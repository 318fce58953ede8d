#!/usr/bin/env bash
# make local-dev-start: the whole dev cluster on this machine, in one command, safe to re-run.
#   control plane (dev/config/api.yaml, bootstrap admin on first start) → seed-dev (CLI cluster,
#   join token, agent, node ready, default pool) → a loopback file server for the fixture image
#   → what to type next. Stop it all with make dev-stop (by PID file or unit, never by name).
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
cd "$OTX_ROOT"

need "$API" "$CLI" "$AGENT"
darwin=false
[ "$(uname -s)" = Darwin ] && darwin=true
if $darwin; then
  # The agent runs in the Lima VM (make bootstrap-dev) and dials the Mac as host.lima.internal.
  export OTHERIX_AGENT_SERVER__LISTEN=${OTHERIX_AGENT_SERVER__LISTEN:-0.0.0.0:8443}
else
  virsh -c qemu:///system version >/dev/null 2>&1 || die "libvirtd does not answer on qemu:///system (make host)"
fi

if curl -sf "$DEV_SERVER/readyz" >/dev/null; then
  say "control plane already answering at $DEV_SERVER"
else
  say "starting the control plane (${DEV_API_CONFIG#"$OTX_ROOT"/}; with the dev config, state is in .local/control and make etcd-reset wipes it)"
  say "bootstrap admin on first start: $OTHERIX_BOOTSTRAP_ADMIN_EMAIL (OTHERIX_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD override)"
  start_service api env OTHERIX_BOOTSTRAP_ADMIN_EMAIL="$OTHERIX_BOOTSTRAP_ADMIN_EMAIL" \
    OTHERIX_BOOTSTRAP_ADMIN_PASSWORD="$OTHERIX_BOOTSTRAP_ADMIN_PASSWORD" "$API" --config "$DEV_API_CONFIG"
  wait_for 60 "control plane ready at $DEV_SERVER" curl -sf "$DEV_SERVER/readyz" \
    || die "the control plane did not become ready in 60 s; see ${LOG_DIR#"$OTX_ROOT"/}/api.log"
fi

"$OTX_ROOT/dev/scripts/seed-dev.sh"

# The fixture guest over loopback HTTP: vm create works offline (Linux; on macOS the agent is in
# Lima and fetches a cloud image instead).
image_url=https://cloud-images.ubuntu.com/minimal/releases/noble/release/ubuntu-24.04-minimal-cloudimg-arm64.img
if ! $darwin; then
  [ -f .cache/fixture/otherix-fixture.qcow2 ] || tools/fixture/build.sh >/dev/null
  image_url=http://$DEV_FILES_LISTEN/otherix-fixture.qcow2
  if curl -sf -o /dev/null -r 0-0 "$image_url"; then
    say "fixture image already served at $image_url"
  else
    start_service files busybox httpd -f -p "$DEV_FILES_LISTEN" -h "$OTX_ROOT/.cache/fixture"
    wait_for 10 "fixture image served at $image_url" curl -sf -o /dev/null -r 0-0 "$image_url" || die "the file server did not start"
  fi
fi

arch=$(case "$(uname -m)" in aarch64 | arm64) echo arm64 ;; *) echo amd64 ;; esac)
cat <<NEXT

The dev cluster is up: control plane $DEV_SERVER, node $DEV_NODE ready, CLI cluster "dev" current.
Next:
  ./bin/otherix node list
  ./bin/otherix vm create demo-vm --image-url $image_url --arch $arch --memory-mb 256 --wait
  ./bin/otherix vm console demo-vm          # Ctrl+] detaches; log in as root
  ./bin/otherix vm delete demo-vm --force --wait
Logs: ${LOG_DIR#"$OTX_ROOT"/}/ (or journalctl -u 'otherix-dev-*' with systemd). Stop: make dev-stop.
NEXT
