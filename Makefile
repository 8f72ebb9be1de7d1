# workcenter-operator: kubebuilder-style Makefile. Everything it needs it builds from the
# Go module proxy into bin/; nothing else is downloaded.

# Versions of the tools and of the envtest control plane (built from source).
CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.1
KUBE_VERSION ?= 1.37.1
ETCD_VERSION ?= 3.6.16

LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen-$(CONTROLLER_TOOLS_VERSION)
KUSTOMIZE ?= $(LOCALBIN)/kustomize-$(KUSTOMIZE_VERSION)
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/$(KUBE_VERSION)-etcd-$(ETCD_VERSION)-$(shell go env GOOS)-$(shell go env GOARCH)
KUBECTL ?= $(ENVTEST_ASSETS)/kubectl
export KUBE_VERSION ETCD_VERSION

# Setting SHELL to bash allows bash commands to be executed by recipes.
SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs, RBAC and webhook configuration.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd webhook paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: verify-generated
verify-generated: manifests generate ## Fail when committed generated files are stale.
	@if [ -n "$$(git status --porcelain -- api config)" ]; then \
		echo "Generated files are stale; run 'make manifests generate' and commit:"; \
		git status --porcelain -- api config; git --no-pager diff --stat -- api config; exit 1; fi

.PHONY: envtest
envtest: ## Build the envtest control plane (kube-apiserver, kubectl, etcd) from source once per machine, into ~/.cache/workcenter-operator/k8s/ (XDG_CACHE_HOME, CONTROL_PLANE_CACHE), linked from bin/k8s/.
	@hack/build-control-plane.sh >/dev/null

.PHONY: test
test: verify-generated fmt vet envtest ## Run all tests (unit, envtest, and end-to-end through kubectl) against the control plane built from source.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./... -count=1 -timeout 30m

.PHONY: test-e2e
test-e2e: envtest ## Run only the end-to-end suite (test/e2e: the run-local environment driven through kubectl), verbosely.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/e2e/ -count=1 -timeout 10m -v -args -ginkgo.v

.PHONY: test-installed
test-installed: envtest ## Only the installed suite (test/installed: the chart and config/default on a real API server, the manager run from the image as the Deployment says; docs/operations.md), verbosely.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/installed/ -count=1 -timeout 10m -v

.PHONY: bench-scale
bench-scale: envtest ## Scale benchmark (test/scale): the real manager on accounts of 1,000-10,000 collaborators, one of 10,000 assigning by selector and template, and 200 small ones; prints the table and writes docs/performance.md. SCALE_SIZES, SCALE_ACCOUNTS, SCALE_SELECTORS, SCALE_QUIET, SCALE_CHANGES, SCALE_OUT tune it (README: the others).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test -tags scale ./test/scale/ -run TestScale -count=1 -v -timeout 120m

BENCH_COUNT ?= 5
.PHONY: bench-authorizer
bench-authorizer: envtest ## The authorizer's speed (docs/authorization.md, Speed): Go benchmarks of a check on a 10,000-collaborator account (p50/p99, checks/s on GOMAXPROCS cores, allocations; BENCH_COUNT runs, take the medians), then the webhook door through the API server started as run-local starts it (apiserver_authorization_webhook_duration_seconds, 1,000 concurrent reviews). AUTHORIZER_BENCH_COLLABORATORS and AUTHORIZER_BENCH_REVIEWS tune the second.
	go test ./internal/authorizer/ -run '^$$' -bench . -benchmem -count $(BENCH_COUNT) -timeout 30m
	AUTHORIZER_BENCH=1 KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/authorizer/ -run TestWebhookDoorSpeed -count=1 -v -timeout 60m

