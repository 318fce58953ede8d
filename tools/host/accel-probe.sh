#!/usr/bin/env bash
# Tells whether QEMU guests on this host can run under KVM or need TCG.
# /dev/kvm existing is not enough: nested or paravirtual KVM backends can accept the
# guest and then stop it with "KVM internal error" on its first real-mode code. So we
# boot the fixture guest (tools/fixture) under KVM and watch for its kernel line.
#
# Usage: tools/host/accel-probe.sh [IMAGE]   prints "kvm" or "tcg" on stdout,
#                                            the reason on stderr.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
image=${1:-${OTHERIX_FIXTURE_IMAGE:-$here/../../.cache/fixture/otherix-fixture.qcow2}}

verdict() { echo "accel-probe: $2" >&2; echo "$1"; exit 0; }

[ -e /dev/kvm ] || verdict tcg "/dev/kvm is missing"
if [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then verdict tcg "/dev/kvm is not accessible to $(id -un)"; fi
[ -f "$image" ] || verdict tcg "no probe image at $image (build it: make fixture); assuming TCG"
command -v qemu-system-x86_64 >/dev/null || verdict tcg "qemu-system-x86_64 is missing"

tmp=$(mktemp -d)
qemu-system-x86_64 -accel kvm -machine pc -m 128 -nodefaults -display none -snapshot \
  -drive "file=$image,if=virtio,format=qcow2" -serial "file:$tmp/serial.log" \
  >/dev/null 2>"$tmp/err.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

deadline=$((SECONDS + 30))
while [ "$SECONDS" -lt "$deadline" ]; do
  if grep -q 'otherix-fixture: kernel' "$tmp/serial.log" 2>/dev/null; then
    verdict kvm "a guest booted its kernel under KVM"
  fi
  if grep -q -E 'KVM internal error|Could not access KVM|failed to initialize kvm' "$tmp/err.log"; then
    verdict tcg "KVM is present but unusable: $(grep -m1 -E 'KVM|kvm' "$tmp/err.log")"
  fi
  kill -0 "$pid" 2>/dev/null || verdict tcg "QEMU exited under KVM: $(head -c 300 "$tmp/err.log")"
  sleep 0.2
done
verdict tcg "the guest did not reach its kernel under KVM within 30 s"
