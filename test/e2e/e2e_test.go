package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/workcenter-io/workcenter-operator/internal/localenv"
)

// Specs labelled "webhook" need the validating webhooks (docs/rules.md, the webhook column).
var webhookLabel = Label("webhook")

var _ = Describe("GitOps: a whole account applied from one directory", Ordered, func() {
	const ns = "e2e-gitops"
	dir := filepath.Join("testdata", "gitops")

	It("applies in one command, with references ahead of what they name, and converges to Ready", func() {
		// Collaborators come before the roles, WorkCenters and Account they name, a role
		// before the role it includes: none of that is rejected.
		out := mustKubectl("apply", "-f", dir+"/")
		for _, o := range []string{
			"namespace/e2e-gitops", "account.access.workcenter.io/northwind",
			"workcenter.access.workcenter.io/depot", "workcenterrole.access.workcenter.io/site-lead",
			"collaborator.access.workcenter.io/bob", "collaborator.access.workcenter.io/dave",
		} {
			Expect(out).To(ContainSubstring(o + " created"))
		}
		Eventually(func() error {
			_, _, err := kubectl("get", "-n", ns, "wcrole/read-only", "wcrole/contributor", "wcrole/workcenter-owner")
			return err
		}).Should(Succeed(), "the Account creates the built-in roles")
		waitReady(ns)
		// And by name, as a pipeline would gate on them.
		mustKubectl("wait", "-n", ns, "--for=condition=Ready", "--timeout=60s",
			"account/northwind", "collab/bob", "collab/carol", "wcrole/site-lead", "wc/old-depot")
	})

	It("lists all four kinds under `kubectl get procorem`, with their printer columns", func() {
		headers := map[string]string{
			"Account":        `^NAME\s+DISPLAY NAME\s+STATE\s+MEMBERS\s+GUESTS\s+LICENSES\s+READY\s+AGE$`,
			"WorkCenter":     `^NAME\s+DISPLAY NAME\s+CATEGORY\s+ARCHIVED\s+COLLABORATORS\s+SOURCE\s+READY\s+AGE$`,
			"WorkCenterRole": `^NAME\s+DISPLAY NAME\s+BUILT-IN\s+MEMBER-ONLY\s+ASSIGNMENTS\s+READY\s+AGE$`,
			"Collaborator":   `^NAME\s+EMAIL\s+TYPE\s+ADMIN\s+WORKCENTERS\s+READY\s+REASON\s+AGE$`,
		}
		rows := map[string]string{
			"Account":        `(?m)^account\.access\.workcenter\.io/northwind\s+Northwind Transit\s+Active\s+2\s+2\s+3\s+True\s`,
			"WorkCenter":     `(?m)^workcenter\.access\.workcenter\.io/depot\s+Bus Depot\s+Commercial\s+(false)?\s+2\s+True\s`,
			"WorkCenterRole": `(?m)^workcenterrole\.access\.workcenter\.io/site-lead\s+Site Lead\s+false\s+true\s+1\s+True\s`,
			"Collaborator":   `(?m)^collaborator\.access\.workcenter\.io/carol\s+carol@partner\.example\s+Guest\s+None\s+2\s+True\s+Reconciled\s`,
		}
		// Counts come from other objects and may trail Ready by a reconcile: poll.
		Eventually(func(g Gomega) {
			out, errOut, err := kubectl("get", "procorem", "-n", ns)
			g.Expect(err).NotTo(HaveOccurred(), errOut)
			var got []string
			for _, line := range strings.Split(out, "\n") {
				if strings.HasPrefix(line, "NAME ") {
					got = append(got, strings.TrimSpace(line))
				}
			}
			g.Expect(got).To(HaveLen(4), "one table per kind:\n%s", out)
			for kind, re := range headers {
				g.Expect(got).To(ContainElement(MatchRegexp(re)), "the %s header in:\n%s", kind, out)
				g.Expect(out).To(MatchRegexp(rows[kind]), "a %s row in:\n%s", kind, out)
			}
			// Every object of the directory, and the built-in roles, are listed.
			for _, name := range []string{"northwind", "alice", "bob", "carol", "dave", "depot", "old-depot", "tower",
				"site-lead", "site-engineer", "reviewer", "read-only", "contributor", "workcenter-owner"} {
				g.Expect(out).To(MatchRegexp(`(?m)/`+regexp.QuoteMeta(name)+`\s`), name)
			}
		}).Should(Succeed())
		// Short names work too.
		names := mustKubectl("get", "acct,wc,wcrole,collab", "-n", ns, "-o", "name")
		Expect(strings.Split(strings.TrimSpace(names), "\n")).To(HaveLen(1+3+6+4), names) // account, WorkCenters, roles (3 built-in), collaborators
	})

	It("reports the access model in status", func() {
		// Counts come from other objects and may trail Ready by a reconcile: poll.
		Eventually(jp(ns, "account/northwind", "{.status.members} {.status.guests} {.status.licensesUsed} {.status.workCenters} {.status.archivedWorkCenters}")).
			Should(Equal("2 2 2 3 1"))
		Eventually(jp(ns, "collab/bob", "{.status.licensed} {.status.workCenters[*].state}")).Should(Equal("true Active Active"))
		Eventually(jp(ns, "collab/carol", "{.status.workCenters[*].state}")).Should(Equal("Active Archived"))
		Eventually(jp(ns, "collab/dave", "{.spec.type} {.status.workCenters[0].state}")).Should(Equal("Guest Active"))
		// site-lead includes site-engineer, which includes contributor: kept live.
		Eventually(jp(ns, "wcrole/site-lead", "{.status.permissions}")).Should(And(
			ContainSubstring(`"collaborators.addGuests"`), ContainSubstring(`"tasks.create"`),
			ContainSubstring(`"folders.create"`), ContainSubstring(`"files.upload"`), ContainSubstring(`"workCenter.view"`)))
		Eventually(jp(ns, "wcrole/site-engineer", "{.status.includedBy}")).Should(ContainSubstring("site-lead"))
		Eventually(jp(ns, "wcrole/reviewer", "{.status.memberOnly} {.status.assignments}")).Should(Equal("false 1"))
		Expect(jsonpath(ns, "wcrole/contributor", "{.status.builtIn} {.metadata.labels.access\\.workcenter\\.io/built-in}")).To(Equal("true true"))
	})

	It("leaves nothing to change when the directory is applied again", func() {
		out := mustKubectl("apply", "-f", dir+"/")
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			Expect(line).To(HaveSuffix(" unchanged"))
		}
		mustKubectl("diff", "-f", dir+"/") // exit 0: the live objects are what Git says
	})
})