CHAOS_KILLS ?= 50
.PHONY: test-chaos
test-chaos: envtest ## Crash suite (test/chaos): the real manager killed with SIGKILL CHAOS_KILLS times while accounts change, converging to the account model's oracle every CHAOS_CHECK_EVERY kills, every status write judged through a watch, the API server and etcd restarted CHAOS_APISERVER_RESTARTS times; then leader election, the leader killed and frozen CHAOS_FAILOVERS times; RANDOM_REQUESTS random objects, valid and mangled, through the API server (make test runs 4 kills and 250 requests only); and account sharding over replicas (TestShardedAccounts, as make test-sharding). CHAOS_OUT collects the summary lines.
	CHAOS_KILLS=$(CHAOS_KILLS) CHAOS_CHECK_EVERY=$${CHAOS_CHECK_EVERY:-5} CHAOS_ACCOUNTS=$${CHAOS_ACCOUNTS:-3} CHAOS_COLLABORATORS=$${CHAOS_COLLABORATORS:-60} \
	CHAOS_APISERVER_RESTARTS=$${CHAOS_APISERVER_RESTARTS:-1} CHAOS_FAILOVERS=$${CHAOS_FAILOVERS:-3} RANDOM_REQUESTS=$${RANDOM_REQUESTS:-3000} \
		KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/chaos/ -run 'TestChaos|TestFailover|TestRandomObjects|TestShardedAccounts' -count=1 -v -timeout 90m

SHARDING_RUNS ?= 3
.PHONY: test-sharding
test-sharding: envtest ## Account sharding (--shard-accounts, docs/scaling.md), SHARDING_RUNS times (make test runs it once): replicas of the real manager share accounts that change at random, the leader is killed, a third replica joins, the leader is frozen past its Lease; every write judged from the API server's audit log (written by the replica owning the account then, never two at once), takeover within the lease duration. CHAOS_OUT collects the summary lines.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go test ./test/chaos/ -run 'TestShardedAccounts|TestOwnerLogCheck' -count=$(SHARDING_RUNS) -v -timeout 30m

FUZZTIME ?= 1m
.PHONY: fuzz
fuzz: ## Run every fuzz target (admission handlers, include graphs, specs that do not decode against the CRD schema, the manifest loader) for FUZZTIME each (make test runs their seed corpus); crashers land in testdata/fuzz.
	go test ./internal/webhook/ -run '^$$' -fuzz '^FuzzAdmissionReview$$' -fuzztime $(FUZZTIME)
	go test ./internal/webhook/ -run '^$$' -fuzz '^FuzzEffective$$' -fuzztime $(FUZZTIME)
	go test ./internal/webhook/ -run '^$$' -fuzz '^FuzzSchemaFirst$$' -fuzztime $(FUZZTIME)
	go test ./internal/manifests/ -run '^$$' -fuzz '^FuzzLoad$$' -fuzztime $(FUZZTIME)

RAPID_CHECKS ?= 10000
.PHONY: test-properties
test-properties: ## Property tests (rapid) of the account model, of delegated administration and of admission against reconciliation, RAPID_CHECKS cases each (make test runs 100).
	go test ./internal/model/ ./internal/webhook/ -run 'TestInvariants|TestDelegationProperties|TestAdmissionAgreesWithReconciliation' -count=1 -rapid.checks=$(RAPID_CHECKS) -timeout 60m -v | grep -E '^(---|ok|FAIL|PASS)|rapid'

.PHONY: bench
bench: ## Run the access-model benchmarks.
	go test ./internal/... -run '^$$' -bench . -benchmem

.PHONY: sample-account
sample-account: ## Write a generated account (5,000 collaborators, 200 WorkCenters, 50 roles) as manifests and a kustomization into bin/sample-account (SAMPLE_ACCOUNT_ARGS: -collaborators N -workcenters N -roles N -out DIR).
	go run ./hack/sample-account -out $(LOCALBIN)/sample-account $(SAMPLE_ACCOUNT_ARGS)

.PHONY: bench-procorem
bench-procorem: ## kubectl procorem at size (docs/performance.md): the plugin built, a query and validate through -f and -k on the generated account, BENCH_COUNT runs each; prints the medians of wall, CPU and peak memory.
	go run ./hack/sample-account -out $(LOCALBIN)/sample-account -bench -runs $(BENCH_COUNT) $(SAMPLE_ACCOUNT_ARGS)

##@ Build

