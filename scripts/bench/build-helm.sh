#!/usr/bin/env bash
# Builds Helm 4 (helm.sh/helm/v4, pinned) from the Go module proxy into the cache outside the
# repository, for the benchmarks' second yardstick. Prints the binary's path; a cached binary is
# not rebuilt. Exit status 1 (and nothing on stdout) when it cannot be built: the benchmarks then
# leave the Helm columns empty and say why.
set -euo pipefail
HELM_VERSION=${HELM_VERSION:-v4.3.1}
CACHE=${KE_CACHE:-$HOME/.cache/kube-ephemeral}
BIN=$CACHE/bin/helm-$HELM_VERSION
export GOTOOLCHAIN=local CGO_ENABLED=0
log() { printf '[build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
if [[ -x $BIN/helm ]]; then log "helm $HELM_VERSION cached in $BIN"; echo "$BIN/helm"; exit 0; fi
mkdir -p "$BIN"
log "helm $HELM_VERSION: go install helm.sh/helm/v4/cmd/helm (a few minutes the first time)"
GOBIN=$BIN go install -trimpath -ldflags "-s -w" "helm.sh/helm/v4/cmd/helm@$HELM_VERSION" >&2
log "helm done: $("$BIN/helm" version --short 2>/dev/null || echo '?')"
echo "$BIN/helm"
