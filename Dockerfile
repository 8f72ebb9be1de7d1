# The manager's image, the same layout `make image` builds without a container engine
# (hack/image; test/image builds this file's layout and compares the two): a static
# manager on a base equivalent to distroless/static:nonroot (users, /tmp, the CA bundle,
# the time zone database), made from files by hack/image rather than pulled, run as the
# nonroot user 65532.
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t workcenter-operator:latest .
#
# The builder image is pinned by digest; bump it with `crane digest golang:1.26` (or let
# Renovate/Dependabot do it), or override it: --build-arg GO_IMAGE=golang:1.26.
ARG GO_IMAGE=golang:1.26@sha256:3aff6657219a4d9c14e27fb1d8976c49c29fddb70ba835014f477e1c70636647

# Cross-compiles on the build machine's platform: no emulation for the other one.
FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS builder
ARG TARGETOS
ARG TARGETARCH

WORKDIR /workspace
# The modules first, so a change of the sources does not download them again.
COPY go.mod go.mod
COPY go.sum go.sum
RUN go mod download

COPY cmd/ cmd/
COPY api/ api/
COPY controllers/ controllers/
COPY internal/ internal/
COPY hack/image/ hack/image/

# Static (no cgo), so it runs on a base without libc; no paths and no VCS stamp, so the
# same sources give the same binary as `make image`.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} go build -trimpath -buildvcs=false -ldflags="-s -w" -o manager ./cmd
# The base's files, exactly as `make image` lays them out.
RUN go run ./hack/image -rootfs /rootfs

# No shell, no package manager, no libc.
FROM scratch
COPY --from=builder /rootfs/ /
COPY --from=builder --chown=65532:65532 /rootfs/home/ /home/
WORKDIR /
COPY --from=builder /workspace/manager /manager
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
LABEL org.opencontainers.image.title=workcenter-operator
LABEL org.opencontainers.image.source=https://github.com/workcenter-io/workcenter-operator
USER 65532:65532

ENTRYPOINT ["/manager"]
