# The manager's image, as kubebuilder writes it: a static binary built in a Go image,
# on distroless's static base, run as its nonroot user. Where no container engine runs,
# `make image` builds the same image (hack/image) into dist/image.tar.
#
#   docker build -t workcenter-operator:latest .
FROM golang:1.26 AS builder
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

# Static (no cgo), so it runs on a base without libc.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} go build -trimpath -ldflags="-s -w" -o manager ./cmd

# distroless/static:nonroot: no shell, no package manager; the user 65532.
FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager .
USER 65532:65532

ENTRYPOINT ["/manager"]
