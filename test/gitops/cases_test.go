// Package gitops_test checks how the GitOps tools read the operator's status, with the
// tools' own code: Flux through status.Compute from github.com/fluxcd/cli-utils/pkg/kstatus
// (what kustomize-controller's `wait` and `healthChecks` run), Argo CD through the health
// check in Argo CD's layout for its built-in checks,
// config/argocd/resource_customizations/access.workcenter.io/<Kind>/health.lua (one
// script, the same in the four kinds' directories) run in github.com/yuin/gopher-lua with
// the libraries Argo CD opens, and through the CEL health check expressions of
// config/flux (healthCheckExprs) run by Flux's own evaluator, github.com/fluxcd/pkg/runtime/cel.
//
// The objects judged are real: the envtest suite (suite_test.go, live_test.go) starts
// the controllers, creates every situation in `captures`, and checks the live objects'
// verdicts; with UPDATE_TESTDATA=1 it writes them to <Kind>/testdata there and
// writes health_test.yaml and the argocd-cm patch. Without it, it fails when a live
// object no longer matches its checked-in copy. The tests over the testdata
// (health_test.go) need no API server.
package gitops_test

import (
	"path/filepath"

	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
)

// kinds are the operator's kinds, each with its health_test.yaml, testdata and argocd-cm key.
var kinds = []string{"Account", "WorkCenter", "WorkCenterRole", "Collaborator"}

// capture is one status shape the operator produces, captured from a live object.
type capture struct {
	// kind and name of the testdata file: <kind>/testdata/<file>.yaml in argocdDir.
	kind, file string
	// namespace and name of the live object.
	namespace, name string
	// health is Argo CD's verdict (health.lua) and message a part of its message: the
	// operator's own words.
	health, message string
	// kstatus is Flux's verdict (status.Compute).
	kstatus status.Status
	// gap says why Flux's verdict is not what a person would expect, when it is not.
	gap string
	// fluxUnknown says why Flux with config/flux's healthCheckExprs says Unknown (an
	// expression cannot be evaluated) where Argo CD says Progressing; without it, Flux with
	// the expressions says what Argo CD says (fluxForArgoCD).
	fluxUnknown string
	// stopped: captured while the operator is stopped (a spec it has not seen).
	stopped bool
}

// flux is Flux's verdict with config/flux's healthCheckExprs.
func (c capture) flux() status.Status {
	if c.fluxUnknown != "" {
		return status.UnknownStatus
	}
	return fluxForArgoCD[c.health]
}

// path is the capture's testdata file, from the repository root.
func (c capture) path() string {
	return filepath.Join(kindDir(c.kind), "testdata", c.file+".yaml")
}

// argocdGroup is the API group, and argocdDir the directory of the kinds' checks in Argo
// CD's layout: resource_customizations/<group>/<Kind>/{health.lua, health_test.yaml,
// testdata/}, as in Argo CD's own repository, so that they can be proposed there as they stand.
const argocdGroup = "access.workcenter.io"

var argocdDir = filepath.Join("config", "argocd", "resource_customizations", argocdGroup)

// kindDir is a kind's directory, from the repository root.
func kindDir(kind string) string {
	return filepath.Join(argocdDir, kind)
}

// Why kstatus reads a Ready False that waits for nobody as InProgress: it has no
// "needs a person" short of Stalled, and the operator keeps Stalled for a spec that is
// wrong in itself (docs/decisions.md, "Conditions").
const gapNotStalled = "Ready False without Reconciling or Stalled is InProgress to kstatus: Flux waits until its timeout"

