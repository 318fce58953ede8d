#!/usr/bin/env bash
# The macOS side of the dev pipeline: the agent runs in the Lima VM otherix-dev, the control plane
# and the CLI on the Mac. Called by the make targets on Darwin:
#   lima.sh ensure      create/start the VM (lima-ensure-one): nested virtualization only on M3+ / macOS 15+
#   lima.sh bootstrap   ensure, cross-build the agent for the VM, copy it in, write /etc/otherix/agent.yaml
#   lima.sh seed TOKEN FINGERPRINT NODE CP_URL
#                       write /etc/otherix/bootstrap-token (0600) and bootstrap.env (0644), restart the agent
#   lima.sh deploy      cross-build, copy, restart the agent (certificate untouched)
#   lima.sh clean       stop and delete the VM
#   lima.sh flags       print the limactl create flags for this Mac (what ensure uses)
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"
# shellcheck source=dev/scripts/lima-nested.sh
source "$(dirname "$0")/lima-nested.sh"
cd "$OTX_ROOT"

VM=${OTHERIX_LIMA_VM:-otherix-dev}
TEMPLATE=dev/lima/otherix-dev.yaml

lima_status() { limactl list --format '{{.Status}}' "$VM" 2>/dev/null || true; }

ensure() {
  command -v limactl >/dev/null || die "Lima is not installed (brew install lima)"
  case "$(lima_status)" in
    Running) say "Lima VM $VM running" ;;
    Stopped) say "starting Lima VM $VM"; limactl start "$VM" ;;
    *)
      local flags
      flags=$(lima_nested_flags)
      say "creating Lima VM $VM from $TEMPLATE${flags:+ with $flags (Apple M3+ on macOS 15+: KVM inside the VM)}"
      # shellcheck disable=SC2086 # flags is either empty or two words
      limactl create --name "$VM" $flags "$TEMPLATE"
      limactl start "$VM"
      ;;
  esac
}

vm_rid() {
  case "$(limactl shell "$VM" uname -m)" in
    aarch64) echo linux-arm64 ;;
    x86_64) echo linux-x64 ;;
    *) die "unsupported architecture in $VM" ;;
  esac
}

copy_agent() {
  local rid out
  rid=$(vm_rid)
  out=$OTX_ROOT/.local/lima/otherix-agent
  say "cross-building the agent for $rid (self-contained)"
  rm -rf "$out"
  dotnet publish Otherix.Agent -c Release -r "$rid" --self-contained true -o "$out" --nologo -v quiet
  limactl copy -r "$out" "$VM:/tmp/otherix-agent.new"
  limactl shell "$VM" sudo bash -c 'rm -rf /opt/otherix/otherix-agent && mv /tmp/otherix-agent.new /opt/otherix/otherix-agent'
}

write_in_vm() { # write_in_vm PATH MODE (content on stdin)
  limactl shell "$VM" sudo bash -c "umask 077; cat > '$1' && chmod $2 '$1'"
}

case "${1:-}" in
  ensure) ensure ;;
  flags) lima_nested_flags ;;
  bootstrap)
    ensure
    copy_agent
    printf 'state_dir: /var/lib/otherix\nserver:\n  listen: 0.0.0.0:9443\n  advertised_endpoint: 127.0.0.1:9443\ncontrol_plane:\n  heartbeat_interval: 15s\n' \
      | write_in_vm /etc/otherix/agent.yaml 0644
    say "agent staged in $VM (not started: make seed-dev writes bootstrap.env and the token first)"
    ;;
  seed)
    [ $# -eq 5 ] || die "usage: lima.sh seed TOKEN FINGERPRINT NODE CP_URL"
    printf '%s\n' "$2" | write_in_vm /etc/otherix/bootstrap-token 0600
    printf 'OTHERIX_BOOTSTRAP__CP_URL=%s\nOTHERIX_BOOTSTRAP__CA_FINGERPRINT=%s\nOTHERIX_BOOTSTRAP__NODE_NAME=%s\n' "$5" "$3" "$4" \
      | write_in_vm /etc/otherix/bootstrap.env 0644
    limactl shell "$VM" sudo systemctl restart otherix-agent
    say "agent restarted in $VM (limactl shell $VM sudo journalctl -u otherix-agent -f)"
    ;;
  deploy)
    copy_agent
    limactl shell "$VM" sudo systemctl restart otherix-agent
    say "agent redeployed in $VM; its certificate is untouched"
    ;;
  clean)
    if [ -n "$(lima_status)" ]; then
      limactl stop "$VM" || true
      limactl delete "$VM"
      say "Lima VM $VM deleted (the control plane's state stays until make etcd-reset)"
    else
      say "no Lima VM $VM"
    fi
    ;;
  *) die "usage: lima.sh ensure|bootstrap|seed|deploy|clean|flags" ;;
esac
