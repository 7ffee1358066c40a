#!/usr/bin/env bash
# The kubectl yardstick of `command: cleanup` (benchmark case 3): list the repository's
# environments with their expiry, keep the expired ones, delete them in one call and wait until
# every one is gone.
#   KUBECTL=... KUBECONFIG=... bench/kubectl/sweep.sh <repo label value>
set -euo pipefail
repo=$1
now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
mapfile -t expired < <("$KUBECTL" get namespaces \
  -l "app.kubernetes.io/managed-by=kube-ephemeral,kube-ephemeral.io/repo=$repo" \
  -o jsonpath='{range .items[*]}{.metadata.name}{" "}{.metadata.annotations.kube-ephemeral\.io/expires-at}{"\n"}{end}' |
  awk -v now="$now" '$2 != "" && $2 <= now { print $1 }')
echo "MARK listed ${#expired[@]}"
if ((${#expired[@]})); then
  "$KUBECTL" delete namespace "${expired[@]}" --wait=true --timeout=10m >/dev/null
fi
echo "MARK done"