// expectRejected asserts that kubectl's stderr reports a rejection by the API server.
func expectRejected(stderr string) {
	GinkgoHelper()
	Expect(stderr).To(MatchRegexp(`is invalid|is forbidden|denied the request`))
	Expect(stderr).NotTo(ContainSubstring("(server dry run)"))
}

// The specs of this container are independent of each other: a failure does not skip the rest.
var _ = Describe("Admission, seen through kubectl apply --dry-run=server", Ordered, ContinueOnFailure, func() {
	const ns = "e2e-admission"

	BeforeAll(func() {
		newAccount(ns, `apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata:
  name: site-engineer
  namespace: `+ns+`
spec:
  displayName: Site Engineer
  levels:
    files: Standard
  permissions: [tasks.create, tasks.update]
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata:
  name: tower
  namespace: `+ns+`
spec:
  displayName: Tower
  category: Residential
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: erin
  namespace: `+ns+`
spec:
  email: erin@partner.example
  workCenters:
  - name: tower
    role: contributor
`, "Residential")
	})

	collaborator := func(name, body string) string {
		return `apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: ` + name + `
  namespace: ` + ns + `
spec:
` + body
	}
	// dryRun applies manifest with --dry-run=server and returns stdout, stderr and the error.
	dryRun := func(manifest string) (string, string, error) {
		return kubectlStdin(manifest, "apply", "--dry-run=server", "-f", "-")
	}

	It("accepts a valid object and persists nothing", func() {
		out, errOut, err := dryRun(collaborator("frank", `  email: frank@partner.example
  workCenters:
  - name: tower
    role: read-only
`))
		Expect(err).NotTo(HaveOccurred(), errOut)
		Expect(out).To(ContainSubstring("collaborator.access.workcenter.io/frank created (server dry run)"))
		notFound(ns, "collab/frank")
	})

	It("rejects, by a CRD rule, a Guest that is an administrator (R1)", func() {
		_, errOut, err := dryRun(collaborator("gus", `  email: gus@partner.example
  type: Guest
  adminRole: AccountAdministrator
`))
		Expect(err).To(HaveOccurred())
		Expect(errOut).To(ContainSubstring(`The Collaborator "gus" is invalid`))
		Expect(errOut).To(ContainSubstring("adminRole other than None requires type: Member"))
		notFound(ns, "collab/gus")
	})

	It("rejects a Guest assigned a member-only role, naming the role and its member-only permissions (R2)", webhookLabel, func() {
		_, errOut, err := dryRun(collaborator("gina", `  email: gina@partner.example
  type: Guest
  workCenters:
  - name: tower
    role: site-engineer
`))
		Expect(err).To(HaveOccurred())
		expectRejected(errOut)
		Expect(errOut).To(ContainSubstring("site-engineer"))
		Expect(errOut).To(ContainSubstring("tasks.create"))
		Expect(errOut).To(ContainSubstring("tasks.update"))
		notFound(ns, "collab/gina")
	})

	It("rejects a WorkCenter whose category is not in the Account's picklist (R8)", webhookLabel, func() {
		_, errOut, err := dryRun(`apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata:
  name: rocket
  namespace: ` + ns + `
spec:
  displayName: Rocket Site
  category: Aerospace
`)
		Expect(err).To(HaveOccurred())
		expectRejected(errOut)
		Expect(errOut).To(ContainSubstring("Aerospace"))
		notFound(ns, "wc/rocket")
	})

	It("rejects an edit of a built-in role by anyone but the operator (R9)", webhookLabel, func() {
		_, errOut, err := kubectl("patch", "-n", ns, "wcrole", "contributor", "--dry-run=server",
			"--type=merge", "-p", `{"spec":{"permissions":["tasks.create"]}}`)
		Expect(err).To(HaveOccurred(), "kubectl's admin user is not the operator")
		expectRejected(errOut)
		Expect(errOut).To(ContainSubstring("contributor"))
		Expect(jsonpath(ns, "wcrole/contributor", "{.spec.permissions}")).NotTo(ContainSubstring("tasks.create"))
	})

	It("rejects a second Collaborator with an email already in the account, whatever its case (R5)", webhookLabel, func() {
		_, errOut, err := dryRun(collaborator("erin2", `  email: Erin@Partner.example
`))
		Expect(err).To(HaveOccurred())
		expectRejected(errOut)
		Expect(strings.ToLower(errOut)).To(ContainSubstring("erin@partner.example"))
		Expect(errOut).To(MatchRegexp(`\berin\b`), "names the collaborator that has the email")
		notFound(ns, "collab/erin2")
	})
})

