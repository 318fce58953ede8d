#!/usr/bin/env bash
# make seed-dev: join this machine's agent to the dev control plane, as the seed describes.
#   1. otherix config add cluster --force with the bootstrap admin (the same variables the control
#      plane's first boot reads); a re-run revokes the previous CLI token and mints a fresh one
#   2. otherix node join-token create --node-name node-dev --ttl 10m -o json
#   3. writes <agent dir>/bootstrap-token (0600) and bootstrap.env (0644) next to agent.yaml
#   4. starts the agent (systemd unit, or a supervised background process where there is no systemd)
#   5. polls up to 60 s for the node row, then waits for it to be ready and its default pool provisioned
# An agent that already holds its certificate is only (re)started: bootstrap is a one-time event.
# Variables: OTHERIX_BOOTSTRAP_ADMIN_EMAIL/PASSWORD, OTHERIX_BOOTSTRAP__CP_URL, OTHERIX_DEV_NODE,
# OTHERIX_DEV_AGENT_DIR (default .local/agent), OTHERIX_DEV_SERVER (default http://127.0.0.1:8080).
set -euo pipefail
# shellcheck source=dev/scripts/common.sh
source "$(dirname "$0")/common.sh"

need "$CLI" "$AGENT"
curl -sf "$DEV_SERVER/readyz" >/dev/null || die "the control plane does not answer at $DEV_SERVER (make local-dev-start starts it)"

say "configuring the CLI cluster dev at $DEV_SERVER as $OTHERIX_BOOTSTRAP_ADMIN_EMAIL"
OTHERIX_PASSWORD=$OTHERIX_BOOTSTRAP_ADMIN_PASSWORD otx config add cluster --name dev --server "$DEV_SERVER" \
  --login "$OTHERIX_BOOTSTRAP_ADMIN_EMAIL" --force </dev/null

if [ "$(uname -s)" = Darwin ]; then
  # The agent lives in the Lima VM (make bootstrap-dev); it reaches the Mac as host.lima.internal.
  if limactl shell "${OTHERIX_LIMA_VM:-otherix-dev}" sudo test -f /var/lib/otherix/certs/agent.crt; then
    say "the agent in Lima holds its certificate already: restarting it"
    limactl shell "${OTHERIX_LIMA_VM:-otherix-dev}" sudo systemctl restart otherix-agent
  else
    say "minting a join token for $DEV_NODE"
    token_json=$(otx node join-token create --node-name "$DEV_NODE" --ttl 10m -o json </dev/null)
    "$OTX_ROOT/dev/scripts/lima.sh" seed "$(jq -r .token <<<"$token_json")" "$(jq -r .ca_fingerprint <<<"$token_json")" \
      "$DEV_NODE" "${OTHERIX_BOOTSTRAP__CP_URL:-https://host.lima.internal:8443}"
  fi
else
  mkdir -p "$AGENT_DIR"
  [ -f "$AGENT_DIR/agent.yaml" ] || write_agent_config "$DEV_STATE_DIR"
  state_dir=$(agent_state_dir)
  if [ -f "$state_dir/certs/agent.crt" ]; then
    say "the agent holds its certificate already ($state_dir/certs): no join token needed"
  else
    say "minting a join token for $DEV_NODE"
    token_json=$(otx node join-token create --node-name "$DEV_NODE" --ttl 10m -o json </dev/null)
    (umask 077 && jq -r .token <<<"$token_json" > "$AGENT_DIR/bootstrap-token")
    chmod 0600 "$AGENT_DIR/bootstrap-token"
    printf '%s\n' "# Written by dev/scripts/seed-dev.sh: how the agent joins (docs/security.md)." \
      "OTHERIX_BOOTSTRAP__CP_URL=$DEV_AGENT_CP_URL" \
      "OTHERIX_BOOTSTRAP__CA_FINGERPRINT=$(jq -r .ca_fingerprint <<<"$token_json")" \
      "OTHERIX_BOOTSTRAP__NODE_NAME=$DEV_NODE" > "$AGENT_DIR/bootstrap.env"
    chmod 0644 "$AGENT_DIR/bootstrap.env"
    # A running agent without a certificate is waiting for exactly these files; restart it to be quick.
    stop_service agent >/dev/null
  fi
  start_service agent "$AGENT" serve --config "$AGENT_DIR/agent.yaml"
fi

wait_for 60 "node $DEV_NODE registered" node_json || die "node $DEV_NODE did not appear within 60 s; see ${LOG_DIR#"$OTX_ROOT"/}/agent.log"
wait_for 60 "node $DEV_NODE ready" node_ready || die "node $DEV_NODE is not ready after 60 s; see ${LOG_DIR#"$OTX_ROOT"/}/agent.log"
default_pool=$(otx cluster get-default-pool </dev/null | sed -n 's/^default-pool: //p')
pool_ready() { otx pool list --node "$DEV_NODE" -o json </dev/null | jq -e --arg pool "$default_pool" '.data[] | select(.name == $pool and .reconciliation_status == "ready")'; }
if [ "$default_pool" != "(unset)" ]; then
  wait_for 60 "default pool $default_pool ready on $DEV_NODE" pool_ready || die "pool $default_pool is not ready on $DEV_NODE after 60 s"
fi

node_id=$(node_json | jq -r .id)
cat <<DONE
>> seed-dev complete
   node     : $DEV_NODE (id=$node_id)
   pool     : $default_pool (cluster default, CP-auto-provisioned on ready nodes)
   images   : none staged (vm create fetches the image URL on first use)
DONE
