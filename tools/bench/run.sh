#!/usr/bin/env bash
# make bench: start-up of the otherix CLI, as ratios against a baseline measured in the same run.
#   baseline       a .NET "hello" published the same way (the runtime's floor on this machine)
#   --help         otherix --help (no network)
#   vm list        otherix vm list against a local control plane (loopback, empty cluster)
#   (IL)           the same CLI published as plain IL, to show what ReadyToRun (make bin's choice) buys
# Each is run WARMUP times, then RUNS times; median and p90 wall-clock milliseconds are printed.
# Loopback only; the control plane lives in a temporary directory and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
DOTNET=${DOTNET:-dotnet}
work=$(mktemp -d /tmp/otherix-bench.XXXXXX)
api_pid=
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "bench: publishing (Release)"
make -s bin >/dev/null
$DOTNET publish tools/bench/Baseline -c Release -o "$work/baseline" --nologo -v quiet >/dev/null
$DOTNET publish Otherix.Cli -c Release -o "$work/cli-il" --nologo -v quiet >/dev/null

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
agent_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$work/api.yaml" <<YAML
server: { listen: "127.0.0.1:$port" }
logger: { level: warn, format: text }
store: { data_dir: "$work/control" }
agent_server: { listen: "127.0.0.1:$agent_port" }
YAML
OTHERIX_BOOTSTRAP_ADMIN_EMAIL=bench@otherix.local OTHERIX_BOOTSTRAP_ADMIN_PASSWORD=bench-password-123 \
  bin/otherix-api --config "$work/api.yaml" >"$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
token=$(curl -sf "http://127.0.0.1:$port/v1/auth/login" -H 'content-type: application/json' \
  -d '{"email":"bench@otherix.local","password":"bench-password-123"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
export OTHERIX_SERVER="http://127.0.0.1:$port" OTHERIX_API_TOKEN="$token" OTHERIX_CONFIG="$work/cli-config"

# measure NAME CMD...: prints "NAME median p90" (milliseconds) into $work/results
measure() {
  local name=$1; shift
  for _ in $(seq "$WARMUP"); do "$@" >/dev/null; done
  local times=()
  for _ in $(seq "$RUNS"); do
    local start end
    start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '{ t[NR] = $1 } END {
    printf "%s\t%.1f\t%.1f\n", name, t[int((NR + 1) / 2)] / 1000, t[int(NR * 0.9 + 0.5)] / 1000 }' >> "$work/results"
}

measure "baseline (hello)" "$work/baseline/bench-baseline"
measure "otherix --help" bin/otherix --help
measure "otherix vm list" bin/otherix vm list
measure "otherix --help (IL)" "$work/cli-il/otherix" --help
measure "otherix vm list (IL)" "$work/cli-il/otherix" vm list

base=$(awk -F'\t' 'NR == 1 { print $2 }' "$work/results")
echo "bench: CLI start-up, $RUNS runs each after $WARMUP warm-ups ($(nproc) cores)"
awk -F'\t' -v base="$base" 'BEGIN { printf "%-24s %10s %10s %8s\n", "case", "median ms", "p90 ms", "ratio" }
  { printf "%-24s %10.1f %10.1f %7.2fx\n", $1, $2, $3, $2 / base }' "$work/results"
