#!/usr/bin/env bash
# cluster.sh - the local Kubernetes control plane of the end-to-end tests.
#
#   npm run cluster -- up | down | status | restart <component> | logs <namespace> <file>
#
# A real kube-apiserver, kube-controller-manager and kube-scheduler (built from k8s.io/kubernetes
# by build.sh) on a real etcd, with kwok standing in for the kubelet of one fake node: kwok plays
# the pod lifecycle from Stage objects (stages/kube-ephemeral.yaml + kwok's defaults) and serves
# `kubectl logs` from files registered with `logs`. Everything listens on 127.0.0.1 only.
# State lives in <repo>/.cluster (KE_CLUSTER_DIR); see scripts/cluster/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DIR=${KE_CLUSTER_DIR:-$ROOT/.cluster}

API_PORT=${KE_API_PORT:-16443}
ETCD_PORT=${KE_ETCD_PORT:-12379}
ETCD_PEER_PORT=${KE_ETCD_PEER_PORT:-12380}
KCM_PORT=${KE_KCM_PORT:-10257}
SCHEDULER_PORT=${KE_SCHEDULER_PORT:-10259}
KWOK_PORT=${KE_KWOK_PORT:-10247}      # the fake node's "kubelet" port: pods/log is served here
SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
NODE_NAME=kwok-node-0
TIMEOUT=${KE_TIMEOUT:-120}            # seconds, for each wait
GRACE=${KE_STOP_GRACE:-5}             # seconds between TERM and KILL (kube-apiserver waits for
                                      # open watches on TERM: it is the only one that needs KILL)

API_SERVER=https://127.0.0.1:$API_PORT
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
PKI=$DIR/pki ETC=$DIR/etc RUN=$DIR/run PIDS=$DIR/pids LOGS=$DIR/logs POD_LOGS_DIR=$DIR/pod-logs
ADMIN_KUBECONFIG=$DIR/kubeconfig RESTRICTED_KUBECONFIG=$DIR/kubeconfig-restricted
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

