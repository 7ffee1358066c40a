#!/usr/bin/env bash
# The kubectl yardstick of rolling back a failed release (benchmark case 6).
#   failed-release: change the app's image, wait for the rollout (it cannot succeed: the image
#                   cannot be pulled) until the timeout, then roll back and wait.
#   rollback:       roll back a Deployment whose last rollout failed, and wait.
#   KUBECTL=... KUBECONFIG=... bench/kubectl/rollback.sh failed-release|rollback <namespace> <timeout> [bad image]
set -uo pipefail
mode=$1 ns=$2 timeout=$3 bad=${4:-local/app:bad-image}
k() { "$KUBECTL" -n "$ns" "$@"; }
if [[ $mode == failed-release ]]; then
  k set image deployment/app "app=$bad" >/dev/null
  if k rollout status deployment/app --timeout="$timeout" >/dev/null 2>&1; then
    echo "MARK unexpectedly-ready"
    exit 1
  fi
  echo "MARK failed"
fi
k rollout undo deployment/app >/dev/null
k rollout status deployment/app --timeout="$timeout" >/dev/null
echo "MARK rolled-back"
