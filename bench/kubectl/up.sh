#!/usr/bin/env bash
# The kubectl yardstick of `up` + post (benchmark case 1): the objects the action deploys (captured
# from the action's own environment, namespace name replaced by __NS__), applied and waited for as
# a careful shell script does it; then the test Job with its log followed; then the namespace
# deleted and waited for. Marks on stdout time the phases.
#   KUBECTL=... KUBECONFIG=... bench/kubectl/up.sh <namespace> <dir with setup.json workloads.json job.json>
set -euo pipefail
ns=$1 dir=$2
k() { "$KUBECTL" "$@"; }
render() { sed "s/__NS__/$ns/g" "$dir/$1"; }

render setup.json | k apply --server-side --field-manager=bench-kubectl -f - >/dev/null
# Pods are refused until the namespace's default ServiceAccount exists.
k -n "$ns" wait --for=create serviceaccount/default --timeout=300s >/dev/null
render workloads.json | k apply --server-side --field-manager=bench-kubectl -f - >/dev/null
k -n "$ns" rollout status statefulset/postgresql --timeout=300s >/dev/null
k -n "$ns" rollout status deployment/app --timeout=300s >/dev/null
render job.json | k create -f - >/dev/null
echo "MARK job-created"
"$KUBECTL" -n "$ns" logs -f job/test --pod-running-timeout=300s & # not through k(): $! must be kubectl itself
logs=$!
k -n "$ns" wait --for=condition=complete job/test --timeout=1800s >/dev/null
# kwok's log follow never ends by itself (a kubelet's ends with the container): stop it.
kill "$logs" 2>/dev/null || true
wait "$logs" 2>/dev/null || true
echo "MARK main-done"
k delete namespace "$ns" --wait=true --timeout=300s >/dev/null
echo "MARK post-done"