var _ = Describe("Deleting a role that is still assigned (R6)", Ordered, ContinueOnFailure, func() {
	const ns = "e2e-role-in-use"
	var deleteStderr string

	BeforeAll(func() {
		newAccount(ns, `apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenterRole
metadata:
  name: inspector
  namespace: `+ns+`
spec:
  displayName: Inspector
  includes: [read-only]
---
apiVersion: access.workcenter.io/v1alpha1
kind: WorkCenter
metadata:
  name: bridge
  namespace: `+ns+`
spec:
  displayName: Bridge
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: gina
  namespace: `+ns+`
spec:
  email: gina@inspections.example
  workCenters:
  - name: bridge
    role: inspector
---
apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: hank
  namespace: `+ns+`
spec:
  email: hank@inspections.example
  type: Member
  workCenters:
  - name: bridge
    role: inspector
`)
		Expect(jsonpath(ns, "wcrole/inspector", "{.status.assignments}")).To(Equal("2"))
	})

	It("keeps it Terminating, with DeletionBlocked True RoleInUse naming the users", func() {
		out, errOut, err := kubectl("delete", "-n", ns, "wcrole", "inspector", "--wait=false")
		Expect(err).NotTo(HaveOccurred(), "a deletion is never denied: %s", errOut)
		Expect(out).To(ContainSubstring(`workcenterrole.access.workcenter.io "inspector" deleted`))
		deleteStderr = errOut

		Expect(jsonpath(ns, "wcrole/inspector", "{.metadata.deletionTimestamp}")).NotTo(BeEmpty())
		Expect(jsonpath(ns, "wcrole/inspector", "{.metadata.finalizers}")).To(ContainSubstring("access.workcenter.io/in-use-protection"))
		cond := `{.status.conditions[?(@.type=="DeletionBlocked")]`
		Eventually(func() string {
			return jsonpath(ns, "wcrole/inspector", cond+`.status}/`+cond+`.reason}`)
		}).Should(Equal("True/RoleInUse"))
		msg := jsonpath(ns, "wcrole/inspector", cond+".message}")
		Expect(msg).To(ContainSubstring("gina"))
		Expect(msg).To(ContainSubstring("hank"))
	})

	It("warned on delete, naming the users", webhookLabel, func() {
		Expect(deleteStderr).To(ContainSubstring("Warning:"))
		Expect(deleteStderr).To(ContainSubstring("gina"))
		Expect(deleteStderr).To(ContainSubstring("hank"))
	})

	It("rejects a new assignment to the role while it is being deleted (R10)", webhookLabel, func() {
		_, errOut, err := kubectlStdin(`apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: ivan
  namespace: `+ns+`
spec:
  email: ivan@inspections.example
  workCenters:
  - name: bridge
    role: inspector
`, "apply", "--dry-run=server", "-f", "-")
		Expect(err).To(HaveOccurred())
		expectRejected(errOut)
		Expect(errOut).To(ContainSubstring("inspector"))
		notFound(ns, "collab/ivan")
	})

	It("lets it go once its last assignment is removed", func() {
		mustKubectl("patch", "-n", ns, "collab", "gina", "--type=json", "-p", `[{"op":"remove","path":"/spec/workCenters"}]`)
		cond := `{.status.conditions[?(@.type=="DeletionBlocked")]`
		Eventually(func() string {
			return jsonpath(ns, "wcrole/inspector", cond+".message}")
		}).Should(And(ContainSubstring("hank"), Not(ContainSubstring("gina"))))
		Expect(jsonpath(ns, "wcrole/inspector", "{.metadata.name}")).To(Equal("inspector"), "still held for hank")

		// The GitOps way: apply hank's manifest without the assignment.
		mustApply(`apiVersion: access.workcenter.io/v1alpha1
kind: Collaborator
metadata:
  name: hank
  namespace: ` + ns + `
spec:
  email: hank@inspections.example
  type: Member
`)
		mustKubectl("wait", "-n", ns, "--for=delete", "wcrole/inspector", "--timeout=60s")
		notFound(ns, "wcrole/inspector")
	})
})

