package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// checkWebhooksCommand is the manager's one subcommand: what the chart's `helm test`
// Pod runs, with the manager's own image (which has no shell and no kubectl).
const checkWebhooksCommand = "check-webhooks"

// deniedByValidatingWebhook is how the API server words a refusal by the validating
// webhook of WorkCenterRoles.
const deniedByValidatingWebhook = `admission webhook "vworkcenterrole-v1alpha1.access.workcenter.io" denied the request`

// checkWebhooks is `manager check-webhooks --namespace NS`: two dry-run creates of a
// WorkCenterRole in NS through the API server, so that the answers take the path of every
// real request (the webhook configurations and their caBundle, the Service, a ready
// replica). A custom role must come back with the protection finalizer the mutating
// webhook adds; the built-in workcenter-owner must be refused by the validating webhook
// (R9: only the operator creates built-in roles). Nothing is stored. It retries until
// --timeout (a replica not ready yet), then fails with the last answer.
func checkWebhooks(args []string) int {
	fs := flag.NewFlagSet(checkWebhooksCommand, flag.ExitOnError)
	namespace := fs.String("namespace", "", "The namespace of the dry-run creates (the chart's: the release's).")
	timeout := fs.Duration("timeout", time.Minute, "How long to retry before failing.")
	_ = fs.Parse(args)
	if *namespace == "" {
		fmt.Fprintln(os.Stderr, checkWebhooksCommand+": --namespace is required")
		return 2
	}
	cfg, err := ctrl.GetConfig()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", checkWebhooksCommand, err)
		return 1
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", checkWebhooksCommand, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	for {
		err := webhooksAnswer(ctx, c, *namespace)
		if err == nil {
			fmt.Println(checkWebhooksCommand + ": the mutating and validating webhooks answer through the API server")
			return 0
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", checkWebhooksCommand, err)
		select {
		case <-ctx.Done():
			fmt.Fprintf(os.Stderr, "%s: no right answer in %s\n", checkWebhooksCommand, *timeout)
			return 1
		case <-time.After(2 * time.Second):
		}
	}
}

func webhooksAnswer(ctx context.Context, c client.Client, namespace string) error {
	role := func(name string) *v1alpha1.WorkCenterRole {
		return &v1alpha1.WorkCenterRole{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Spec:       v1alpha1.WorkCenterRoleSpec{DisplayName: checkWebhooksCommand},
		}
	}
	custom := role(checkWebhooksCommand)
	if err := c.Create(ctx, custom, client.DryRunAll); err != nil {
		return fmt.Errorf("dry-run create of WorkCenterRole %s/%s: %w", namespace, custom.Name, err)
	}
	if !controllerutil.ContainsFinalizer(custom, v1alpha1.FinalizerInUseProtection) {
		return fmt.Errorf("dry-run create of WorkCenterRole %s/%s: no %s finalizer: the mutating webhook did not answer", namespace, custom.Name, v1alpha1.FinalizerInUseProtection)
	}
	builtIn := role(v1alpha1.RoleWorkCenterOwner)
	err := c.Create(ctx, builtIn, client.DryRunAll)
	if err == nil || !strings.Contains(err.Error(), deniedByValidatingWebhook) {
		return fmt.Errorf("dry-run create of the built-in WorkCenterRole %s/%s: want it denied by the validating webhook (R9), got %v", namespace, builtIn.Name, err)
	}
	return nil
}
