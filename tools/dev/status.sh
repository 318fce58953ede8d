#!/usr/bin/env bash
# make status: what the dev pipeline has running on this machine, and what is built.
set -uo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/../../dev/scripts/common.sh"
cd "$OTX_ROOT" || exit 1

row() { printf '  %-22s %s\n' "$1" "$2"; }

echo "otherix dev environment:"
if virsh -c qemu:///system version >/dev/null 2>&1; then
  row "libvirtd" "answers on qemu:///system"
else
  row "libvirtd" "NOT reachable (make host)"
fi
image=.cache/fixture/otherix-fixture.qcow2
if [ -f "$image" ]; then row "fixture image" "$image"; else row "fixture image" "not built (make fixture)"; fi
for p in otherix otherix-api otherix-agent; do
  if [ -x "bin/$p" ]; then row "bin/$p" "built"; else row "bin/$p" "not built (make bin)"; fi
done
for name in api agent files; do
  if service_running "$name"; then
    if has_systemd; then row "$name" "running (unit otherix-dev-$name)"; else row "$name" "running (pid $(cat "$RUN_DIR/$name.pid"), log ${LOG_DIR#"$OTX_ROOT"/}/$name.log)"; fi
  else
    row "$name" "stopped"
  fi
done
if [ -x "$CLI" ] && curl -sf "$DEV_SERVER/readyz" >/dev/null 2>&1; then
  echo
  otx node list </dev/null 2>&1 | sed 's/^/  /'
fi
echo
echo "Start everything: make dev (or make local-dev-start once bin/ is built); stop: make dev-stop."
