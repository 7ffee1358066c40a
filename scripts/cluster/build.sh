#!/usr/bin/env bash
# Builds the local control plane from the Go module proxy, into a cache outside the repository:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl  (k8s.io/kubernetes, pinned)
#   etcd (go.etcd.io/etcd/server/v3), kwok (sigs.k8s.io/kwok)
# A binary already in the cache is not rebuilt, so a second run takes a second.
set -euo pipefail

KUBE_VERSION=${KUBE_VERSION:-v1.37.2}
ETCD_VERSION=${ETCD_VERSION:-v3.6.16}
KWOK_VERSION=${KWOK_VERSION:-v0.8.0}
CACHE=${KE_CACHE:-$HOME/.cache/kube-ephemeral}
BIN=$CACHE/bin/k8s-$KUBE_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
WORK=$CACHE/build
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0

log() { printf '[build %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
mkdir -p "$BIN" "$WORK"

need=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok; do
  [[ -x $BIN/$b ]] || need+=("$b")
done
if ((${#need[@]} == 0)); then log "all binaries cached in $BIN"; echo "$BIN"; exit 0; fi
log "to build: ${need[*]} (Go $(go env GOVERSION), cache $BIN)"

has() { local x; for x in "${need[@]}"; do [[ $x == "$1" ]] && return 0; done; return 1; }

if has kwok; then
  log "kwok $KWOK_VERSION: go install"
  GOBIN=$BIN go install "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  log "kwok done"
fi

if has etcd; then
  # go.etcd.io/etcd/server/v3 is the etcd main package, but its go.mod has replace directives,
  # so `go install ...@version` is refused: build it from a wrapper module instead.
  d=$WORK/etcd-$ETCD_VERSION; mkdir -p "$d"; cd "$d"
  printf 'module local/etcd-binary\n\ngo 1.25.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' >tools.go
  log "etcd $ETCD_VERSION: resolving modules"
  go mod tidy
  log "etcd: compiling"
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
  log "etcd done"
fi

kube=()
for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do has "$b" && kube+=("k8s.io/kubernetes/cmd/$b"); done
if ((${#kube[@]})); then
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging;
  # as a dependency those replaces are ignored. Redirect each to its published v0.X.Y tag.
  d=$WORK/k8s-$KUBE_VERSION; mkdir -p "$d"; cd "$d"
  staging_version="v0.${KUBE_VERSION#v1.}"
  log "kubernetes $KUBE_VERSION: reading its go.mod"
  upstream=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [[ -f $upstream ]] || { log "could not download k8s.io/kubernetes@$KUBE_VERSION"; exit 1; }
  {
    echo "module local/k8s-binaries"; echo
    echo "go $(sed -n 's/^go \([0-9.]*\)$/\1/p' "$upstream")"; echo
    grep -E '^godebug ' "$upstream" || true; echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"; echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s\.io/[A-Za-z0-9._-]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$upstream" | sort -u |
      while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
    echo ")"
  } >go.mod
  printf '//go:build tools\n\npackage tools\n\nimport (\n' >tools.go
  for p in kube-apiserver kube-controller-manager kube-scheduler kubectl; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$p" >>tools.go; done
  printf ')\n' >>tools.go
  log "kubernetes: resolving modules (first run downloads ~1 GB)"
  go mod tidy
  minor=${KUBE_VERSION#v1.}; minor=${minor%%.*}
  ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=2026-01-01T00:00:00Z"
  done
  for p in "${kube[@]}"; do
    log "kubernetes: compiling ${p##*/} (the first one takes longest; the rest reuse the build cache)"
    go build -trimpath -tags selinux,notest -ldflags "$ldflags" -o "$BIN/${p##*/}" "$p"
    log "${p##*/} done"
  done
fi
"$BIN/kube-apiserver" --version >&2
log "all binaries in $BIN"
echo "$BIN"
