// Package config_test renders the kustomize trees under config/ and checks that they
// hold a complete install, the way `kustomize build config/default` would.
package config_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	sigsyaml "sigs.k8s.io/yaml"
)

func build(t *testing.T, dir string) resmap.ResMap {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join("..", "..", "config", dir))
	if err != nil {
		t.Fatalf("kustomize build config/%s: %v", dir, err)
	}
	return m
}

func kinds(m resmap.ResMap) []string {
	var out []string
	for _, r := range m.Resources() {
		out = append(out, r.GetKind()+"/"+r.GetName())
	}
	slices.Sort(out)
	return out
}

func TestDefaultIsACompleteInstall(t *testing.T) {
	m := build(t, "default")
	got := kinds(m)
	for _, want := range []string{
		"CustomResourceDefinition/accounts.access.workcenter.io",
		"CustomResourceDefinition/workcenters.access.workcenter.io",
		"CustomResourceDefinition/workcenterroles.access.workcenter.io",
		"CustomResourceDefinition/collaborators.access.workcenter.io",
		"Namespace/workcenter-operator-system",
		"ServiceAccount/workcenter-operator-controller-manager",
		"ClusterRole/workcenter-operator-manager-role",
		"ClusterRoleBinding/workcenter-operator-manager-rolebinding",
		"ClusterRole/workcenter-operator-authorizer-client-role",
		"Role/workcenter-operator-leader-election-role",
		"Deployment/workcenter-operator-controller-manager",
		"PodDisruptionBudget/workcenter-operator-controller-manager",
		"Service/workcenter-operator-controller-manager-metrics-service",
		"Service/workcenter-operator-webhook-service",
		"ValidatingWebhookConfiguration/workcenter-operator-validating-webhook-configuration",
		"MutatingWebhookConfiguration/workcenter-operator-mutating-webhook-configuration",
		"Issuer/workcenter-operator-selfsigned-issuer",
		"Certificate/workcenter-operator-serving-cert",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("config/default lacks %s; it renders:\n%s", want, strings.Join(got, "\n"))
		}
	}

	for _, r := range m.Resources() {
		switch r.GetKind() {
		case "MutatingWebhookConfiguration":
			ann := r.GetAnnotations()["cert-manager.io/inject-ca-from"]
			if ann != "workcenter-operator-system/workcenter-operator-serving-cert" {
				t.Errorf("mutating webhook configuration: cert-manager.io/inject-ca-from = %q", ann)
			}
			yaml, _ := r.AsYAML()
			var mwc admissionregistrationv1.MutatingWebhookConfiguration
			if err := sigsyaml.Unmarshal(yaml, &mwc); err != nil {
				t.Fatal(err)
			}
			covered := map[string]bool{}
			for _, w := range mwc.Webhooks {
				// A protection finalizer must not be skipped because the webhook was
				// unreachable: creates and updates wait for it.
				if w.FailurePolicy == nil || *w.FailurePolicy != admissionregistrationv1.Fail {
					t.Errorf("mutating webhook %s: failurePolicy %v, want Fail", w.Name, w.FailurePolicy)
				}
				if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
					t.Errorf("mutating webhook %s must declare sideEffects: None", w.Name)
				}
				if w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 {
					t.Errorf("mutating webhook %s: timeoutSeconds %v, want at most 10", w.Name, w.TimeoutSeconds)
				}
				for _, rule := range w.Rules {
					for _, res := range rule.Resources {
						covered[res] = slices.Contains(rule.Operations, admissionregistrationv1.Create)
					}
				}
			}
			for _, kind := range []string{"accounts", "workcenterroles", "collaborators"} {
				if !covered[kind] {
					t.Errorf("the mutating webhooks do not give %s their protection finalizer at creation", kind)
				}
			}
		case "ValidatingWebhookConfiguration":
			ann := r.GetAnnotations()["cert-manager.io/inject-ca-from"]
			if ann != "workcenter-operator-system/workcenter-operator-serving-cert" {
				t.Errorf("webhook configuration: cert-manager.io/inject-ca-from = %q", ann)
			}
			yaml, _ := r.AsYAML()
			for _, kind := range []string{"accounts", "workcenters", "workcenterroles", "collaborators"} {
				if !strings.Contains(string(yaml), "- "+kind) {
					t.Errorf("webhook configuration does not cover %s", kind)
				}
			}
			var vwc admissionregistrationv1.ValidatingWebhookConfiguration
			deleteEntries := map[string]int{}
			if err := sigsyaml.Unmarshal(yaml, &vwc); err != nil {
				t.Fatal(err)
			}
			for _, w := range vwc.Webhooks {
				if w.SideEffects == nil || *w.SideEffects != admissionregistrationv1.SideEffectClassNone {
					t.Errorf("webhook %s must declare sideEffects: None so --dry-run=server shows it", w.Name)
				}
				// Well under the API server's 30s limit: a stuck webhook fails fast.
				if w.TimeoutSeconds == nil || *w.TimeoutSeconds > 10 {
					t.Errorf("webhook %s: timeoutSeconds %v, want at most 10", w.Name, w.TimeoutSeconds)
				}
				// Creates and updates must not slip past an unreachable webhook, nor a
				// person's deletion (a Collaborator's may be refused); the deletions of
				// the cluster's own users (system:...) only warn, and an unreachable
				// webhook must not block them (a namespace being emptied).
				want := admissionregistrationv1.Fail
				deletes := slices.ContainsFunc(w.Rules, func(r admissionregistrationv1.RuleWithOperations) bool {
					return slices.Contains(r.Operations, admissionregistrationv1.Delete)
				})
				conditions := map[string]string{}
				for _, c := range w.MatchConditions {
					conditions[c.Name] = c.Expression
				}
				const systemUser = "request.userInfo.username.startsWith('system:')"
				switch {
				case deletes && conditions["system"] == systemUser && len(conditions) == 1:
					want = admissionregistrationv1.Ignore
				case deletes && conditions["person"] == "!"+systemUser && len(conditions) == 1:
				default:
					if deletes || len(conditions) > 0 {
						t.Errorf("webhook %s: DELETE must go to a pair of entries, for people and for system users: conditions %v", w.Name, conditions)
					}
				}
				if deletes {
					for _, r := range w.Rules {
						for _, res := range r.Resources {
							deleteEntries[res+"/"+string(want)]++
						}
					}
				}
				if w.FailurePolicy == nil || *w.FailurePolicy != want {
					t.Errorf("webhook %s: failurePolicy %v, want %s", w.Name, w.FailurePolicy, want)
				}
			}
			for _, kind := range []string{"accounts", "workcenters", "workcenterroles", "collaborators"} {
				if deleteEntries[kind+"/Fail"] != 1 || deleteEntries[kind+"/Ignore"] != 1 {
					t.Errorf("%s: DELETE entries %v, want one for people (Fail) and one for system users (Ignore)", kind, deleteEntries)
				}
			}
		case "Certificate":
			yaml, _ := r.AsYAML()
			service := "workcenter-operator-webhook-service.workcenter-operator-system.svc"
			if r.GetName() == "workcenter-operator-metrics-certs" {
				service = "workcenter-operator-controller-manager-metrics-service.workcenter-operator-system.svc"
			}
			if !strings.Contains(string(yaml), service) {
				t.Errorf("certificate %s does not name its Service %s:\n%s", r.GetName(), service, yaml)
			}
		case "Deployment":
			yaml, _ := r.AsYAML()
			for _, want := range []string{"--leader-elect", "--metrics-secure", "--webhook-cert-path=", "secretName: webhook-server-cert", "containerPort: 9443",
				"--metrics-cert-path=/tmp/k8s-metrics-server/metrics-certs", "secretName: metrics-server-cert",
				"replicas: 2", "--shutdown-delay=5s", "terminationGracePeriodSeconds: 30", "path: /readyz",
				"topologyKey: kubernetes.io/hostname", "topologyKey: topology.kubernetes.io/zone", "whenUnsatisfiable: ScheduleAnyway"} {
				if !strings.Contains(string(yaml), want) {
					t.Errorf("manager Deployment lacks %q", want)
				}
			}
		}
	}
}

// The optional pieces config/default names in comments build once uncommented: the
// NetworkPolicy (../network-policy) and the priority class patch. test/install compares
// each with the chart's value that turns it on.
func TestDefaultsOptionalPiecesBuild(t *testing.T) {
	for dir, want := range map[string]string{"network-policy": "NetworkPolicy/controller-manager"} {
		if got := kinds(build(t, dir)); !slices.Contains(got, want) {
			t.Errorf("config/%s renders %v, want %s", dir, got, want)
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "default", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"#- ../network-policy", "#- path: manager_priority_patch.yaml"} {
		if !strings.Contains(string(b), "\n"+line+"\n") {
			t.Errorf("config/default/kustomization.yaml lacks the line %q", line)
		}
	}
}

func TestSamplesRender(t *testing.T) {
	m := build(t, "samples")
	counts := map[string]int{}
	for _, r := range m.Resources() {
		counts[r.GetKind()]++
	}
	for _, kind := range []string{"Account", "WorkCenter", "WorkCenterRole", "Collaborator"} {
		if counts[kind] == 0 {
			t.Errorf("config/samples has no %s", kind)
		}
	}
	if counts["Account"] != 1 {
		t.Errorf("config/samples must hold exactly one Account, has %d", counts["Account"])
	}
}
