#!/usr/bin/env bash
# What `make dev` leaves running on this host, and what is not built yet.
set -uo pipefail
cd "$(dirname "$0")/../.."

ok()   { printf '  %-22s %s\n' "$1" "$2"; }

echo "otherix dev environment:"
if virsh -c qemu:///system version >/dev/null 2>&1; then
  ok "libvirtd" "answers on qemu:///system"
else
  ok "libvirtd" "NOT reachable (run: sudo tools/host/setup.sh)"
fi
image=.cache/fixture/otherix-fixture.qcow2
[ -f "$image" ] && ok "fixture image" "$image" || ok "fixture image" "not built (make fixture)"
for p in otherix otherix-api otherix-agent; do
  if [ -x "bin/$p" ]; then ok "bin/$p" "built"; else ok "bin/$p" "not built (make bin)"; fi
done
cat <<'TXT'

Built, exercised by the tests: the control plane (login, users, tokens, RBAC, tasks, nodes,
pools, VMs, console; docs/api.md, docs/vms.md), the agent daemon (bootstrap, heartbeat, gRPC over
the libvirt engine; docs/agent.md, docs/security.md) and `otherix node join-token create`.
Try the control plane:
  OTHERIX_BOOTSTRAP_ADMIN_EMAIL=admin@otherix.local OTHERIX_BOOTSTRAP_ADMIN_PASSWORD='correct-horse-battery-staple' \
    ./bin/otherix-api --config dev/config/api.yaml        (state in .local/control; make etcd-reset wipes it)
then join this host as a node with bin/otherix node join-token create and bin/otherix-agent (docs/security.md).

Not built yet, so `make dev` does not start them:
  the other CLI command groups (vm, pool, cluster, config)  (issue: CLI)
  one-command local cluster with a ready node              (issue: local cluster / dev pipeline)
Run the tests with: make test
TXT
