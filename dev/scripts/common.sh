# shellcheck shell=bash
# Shared by the dev scripts: where things live, and how a long-running process is started and stopped.
#
# Where systemd runs the machine (a real Linux host), processes run as transient systemd units
# (systemd-run: restarted on failure, logs in the journal). Where it does not (containers, CI, this
# kind of machine), they run as a supervised background process: a loop that restarts the program,
# in a session of its own, its PID in .local/run/<name>.pid and its output in .local/log/<name>.log.
# Stopping goes by that PID (or unit name), never by process name.

# The variables below are for the scripts that source this file.
# shellcheck disable=SC2034
OTX_ROOT=${OTX_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RUN_DIR=${OTHERIX_DEV_RUN_DIR:-$OTX_ROOT/.local/run}
LOG_DIR=${OTHERIX_DEV_LOG_DIR:-$OTX_ROOT/.local/log}
AGENT_DIR=${OTHERIX_DEV_AGENT_DIR:-$OTX_ROOT/.local/agent}
CLI=${OTHERIX_CLI:-$OTX_ROOT/bin/otherix}
API=${OTHERIX_API_BIN:-$OTX_ROOT/bin/otherix-api}
AGENT=${OTHERIX_AGENT_BIN:-$OTX_ROOT/bin/otherix-agent}

# The seed's defaults; the seed's variables override them.
export OTHERIX_BOOTSTRAP_ADMIN_EMAIL=${OTHERIX_BOOTSTRAP_ADMIN_EMAIL:-admin@otherix.local}
export OTHERIX_BOOTSTRAP_ADMIN_PASSWORD=${OTHERIX_BOOTSTRAP_ADMIN_PASSWORD:-correct-horse-battery-staple}
DEV_API_CONFIG=${OTHERIX_DEV_API_CONFIG:-$OTX_ROOT/dev/config/api.yaml}
DEV_SERVER=${OTHERIX_DEV_SERVER:-http://127.0.0.1:8080}
DEV_AGENT_CP_URL=${OTHERIX_BOOTSTRAP__CP_URL:-https://127.0.0.1:8443}
DEV_NODE=${OTHERIX_DEV_NODE:-node-dev}
DEV_AGENT_LISTEN=${OTHERIX_DEV_AGENT_LISTEN:-127.0.0.1:9443}
DEV_FILES_LISTEN=${OTHERIX_DEV_FILES_LISTEN:-127.0.0.1:8090}
# The agent's state (certs/, vms/): the system place as root, the seed's user-mode place otherwise.
if [ "$(id -u)" = 0 ]; then DEV_STATE_DIR=/var/lib/otherix; else DEV_STATE_DIR=$HOME/.config/otherix; fi

# need FILE...: each must be an executable (bin/ is built by make bin).
need() {
  local f
  for f in "$@"; do [ -x "$f" ] || die "${f#"$OTX_ROOT"/} is not built (make bin)"; done
}

say() { printf '>> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

has_systemd() { [ -d /run/systemd/system ] && [ "${OTHERIX_DEV_NO_SYSTEMD:-}" != 1 ]; }

# System units as root, user units (systemctl --user) otherwise.
systemd_scope=()
[ "$(id -u)" = 0 ] || systemd_scope=(--user)

# Is the process named $1 running (by its PID file or unit)?
service_running() {
  local name=$1 pid
  if has_systemd; then
    systemctl "${systemd_scope[@]}" is-active --quiet "otherix-dev-$name"
    return
  fi
  [ -f "$RUN_DIR/$name.pid" ] || return 1
  pid=$(cat "$RUN_DIR/$name.pid")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start_service NAME PROGRAM ARGS...: runs it for good (restarted when it exits), unless already running.
start_service() {
  local name=$1; shift
  if service_running "$name"; then
    say "$name already running"
    return
  fi
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  if has_systemd; then
    systemd-run "${systemd_scope[@]}" --quiet --collect --unit "otherix-dev-$name" --property Restart=on-failure \
      --working-directory "$OTX_ROOT" "$@"
    say "$name started as systemd unit otherix-dev-$name (journalctl ${systemd_scope[*]} -u otherix-dev-$name -f)"
    return
  fi
  # setsid: a session (and process group) of its own, so stopping reaches the loop and its child.
  # shellcheck disable=SC2016 # the loop's variables are its own, expanded when it runs
  setsid bash -c '
    echo $$ > "$1"; log=$2; shift 2
    trap "kill -TERM \$child 2>/dev/null; wait \$child; exit 0" TERM INT
    while :; do
      "$@" >>"$log" 2>&1 & child=$!
      wait $child; code=$?
      echo "[supervisor] exited with $code; restarting in 2 s" >>"$log"
      sleep 2
    done' supervisor "$RUN_DIR/$name.pid" "$LOG_DIR/$name.log" "$@" </dev/null >/dev/null 2>&1 &
  local waited=0
  while [ ! -s "$RUN_DIR/$name.pid" ] && [ $waited -lt 50 ]; do sleep 0.1; waited=$((waited + 1)); done
  say "$name started in the background, supervised (no systemd here): pid $(cat "$RUN_DIR/$name.pid"), log ${LOG_DIR#"$OTX_ROOT"/}/$name.log"
}

# stop_service NAME: stops what start_service started; says so when nothing was running.
stop_service() {
  local name=$1 pid
  if has_systemd; then
    if systemctl "${systemd_scope[@]}" is-active --quiet "otherix-dev-$name"; then
      systemctl "${systemd_scope[@]}" stop "otherix-dev-$name" && say "$name stopped"
    else
      say "$name was not running"
    fi
    return
  fi
  if ! service_running "$name"; then
    rm -f "$RUN_DIR/$name.pid"
    say "$name was not running"
    return
  fi
  pid=$(cat "$RUN_DIR/$name.pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$name.pid"
  say "$name stopped"
}

# wait_for TIMEOUT_S DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_for() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
  say "$what"
}

# write_agent_config STATE_DIR: the dev agent's agent.yaml in $AGENT_DIR.
write_agent_config() {
  printf '%s\n' "# Written by dev/scripts for the dev agent on this machine (docs/agent.md lists every key)." \
    "state_dir: $1" "server:" "  listen: $DEV_AGENT_LISTEN" "  advertised_endpoint: $DEV_AGENT_LISTEN" \
    "control_plane:" "  heartbeat_interval: 15s" > "$AGENT_DIR/agent.yaml"
}

# agent_state_dir: state_dir from the dev agent's agent.yaml (empty when there is none).
agent_state_dir() { awk -F': *' '$1 == "state_dir" { print $2 }' "$AGENT_DIR/agent.yaml" 2>/dev/null || true; }

# node_json / node_ready: the dev node as the control plane sees it.
node_json() { otx node get "$DEV_NODE" -o json </dev/null 2>/dev/null; }
node_ready() { [ "$(node_json | jq -r .status)" = ready ]; }

# The CLI against the dev cluster, whatever the caller's environment says.
otx() { env -u OTHERIX_SERVER -u OTHERIX_API_TOKEN "$CLI" "$@"; }
