// Command authorizer-client is an application asking the workcenter-operator's
// authorizer (docs/authorization.md) whether a person may do something in a WorkCenter,
// both ways:
//
//   - through the API server: a SubjectAccessReview of authorization.k8s.io, answered by
//     the API server's authorization chain, which asks the authorizer (the cluster's API
//     server runs config/authorization). The application's ServiceAccount needs create on
//     subjectaccessreviews.authorization.k8s.io (the built-in ClusterRole
//     system:auth-delegator has it);
//   - directly: the same SubjectAccessReview posted to the manager's direct endpoint, for
//     clusters whose API server cannot be configured (managed clusters). The
//     ServiceAccount needs the ClusterRole workcenter-operator-authorizer-client-role,
//     bound in the account's namespace; its token is sent as the bearer.
//
// Both answer with the same decision and reason. Usage (as kubectl auth can-i):
//
//	authorizer-client -n acme --as tom.becker@acme-builders.example upload files/tower-a
//	authorizer-client -n acme --as jane.doe@steelworks-partner.example create tasks/tower-a
//	authorizer-client -n acme --as maria.lopez@acme-builders.example users.upgrade account
//
// In a Pod it finds the API server, its token and CA as every client does; elsewhere
// --kubeconfig. The direct endpoint is the webhook Service of config/default, trusted
// with --ca-file (the webhook certificate's CA: the Secret webhook-server-cert's ca.crt).
// Exit code: 0 allowed, 1 not allowed (denied, or no opinion), 2 the question failed.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// The authorizer's group and version (docs/authorization.md, The mapping).
const (
	group   = "procorem.workcenter.io"
	version = "v1alpha1"
)

func main() {
	var (
		kubeconfig, namespace, user, door string
		directURL, caFile, tokenFile      string
	)
	flag.StringVar(&kubeconfig, "kubeconfig", "", "The kubeconfig (default: in a Pod its ServiceAccount, else $KUBECONFIG or ~/.kube/config)")
	flag.StringVar(&namespace, "n", "", "The account's namespace")
	flag.StringVar(&user, "as", "", "The person asked about: the username the API server knows them by (their Collaborator's email, with the identity prefix if there is one)")
	flag.StringVar(&door, "door", "both", "api (through the API server), direct (the manager's direct endpoint) or both")
	flag.StringVar(&directURL, "direct-url", "https://workcenter-operator-webhook-service.workcenter-operator-system.svc/subjectaccessreviews", "The direct endpoint")
	flag.StringVar(&caFile, "ca-file", "", "The CA of the direct endpoint's certificate (default: the system's)")
	flag.StringVar(&tokenFile, "token-file", "/var/run/secrets/kubernetes.io/serviceaccount/token", "The ServiceAccount token the direct endpoint authenticates")
	flag.Parse()
	if flag.NArg() != 2 || namespace == "" || user == "" {
		fmt.Fprintln(os.Stderr, "usage: authorizer-client -n NAMESPACE --as USER VERB RESOURCE[/WORKCENTER]")
		os.Exit(2)
	}
	resource, name, _ := strings.Cut(flag.Arg(1), "/")
	question := authorizationv1.SubjectAccessReviewSpec{
		User: user,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: namespace, Group: group, Version: version, Resource: resource, Verb: flag.Arg(0), Name: name,
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	allowed, failed := true, false
	say := func(how string, st authorizationv1.SubjectAccessReviewStatus, err error) {
		switch {
		case err != nil:
			fmt.Printf("%s: error: %v\n", how, err)
			failed = true
		case st.Allowed:
			fmt.Printf("%s: yes - %s\n", how, st.Reason)
		case st.Denied:
			fmt.Printf("%s: no - %s\n", how, st.Reason)
			allowed = false
		default: // no opinion: nobody allowed it
			fmt.Printf("%s: no (no opinion) - %s\n", how, st.Reason)
			allowed = false
		}
	}
	if door == "api" || door == "both" {
		st, err := askAPIServer(ctx, kubeconfig, question)
		say("through the API server", st, err)
	}
	if door == "direct" || door == "both" {
		st, err := askDirectly(ctx, directURL, caFile, tokenFile, question)
		say("directly", st, err)
	}
	switch {
	case failed:
		os.Exit(2)
	case !allowed:
		os.Exit(1)
	}
}

// askAPIServer creates a SubjectAccessReview: the API server's chain answers it.
func askAPIServer(ctx context.Context, kubeconfig string, q authorizationv1.SubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	cfg, err := rest.InClusterConfig()
	if err != nil || kubeconfig != "" {
		rules := clientcmd.NewDefaultClientConfigLoadingRules()
		rules.ExplicitPath = kubeconfig
		if cfg, err = clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig(); err != nil {
			return authorizationv1.SubjectAccessReviewStatus{}, err
		}
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return authorizationv1.SubjectAccessReviewStatus{}, err
	}
	sar, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: q}, metav1.CreateOptions{})
	if err != nil {
		return authorizationv1.SubjectAccessReviewStatus{}, err
	}
	return sar.Status, nil
}

// askDirectly posts the SubjectAccessReview to the manager's direct endpoint with the
// ServiceAccount's token. A refused caller gets a Kubernetes Status (401, 403), an
// endpoint that cannot answer yet a 503: retry later.
func askDirectly(ctx context.Context, url, caFile, tokenFile string, q authorizationv1.SubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	var none authorizationv1.SubjectAccessReviewStatus
	token, err := os.ReadFile(tokenFile) // projected tokens rotate: read it for each question
	if err != nil {
		return none, err
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return none, err
		}
		tlsConfig.RootCAs = x509.NewCertPool()
		if !tlsConfig.RootCAs.AppendCertsFromPEM(pem) {
			return none, fmt.Errorf("%s holds no PEM certificate", caFile)
		}
	}
	body, err := json.Marshal(authorizationv1.SubjectAccessReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "authorization.k8s.io/v1", Kind: "SubjectAccessReview"},
		Spec:     q,
	})
	if err != nil {
		return none, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return none, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	// One client for the application's life in real code: it keeps the connection.
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig}}
	resp, err := client.Do(req)
	if err != nil {
		return none, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return none, err
	}
	if resp.StatusCode != http.StatusOK {
		var st metav1.Status
		if json.Unmarshal(data, &st) == nil && st.Message != "" {
			return none, fmt.Errorf("%d %s: %s", resp.StatusCode, st.Reason, st.Message)
		}
		return none, fmt.Errorf("%s: %s", resp.Status, data)
	}
	var sar authorizationv1.SubjectAccessReview
	if err := json.Unmarshal(data, &sar); err != nil {
		return none, err
	}
	return sar.Status, nil
}
