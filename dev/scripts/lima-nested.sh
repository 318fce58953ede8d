# shellcheck shell=bash
# Whether this Mac can give the Lima VM nested virtualization (so /dev/kvm exists inside it): Apple
# M3 or later AND macOS 15 or later. Lima fails to start with nestedVirtualization on anything else,
# so the flag is added only then. Reads `sysctl -n machdep.cpu.brand_string` (e.g. "Apple M3 Pro")
# and `sw_vers -productVersion` (e.g. "15.1"); tests stub both commands.

# apple_chip_generation: 1, 2, 3, … for "Apple M<n>…"; 0 for Intel or anything unknown.
apple_chip_generation() {
  local brand
  brand=$(sysctl -n machdep.cpu.brand_string 2>/dev/null || true)
  if [[ $brand =~ ^Apple\ M([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# macos_major: 14, 15, … (0 when unknown).
macos_major() {
  local version
  version=$(sw_vers -productVersion 2>/dev/null || true)
  if [[ $version =~ ^([0-9]+) ]]; then echo "${BASH_REMATCH[1]}"; else echo 0; fi
}

# lima_nested_flags: the limactl create flags for this Mac (empty when nested virtualization is unavailable).
lima_nested_flags() {
  if [ "$(apple_chip_generation)" -ge 3 ] && [ "$(macos_major)" -ge 15 ]; then
    echo "--set .nestedVirtualization=true"
  fi
}
