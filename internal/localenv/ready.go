package localenv

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// WaitReady waits until every Account, WorkCenter, WorkCenterRole and Collaborator in
// the cluster is Ready for its current generation, and every namespace with an Account
// holds the three built-in roles. On timeout the error names what is not Ready and why.
func (e *Env) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var notReady []string
	for {
		var err error
		notReady, err = notReadyObjects(ctx, e.Client)
		if err == nil && len(notReady) == 0 {
			return nil
		}
		if err != nil {
			notReady = []string{err.Error()}
		}
		select {
		case <-ctx.Done():
			const max = 5
			more := ""
			if len(notReady) > max {
				more = fmt.Sprintf(" (and %d more)", len(notReady)-max)
				notReady = notReady[:max]
			}
			return fmt.Errorf("not Ready after %s: %s%s", timeout, strings.Join(notReady, "; "), more)
		case <-e.Done():
			return fmt.Errorf("the manager stopped: %v", e.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// notReadyObjects lists, sorted, "Kind namespace/name: why" for every object that is
// not Ready, and every missing built-in role.
func notReadyObjects(ctx context.Context, c client.Client) ([]string, error) {
	type obj struct {
		kind       string
		meta       metav1.ObjectMeta
		conditions []metav1.Condition
	}
	var objs []obj
	var accounts v1alpha1.AccountList
	if err := c.List(ctx, &accounts); err != nil {
		return nil, err
	}
	for _, o := range accounts.Items {
		objs = append(objs, obj{"Account", o.ObjectMeta, o.Status.Conditions})
	}
	var wcs v1alpha1.WorkCenterList
	if err := c.List(ctx, &wcs); err != nil {
		return nil, err
	}
	for _, o := range wcs.Items {
		objs = append(objs, obj{"WorkCenter", o.ObjectMeta, o.Status.Conditions})
	}
	var roles v1alpha1.WorkCenterRoleList
	if err := c.List(ctx, &roles); err != nil {
		return nil, err
	}
	haveRole := map[string]bool{}
	for _, o := range roles.Items {
		objs = append(objs, obj{"WorkCenterRole", o.ObjectMeta, o.Status.Conditions})
		haveRole[o.Namespace+"/"+o.Name] = true
	}
	var collabs v1alpha1.CollaboratorList
	if err := c.List(ctx, &collabs); err != nil {
		return nil, err
	}
	for _, o := range collabs.Items {
		objs = append(objs, obj{"Collaborator", o.ObjectMeta, o.Status.Conditions})
	}

	var out []string
	for _, a := range accounts.Items {
		for _, r := range v1alpha1.BuiltInRoleNames {
			if !haveRole[a.Namespace+"/"+r] {
				out = append(out, fmt.Sprintf("WorkCenterRole %s/%s: built-in role not created yet", a.Namespace, r))
			}
		}
	}
	for _, o := range objs {
		id := fmt.Sprintf("%s %s/%s", o.kind, o.meta.Namespace, o.meta.Name)
		ready := meta.FindStatusCondition(o.conditions, v1alpha1.ConditionReady)
		switch {
		case ready == nil:
			out = append(out, id+": no Ready condition yet (is the operator running?)")
		case ready.ObservedGeneration != o.meta.Generation:
			out = append(out, fmt.Sprintf("%s: generation %d not reconciled yet", id, o.meta.Generation))
		case ready.Status != metav1.ConditionTrue:
			out = append(out, fmt.Sprintf("%s: Ready=%s %s: %s", id, ready.Status, ready.Reason, ready.Message))
		}
	}
	sort.Strings(out)
	return out, nil
}
