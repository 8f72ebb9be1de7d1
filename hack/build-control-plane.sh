#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, kubectl, etcd) from source through
# the Go module proxy, because no release binaries or setup-envtest downloads can be had.
#
#   hack/build-control-plane.sh            # builds what is missing, prints the assets dir
#
# The binaries are kept once per machine and user, the way setup-envtest keeps its own,
# in ${CONTROL_PLANE_CACHE:-${XDG_CACHE_HOME:-~/.cache}/workcenter-operator/k8s}/<name>/,
# <name> being <k8s>-etcd-<etcd>-<os>-<arch>; bin/k8s/<name> is a symlink to that
# directory, so KUBEBUILDER_ASSETS can point at it and a second clone, or the next CI run
# on the same machine, finds the control plane already built.
#
# Safe to interrupt and to run concurrently: builds hold a lock per <name>, write to a
# temporary directory and rename each finished binary into place, so a binary under its
# final name is always complete. bin/k8s/<name> is swapped in with a rename too, never
# missing. Nothing but Go modules is fetched.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-1.37.1}"   # k8s.io/kubernetes v1.37.1; staging modules at v0.37.1
ETCD_VERSION="${ETCD_VERSION:-3.6.16}"   # go.etcd.io/etcd/server/v3

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
goos="$(go env GOOS)"; goarch="$(go env GOARCH)"
name="${KUBE_VERSION}-etcd-${ETCD_VERSION}-${goos}-${goarch}"
if [[ -n "${CONTROL_PLANE_CACHE:-}" ]]; then
  cache="${CONTROL_PLANE_CACHE}"
elif [[ -n "${XDG_CACHE_HOME:-}" ]]; then
  cache="${XDG_CACHE_HOME}/workcenter-operator/k8s"
elif [[ -n "${HOME:-}" ]]; then
  cache="${HOME}/.cache/workcenter-operator/k8s"
else
  cache="${root}/bin/.cache/k8s"   # no home: per clone, as before
fi
assets="${cache}/${name}"           # the binaries
link="${root}/bin/k8s/${name}"      # what KUBEBUILDER_ASSETS names
binaries=(etcd kube-apiserver kubectl)
mkdir -p "${assets}" "${root}/bin/k8s"

log() { echo "build-control-plane: $*" >&2; }

# version_ok BINARY PATH: whether PATH is the BINARY of the wanted version.
version_ok() {
  local out
  case "$1" in
    etcd) out="$("$2" --version 2>/dev/null | head -1)"; [[ "${out}" == "etcd Version: ${ETCD_VERSION}" ]] ;;
    kube-apiserver) out="$("$2" --version 2>/dev/null)"; [[ "${out}" == "Kubernetes v${KUBE_VERSION}" ]] ;;
    kubectl) out="$("$2" version --client 2>/dev/null | head -1)"; [[ "${out}" == "Client Version: v${KUBE_VERSION}" ]] ;;
  esac
}

have() { [[ -x "${assets}/$1" ]]; }
complete() { have etcd && have kube-apiserver && have kubectl; }

# install_binary NAME FILE: moves FILE (on the cache's file system) to its final name.
install_binary() { chmod 0755 "$2"; mv -f "$2" "${assets}/$1"; }