// captures are the situations the suite creates and what each tool must say about them.
var captures = []capture{
	// Account
	{kind: "Account", file: "healthy_ready", namespace: "acme", name: "acme",
		health: healthy, message: "account is Active; 3 Members but 2 licenses", kstatus: status.CurrentStatus},
	{kind: "Account", file: "healthy_deactivated", namespace: "dormant", name: "dormant",
		health: healthy, message: "account is Deactivated", kstatus: status.CurrentStatus},
	{kind: "Account", file: "healthy_no_administrator", namespace: "vacant", name: "vacant",
		health: healthy, message: "account is Active; no Member has adminRole AccountAdministrator", kstatus: status.CurrentStatus},
	{kind: "Account", file: "degraded_duplicate_account", namespace: "twin", name: "second",
		health: degraded, message: "already has Account \"first\", which is older", kstatus: status.InProgressStatus, gap: gapNotStalled},
	{kind: "Account", file: "progressing_deletion_blocked", namespace: "closing", name: "closing",
		health: progressing, message: "still has 1 WorkCenters", kstatus: status.TerminatingStatus},
	{kind: "Account", file: "progressing_stale_generation", namespace: "acme", name: "acme", stopped: true,
		health: progressing, message: "generation 2 (observed 1)", kstatus: status.InProgressStatus},

	// WorkCenter
	{kind: "WorkCenter", file: "healthy_ready", namespace: "acme", name: "tower",
		health: healthy, message: "active", kstatus: status.CurrentStatus},
	{kind: "WorkCenter", file: "healthy_archived", namespace: "acme", name: "archive",
		health: healthy, message: "archived", kstatus: status.CurrentStatus},
	{kind: "WorkCenter", file: "degraded_unknown_category", namespace: "acme", name: "plaza",
		health: degraded, message: "\"Landscaping\", which is not in Account", kstatus: status.FailedStatus},
	{kind: "WorkCenter", file: "progressing_account_not_found", namespace: "orphan", name: "lonely",
		health: progressing, message: "waiting for an Account", kstatus: status.InProgressStatus},
	{kind: "WorkCenter", file: "progressing_stale_generation", namespace: "acme", name: "tower", stopped: true,
		health: progressing, message: "generation 2 (observed 1)", kstatus: status.InProgressStatus},

	// WorkCenterRole
	{kind: "WorkCenterRole", file: "healthy_in_use", namespace: "acme", name: "engineer",
		health: healthy, message: "custom role", kstatus: status.CurrentStatus},
	{kind: "WorkCenterRole", file: "healthy_built_in", namespace: "acme", name: "read-only",
		health: healthy, message: "built-in role", kstatus: status.CurrentStatus},
	{kind: "WorkCenterRole", file: "progressing_include_not_found", namespace: "acme", name: "reviewer",
		health: progressing, message: "includes \"inspector\", which does not exist", kstatus: status.InProgressStatus},
	{kind: "WorkCenterRole", file: "degraded_inclusion_cycle", namespace: "acme", name: "loop-a",
		health: degraded, message: "cycle: loop-a -> loop-b -> loop-a", kstatus: status.FailedStatus},
	{kind: "WorkCenterRole", file: "progressing_deletion_blocked", namespace: "acme", name: "site-lead",
		health: progressing, message: "2 users in 2 assignments: bob, dana", kstatus: status.TerminatingStatus},

	// Collaborator
	{kind: "Collaborator", file: "healthy_ready", namespace: "acme", name: "maria",
		health: healthy, message: "assignments in effect", kstatus: status.CurrentStatus},
	{kind: "Collaborator", file: "healthy_account_deactivated", namespace: "dormant", name: "ben",
		health: healthy, message: "Account \"dormant\" is Deactivated", kstatus: status.InProgressStatus,
		gap: "a Deactivated account is a steady state, but Ready False is InProgress to kstatus: Flux waits until its timeout"},
	{kind: "Collaborator", file: "progressing_workcenter_not_found", namespace: "acme", name: "waiting",
		health: progressing, message: "waiting for WorkCenter \"future\"", kstatus: status.InProgressStatus},
	{kind: "Collaborator", file: "degraded_role_requires_member", namespace: "acme", name: "guest-owner",
		health: degraded, message: "cannot hold role \"foreman\"", kstatus: status.FailedStatus},
	{kind: "Collaborator", file: "degraded_duplicate_email", namespace: "acme", name: "copycat",
		health: degraded, message: "already used by Collaborator \"maria\"", kstatus: status.FailedStatus},
	{kind: "Collaborator", file: "degraded_license_limit_exceeded", namespace: "acme", name: "carl",
		health: degraded, message: "Member \"carl\" holds none", kstatus: status.InProgressStatus, gap: gapNotStalled},
	{kind: "Collaborator", file: "degraded_role_terminating", namespace: "acme", name: "dana",
		health: degraded, message: "\"site-lead\" is being deleted", kstatus: status.InProgressStatus, gap: gapNotStalled},
	{kind: "Collaborator", file: "progressing_deletion_blocked", namespace: "keeper", name: "olga",
		health: progressing, message: "last AccountAdministrator", kstatus: status.TerminatingStatus},
	{kind: "Collaborator", file: "progressing_stale_generation", namespace: "acme", name: "maria", stopped: true,
		health: progressing, message: "generation 2 (observed 1)", kstatus: status.InProgressStatus},
	{kind: "Collaborator", file: "progressing_not_reconciled", namespace: "acme", name: "newcomer", stopped: true,
		health: progressing, message: "Waiting for the operator", kstatus: status.CurrentStatus,
		gap:         "no status at all is Current to kstatus: Flux passes an object the operator has not seen yet",
		fluxUnknown: "the expressions cannot read a status that is not there: Unknown, not Current, so Flux waits until its timeout"},
}
