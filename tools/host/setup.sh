#!/usr/bin/env bash
# Prepares a Debian 12 / Ubuntu 24.04 host to run (and test) Otherix: libvirt, QEMU
# for this architecture, the tools the tests use to check our output, and the tools
# the fixture image builder needs. Starts virtlogd + libvirtd when no systemd manages
# them. Idempotent: a second run installs nothing and takes seconds.
#
# Usage: sudo tools/host/setup.sh [--no-start] [--quiet]
set -euo pipefail

start_daemons=1
quiet=0
for arg in "$@"; do
  case "$arg" in
    --no-start) start_daemons=0 ;;
    --quiet) quiet=1 ;;
    -h|--help)
      sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "setup: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
die() { echo "setup: error: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (libvirt's system daemon and package installs need it)"
command -v apt-get >/dev/null || die "only apt-based hosts (Debian 12, Ubuntu 24.04) are supported"

case "$(uname -m)" in
  x86_64)  qemu_pkg=qemu-system-x86 ;;
  aarch64) qemu_pkg=qemu-system-arm ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

packages=(
  # libvirt daemon, clients and the headers the binding generator reads
  libvirt-daemon-system libvirt-clients libvirt-dev
  "$qemu_pkg" qemu-utils dnsmasq-base
  # tests verify our output with these: isoinfo, virt-xml-validate (needs xmllint), socat
  genisoimage xorriso libxml2-utils socat
  # fixture guest image builder (tools/fixture)
  busybox-static syslinux syslinux-common mtools dosfstools fdisk cpio xz-utils kmod make curl
  # the dev scripts (dev/scripts: jq reads the CLI's json; busybox httpd serves the fixture image),
  # their lint (shellcheck) and make bench (python3 picks free ports)
  jq shellcheck python3
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Installing libvirt-daemon-system tries to start services; without systemd that
  # fails harmlessly, policy-rc.d keeps it quiet.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "all packages present"
fi

# udev gives /dev/kvm to group kvm, mode 0660. Where no udev ran (containers, CI here) it
# can stay root-only; libvirt then probes QEMU as root (KVM works) but checks /dev/kvm as
# the qemu user (KVM missing), finds its capability cache stale on every call and
# re-probes: about 30 s per virsh define. Set what udev would.
if [ -c /dev/kvm ] && getent group kvm >/dev/null && [ "$(stat -c '%G %a' /dev/kvm)" != "kvm 660" ]; then
  say "giving /dev/kvm to group kvm, mode 0660 (as udev would)"
  chgrp kvm /dev/kvm && chmod 0660 /dev/kvm
fi

command -v dotnet >/dev/null || say "warning: the .NET 10 SDK (dotnet) is not on PATH; building Otherix needs it"

if [ "$start_daemons" = 1 ]; then
  if [ -d /run/systemd/system ]; then
    systemctl enable --now virtlogd.socket libvirtd.socket libvirtd.service >/dev/null 2>&1 \
      || systemctl start libvirtd
  else
    mkdir -p /run/libvirt
    if ! pgrep -x virtlogd >/dev/null; then
      say "starting virtlogd (no systemd)"
      virtlogd -d
    fi
    if ! pgrep -x libvirtd >/dev/null; then
      say "starting libvirtd (no systemd)"
      libvirtd -d
    fi
  fi

  deadline=$((SECONDS + 30))
  until virsh -c qemu:///system version >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "libvirtd did not answer on qemu:///system within 30 s"
    sleep 0.2
  done
  say "libvirtd answers: $(virsh -c qemu:///system version 2>/dev/null | grep -i 'running hypervisor' | sed 's/.*: //')"
fi

# KVM or TCG: decided by booting the fixture guest under KVM (see accel-probe.sh);
# the fixture is cached, so this costs a few seconds after the first run.
here=$(cd "$(dirname "$0")" && pwd)
if [ "$(uname -m)" = x86_64 ]; then
  image=$("$here/../fixture/build.sh" 2>/dev/null | tail -n 1) || image=""
  accel=$("$here/accel-probe.sh" "$image" 2>/tmp/otherix-accel-probe.$$) || accel=tcg
  reason=$(cat /tmp/otherix-accel-probe.$$); rm -f /tmp/otherix-accel-probe.$$
else
  accel=tcg; reason="probe needs an x86_64 fixture; assuming TCG"
  [ -r /dev/kvm ] && accel=kvm && reason="/dev/kvm present (not verified by a boot on $(uname -m))"
fi
if [ "$accel" = kvm ]; then
  say "acceleration: KVM (${reason#accel-probe: })"
else
  say "acceleration: TCG, software emulation (${reason#accel-probe: }): keep guests small"
fi