var _ = Describe("make run-local's error paths", func() {
	It("refuses a port that is in use, in one line, before starting anything", func() {
		assets := localenv.FindAssetsDir(repoRoot)
		err := localenv.Preflight(assets, "127.0.0.1", env.Port)
		Expect(err).To(MatchError(fmt.Sprintf(
			"port %d is already in use (is another run-local running?); stop it or set RUN_LOCAL_PORT", env.Port)))

		_, err = localenv.Start(context.Background(), localenv.Options{
			RepoRoot: repoRoot, Port: env.Port, KubeconfigPath: filepath.Join(tmpDir, "second", "kubeconfig"),
			Operator: setupOperator,
		})
		var inUse *localenv.PortInUseError
		Expect(errors.As(err, &inUse)).To(BeTrue(), "got %v", err)
		Expect(filepath.Join(tmpDir, "second")).NotTo(BeADirectory(), "nothing was written")
	})

	It("says which binary is missing and how to build it", func() {
		empty := GinkgoT().TempDir()
		Expect(localenv.Preflight(empty, "127.0.0.1", 0)).To(MatchError(
			"kube-apiserver not found in " + empty + ": run `make envtest`"))
	})

	It("prints those errors from the run-local command and exits 1", func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			Skip("no go command on PATH to build hack/run-local")
		}
		bin := filepath.Join(tmpDir, "run-local")
		build := exec.Command(goBin, "build", "-o", bin, "./hack/run-local")
		build.Dir = repoRoot
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "go build ./hack/run-local: %s", out)

		run := func(extraEnv ...string) (string, string, int) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), extraEnv...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			Expect(errors.As(err, &exit)).To(BeTrue(), "run-local should fail, got %v; stdout: %s", err, stdout.String())
			return stdout.String(), stderr.String(), exit.ExitCode()
		}

		stdout, stderr, code := run(fmt.Sprintf("RUN_LOCAL_PORT=%d", env.Port))
		Expect(code).To(Equal(1))
		Expect(stdout).To(BeEmpty())
		Expect(stderr).To(Equal(fmt.Sprintf(
			"run-local: port %d is already in use (is another run-local running?); stop it or set RUN_LOCAL_PORT\n", env.Port)))

		empty := GinkgoT().TempDir()
		_, stderr, code = run("KUBEBUILDER_ASSETS=" + empty)
		Expect(code).To(Equal(1))
		Expect(stderr).To(Equal("run-local: kube-apiserver not found in " + empty + ": run `make envtest`\n"))
	})
})
