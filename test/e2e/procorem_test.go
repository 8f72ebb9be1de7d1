package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/procorem"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// The kubectl plugin, found by kubectl on PATH, answers from the live cluster exactly
// what it answers offline from the same manifests.
var _ = Describe("kubectl procorem on the live cluster", Ordered, func() {
	const ns = "acme" // the samples' namespace
	var pluginDir, samples string
	// counts are the WorkCenters' counts the moment every object is Ready, as run-local
	// waits for them and then prints them.
	var counts map[string]int32

	BeforeAll(func() {
		samples = filepath.Join(repoRoot, "config", "samples")
		pluginDir = filepath.Join(tmpDir, "plugins")
		Expect(os.MkdirAll(pluginDir, 0o755)).To(Succeed())
		build := exec.Command("go", "build", "-o", filepath.Join(pluginDir, "kubectl-procorem"), "./cmd/kubectl-procorem")
		build.Dir = repoRoot
		out, err := build.CombinedOutput()
		Expect(err).NotTo(HaveOccurred(), "go build: %s", out)
		mustKubectl("apply", "-k", samples)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		Expect(env.WaitReadyIn(ctx, 2*time.Minute, ns)).To(Succeed())
		var wcs v1alpha1.WorkCenterList
		Expect(env.Client.List(ctx, &wcs, client.InNamespace(ns))).To(Succeed())
		counts = map[string]int32{}
		for _, wc := range wcs.Items {
			counts[wc.Name] = wc.Status.Collaborators
		}
		waitReady(ns)
	})

	// make run-local prints `kubectl get procorem -A` once every object is Ready: the
	// counts it shows then are those of what is assigned, never a count on its way.
	It("shows, once everything is Ready, the counts of what is assigned", func() {
		set, err := manifests.Load(manifests.Options{Kustomizations: []string{samples}})
		Expect(err).NotTo(HaveOccurred())
		m := set.Model(ns)
		want := map[string]int32{}
		for _, wc := range m.WorkCenters() {
			want[wc.Name] = m.InEffectAssignments(wc.Name, metav1.Now())
		}
		Expect(want).NotTo(BeEmpty())
		Expect(counts).To(Equal(want), "the WorkCenters' counts when every object was Ready, and those the samples assign")
	})
	AfterAll(func() {
		delete(watched, ns)
		_, _, _ = kubectl("delete", "namespace", ns, "--wait=false")
	})

	// plugin runs `kubectl procorem args...` with the plugin on PATH, as a user would.
	plugin := func(args ...string) (int, string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, env.KubectlPath, append([]string{"procorem"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+pluginDir+string(os.PathListSeparator)+os.Getenv("PATH"), "KUBECONFIG=")
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		GinkgoWriter.Printf("$ kubectl procorem %s\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), out.String(), errOut.String()
		}
		Expect(err).NotTo(HaveOccurred())
		return 0, out.String(), errOut.String()
	}

	It("is discovered by kubectl on PATH", func() {
		code, out, _ := plugin("--help")
		Expect(code).To(Equal(0))
		Expect(out).To(ContainSubstring("kubectl procorem answers access questions"))
	})

	DescribeTable("answers from the cluster what it answers from the manifests",
		func(args ...string) {
			liveCode, live, liveErr := plugin(append(args, "--kubeconfig", env.KubeconfigPath, "-n", ns)...)
			Expect(liveErr).To(BeEmpty())
			var offline, offlineErr bytes.Buffer
			offlineCode := procorem.Main(append(args, "-f", samples), nil, &offline, &offlineErr)
			Expect(offlineErr.String()).To(BeEmpty())
			Expect(liveCode).To(Equal(offlineCode), "exit codes")
			Expect(live).To(Equal(offline.String()))
		},
		Entry("can-i, yes", "can-i", "files.upload", "--as", "jane-doe", "--workcenter", "tower-a"),
		Entry("can-i, no", "can-i", "folders.delete", "--as", "tom.becker@acme-builders.example", "--workcenter", "tower-a"),
		Entry("can-i, cut by an archived WorkCenter", "can-i", "posts.create", "--as", "daniel-kim", "--workcenter", "hq-fitout", "-o", "json"),
		Entry("can-i --list", "can-i", "--list", "--as", "priya-shah", "--workcenter", "harbor-bridge"),
		Entry("who-can --show-denied", "who-can", "collaborators.changeRole", "--workcenter", "tower-a", "--show-denied", "-o", "json"),
		Entry("matrix", "matrix"),
		Entry("access", "access", "sam-okafor", "-o", "json"),
		Entry("can-i a capability, yes", "can-i", "workCenters.delete", "--as", "maria-lopez"),
		Entry("can-i a capability, no", "can-i", "users.upgrade", "--as", "priya.shah@acme-builders.example", "-o", "json"),
		Entry("can-i a capability in a WorkCenter", "can-i", "collaborators.changeRole", "--capability", "--as", "priya-shah", "--workcenter", "tower-a"),
		Entry("can-i --list of capabilities", "can-i", "--list", "--as", "daniel-kim", "-o", "json"),
		Entry("who-can a capability --show-denied", "who-can", "workCenters.edit", "--workcenter", "tower-a", "--show-denied", "-o", "json"),
		Entry("access with capabilities", "access", "priya-shah"),
		Entry("recipients", "recipients", "postDeleted", "--workcenter", "tower-a"),
		Entry("recipients in an archived WorkCenter", "recipients", "postCreated", "--workcenter", "hq-fitout", "-o", "json"),
		Entry("recipients, a person's digest", "recipients", "fileUploaded", "--workcenter", "tower-a", "-o", "json"),
	)

	// The account-level capabilities of docs/administration.md, asked of the live cluster:
	// the answer is the model's decision, allowed (exit 0) or refused (exit 1), with its
	// step and message.
	It("answers an account-level capability, allowed and refused, with the model's message", func() {
		live := func(args ...string) (int, string) {
			code, out, errOut := plugin(append(args, "--kubeconfig", env.KubeconfigPath, "-n", ns)...)
			Expect(errOut).To(BeEmpty())
			return code, out
		}
		code, out := live("can-i", "workCenters.delete", "--as", "MARIA.LOPEZ@acme-builders.example")
		Expect(code).To(Equal(procorem.ExitYes))
		Expect(out).To(Equal("yes\n" +
			"maria-lopez (maria.lopez@acme-builders.example) may workCenters.delete in every WorkCenter: decided by step 5 (memberType) of delegated administration.\n" +
			"> maria-lopez (AccountAdministrator) may workCenters.delete: Account Administrators hold it in every WorkCenter\n"))

		code, out = live("can-i", "workCenters.delete", "--as", "daniel-kim", "--workcenter", "tower-a", "-o", "json")
		Expect(code).To(Equal(procorem.ExitNo))
		var d query.CapabilityDecision
		Expect(json.Unmarshal([]byte(out), &d)).To(Succeed())
		Expect(d).To(Equal(query.CapabilityDecision{
			Collaborator: "daniel-kim", Email: "daniel.kim@acme-builders.example", MemberType: "WorkCenterAdministrator",
			Capability: "workCenters.delete", Scope: "WorkCenter", WorkCenter: "tower-a", Allowed: false,
			Step: "memberType", StepNumber: 5, Rule: "Delegation",
			Message: `daniel-kim (WorkCenterAdministrator) may not workCenters.delete in WorkCenter "tower-a": Account Administrators (maria-lopez) hold it in every WorkCenter`,
		}))

		code, out = live("who-can", "users.upgrade")
		Expect(code).To(Equal(procorem.ExitYes))
		Expect(out).To(HavePrefix("users.upgrade in the account: 1 collaborators can\n"))
		Expect(out).To(ContainSubstring("maria-lopez   AccountAdministrator  maria-lopez (AccountAdministrator) may users.upgrade"))
	})

	// Issue 20: offline, the plugin reads the manifests as the API server would store
	// them. What kubectl apply (its default strict field validation) has the cluster
	// refuse, the plugin refuses to answer from, naming the same field; with
	// --ignore-invalid it answers what the cluster answers once that apply failed.
	It("refuses offline what the cluster refuses, for the same field", func() {
		strict := filepath.Join(repoRoot, "internal", "procorem", "testdata", "strict")
		for file, refusal := range map[string]string{
			"adminrole.yaml": `unknown field "(spec\.)?adminrole"`,
			"superuser.yaml": `spec\.adminRole: Unsupported value: "Superuser"`,
		} {
			path := filepath.Join(strict, file)
			_, stderr, err := kubectl("apply", "-f", path)
			Expect(err).To(HaveOccurred(), "the cluster takes %s", file)
			Expect(stderr).To(MatchRegexp(refusal))
			code, out, errOut := plugin("can-i", "folders.delete", "--as", "eve", "--workcenter", "tower-a", "-f", samples, "-f", path)
			Expect(code).To(Equal(procorem.ExitError))
			Expect(out).To(BeEmpty())
			Expect(errOut).To(HavePrefix("error: the manifests are invalid: the API server would refuse 1 of their 17 objects"))
			Expect(errOut).To(ContainSubstring(filepath.Join(strict, file) + ":"))
		}

		path := filepath.Join(strict, "adminrole.yaml")
		args := []string{"who-can", "folders.delete", "--workcenter", "tower-a", "--show-denied"}
		liveCode, live, liveErr := plugin(append(args, "--kubeconfig", env.KubeconfigPath, "-n", ns)...)
		Expect(liveErr).To(BeEmpty())
		var offline, offlineErr bytes.Buffer
		offlineCode := procorem.Main(append(args, "-f", samples, "-f", path, "--ignore-invalid"), nil, &offline, &offlineErr)
		Expect(offlineCode).To(Equal(liveCode))
		Expect(offline.String()).To(Equal(live))
		Expect(offline.String()).NotTo(ContainSubstring("eve"))
		Expect(offlineErr.String()).To(HavePrefix("warning: left out (--ignore-invalid): " + path + ":11:3: Collaborator/eve: spec.adminrole: Forbidden: unknown field"))

		// A key given twice: kubectl apply -f turns the YAML into JSON before sending it,
		// keeping the last spec, so the cluster never sees the duplicate and would store
		// the second; kubectl apply -k (kustomize) refuses the file. The plugin refuses it
		// through both, rather than answer what depends on the tool.
		twice := filepath.Join(strict, "twospecs.yaml")
		stdout, _, err := kubectl("apply", "--dry-run=server", "-f", twice, "-o", "jsonpath={.spec.adminRole}")
		Expect(err).NotTo(HaveOccurred())
		Expect(stdout).To(Equal("AccountAdministrator"))
		_, _, err = kubectl("apply", "--dry-run=server", "-k", filepath.Join(strict, "twospecs-k"))
		Expect(err).To(HaveOccurred())
		for _, src := range [][]string{{"-f", samples, "-f", twice}, {"-k", filepath.Join(strict, "twospecs-k")}} {
			code, _, errOut := plugin(append([]string{"can-i", "folders.delete", "--as", "eve", "--workcenter", "tower-a"}, src...)...)
			Expect(code).To(Equal(procorem.ExitError))
			Expect(errOut).To(ContainSubstring(":10:1: "))
		}
	})

	It("fails on a question about something the account does not have, in one line", func() {
		code, out, errOut := plugin("can-i", "files.upload", "--as", "nobody", "--workcenter", "tower-a", "--kubeconfig", env.KubeconfigPath, "-n", ns)
		Expect(code).To(Equal(procorem.ExitError))
		Expect(out).To(BeEmpty())
		Expect(strings.TrimSpace(errOut)).To(HavePrefix(`error: unknown collaborator "nobody" in namespace acme; nearest:`))
		Expect(strings.Count(strings.TrimSpace(errOut), "\n")).To(BeZero())
	})

	// The README's delegated administration example (Quick start) is what the cluster
	// answers: each `$ kubectl ...` line of the block that impersonates the samples'
	// people, run as written, prints the lines under it.
	It("answers the README's kubectl --as examples as the README shows", func() {
		readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
		Expect(err).NotTo(HaveOccurred())
		block := readmeBlock(string(readme), "$ kubectl --as priya.shah@acme-builders.example")
		Expect(block).NotTo(BeEmpty(), "the README's delegated administration example")
		for _, ex := range readmeExamples(block) {
			stdout, stderr, _ := kubectl(shellWords(strings.TrimPrefix(ex.command, "kubectl "))...)
			Expect(strings.TrimSpace(stdout+stderr)).To(Equal(ex.output), "$ %s", ex.command)
		}
	})
})

// readmeBlock is the README's ```text block that contains marker.
func readmeBlock(readme, marker string) string {
	for _, part := range strings.Split(readme, "```text\n")[1:] {
		block, _, _ := strings.Cut(part, "```")
		if strings.Contains(block, marker) {
			return block
		}
	}
	return ""
}

type readmeExample struct{ command, output string }

// readmeExamples are a block's `$ command` lines and the output under each.
func readmeExamples(block string) []readmeExample {
	var out []readmeExample
	for _, line := range strings.Split(block, "\n") {
		switch {
		case strings.HasPrefix(line, "$ "):
			out = append(out, readmeExample{command: strings.TrimPrefix(line, "$ ")})
		case len(out) > 0 && strings.TrimSpace(line) != "":
			ex := &out[len(out)-1]
			ex.output = strings.TrimSpace(ex.output + "\n" + line)
		}
	}
	return out
}

// shellWords splits a command line as a shell does for words and single quotes.
func shellWords(line string) []string {
	var words []string
	var word strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, word.String())
	}
	return words
}
