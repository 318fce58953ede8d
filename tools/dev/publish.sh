#!/usr/bin/env bash
# make publish: self-contained bundles of the three programs for hosts without .NET installed.
#   dist/<rid>/otherix/        the CLI (ReadyToRun)
#   dist/<rid>/otherix-api/    the control plane
#   dist/<rid>/otherix-agent/  the agent, with templates/ next to it
# Usage: tools/dev/publish.sh [RID]   (default: this machine's, e.g. linux-x64 or linux-arm64)
# Install on a host: copy the folders to /opt/otherix/, link the binaries into /usr/local/bin, and use
# deploy/systemd/*.service with deploy/config/*.example.yaml (docs/deploy.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
rid=${1:-$(dotnet --info | awk '/RID:/ { print $2; exit }')}
for program in otherix:Otherix.Cli otherix-api:Otherix.Control otherix-agent:Otherix.Agent; do
  name=${program%%:*}; project=${program#*:}
  extra=()
  [ "$name" = otherix ] && extra=(-p:PublishReadyToRun=true)
  rm -rf "dist/$rid/$name"
  dotnet publish "$project" -c Release -r "$rid" --self-contained true "${extra[@]}" -o "dist/$rid/$name" --nologo -v quiet
  echo "published dist/$rid/$name/$name"
done
