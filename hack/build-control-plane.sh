#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, kubectl, etcd) from source through
# the Go module proxy, because no release binaries or setup-envtest downloads can be had.
#
#   hack/build-control-plane.sh            # builds what is missing, prints the assets dir
#
# Binaries land in bin/k8s/<k8s>-etcd-<etcd>-<os>-<arch>/ and are skipped when present,
# so KUBEBUILDER_ASSETS can point at that directory. Nothing but Go modules is fetched.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # k8s.io/kubernetes v1.37.1; staging modules at v0.37.1
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"   # go.etcd.io/etcd/server/v3

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
goos="$(go env GOOS)"; goarch="$(go env GOARCH)"
assets="${root}/bin/k8s/${KUBE_VERSION}-etcd-${ETCD_VERSION}-${goos}-${goarch}"
work="${root}/bin/.build"
mkdir -p "${assets}" "${work}"

log() { echo "build-control-plane: $*" >&2; }

# wrapper_module DIR MODULE VERSION REPLACES... writes a throwaway module that requires
# MODULE@VERSION and replaces the given modules, since `go install` refuses modules
# whose go.mod has replace directives of their own.
wrapper_module() {
  local dir="$1" module="$2" version="$3"; shift 3
  rm -rf "${dir}"; mkdir -p "${dir}"
  {
    echo "module controlplane.local/wrapper"
    echo
    echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
    echo
    echo "require ${module} ${version}"
    echo
    echo "replace ("
    for r in "$@"; do echo "	${r}"; done
    echo ")"
  } > "${dir}/go.mod"
}

build_kube() {
  if [[ -x "${assets}/kube-apiserver" && -x "${assets}/kubectl" ]]; then return; fi
  log "building kube-apiserver and kubectl v${KUBE_VERSION} from source (about 5 minutes)"
  local gomod staging=()
  gomod="$(go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # Every staging module kubernetes replaces with ./staging/... is published as v0.<minor>.<patch>.
  local staging_version="v0.${KUBE_VERSION#*.}"
  while read -r mod; do
    staging+=("${mod} => ${mod} ${staging_version}")
  done < <(sed -nE 's#^[[:space:]]*(k8s\.io/[^[:space:]]+) => \./staging/.*#\1#p' "${gomod}")
  [[ ${#staging[@]} -gt 0 ]] || { log "no staging replaces found in ${gomod}"; exit 1; }
  local dir="${work}/kubernetes-${KUBE_VERSION}"
  wrapper_module "${dir}" k8s.io/kubernetes "v${KUBE_VERSION}" "${staging[@]}"
  local minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${p}.gitVersion=v${KUBE_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
  done
  (cd "${dir}" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" \
    -o "${assets}/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() {
  if [[ -x "${assets}/etcd" ]]; then return; fi
  log "building etcd v${ETCD_VERSION} from source (about 1 minute)"
  local dir="${work}/etcd-${ETCD_VERSION}" v="v${ETCD_VERSION}"
  wrapper_module "${dir}" go.etcd.io/etcd/server/v3 "${v}" \
    "go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 ${v}" \
    "go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 ${v}" \
    "go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 ${v}" \
    "go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 ${v}"
  (cd "${dir}" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
    -o "${assets}/etcd" go.etcd.io/etcd/server/v3)
}

build_etcd
build_kube
rm -rf "${work}"
echo "${assets}"
