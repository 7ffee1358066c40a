#!/usr/bin/env bash
# The kubectl yardstick of streaming a Job's log (benchmark case 2): create the Job, follow its
# log. kwok's follow never ends, so the harness stops this script once every line has arrived.
#   KUBECTL=... KUBECONFIG=... bench/kubectl/logs.sh <namespace> <job manifest>
set -euo pipefail
ns=$1 job=$2
"$KUBECTL" -n "$ns" create -f "$job" >/dev/null
exec "$KUBECTL" -n "$ns" logs -f job/big --pod-running-timeout=300s
