#!/usr/bin/env bash
# The Helm yardstick of rolling back a failed release (benchmark case 6).
#   failed-release: `helm upgrade --rollback-on-failure --wait` with an image that cannot be
#                   pulled: Helm waits until the timeout, then rolls the release back.
#   rollback:       `helm rollback --wait` of a release whose last upgrade failed.
#   HELM=... KUBECONFIG=... bench/helm/rollback.sh failed-release|rollback <namespace> <timeout> <chart> [bad image]
set -uo pipefail
mode=$1 ns=$2 timeout=$3 chart=$4 bad=${5:-local/app:bad-image}
if [[ $mode == failed-release ]]; then
  if "$HELM" upgrade shop "$chart" -n "$ns" --set "app.image=$bad" --rollback-on-failure --wait --timeout "$timeout" >/dev/null 2>&1; then
    echo "MARK unexpectedly-ready"
    exit 1
  fi
  echo "MARK rolled-back"
else
  "$HELM" rollback shop -n "$ns" --wait --timeout "$timeout" >/dev/null
  echo "MARK rolled-back"
fi
