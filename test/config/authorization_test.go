package config_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/load"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authorizationcel "k8s.io/apiserver/pkg/authorization/cel"
	"k8s.io/client-go/tools/clientcmd"
)

// config/authorization is what an API server is given to ask the authorizer
// (docs/authorization.md): an AuthorizationConfiguration the API server accepts (its own
// loader and validation, CEL included), with the chain Node, the authorizer, RBAC; the
// authorizer's failure policy NoOpinion, no caching, SubjectAccessReview v1; and match
// conditions that send it exactly the questions about procorem.workcenter.io.
func TestAuthorizationConfiguration(t *testing.T) {
	dir := filepath.Join("..", "..", "config", "authorization")
	data, err := os.ReadFile(filepath.Join(dir, "authorization-config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := load.LoadFromData(data)
	if err != nil {
		t.Fatalf("the API server's loader refuses it: %v", err)
	}
	var types []string
	var hook *api.WebhookConfiguration
	for _, a := range cfg.Authorizers {
		types = append(types, string(a.Type))
		if a.Type == api.TypeWebhook {
			hook = a.Webhook
		}
	}
	if want := []string{"Node", "Webhook", "RBAC"}; !slices.Equal(types, want) {
		t.Fatalf("authorizers %v, want %v: the authorizer's answers come before RBAC's", types, want)
	}
	if hook.FailurePolicy != api.FailurePolicyNoOpinion || hook.SubjectAccessReviewVersion != "v1" || hook.MatchConditionSubjectAccessReviewVersion != "v1" {
		t.Errorf("failurePolicy %s, subjectAccessReviewVersion %s, matchConditionSubjectAccessReviewVersion %s; want NoOpinion, v1, v1 (docs/authorization.md)",
			hook.FailurePolicy, hook.SubjectAccessReviewVersion, hook.MatchConditionSubjectAccessReviewVersion)
	}
	if hook.CacheAuthorizedRequests || hook.CacheUnauthorizedRequests {
		t.Error("the API server caches the authorizer's answers: a change would wait for the TTL")
	}
	if hook.ConnectionInfo.Type != api.AuthorizationWebhookConnectionInfoTypeKubeConfigFile || hook.ConnectionInfo.KubeConfigFile == nil ||
		filepath.Base(*hook.ConnectionInfo.KubeConfigFile) != "authorizer-kubeconfig.yaml" {
		t.Fatalf("connectionInfo %+v, want the KubeConfigFile authorizer-kubeconfig.yaml", hook.ConnectionInfo)
	}

	// The kubeconfig next to it is one, and points at the authorizer's path.
	kubeconfig, err := filepath.Abs(filepath.Join(dir, "authorizer-kubeconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		t.Fatalf("authorizer-kubeconfig.yaml: %v", err)
	}
	cluster := kc.Clusters[kc.Contexts[kc.CurrentContext].Cluster]
	if cluster == nil || !strings.HasSuffix(cluster.Server, "/authorize") || cluster.TLSServerName == "" || cluster.CertificateAuthority == "" {
		t.Errorf("authorizer-kubeconfig.yaml's cluster %+v: want a server ending in /authorize, a tls-server-name and a certificate-authority", cluster)
	}

	// The API server's validation, with the kubeconfig found where this repository has it.
	*hook.ConnectionInfo.KubeConfigFile = kubeconfig
	compiler := authorizationcel.NewDefaultCompiler()
	if errs := validation.ValidateAuthorizationConfiguration(compiler, nil, cfg,
		sets.New("Node", "RBAC", "Webhook", "ABAC", "AlwaysAllow", "AlwaysDeny"), sets.New("Webhook")); len(errs) > 0 {
		t.Fatalf("the API server's validation refuses it: %v", errs.ToAggregate())
	}

	matcher, errs := validation.ValidateAndCompileMatchConditions(compiler, hook.MatchConditions)
	if len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	resource := func(user, group, resource string) *authorizationv1.SubjectAccessReview {
		return &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: "acme", Group: group, Resource: resource, Verb: "upload", Name: "tower-a"}}}
	}
	for name, tc := range map[string]struct {
		review *authorizationv1.SubjectAccessReview
		asked  bool
	}{
		"a person's question":       {resource("tom.becker@acme-builders.example", "procorem.workcenter.io", "files"), true},
		"a capability":              {resource("maria.lopez@acme-builders.example", "procorem.workcenter.io", "account"), true},
		"as kubectl sends it":       {resource("tom.becker@acme-builders.example", "", "files.procorem.workcenter.io"), true},
		"another group's, so":       {resource("tom.becker@acme-builders.example", "", "deployments.apps"), false},
		"the direct endpoint's, so": {resource("system:serviceaccount:docs:docs", "", "subjectaccessreviews.procorem.workcenter.io"), false},
		"a person asking about it":  {resource("tom.becker@acme-builders.example", "procorem.workcenter.io", "subjectaccessreviews"), false},
		"another group":             {resource("tom.becker@acme-builders.example", "apps", "deployments"), false},
		"the core group":            {resource("tom.becker@acme-builders.example", "", "pods"), false},
		"the direct endpoint's own": {resource("system:serviceaccount:docs:docs", "procorem.workcenter.io", "subjectaccessreviews"), false},
		"a ServiceAccount":          {resource("system:serviceaccount:docs:docs", "procorem.workcenter.io", "files"), false},
		"a node":                    {resource("system:node:worker-1", "procorem.workcenter.io", "files"), false},
		"a non-resource question": {&authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "tom",
			NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: "/healthz", Verb: "get"}}}, false},
	} {
		got, err := matcher.Eval(context.Background(), tc.review)
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if got != tc.asked {
			t.Errorf("%s: the authorizer is asked: %v, want %v", name, got, tc.asked)
		}
	}
}