T0=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '%d.%01ds' $((ms / 1000)) $((ms % 1000 / 100)); }
log() { printf '[cluster %s +%s] %s\n' "$(date -u +%H:%M:%S)" "$(elapsed)" "$*"; }
die() { printf '[cluster %s +%s] ERROR: %s\n' "$(date -u +%H:%M:%S)" "$(elapsed)" "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# binaries and versions (build.sh is the single source of truth; its last stdout line is BIN)

BIN= KUBE_VERSION= KWOK_VERSION= KWOK_SRC=
resolve_bin() {
  local out
  out=$(bash "$HERE/build.sh") || die "build.sh failed"
  BIN=${out##*$'\n'}
  [[ -x $BIN/kube-apiserver && -x $BIN/kwok && -x $BIN/etcd ]] || die "no binaries in '$BIN'"
  [[ $(basename "$BIN") =~ ^k8s-(v[^-]+)-etcd-(v[^-]+)-kwok-(v.+)$ ]] || die "unexpected binary dir name: $BIN"
  KUBE_VERSION=${BASH_REMATCH[1]} KWOK_VERSION=${BASH_REMATCH[3]}
}
kubectl() { "$BIN/kubectl" --kubeconfig="$ADMIN_KUBECONFIG" --cache-dir="$DIR/kube-cache" "$@"; }

kwok_src() { # the kwok module in the Go module cache: CRDs and default stages of the same version
  [[ -n $KWOK_SRC ]] && return 0
  KWOK_SRC=$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION
  if [[ ! -d $KWOK_SRC/kustomize ]]; then
    KWOK_SRC=$(GOFLAGS=-mod=mod go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  fi
  [[ -d $KWOK_SRC/kustomize ]] || die "kwok $KWOK_VERSION module source not found"
}

# ---------------------------------------------------------------------------------------------
# generated files: PKI, tokens, kubeconfigs, component configs

sign() { # sign NAME SUBJECT EXTENSIONS -> $PKI/NAME.{key,crt}, signed by the cluster CA
  printf '%s\n' "$3" >"$PKI/$1.ext"
  openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/$1.key" -subj "$2" -out "$PKI/$1.csr" 2>/dev/null
  openssl x509 -req -in "$PKI/$1.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -sha256 -days 3650 -extfile "$PKI/$1.ext" -out "$PKI/$1.crt" 2>/dev/null
  rm -f "$PKI/$1.csr" "$PKI/$1.ext"
}

gen_pki() {
  [[ -f $PKI/.done ]] && return 0
  log "generating PKI and tokens in $DIR"
  mkdir -p "$PKI"
  openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
  openssl req -x509 -new -key "$PKI/ca.key" -sha256 -days 3650 -subj "/CN=kube-ephemeral-test-ca" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI/ca.crt" 2>/dev/null
  local server='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth'
  local client='basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth'
  sign apiserver "/CN=kube-apiserver" "$server
subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:${SERVICE_CIDR%.0/*}.1"
  sign kwok-serving "/CN=$NODE_NAME" "$server
subjectAltName=DNS:localhost,DNS:$NODE_NAME,IP:127.0.0.1"
  # client identities: CN = user, O = group
  sign admin "/O=system:masters/CN=kube-ephemeral-admin" "$client"
  sign controller-manager "/CN=system:kube-controller-manager" "$client"
  sign scheduler "/CN=system:kube-scheduler" "$client"
  sign kwok "/O=system:masters/CN=kwok-controller" "$client"
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  # static bearer token of the restricted user (token,user,uid[,"groups"]); no extra groups, so
  # it holds the ClusterRole in rbac/kube-ephemeral.yaml and what every authenticated user has
  printf '%s,kube-ephemeral,kube-ephemeral\n' "$(openssl rand -hex 24)" >"$PKI/tokens.csv"
  chmod 600 "$PKI"/*.key "$PKI/tokens.csv"
  touch "$PKI/.done"
}

kubeconfig() { # kubeconfig FILE USER then either: cert NAME | token TOKEN
  local file=$1 user=$2 kind=$3 value=$4 auth
  if [[ $kind == cert ]]; then
    auth="    client-certificate-data: $(base64 -w0 "$PKI/$value.crt")
    client-key-data: $(base64 -w0 "$PKI/$value.key")"
  else
    auth="    token: $value"
  fi
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kube-ephemeral-local
  cluster:
    server: $API_SERVER
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
$auth
contexts:
- name: $user@kube-ephemeral-local
  context:
    cluster: kube-ephemeral-local
    user: $user
    namespace: default
current-context: $user@kube-ephemeral-local
EOF
  chmod 600 "$file"
}

gen_config() {
  mkdir -p "$ETC" "$RUN" "$PIDS" "$LOGS" "$POD_LOGS_DIR" "$DIR/data"
  kubeconfig "$ADMIN_KUBECONFIG" kube-ephemeral-admin cert admin
  kubeconfig "$RESTRICTED_KUBECONFIG" kube-ephemeral token "$(cut -d, -f1 "$PKI/tokens.csv")"
  kubeconfig "$ETC/controller-manager.kubeconfig" system:kube-controller-manager cert controller-manager
  kubeconfig "$ETC/scheduler.kubeconfig" system:kube-scheduler cert scheduler
  kubeconfig "$ETC/kwok.kubeconfig" kwok-controller cert kwok
  cat >"$ETC/scheduler.yaml" <<EOF
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection:
  kubeconfig: $ETC/scheduler.kubeconfig
leaderElection:
  leaderElect: false
EOF
  # kwok loads ~/.kwok/kwok.yaml if it exists: run it with a HOME of its own, so that it uses
  # its built-in defaults and our flags only. (An explicit --config with an empty
  # KwokConfiguration is no substitute: kwok v0.8.0 then leaves the parallelism options at 0
  # and refuses to start its pod and node controllers.)
  mkdir -p "$ETC/kwok-home"

  # kwok's default stages (the set kwokctl uses), taken from the kwok module of the same version
  # as the binary: node initialize + heartbeat with lease, pod ready / complete (Job) / delete.
  kwok_src
  local f
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease \
    pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    printf -- '---\n# generated from sigs.k8s.io/kwok@%s kustomize/stage/%s.yaml\n' "$KWOK_VERSION" "$f"
    cat "$KWOK_SRC/kustomize/stage/$f.yaml"
  done >"$ETC/kwok-default-stages.yaml"

  cat >"$DIR/env" <<EOF
KUBECONFIG_ADMIN=$ADMIN_KUBECONFIG
KUBECONFIG_RESTRICTED=$RESTRICTED_KUBECONFIG
KUBECTL=$BIN/kubectl
BIN_DIR=$BIN
POD_LOGS_DIR=$POD_LOGS_DIR
API_SERVER=$API_SERVER
KUBE_VERSION=$KUBE_VERSION
KWOK_VERSION=$KWOK_VERSION
NODE_NAME=$NODE_NAME
CLUSTER_DIR=$DIR
EOF
  ln -sfn "$BIN" "$DIR/bin"
}

# ---------------------------------------------------------------------------------------------
# the five processes: the command line of each is saved in run/NAME.cmd at first start, so that
# `restart` runs exactly the same flags

component_cmd() { # one argument per line
  case $1 in
  etcd) printf '%s\n' "$BIN/etcd" \
    --name=kube-ephemeral --data-dir="$DIR/data/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster="kube-ephemeral=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state=new \
    --unsafe-no-fsync=true --auto-compaction-mode=periodic --auto-compaction-retention=10m \
    --quota-backend-bytes=2147483648 --log-level=warn ;;
  kube-apiserver) printf '%s\n' "$BIN/kube-apiserver" \
    --advertise-address=127.0.0.1 --bind-address=127.0.0.1 --secure-port="$API_PORT" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --endpoint-reconciler-type=none \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --client-ca-file="$PKI/ca.crt" \
    --token-auth-file="$PKI/tokens.csv" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --profiling=false ;;
  kube-controller-manager) printf '%s\n' "$BIN/kube-controller-manager" \
    --kubeconfig="$ETC/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$ETC/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$ETC/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" \
    --leader-elect=false \
    --use-service-account-credentials=true \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --service-cluster-ip-range="$SERVICE_CIDR" \
    --profiling=false ;;
  kube-scheduler) printf '%s\n' "$BIN/kube-scheduler" \
    --config="$ETC/scheduler.yaml" \
    --authentication-kubeconfig="$ETC/scheduler.kubeconfig" \
    --authorization-kubeconfig="$ETC/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" ;;
  kwok) printf '%s\n' env HOME="$ETC/kwok-home" "$BIN/kwok" \
    --kubeconfig="$ETC/kwok.kubeconfig" \
    --manage-all-nodes=true \
    --node-ip=127.0.0.1 --node-name=localhost --node-port="$KWOK_PORT" \
    --server-address="127.0.0.1:$KWOK_PORT" \
    --tls-cert-file="$PKI/kwok-serving.crt" --tls-private-key-file="$PKI/kwok-serving.key" \
    --node-lease-duration-seconds=40 --cidr="$POD_CIDR" \
    --enable-crds=Stage,Logs,ClusterLogs ;;
  *) return 1 ;;
  esac
}

pid_of() { [[ -f $PIDS/$1.pid ]] && cat "$PIDS/$1.pid" || true; }

running() { # the recorded PID is alive and is that component's binary (not a reused PID)
  local pid exe
  pid=$(pid_of "$1")
  [[ -n $pid ]] || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ $(basename "$exe") == "$1" ]]
}

launch() {
  local name=$1 cmd=()
  mapfile -t cmd <"$RUN/$name.cmd"
  rm -f "$PIDS/$name.pid"
  printf '\n===== %s starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$LOGS/$name.log"
  # setsid: its own session, so it outlives the calling shell; the child writes its own PID
  # (it is the process that execs the binary)
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDS/$name.pid" "${cmd[@]}" \
    </dev/null >>"$LOGS/$name.log" 2>&1 9>&- &
  local i
  for ((i = 0; i < 100; i++)); do [[ -s $PIDS/$name.pid ]] && break; sleep 0.05; done
  log "started $name (pid $(pid_of "$name"), log ${DIR#"$ROOT"/}/logs/$name.log)"
}

start() { # start NAME: unless already running, save its command line and launch it
  local name=$1
  if running "$name"; then log "$name already running (pid $(pid_of "$name"))"; return 0; fi
  if [[ ! -f $RUN/$name.cmd ]]; then
    component_cmd "$name" >"$RUN/$name.cmd"
  fi
  launch "$name"
}

stop() { # stop NAME: TERM the recorded PID, KILL it after the grace period
  local name=$1 pid i
  pid=$(pid_of "$name")
  if [[ -z $pid ]]; then return 0; fi
  if running "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < GRACE * 10; i++)); do running "$name" || break; sleep 0.1; done
    if running "$name"; then log "$name did not stop in ${GRACE}s: KILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    for ((i = 0; i < 50; i++)); do running "$name" || break; sleep 0.1; done
    log "stopped $name (pid $pid)"
  fi
  rm -f "$PIDS/$name.pid"
}

# ---------------------------------------------------------------------------------------------
# health

healthy() {
  case $1 in
  etcd) curl -fsS -m 2 "http://127.0.0.1:$ETCD_PORT/health" 2>/dev/null | grep -q '"health":"true"' ;;
  kube-apiserver) curl -fsS -m 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    "$API_SERVER/readyz" >/dev/null 2>&1 ;;
  # healthz passes as soon as it serves; the per-controller checks appear once every controller
  # is built (until then an unreachable apiserver makes it exit, e.g. during a quick restart)
  kube-controller-manager) curl -fsSk -m 2 "https://127.0.0.1:$KCM_PORT/healthz?verbose" 2>/dev/null |
    grep -q '^\[+\]deployment-controller ok' ;;
  kube-scheduler) curl -fsSk -m 2 "https://127.0.0.1:$SCHEDULER_PORT/healthz" >/dev/null 2>&1 ;;
  kwok) curl -fsS -m 2 "http://127.0.0.1:$KWOK_PORT/healthz" >/dev/null 2>&1 ;;
  esac
}

wait_until() { # wait_until WHAT CMD... : poll every 0.2 s up to $TIMEOUT
  local what=$1 deadline=$((SECONDS + TIMEOUT)); shift
  until "$@"; do
    if ((SECONDS >= deadline)); then die "timed out after ${TIMEOUT}s waiting for $what"; fi
    sleep 0.2
  done
  log "$what: ok"
}

wait_healthy() {
  local name=$1
  wait_until "$name healthy" component_ok "$name"
}
component_ok() {
  running "$1" || { tail -n 30 "$LOGS/$1.log" >&2; die "$1 exited (see ${LOGS#"$ROOT"/}/$1.log)"; }
  healthy "$1"
}

node_ready() { # Ready=True and no taints (the node lifecycle controller removes not-ready)
  local out
  out=$(kubectl get node "$NODE_NAME" -o 'jsonpath={range .status.conditions[?(@.type=="Ready")]}{.status}{end}|{.spec.taints}' 2>/dev/null) || return 1
  [[ $out == "True|" ]]
}
default_sa() { kubectl -n default get serviceaccount default >/dev/null 2>&1; }
stages_loaded() { # kwok started its pod and node stage controllers from the Stage CRs
  local want have
  want=$(grep -c '^kind: Stage' "$ETC/kwok-default-stages.yaml" "$HERE"/stages/*.yaml | awk -F: '{s += $NF} END {print s}')
  have=$(kubectl get stages.kwok.x-k8s.io -o name 2>/dev/null | wc -l)
  [[ $have -ge $want ]] &&
    current_log kwok | grep -q 'Start stage controller.*Pod' &&
    current_log kwok | grep -q 'Start stage controller.*Node'
}
current_log() { # the log of the running instance: what follows the last "===== ... starting" line
  awk '/^===== .* starting /{n = NR} {l[NR] = $0} END {for (i = n + 1; i <= NR; i++) print l[i]}' "$LOGS/$1.log"
}

all_healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do running "$c" && healthy "$c" || return 1; done
  node_ready
}

# ---------------------------------------------------------------------------------------------
# objects in the cluster

apply_objects() {
  kwok_src
  local b=$KWOK_SRC/kustomize/crd/bases
  log "applying kwok CRDs (Stage, Logs, ClusterLogs from sigs.k8s.io/kwok@$KWOK_VERSION) and RBAC"
  kubectl apply --server-side --force-conflicts -f "$b/kwok.x-k8s.io_stages.yaml" \
    -f "$b/kwok.x-k8s.io_logs.yaml" -f "$b/kwok.x-k8s.io_clusterlogs.yaml" -f "$ROOT/rbac/kube-ephemeral.yaml" >/dev/null
  # the harness's token user holds exactly the action's two ClusterRoles (bound as
  # rbac/kube-ephemeral.yaml binds them to the action's ServiceAccount)
  kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kube-ephemeral-test-user
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kube-ephemeral
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: kube-ephemeral
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: kube-ephemeral-environment-test-user
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: kube-ephemeral-environment
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: kube-ephemeral
EOF
  kubectl wait --for=condition=Established --timeout="${TIMEOUT}s" \
    crd/stages.kwok.x-k8s.io crd/logs.kwok.x-k8s.io crd/clusterlogs.kwok.x-k8s.io >/dev/null
  log "applying Stages (kwok defaults + scripts/cluster/stages)"
  kubectl apply --server-side --force-conflicts -f "$ETC/kwok-default-stages.yaml" -f "$HERE/stages/" >/dev/null
  kubectl apply -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_NAME
  labels:
    kubernetes.io/hostname: $NODE_NAME
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
EOF
}

# `logs NAMESPACE FILE`: serve FILE as the output of every container of every pod in NAMESPACE.
#
# How kwok (v0.8.0, pkg/kwok/server/debugging_logs.go getPodLogs) picks the file for
# GET pods/NAME/log: first a `Logs` object named like the pod in its namespace; otherwise it
# walks the ClusterLogs objects whose selector matches the pod and takes the FIRST one that has
# an entry for the container (an entry without `containers` matches every container). The
# ClusterLogs come from an informer store, i.e. a Go map: the order is random, and neither the
# most specific nor the oldest object wins. So a catch-all ClusterLogs next to a per-namespace
# one would win half of the time. This harness therefore never makes ClusterLogs that overlap:
# exactly one object per namespace, `pod-logs-<namespace>`, selecting only that namespace, which
# a new registration replaces; there is no catch-all (a pod in a namespace without a
# registration has no logs: kubectl logs answers "no logs found for container ...").
#
# Follow (`kubectl logs -f`, follow=true): kwok reads the file with the kubelet's CRI log reader
# (k8s.io/cri-client pkg/logs ReadLogs): after EOF it waits for fsnotify events on the file's
# directory (or re-checks every second) and sends lines APPENDED to the file. The stream never
# ends by itself (kwok's CRI stub answers "Unavailable" when asked whether the container still
# runs, which counts as running): the client must stop following. Append to a followed file;
# truncating and rewriting it in place loses lines (the reader keeps its offset), and replacing
# it by rename makes the reader start again from the top. The file is read on every request, so
# a non-following `kubectl logs` always shows its current content.
# Lines must be in CRI format: "<RFC3339Nano time> stdout|stderr F <text>".
# The same file answers `kubectl logs --previous` (e.g. for a local/app:crashloop pod). The
# `follow: true` of the entry is not used by kwok's log server (the request's follow decides).
register_logs() {
  local ns=$1 file=$2
  [[ $ns =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "invalid namespace name: $ns"
  file=$(realpath -m "$file")
  mkdir -p "$(dirname "$file")"
  [[ -e $file ]] || : >"$file"
  local before
  before=$(kubectl get clusterlogs.kwok.x-k8s.io "pod-logs-$ns" --ignore-not-found -o 'jsonpath={.spec.logs[0].logsFile}')
  kubectl apply -f - >/dev/null <<EOF
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: pod-logs-$ns
  labels:
    app.kubernetes.io/part-of: kube-ephemeral-test-cluster
spec:
  selector:
    matchNamespaces: ["$ns"]
  logs:
  - logsFile: "$file"
    previousLogsFile: "$file"
    follow: true
EOF
  # Return only once kwok serves it (its informer sees the object a moment after the apply):
  # kwok answers /containerLogs/<ns>/<any pod>/<any container> from the registration alone.
  local url="http://127.0.0.1:$KWOK_PORT/containerLogs/$ns/registration-probe/probe"
  if [[ -z $before || $before == "$file" ]]; then
    wait_until "kwok serves $file for namespace $ns" curl -fsS -m 2 -o /dev/null "$url"
  else # replaced another file: wait until kwok answers with the new file's text (F lines)
    wait_until "kwok serves $file for namespace $ns" probe_logs "$url" "$file"
  fi
}
probe_logs() {
  local got want
  got=$(curl -fsS -m 2 "$1") || return 1
  want=$(sed -n 's/^[^ ]* [^ ]* F //p' "$2")
  [[ $got == "$want" ]]
}

# ---------------------------------------------------------------------------------------------
# commands

cmd_up() {
  log "checking binaries (scripts/cluster/build.sh)"
  resolve_bin
  log "binaries: $BIN"
  if [[ -f $PKI/.done ]] && all_healthy; then
    [[ -f $DIR/env && $(readlink -f "$DIR/bin") == "$BIN" ]] || gen_config
    log "already running and healthy: $API_SERVER (kubernetes $KUBE_VERSION, node $NODE_NAME Ready)"
    log "env: ${DIR#"$ROOT"/}/env   kubeconfigs: ${DIR#"$ROOT"/}/kubeconfig, ${DIR#"$ROOT"/}/kubeconfig-restricted"
    return 0
  fi
  gen_pki
  gen_config

  start etcd
  wait_healthy etcd
  start kube-apiserver
  wait_healthy kube-apiserver
  apply_objects
  start kube-controller-manager
  start kube-scheduler
  start kwok
  wait_healthy kube-controller-manager
  wait_healthy kube-scheduler
  wait_healthy kwok
  wait_until "kwok stages loaded" stages_loaded
  wait_until "node $NODE_NAME Ready, no taints" node_ready
  wait_until "ServiceAccount default/default" default_sa
  log "cluster up in $(elapsed): $API_SERVER (kubernetes $KUBE_VERSION, kwok $KWOK_VERSION)"
  log "env: ${DIR#"$ROOT"/}/env   kubeconfigs: ${DIR#"$ROOT"/}/kubeconfig, ${DIR#"$ROOT"/}/kubeconfig-restricted"
}

cmd_down() {
  local c i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    c=${COMPONENTS[i]}
    stop "$c"
  done
  if [[ -d $DIR ]]; then
    # a fresh cluster next time: etcd data, PKI, tokens, kubeconfigs, registered logs
    rm -rf "$DIR/data" "$PKI" "$ETC" "$RUN" "$PIDS" "$DIR/kube-cache" "$POD_LOGS_DIR" \
      "$ADMIN_KUBECONFIG" "$RESTRICTED_KUBECONFIG" "$DIR/env" "$DIR/bin"
  fi
  log "cluster down (logs kept in ${LOGS#"$ROOT"/})"
}

cmd_status() {
  local c ok=0 pid
  [[ -f $PKI/.done ]] || { echo "no cluster in $DIR (run: npm run cluster -- up)"; return 1; }
  BIN=$(readlink -f "$DIR/bin" 2>/dev/null || true)
  for c in "${COMPONENTS[@]}"; do
    pid=$(pid_of "$c")
    if ! running "$c"; then
      printf '%-24s not running\n' "$c"; ok=1
    elif healthy "$c"; then
      printf '%-24s running (pid %s), healthy\n' "$c" "$pid"
    else
      printf '%-24s running (pid %s), NOT healthy\n' "$c" "$pid"; ok=1
    fi
  done
  if [[ -x $BIN/kubectl ]] && node_ready; then
    printf '%-24s Ready\n' "node $NODE_NAME"
  else
    printf '%-24s NOT Ready\n' "node $NODE_NAME"; ok=1
  fi
  if [[ -x $BIN/kubectl ]]; then
    local v
    v=$(kubectl get --raw /version 2>/dev/null | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -1)
    printf '%-24s %s\n' "server version" "${v:-unreachable}"
  fi
  printf '%-24s %s\n' "api server" "$API_SERVER"
  ((ok == 0)) && echo "healthy" || echo "NOT healthy"
  return $ok
}

cmd_restart() {
  local name=${1:-}
  [[ " ${COMPONENTS[*]} " == *" $name "* ]] || die "usage: restart ${COMPONENTS[*]// / | }"
  [[ -f $RUN/$name.cmd ]] || die "$name was never started here (run: npm run cluster -- up)"
  BIN=$(readlink -f "$DIR/bin")
  log "restarting $name"
  stop "$name"
  launch "$name"
  wait_healthy "$name"
  case $name in
  etcd) wait_healthy kube-apiserver ;;
  kwok) wait_until "kwok stages loaded" stages_loaded ;;
  esac
  wait_until "node $NODE_NAME Ready, no taints" node_ready
  log "$name restarted in $(elapsed)"
}

cmd_logs() {
  [[ $# -eq 2 ]] || die "usage: logs <namespace> <file>"
  [[ -f $PKI/.done ]] || die "no cluster (run: npm run cluster -- up)"
  BIN=$(readlink -f "$DIR/bin")
  register_logs "$1" "$2"
}

usage() {
  cat <<EOF
usage: npm run cluster -- <command>
  up                      build (cached) and start the cluster, wait until it is usable
  down                    stop it and delete its data
  status                  components, node, version; exit 1 if not healthy
  restart <component>     ${COMPONENTS[*]}
  logs <namespace> <file> serve <file> (CRI log lines) as the logs of every pod in <namespace>
EOF
}

lock() { # one up/down/restart at a time (e.g. two test runs starting together)
  mkdir -p "$DIR"
  exec 9>"$DIR/.lock"
  flock -w 300 9 || die "another cluster.sh holds $DIR/.lock"
}

cmd=${1:-}
[[ $# -gt 0 ]] && shift
case $cmd in up | down | restart) lock ;; esac
case $cmd in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
restart) cmd_restart "$@" ;;
logs) cmd_logs "$@" ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