# seed_from_clone: a clone built before the cache existed holds the binaries in a real
# directory bin/k8s/<name>; copy the ones of the wanted versions instead of rebuilding.
seed_from_clone() {
  [[ -d "${link}" && ! -L "${link}" ]] || return 0
  local b
  for b in "${binaries[@]}"; do
    if ! have "${b}" && [[ -x "${link}/${b}" ]] && version_ok "${b}" "${link}/${b}"; then
      log "seeding ${assets}/${b} from ${link}"
      cp "${link}/${b}" "${tmp}/${b}"
      install_binary "${b}" "${tmp}/${b}"
    fi
  done
}

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
  if have kube-apiserver && have kubectl; then return; fi
  log "building kube-apiserver and kubectl v${KUBE_VERSION} from source into ${assets} (about 6 minutes on 2 cores)"
  local gomod staging=()
  gomod="$(go mod download -json "k8s.io/kubernetes@v${KUBE_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  # Every staging module kubernetes replaces with ./staging/... is published as v0.<minor>.<patch>.
  local staging_version="v0.${KUBE_VERSION#*.}"
  while read -r mod; do
    staging+=("${mod} => ${mod} ${staging_version}")
  done < <(sed -nE 's#^[[:space:]]*(k8s\.io/[^[:space:]]+) => \./staging/.*#\1#p' "${gomod}")
  [[ ${#staging[@]} -gt 0 ]] || { log "no staging replaces found in ${gomod}"; exit 1; }
  local dir="${tmp}/kubernetes-${KUBE_VERSION}"
  wrapper_module "${dir}" k8s.io/kubernetes "v${KUBE_VERSION}" "${staging[@]}"
  local minor="${KUBE_VERSION#*.}"; minor="${minor%%.*}"
  local ldflags="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X ${p}.gitVersion=v${KUBE_VERSION} -X ${p}.gitMajor=1 -X ${p}.gitMinor=${minor}"
  done
  mkdir -p "${tmp}/out"
  (cd "${dir}" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "${ldflags}" \
    -o "${tmp}/out/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl)
  install_binary kube-apiserver "${tmp}/out/kube-apiserver"
  install_binary kubectl "${tmp}/out/kubectl"
}

build_etcd() {
  if have etcd; then return; fi
  log "building etcd v${ETCD_VERSION} from source into ${assets} (about 1 minute)"
  local dir="${tmp}/etcd-${ETCD_VERSION}" v="v${ETCD_VERSION}"
  wrapper_module "${dir}" go.etcd.io/etcd/server/v3 "${v}" \
    "go.etcd.io/etcd/api/v3 => go.etcd.io/etcd/api/v3 ${v}" \
    "go.etcd.io/etcd/client/pkg/v3 => go.etcd.io/etcd/client/pkg/v3 ${v}" \
    "go.etcd.io/etcd/client/v3 => go.etcd.io/etcd/client/v3 ${v}" \
    "go.etcd.io/etcd/pkg/v3 => go.etcd.io/etcd/pkg/v3 ${v}"
  (cd "${dir}" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" \
    -o "${tmp}/etcd" go.etcd.io/etcd/server/v3)
  install_binary etcd "${tmp}/etcd"
}

# point_link: makes bin/k8s/<name> lead to the cache, atomically at every step.
point_link() {
  if [[ -L "${link}" ]]; then
    [[ "$(readlink "${link}")" == "${assets}" ]] && return
  elif [[ -d "${link}" ]]; then
    # A directory cannot be renamed over: replace each binary in it by a symlink into
    # the cache instead (one rename each), so the directory never lacks one.
    local b
    for b in "${binaries[@]}"; do
      [[ -L "${link}/${b}" && "$(readlink "${link}/${b}")" == "${assets}/${b}" ]] && continue
      ln -sfn "${assets}/${b}" "${link}/.${b}.$$"
      mv -fT "${link}/.${b}.$$" "${link}/${b}"
    done
    return
  fi
  ln -sfn "${assets}" "${link}.$$"
  mv -fT "${link}.$$" "${link}"
}

if ! complete; then
  # One build per <name> at a time; whoever waited finds the binaries done.
  exec 9>"${cache}/.${name}.lock"
  if command -v flock >/dev/null; then
    if ! flock -n 9; then
      log "waiting for another build of ${name} to finish"
      flock 9
    fi
    # Holding the lock, any other build directory of <name> is an interrupted build's.
    rm -rf "${cache}/.build-${name}".*
  fi
  tmp="$(mktemp -d "${cache}/.build-${name}.XXXXXX")"
  trap 'rm -rf "${tmp}"' EXIT
  trap 'exit 130' INT TERM
  seed_from_clone
  build_etcd
  build_kube
  complete || { log "the control plane in ${assets} is incomplete"; exit 1; }
fi
point_link
echo "${link}"
