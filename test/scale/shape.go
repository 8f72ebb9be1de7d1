//go:build scale

package scale

import (
	"context"
	"fmt"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// shape is an account's size: every object valid, so that everything converges Ready.
type shape struct {
	name          string
	namespaces    int // accounts, one per namespace
	collaborators int // per account; a third of them guests
	workCenters   int // per account
	roles         int // custom roles per account, half member-only, in include chains of 5
	assignments   int // per collaborator, to distinct WorkCenters
	// Assignments by selector and template publish (docs/assignments.md), when regions > 0:
	// the first templates WorkCenters are templates and the next published are published
	// from them in turn (spec.collaboratorsFrom); every other WorkCenter is labelled
	// region=r<i mod regions>; and every selectorEvery-th collaborator (administrators
	// aside) also assigns a role by a selector on one region.
	regions, selectorEvery, templates, published int
}

// regionOf is the region label of WorkCenter i (none for a template).
func (s shape) regionOf(i int) string { return fmt.Sprintf("r%02d", i%s.regions) }

const admins = 2

// objects builds one account's objects in namespace ns, in dependency order (Account,
// roles, WorkCenters, Collaborators).
func (s shape) objects(ns string) []client.Object {
	members := s.collaborators - s.collaborators/3
	out := []client.Object{&v1alpha1.Account{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acct"},
		Spec: v1alpha1.AccountSpec{DisplayName: "Scale " + ns, Licenses: int32(members + 100), State: v1alpha1.AccountActive,
			Picklists: v1alpha1.Picklists{WorkCenterCategories: []v1alpha1.PicklistItem{"Residential", "Commercial"}}},
	}}
	guestSafe := s.roles / 2
	for i := range s.roles {
		r := &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: roleName(i)},
			Spec: v1alpha1.WorkCenterRoleSpec{DisplayName: roleName(i), Levels: v1alpha1.RoleLevels{Files: v1alpha1.LevelStandard, Posts: v1alpha1.LevelStandard}}}
		if i%5 != 0 {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.ObjectName(roleName(i - 1))}
		} else if i < guestSafe {
			r.Spec.Includes = []v1alpha1.ObjectName{v1alpha1.RoleContributor}
		}
		if i >= guestSafe {
			r.Spec.Permissions = []v1alpha1.Permission{"tasks.create"}
		}
		out = append(out, r)
	}
	for i := range s.workCenters {
		wc := &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: wcName(i)},
			Spec: v1alpha1.WorkCenterSpec{DisplayName: wcName(i), Category: "Residential"}}
		if s.regions > 0 {
			switch {
			case i < s.templates:
				wc.Spec.Template = true
			default:
				if i < s.templates+s.published {
					wc.Spec.CollaboratorsFrom = v1alpha1.ObjectName(wcName(i % s.templates))
				}
				wc.Labels = map[string]string{"region": s.regionOf(i)}
			}
		}
		out = append(out, wc)
	}
	for i := range s.collaborators {
		out = append(out, s.collaborator(ns, i))
	}
	return out
}

// collaborator i: the first two are AccountAdministrators, every third a Guest holding
// guest-safe roles only; each holds assignments in distinct WorkCenters.
func (s shape) collaborator(ns string, i int) *v1alpha1.Collaborator {
	c := &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("c%05d", i)},
		Spec: v1alpha1.CollaboratorSpec{Email: fmt.Sprintf("c%05d@scale.example", i), Type: v1alpha1.Member, AdminRole: v1alpha1.AdminRoleNone}}
	guest := i%3 == 2
	if guest {
		c.Spec.Type = v1alpha1.Guest
	}
	if i < admins {
		c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
	}
	guestSafe := s.roles / 2
	for a := range s.assignments {
		role := (i + a) % s.roles
		if guest {
			role = (i + a) % guestSafe
		}
		c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
			Name: v1alpha1.ObjectName(wcName((i*s.assignments + a) % s.workCenters)), Role: v1alpha1.ObjectName(roleName(role))})
	}
	if s.regions > 0 && i >= admins && i%s.selectorEvery == 0 {
		role := (i + s.assignments) % s.roles
		if guest {
			role = (i + s.assignments) % guestSafe
		}
		c.Spec.WorkCenterSelectors = []v1alpha1.WorkCenterSelector{{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{"region": s.regionOf(i / s.selectorEvery)}},
			Role:     v1alpha1.ObjectName(roleName(role))}}
	}
	return c
}

func roleName(i int) string { return fmt.Sprintf("role-%02d", i) }
func wcName(i int) string   { return fmt.Sprintf("wc-%03d", i) }

// minimumWrites is one status write per object (the three built-in roles included) plus
// each finalizer: in-use-protection on every role, account-protection on the Account,
// last-administrator on each AccountAdministrator.
func (s shape) minimumWrites() int {
	perAccount := 1 + s.roles + 3 + s.workCenters + s.collaborators // status
	perAccount += (s.roles + 3) + 1 + admins                        // finalizers
	return perAccount * s.namespaces
}

// objectsPerAccount counts what converges per account, built-in roles included.
func (s shape) objectsPerAccount() int { return 1 + s.roles + 3 + s.workCenters + s.collaborators }

// createAll creates objs with n workers.
func createAll(ctx context.Context, c client.Client, objs []client.Object, n int) error {
	work := make(chan client.Object)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range work {
				if err := c.Create(ctx, o); err != nil {
					errs <- fmt.Errorf("create %s: %w", o.GetName(), err)
					return
				}
			}
		}()
	}
	for _, o := range objs {
		select {
		case work <- o:
		case err := <-errs:
			close(work)
			wg.Wait()
			return err
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
		return nil
	}
}