.PHONY: build
build: manifests generate fmt vet ## Build the manager binary and the kubectl plugin (bin/manager, bin/kubectl-procorem).
	go build -o bin/manager ./cmd
	go build -o bin/kubectl-procorem ./cmd/kubectl-procorem

.PHONY: run
run: manifests generate fmt vet ## Run the manager against the cluster in ~/.kube/config (webhooks off).
	ENABLE_WEBHOOKS=false go run ./cmd

.PHONY: run-local
run-local: manifests envtest ## Run the operator, with its webhooks and the samples, on a local control plane built from source (Ctrl-C stops it).
	@mkdir -p $(LOCALBIN)/run-local
	@go build -o $(LOCALBIN)/run-local/run-local ./hack/run-local
	@KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" $(LOCALBIN)/run-local/run-local

##@ Deployment

IMG ?= workcenter-operator:latest

.PHONY: build-installer
build-installer: manifests kustomize ## Render a complete install (CRDs, RBAC, manager, webhooks, cert-manager certificate) into dist/install.yaml.
	@mkdir -p dist
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default > dist/install.yaml
	cd config/manager && $(KUSTOMIZE) edit set image controller=workcenter-operator:latest

.PHONY: helm-chart
helm-chart: manifests ## Refresh dist/chart/files/, the chart's copies of config/ (CRDs, the manager's ClusterRole, webhook configurations, config/prometheus).
	@mkdir -p dist/chart/files/crd dist/chart/files/rbac dist/chart/files/webhook dist/chart/files/prometheus
	@rm -f dist/chart/files/crd/*.yaml
	cp config/crd/bases/*.yaml dist/chart/files/crd/
	cp config/rbac/role.yaml dist/chart/files/rbac/role.yaml
	cp config/webhook/manifests.yaml dist/chart/files/webhook/manifests.yaml
	cp config/prometheus/monitor.yaml config/prometheus/metrics_token.yaml config/prometheus/rules.yaml dist/chart/files/prometheus/

.PHONY: helm-lint
helm-lint: ## Lint and render the chart (dist/chart) with Helm's Go SDK and fail on any drift from kustomize build config/default (test/install).
	go test ./test/install/ -run 'TestChart|TestDrift' -count=1 -v 2>&1 | grep -E '^(---|ok|FAIL|PASS)|no drift|drift|differs|only in|helm lint'

.PHONY: image
IMAGE_PLATFORMS ?= linux/amd64,linux/arm64
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
image: ## Build the manager's image (the Dockerfile's layout, without a container engine) into dist/image.tar, tagged IMG: one OCI index of IMAGE_PLATFORMS with an SPDX SBOM per platform, reproducible (SOURCE_DATE_EPOCH: the last commit's time); docker/podman load, skopeo, oras, crane and kind load image-archive take it.
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) go run ./hack/image -o dist/image.tar -tag $(IMG) -platforms $(IMAGE_PLATFORMS) -revision "$$(git rev-parse HEAD 2>/dev/null)"

.PHONY: deploy
deploy: build-installer ## Install everything in the cluster in ~/.kube/config (needs cert-manager and the image IMG).
	$(KUBECTL) apply --server-side -f dist/install.yaml

.PHONY: undeploy
undeploy: build-installer ## Remove what deploy installed.
	$(KUBECTL) delete --ignore-not-found -f dist/install.yaml

.PHONY: install
install: manifests envtest ## Install the CRDs into the cluster in ~/.kube/config.
	$(KUBECTL) apply --server-side -f config/crd/bases

.PHONY: uninstall
uninstall: manifests envtest ## Uninstall the CRDs from the cluster in ~/.kube/config.
	$(KUBECTL) delete --ignore-not-found -f config/crd/bases

##@ Dependencies

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)
	mv $(LOCALBIN)/controller-gen $(CONTROLLER_GEN)

.PHONY: kustomize
kustomize: $(KUSTOMIZE) ## Install kustomize into bin/.
$(KUSTOMIZE):
	@mkdir -p $(LOCALBIN)
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)
	mv $(LOCALBIN)/kustomize $(KUSTOMIZE)
