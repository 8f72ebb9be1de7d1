// Package config_test renders the kustomize trees under config/ and checks that they
// hold a complete install, the way `kustomize build config/default` would.
package config_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
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
		"Role/workcenter-operator-leader-election-role",
		"Deployment/workcenter-operator-controller-manager",
		"Service/workcenter-operator-controller-manager-metrics-service",
		"Service/workcenter-operator-webhook-service",
		"ValidatingWebhookConfiguration/workcenter-operator-validating-webhook-configuration",
		"Issuer/workcenter-operator-selfsigned-issuer",
		"Certificate/workcenter-operator-serving-cert",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("config/default lacks %s; it renders:\n%s", want, strings.Join(got, "\n"))
		}
	}

	for _, r := range m.Resources() {
		switch r.GetKind() {
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
			if !strings.Contains(string(yaml), "sideEffects: None") {
				t.Errorf("webhooks must declare sideEffects: None so dry-run shows them")
			}
		case "Certificate":
			yaml, _ := r.AsYAML()
			if !strings.Contains(string(yaml), "workcenter-operator-webhook-service.workcenter-operator-system.svc") {
				t.Errorf("serving certificate does not name the webhook Service:\n%s", yaml)
			}
		case "Deployment":
			yaml, _ := r.AsYAML()
			for _, want := range []string{"--leader-elect", "--metrics-secure", "--webhook-cert-path=", "secretName: webhook-server-cert", "containerPort: 9443"} {
				if !strings.Contains(string(yaml), want) {
					t.Errorf("manager Deployment lacks %q", want)
				}
			}
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
