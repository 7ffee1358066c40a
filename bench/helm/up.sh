#!/usr/bin/env bash
# The Helm yardstick of `up` + post (benchmark case 1): install the chart (app + PostgreSQL +
# quota, limits, network policy) and wait; run the test Job (a `helm test` hook) and print its
# log; uninstall and delete the namespace, waiting until it is gone.
#   HELM=... KUBECTL=... KUBECONFIG=... bench/helm/up.sh <namespace> <chart>
set -euo pipefail
ns=$1 chart=$2
"$HELM" install shop "$chart" -n "$ns" --create-namespace --wait --timeout 5m >/dev/null
echo "MARK deployed"
"$HELM" test shop -n "$ns" --logs --timeout 30m
echo "MARK main-done"
"$HELM" uninstall shop -n "$ns" --wait --timeout 5m >/dev/null
"$KUBECTL" delete namespace "$ns" --wait=true --timeout=300s >/dev/null
echo "MARK post-done"
