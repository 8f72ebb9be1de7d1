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
// the cluster is Ready for its current generation, every namespace with an Account
// holds the three built-in roles, and every WorkCenter's count is settled: it counts the
// assignments to it that the Collaborators' statuses show in effect (what run-local
// prints then is what is assigned). On timeout the error names what is not Ready and
// why.
func (e *Env) WaitReady(ctx context.Context, timeout time.Duration) error {
	return e.WaitReadyIn(ctx, timeout, "")
}

// WaitReadyIn is WaitReady for the objects of one namespace ("" for every namespace).
func (e *Env) WaitReadyIn(ctx context.Context, timeout time.Duration, namespace string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var notReady []string
	for {
		var err error
		notReady, err = notReadyObjects(ctx, e.Client, namespace)
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

// notReadyObjects lists, sorted, "Kind namespace/name: why" for every object of
// namespace ("" for all) that is not Ready, every missing built-in role, and every
// WorkCenter whose count is not settled.
func notReadyObjects(ctx context.Context, c client.Client, namespace string) ([]string, error) {
	in := client.InNamespace(namespace)
	type obj struct {
		kind       string
		meta       metav1.ObjectMeta
		conditions []metav1.Condition
	}
	var objs []obj
	var accounts v1alpha1.AccountList
	if err := c.List(ctx, &accounts, in); err != nil {
		return nil, err
	}
	for _, o := range accounts.Items {
		objs = append(objs, obj{"Account", o.ObjectMeta, o.Status.Conditions})
	}
	var wcs v1alpha1.WorkCenterList
	if err := c.List(ctx, &wcs, in); err != nil {
		return nil, err
	}
	for _, o := range wcs.Items {
		objs = append(objs, obj{"WorkCenter", o.ObjectMeta, o.Status.Conditions})
	}
	var roles v1alpha1.WorkCenterRoleList
	if err := c.List(ctx, &roles, in); err != nil {
		return nil, err
	}
	haveRole := map[string]bool{}
	for _, o := range roles.Items {
		objs = append(objs, obj{"WorkCenterRole", o.ObjectMeta, o.Status.Conditions})
		haveRole[o.Namespace+"/"+o.Name] = true
	}
	var collabs v1alpha1.CollaboratorList
	if err := c.List(ctx, &collabs, in); err != nil {
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
	out = append(out, unsettledCounts(wcs.Items, collabs.Items)...)
	sort.Strings(out)
	return out, nil
}

// unsettledCounts names the WorkCenters whose status.collaborators is not the number of
// assignments to them that the Collaborators' statuses show in effect (Active or
// Archived): a count the operator has yet to write.
func unsettledCounts(wcs []v1alpha1.WorkCenter, collabs []v1alpha1.Collaborator) []string {
	inEffect := map[string]int32{}
	for _, c := range collabs {
		if !c.DeletionTimestamp.IsZero() {
			continue
		}
		for _, a := range c.Status.WorkCenters {
			if a.State == v1alpha1.AssignmentActive || a.State == v1alpha1.AssignmentArchived {
				inEffect[c.Namespace+"/"+a.Name]++
			}
		}
	}
	var out []string
	for _, wc := range wcs {
		if !wc.DeletionTimestamp.IsZero() {
			continue
		}
		if want := inEffect[wc.Namespace+"/"+wc.Name]; wc.Status.Collaborators != want {
			out = append(out, fmt.Sprintf("WorkCenter %s/%s: counts %d collaborators, the Collaborators show %d assignments in effect",
				wc.Namespace, wc.Name, wc.Status.Collaborators, want))
		}
	}
	return out
}
