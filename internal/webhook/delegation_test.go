package webhook_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/testenv/kstatus"
)

// Delegated administration (docs/administration.md) through the real API server: people
// of an account act as themselves, impersonated by envtest's admin, and admission judges
// each request as the Collaborator whose email is the request's username. RBAC lets
// every person do everything on the four kinds (peopleGroup), so that admission alone
// decides what they may change.
//
// Each spec has an account of its own (delegationAccount), with one person of each member
// type and two Members whose WorkCenter roles manage collaborators, as the model's table
// tests (internal/model/administration_test.go):
//
//	maria, ana  AccountAdministrator
//	daniel      WorkCenterAdministrator
//	uma         UserAdministrator   tower-a=site-engineer
//	priya       Member              tower-a=workcenter-owner
//	carl        Member              tower-a=coordinator, old-depot=workcenter-owner
//	tom         Member              tower-a=site-engineer
//	mo          Member              tower-a=contributor, tower-b=read-only
//	jane        Guest               tower-a=contributor
//
// WorkCenters tower-a (category civil), tower-b and old-depot (archived); custom roles
// site-engineer, coordinator (adds, removes and changes collaborators, edits settings)
// and spare (unused).

// peopleGroup is the group every impersonated person is in: RBAC lets it do everything
// on the four kinds, so that only admission decides.
const peopleGroup = "workcenter-test:people"

var (
	peopleRBAC sync.Once
	actorsMu   sync.Mutex
	actors     = map[string]actor{}
)

// allowPeople binds peopleGroup to every verb on the four kinds, cluster-wide, and waits
// until the API server's authorizer says so.
func allowPeople() {
	peopleRBAC.Do(func() {
		role := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: "workcenter-test-people"},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{v1alpha1.GroupVersion.Group},
				Resources: []string{"accounts", "workcenters", "workcenterroles", "collaborators"},
				Verbs:     []string{"*"},
			}},
		}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "workcenter-test-people"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: peopleGroup}},
		}
		for _, o := range []client.Object{role, binding} {
			Expect(client.IgnoreAlreadyExists(k8sClient.Create(ctx, o))).To(Succeed())
		}
		Eventually(func(g Gomega) {
			review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
				User: "probe@example.com", Groups: []string{peopleGroup},
				ResourceAttributes: &authorizationv1.ResourceAttributes{
					Group: v1alpha1.GroupVersion.Group, Resource: "collaborators", Verb: "delete", Namespace: "any"},
			}}
			g.Expect(k8sClient.Create(ctx, review)).To(Succeed())
			g.Expect(review.Status.Allowed).To(BeTrue(), "RBAC does not let %s delete collaborators yet", peopleGroup)
		}).Should(Succeed())
	})
}

// impersonating is a direct client as username in groups (envtest's admin impersonates
// it), collecting its warnings; one per username and groups.
func impersonating(username string, groups ...string) actor {
	actorsMu.Lock()
	defer actorsMu.Unlock()
	id := username + "|" + strings.Join(groups, ",")
	if a, ok := actors[id]; ok {
		a.warnings.take()
		return a
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: username, Groups: groups}
	a := newActor(cfg)
	actors[id] = a
	return a
}

// person is the fixture's person name (email name@example.com), with RBAC's leave to
// do everything on the four kinds.
func person(name string) actor { return user(email(name)) }

// user is a username of peopleGroup.
func user(username string) actor {
	allowPeople()
	return impersonating(username, peopleGroup, "system:authenticated")
}

func email(name string) string { return name + "@example.com" }

// References to the fixture's objects by name.
func collaboratorIn(ns, name string) *v1alpha1.Collaborator {
	return &v1alpha1.Collaborator{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func workCenterIn(ns, name string) *v1alpha1.WorkCenter {
	return &v1alpha1.WorkCenter{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func roleIn(ns, name string) *v1alpha1.WorkCenterRole {
	return &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
}

func accountIn(ns string) *v1alpha1.Account {
	return &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "acme"}}
}

// delegationAccount returns a namespace of its own with the account described above, as
// the operator created it, once the webhooks see all of it, its built-in roles included.
// The controllers take a moment to give an Account its built-in roles, and the specs are
// many, each with an account of its own: accounts are prepared accountsAhead ahead, in
// the background, so that a spec rarely waits for one. Every object of the namespace
// keeps the kstatus invariants after the spec, as the suite checks for newNamespace's.
func delegationAccount() string {
	accountPool.Lock()
	for len(accountPool.ready) <= accountsAhead {
		ch := make(chan preparedAccount, 1)
		go func() {
			ns, err := prepareAccount()
			ch <- preparedAccount{ns, err}
		}()
		accountPool.ready = append(accountPool.ready, ch)
	}
	next := accountPool.ready[0]
	accountPool.ready = accountPool.ready[1:]
	accountPool.Unlock()
	p := <-next
	Expect(p.err).NotTo(HaveOccurred(), "preparing an account")
	DeferCleanup(func() {
		violations, err := kstatus.NamespaceViolations(ctx, k8sClient, p.ns)
		Expect(err).NotTo(HaveOccurred())
		Expect(violations).To(BeEmpty(), "kstatus invariants broken")
	})
	return p.ns
}

const accountsAhead = 2

var accountPool struct {
	sync.Mutex
	ready []chan preparedAccount
}

type preparedAccount struct {
	ns  string
	err error
}

// prepareAccount creates a namespace and the account's objects in it, all at once, and
// waits until the webhooks see them and the built-in roles. It runs outside specs: it
// returns what went wrong rather than failing one.
func prepareAccount() (string, error) {
	namespace := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "wh-deleg-"}}
	if err := k8sClient.Create(ctx, namespace); err != nil {
		return "", err
	}
	ns := namespace.Name
	acct := newAccount(ns, "acme", 10, "civil", "electrical")
	acct.Spec.Picklists.FileTypes = []v1alpha1.PicklistItem{"drawing", "photo"}
	acct.Spec.Picklists.FileStatuses = []v1alpha1.PicklistItem{"draft", "final"}
	siteEngineer := newRole(ns, "site-engineer", includes(v1alpha1.RoleContributor),
		perms("tasks.create", "tasks.update", "tasks.manageAssignees"))
	siteEngineer.Spec.Levels = v1alpha1.RoleLevels{Folders: v1alpha1.LevelStandard, Tasks: v1alpha1.LevelStandard}
	member := func(name string, assign ...string) *v1alpha1.Collaborator {
		return newCollaborator(ns, name, v1alpha1.Member, assign...)
	}
	objs := []client.Object{
		acct,
		newWorkCenter(ns, "tower-a", "civil"), newWorkCenter(ns, "tower-b", ""),
		fixtures.WorkCenter(ns, "old-depot", fixtures.Archived),
		siteEngineer,
		newRole(ns, "coordinator", includes("site-engineer"),
			perms("collaborators.addGuests", "collaborators.changeRole", "collaborators.remove", "workCenter.editSettings")),
		newRole(ns, "spare"),
		accountAdmin(member("maria")),
		accountAdmin(member("ana")),
		fixtures.Admin(v1alpha1.AdminRoleWorkCenterAdministrator, member("daniel")),
		fixtures.Admin(v1alpha1.AdminRoleUserAdministrator, member("uma", "tower-a=site-engineer")),
		member("priya", "tower-a=workcenter-owner"),
		member("carl", "tower-a=coordinator", "old-depot=workcenter-owner"),
		member("tom", "tower-a=site-engineer"),
		member("mo", "tower-a=contributor", "tower-b=read-only"),
		newCollaborator(ns, "jane", v1alpha1.Guest, "tower-a=contributor"),
	}
	errs := make([]error, len(objs))
	var wg sync.WaitGroup
	for i, o := range objs {
		wg.Go(func() { errs[i] = k8sClient.Create(ctx, o) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return ns, err
	}
	for _, n := range v1alpha1.BuiltInRoleNames {
		objs = append(objs, roleIn(ns, n))
	}
	seen := func() error {
		for _, o := range objs {
			live, cached := fresh(o), fresh(o)
			if err := k8sClient.Get(ctx, key(o), live); err != nil {
				return err
			}
			if err := webhookView.Get(ctx, key(o), cached); err != nil {
				return err
			}
			if cached.GetResourceVersion() != live.GetResourceVersion() {
				return fmt.Errorf("the webhooks do not see %s as it is yet", o.GetName())
			}
		}
		return nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := seen()
		if err == nil {
			return ns, nil
		}
		if time.Now().After(deadline) {
			return ns, err
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// liveModel is the account model of the namespace, built from the objects as the API
// server holds them now.
func liveModel(ns string) *model.Account {
	objs, err := accounts.Objects(ctx, k8sClient, ns)
	Expect(err).NotTo(HaveOccurred())
	m, err := model.Build(ns, objs...)
	Expect(err).NotTo(HaveOccurred())
	return m
}

// setState sets the Account's state as the operator (no Collaborator: RBAC alone).
func setState(ns string, state v1alpha1.AccountState) {
	update(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.State = state })
}

// change is a write under test: op (helpers_test.go) and what the object looks like once
// the write is applied.
type change struct {
	op
	applied func(g Gomega)
}

// changing updates obj with mut. mut must be idempotent (set a field, add an item if
// missing): the update is applied when mut changes nothing more of the stored object.
func changing[T client.Object](obj T, mut func(T)) change {
	return change{op: updating(obj, mut), applied: func(g Gomega) {
		cur := fresh(obj)
		g.Expect(k8sClient.Get(ctx, key(obj), cur)).To(Succeed())
		want := fresh(cur)
		mut(want)
		g.Expect(writable(cur)).To(Equal(writable(want)), "%s: the update was not applied", obj.GetName())
	}}
}

// adding creates obj.
func adding(obj client.Object) change {
	return change{op: creating(obj), applied: func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, key(obj), fresh(obj))).To(Succeed(), "%s was not created", obj.GetName())
	}}
}

// removing deletes obj; it is applied once obj is being deleted (a finalizer may hold it
// a moment) or gone.
func removing(obj client.Object) change {
	return change{op: deleting(obj), applied: func(g Gomega) {
		cur := fresh(obj)
		err := k8sClient.Get(ctx, key(obj), cur)
		if apierrors.IsNotFound(err) {
			return
		}
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(cur.GetDeletionTimestamp()).NotTo(BeNil(), "%s was not deleted", obj.GetName())
	}}
}

// expectRefused makes the write as a, as a dry run and then for real: both are refused
// with 403 Forbidden, their message holding every substring, and nothing changed.
func expectRefused(a actor, c change, substrings ...string) string {
	var msgs []string
	for _, dryRun := range []bool{true, false} {
		err := c.do(a, dryRun)
		ExpectWithOffset(1, err).To(HaveOccurred(), "%s (dry run %t) was allowed", c.what, dryRun)
		ExpectWithOffset(1, apierrors.IsForbidden(err)).To(BeTrue(), "%s (dry run %t): want 403 Forbidden, got %v", c.what, dryRun, err)
		for _, s := range substrings {
			ExpectWithOffset(1, err.Error()).To(ContainSubstring(s), "%s (dry run %t)", c.what, dryRun)
		}
		c.unchanged(Default)
		msgs = append(msgs, err.Error())
	}
	ExpectWithOffset(1, msgs[0]).To(Equal(msgs[1]), "a dry run shows the same refusal")
	fmt.Fprintf(GinkgoWriter, "refused: %s\n", msgs[1])
	return msgs[1]
}

// expectApplied makes the write as a, as a dry run (which changes nothing) and then for
// real, which is applied. It returns the warnings of the real write.
func expectApplied(a actor, c change) []string {
	a.warnings.take()
	ExpectWithOffset(1, c.do(a, true)).To(Succeed(), "%s (dry run)", c.what)
	c.unchanged(Default)
	dry := a.warnings.take()
	ExpectWithOffset(1, c.do(a, false)).To(Succeed(), c.what)
	c.applied(Default)
	w := a.warnings.take()
	ExpectWithOffset(1, w).To(Equal(dry), "a dry run shows the same warnings")
	fmt.Fprintf(GinkgoWriter, "applied: %s, warnings %q\n", c.what, w)
	return w
}

// A capability's cases: who may and who may not, each with its write in a fresh account.
type capabilityCase struct {
	// setup prepares the account, as the operator, before both cases.
	setup func(ns string)
	// refusedBy may not make the write refused returns; the refusal names them, the
	// capability, and says (who holds it).
	refusedBy string
	refused   func(ns string) change
	says      []string
	// allowedBy makes the write allowed returns, applied.
	allowedBy string
	allowed   func(ns string) change
	// read is a capability admission never sees (a read): the model's decision from the
	// live objects is asked instead, for refusedBy and allowedBy, in WorkCenter.
	read       bool
	workCenter string
}

func addItem(items *[]v1alpha1.PicklistItem, item v1alpha1.PicklistItem) {
	if !slices.Contains(*items, item) {
		*items = append(*items, item)
	}
}

func removeItem(items *[]v1alpha1.PicklistItem, item v1alpha1.PicklistItem) {
	*items = slices.DeleteFunc(*items, func(i v1alpha1.PicklistItem) bool { return i == item })
}

// assign sets c's role in a WorkCenter, adding the assignment when c has none there.
func assign(c *v1alpha1.Collaborator, workCenter, role string) {
	for i := range c.Spec.WorkCenters {
		if string(c.Spec.WorkCenters[i].Name) == workCenter {
			c.Spec.WorkCenters[i].Role = v1alpha1.ObjectName(role)
			return
		}
	}
	c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{
		Name: v1alpha1.ObjectName(workCenter), Role: v1alpha1.ObjectName(role)})
}

// unassign removes c's assignment to a WorkCenter.
func unassign(c *v1alpha1.Collaborator, workCenter string) {
	c.Spec.WorkCenters = slices.DeleteFunc(c.Spec.WorkCenters, func(a v1alpha1.WorkCenterAssignment) bool {
		return string(a.Name) == workCenter
	})
}

// How refusals name who holds a capability, in the fixture's account.
const (
	heldByAccountAdmins = "Account Administrators (ana, maria) hold it in the account"
	heldByUserAdmins    = "Account Administrators (ana, maria) and User Administrators (uma) hold it in the account"
	heldByMembers       = "Account Administrators (ana, maria), User Administrators (uma), WorkCenter Administrators (daniel) and Members (carl, mo, priya, tom) hold it in the account"
	heldByWCAdmins      = "Account Administrators (ana, maria) and WorkCenter Administrators (daniel) hold it in every WorkCenter"
	heldByAllAdmins     = "Account Administrators (ana, maria), User Administrators (uma) and WorkCenter Administrators (daniel) hold it in every WorkCenter"
	heldByAAInEveryWC   = "Account Administrators (ana, maria) hold it in every WorkCenter"
)

// picklistCase is a capability that adds or removes an item of one of the Account's
// picklists.
func picklistCase(list func(*v1alpha1.Account) *[]v1alpha1.PicklistItem, item v1alpha1.PicklistItem, add bool,
	refusedBy, allowedBy, field string) capabilityCase {
	mut := func(a *v1alpha1.Account) {
		if add {
			addItem(list(a), item)
		} else {
			removeItem(list(a), item)
		}
	}
	write := func(ns string) change { return changing(accountIn(ns), mut) }
	return capabilityCase{
		refusedBy: refusedBy, refused: write, says: []string{"spec.picklists." + field + ": ", heldByAccountAdmins},
		allowedBy: allowedBy, allowed: write,
	}
}

// capabilityCases has an entry for every capability of the catalog
// (model.Capabilities); the table below fails for one without.
var capabilityCases = map[model.Capability]capabilityCase{
	model.WorkCentersCreate: {
		refusedBy: "jane", refused: func(ns string) change { return adding(newWorkCenter(ns, "jane-wc", "")) },
		says:      []string{"spec: ", heldByMembers},
		allowedBy: "tom", allowed: func(ns string) change { return adding(newWorkCenter(ns, "tom-wc", "civil")) },
	},
	model.TemplatesCreate: {
		refusedBy: "jane", refused: func(ns string) change {
			return adding(fixtures.WorkCenter(ns, "jane-template", func(wc *v1alpha1.WorkCenter) { wc.Spec.Template = true }))
		},
		says:      []string{"spec.template: ", heldByMembers},
		allowedBy: "tom", allowed: func(ns string) change {
			return adding(fixtures.WorkCenter(ns, "tom-template", func(wc *v1alpha1.WorkCenter) { wc.Spec.Template = true }))
		},
	},
	model.WorkCentersView: {
		// A read: admission never sees it (RBAC and kubectl procorem answer it from the
		// model), so the model's decision from the live objects is asked.
		read: true, workCenter: "tower-b",
		refusedBy: "tom", says: []string{"tom has no assignment there", heldByWCAdmins},
		allowedBy: "daniel",
	},
	model.WorkCentersEdit: {
		refusedBy: "tom", refused: func(ns string) change {
			return changing(workCenterIn(ns, "tower-a"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Description = "by tom" })
		},
		says: []string{`spec.description: tom (Member) may not workCenters.edit in WorkCenter "tower-a": it needs workCenter.editSettings there, and role "site-engineer" does not grant workCenter.editSettings there`,
			heldByWCAdmins},
		allowedBy: "carl", allowed: func(ns string) change {
			return changing(workCenterIn(ns, "tower-a"), func(wc *v1alpha1.WorkCenter) { wc.Spec.DisplayName = "Tower A, by carl" })
		},
	},
	model.WorkCentersArchive: {
		refusedBy: "carl", refused: func(ns string) change {
			return changing(workCenterIn(ns, "tower-a"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = true })
		},
		says:      []string{`spec.archived: carl (Member) may not workCenters.archive in WorkCenter "tower-a": ` + heldByWCAdmins},
		allowedBy: "daniel", allowed: func(ns string) change {
			return changing(workCenterIn(ns, "tower-b"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = true })
		},
	},
	model.WorkCentersUnarchive: {
		refusedBy: "carl", refused: func(ns string) change {
			return changing(workCenterIn(ns, "old-depot"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = false })
		},
		says:      []string{`spec.archived: carl (Member) may not workCenters.unarchive in WorkCenter "old-depot": ` + heldByWCAdmins},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(workCenterIn(ns, "old-depot"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = false })
		},
	},
	model.WorkCentersDelete: {
		refusedBy: "daniel", refused: func(ns string) change { return removing(workCenterIn(ns, "tower-b")) },
		says:      []string{`daniel (WorkCenterAdministrator) may not workCenters.delete in WorkCenter "tower-b": ` + heldByAAInEveryWC},
		allowedBy: "ana", allowed: func(ns string) change { return removing(workCenterIn(ns, "tower-b")) },
	},
	model.TemplatesDesignate: {
		refusedBy: "daniel", refused: func(ns string) change {
			return changing(workCenterIn(ns, "tower-b"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Template = true })
		},
		says:      []string{`spec.template: daniel (WorkCenterAdministrator) may not templates.designate in WorkCenter "tower-b": ` + heldByAAInEveryWC},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(workCenterIn(ns, "tower-b"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Template = true })
		},
	},
	model.CollaboratorsAdd: {
		refusedBy: "tom", refused: func(ns string) change {
			return adding(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=contributor"))
		},
		says: []string{`spec.workCenters[0]: tom (Member) may not collaborators.add in WorkCenter "tower-a" for gina: it needs collaborators.addGuests there, and role "site-engineer" does not grant collaborators.addGuests there`,
			heldByAllAdmins},
		allowedBy: "carl", allowed: func(ns string) change {
			return adding(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=contributor"))
		},
	},
	model.CollaboratorsRemoveAny: {
		refusedBy: "uma", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { unassign(c, "tower-a") })
		},
		says: []string{`spec.workCenters: uma (UserAdministrator) may not collaborators.remove in WorkCenter "tower-a" for jane: role "site-engineer" does not grant collaborators.remove there`,
			heldByWCAdmins},
		allowedBy: "priya", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { unassign(c, "tower-a") })
		},
	},
	model.CollaboratorsChangeRole: {
		refusedBy: "tom", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { assign(c, "tower-a", v1alpha1.RoleReadOnly) })
		},
		says: []string{`spec.workCenters[0].role: tom (Member) may not collaborators.changeRole in WorkCenter "tower-a" for jane: role "site-engineer" does not grant collaborators.changeRole there`,
			heldByAllAdmins},
		allowedBy: "carl", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { assign(c, "tower-a", v1alpha1.RoleReadOnly) })
		},
	},
	model.UsersAdd: {
		refusedBy: "uma", refused: func(ns string) change { return adding(newCollaborator(ns, "newbie", v1alpha1.Guest)) },
		says:      []string{"spec: uma (UserAdministrator) may not users.add for newbie: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change { return adding(newCollaborator(ns, "newbie", v1alpha1.Guest)) },
	},
	model.UsersUpdate: {
		refusedBy: "tom", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { c.Spec.DisplayName = "Tom the Great" })
		},
		says:      []string{"spec.displayName: tom (Member) may not users.update: " + heldByUserAdmins},
		allowedBy: "uma", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { c.Spec.DisplayName = "Tom Baker" })
		},
	},
	model.UsersRemove: {
		refusedBy: "priya", refused: func(ns string) change { return removing(collaboratorIn(ns, "tom")) },
		says:      []string{"priya (Member) may not users.remove for tom: " + heldByUserAdmins},
		allowedBy: "uma", allowed: func(ns string) change { return removing(collaboratorIn(ns, "tom")) },
	},
	model.UsersUpgrade: {
		refusedBy: "daniel", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Member })
		},
		says:      []string{"spec.type: daniel (WorkCenterAdministrator) may not users.upgrade for jane: " + heldByUserAdmins},
		allowedBy: "uma", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Member })
		},
	},
	model.UsersDowngrade: {
		refusedBy: "daniel", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "mo"), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest })
		},
		says:      []string{"spec.type: daniel (WorkCenterAdministrator) may not users.downgrade for mo: " + heldByUserAdmins},
		allowedBy: "uma", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "mo"), func(c *v1alpha1.Collaborator) { c.Spec.Type = v1alpha1.Guest })
		},
	},
	model.AdministratorsManage: {
		refusedBy: "uma", refused: func(ns string) change {
			return changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleUserAdministrator })
		},
		says:      []string{"spec.adminRole: uma (UserAdministrator) may not administrators.manage for tom: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleUserAdministrator })
		},
	},
	model.AccountLeave: {
		// Everyone holds it; in a Deactivated Account only its Account Administrators
		// change anything, leaving included (the last one of an active Account, R7, is
		// in "Deletions by people" below).
		setup:     func(ns string) { setState(ns, v1alpha1.AccountDeactivated) },
		refusedBy: "tom", refused: func(ns string) change { return removing(collaboratorIn(ns, "tom")) },
		says:      []string{`tom (Member) may not account.leave: Account "acme" is Deactivated, and only its Account Administrators (ana, maria) change anything`},
		allowedBy: "ana", allowed: func(ns string) change { return removing(collaboratorIn(ns, "ana")) },
	},
	model.AccountEdit: {
		refusedBy: "daniel", refused: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.DisplayName = "Acme by daniel" })
		},
		says:      []string{"spec.displayName: daniel (WorkCenterAdministrator) may not account.edit: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.LogoURL = "https://acme.example/logo.png" })
		},
	},
	model.AccountDeactivate: {
		refusedBy: "uma", refused: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		},
		says:      []string{"spec.state: uma (UserAdministrator) may not account.deactivate: " + heldByAccountAdmins},
		allowedBy: "ana", allowed: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountDeactivated })
		},
	},
	model.AccountViewDeactivated: {
		// A read: admission never sees it; the model's decision from the live objects.
		setup: func(ns string) { setState(ns, v1alpha1.AccountDeactivated) },
		read:  true, refusedBy: "daniel", allowedBy: "maria",
		says: []string{`Account "acme" is Deactivated, and only its Account Administrators (ana, maria) change anything`},
	},
	model.AccountReactivate: {
		setup:     func(ns string) { setState(ns, v1alpha1.AccountDeactivated) },
		refusedBy: "uma", refused: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountActive })
		},
		says:      []string{`uma (UserAdministrator) may not account.reactivate: Account "acme" is Deactivated, and only its Account Administrators (ana, maria) change anything`},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.State = v1alpha1.AccountActive })
		},
	},
	model.LicensesManage: {
		refusedBy: "uma", refused: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.Licenses = 12 })
		},
		says:      []string{"spec.licenses: uma (UserAdministrator) may not licenses.manage: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change {
			return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.Licenses = 12 })
		},
	},
	model.CategoriesCreate: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.WorkCenterCategories },
		"mechanical", true, "daniel", "maria", "workCenterCategories"),
	model.CategoriesDelete: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.WorkCenterCategories },
		"electrical", false, "daniel", "maria", "workCenterCategories"),
	model.FileTypesCreate: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.FileTypes },
		"specification", true, "uma", "ana", "fileTypes"),
	model.FileTypesDelete: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.FileTypes },
		"photo", false, "tom", "maria", "fileTypes"),
	model.FileStatusesCreate: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.FileStatuses },
		"approved", true, "jane", "maria", "fileStatuses"),
	model.FileStatusesDelete: picklistCase(func(a *v1alpha1.Account) *[]v1alpha1.PicklistItem { return &a.Spec.Picklists.FileStatuses },
		"draft", false, "priya", "ana", "fileStatuses"),
	model.RolesCreate: {
		refusedBy: "daniel", refused: func(ns string) change { return adding(newRole(ns, "inspector", perms("tasks.create"))) },
		says:      []string{"daniel (WorkCenterAdministrator) may not roles.create: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change { return adding(newRole(ns, "inspector", perms("tasks.create"))) },
	},
	model.RolesUpdate: {
		refusedBy: "carl", refused: func(ns string) change {
			return changing(roleIn(ns, "spare"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Description = "by carl" })
		},
		says:      []string{"carl (Member) may not roles.update: " + heldByAccountAdmins},
		allowedBy: "ana", allowed: func(ns string) change {
			return changing(roleIn(ns, "spare"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Description = "by ana" })
		},
	},
	model.RolesDelete: {
		refusedBy: "daniel", refused: func(ns string) change { return removing(roleIn(ns, "spare")) },
		says:      []string{"daniel (WorkCenterAdministrator) may not roles.delete: " + heldByAccountAdmins},
		allowedBy: "maria", allowed: func(ns string) change { return removing(roleIn(ns, "spare")) },
	},
}

var _ = Describe("Delegated administration through the API server", func() {
	It("has a case for every capability of the catalog, and for nothing else", func() {
		catalog := map[model.Capability]bool{}
		for _, info := range model.Capabilities() {
			catalog[info.Capability] = true
			Expect(capabilityCases).To(HaveKey(info.Capability), "capability %s has no case", info.Capability)
		}
		for id := range capabilityCases {
			Expect(catalog).To(HaveKey(id), "a case for %s, which is no capability of the catalog", id)
		}
	})

	// One spec per capability of the catalog, in its order: a capability added to the
	// catalog without a case fails here.
	Describe("each capability: one allowed and one refused case", func() {
		for _, info := range model.Capabilities() {
			It(string(info.Capability), func() {
				tc, ok := capabilityCases[info.Capability]
				Expect(ok).To(BeTrue(), "capability %s has no case in capabilityCases", info.Capability)
				Expect(tc.refusedBy).NotTo(BeEmpty())
				Expect(tc.allowedBy).NotTo(BeEmpty())
				ns := delegationAccount()
				if tc.setup != nil {
					tc.setup(ns)
				}
				id := string(info.Capability)
				holderOf := func(name string) bool {
					return info.Holds(model.MemberTypeOf(liveModel(ns).Collaborator(name)))
				}
				if tc.read {
					m := liveModel(ns)
					refused := m.MayDo(m.Collaborator(tc.refusedBy), id, tc.workCenter)
					Expect(refused.Allowed).To(BeFalse(), refused.Message)
					Expect(refused.Message).To(ContainSubstring(tc.refusedBy+" ("), "names who asks")
					Expect(refused.Message).To(ContainSubstring(id), "names the capability")
					for _, s := range tc.says {
						Expect(refused.Message).To(ContainSubstring(s))
					}
					allowed := m.MayDo(m.Collaborator(tc.allowedBy), id, tc.workCenter)
					Expect(allowed.Allowed).To(BeTrue(), allowed.Message)
					return
				}
				if tc.setup == nil {
					Expect(holderOf(tc.refusedBy)).To(BeFalse(), "%s's member type holds %s: a refusal would be about something else", tc.refusedBy, id)
				}
				msg := expectRefused(person(tc.refusedBy), tc.refused(ns), append([]string{
					tc.refusedBy + " (", "may not " + id, "(Delegation)"}, tc.says...)...)
				Expect(msg).To(ContainSubstring("Account Administrators ("), "the refusal names who holds %s", id)
				// Allowed: applied, with no warning but the audit trail's, when an
				// administrator changes a WorkCenter it is not assigned to.
				for _, w := range expectApplied(person(tc.allowedBy), tc.allowed(ns)) {
					Expect(w).To(ContainSubstring(v1alpha1.ReasonAdministratorNotAssigned))
					Expect(w).To(HavePrefix(tc.allowedBy + " ("))
				}
			})
		}
	})
})

// Each attempt at more power than one has is refused with what it lacks.
var _ = Describe("Escalation attempts through the API server", func() {
	var ns string
	BeforeEach(func() { ns = delegationAccount() })

	It("refuses granting a role above one's own, even where one may change roles", func() {
		expectRefused(person("carl"), changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) {
			assign(c, "tower-a", v1alpha1.RoleWorkCenterOwner)
		}), `spec.workCenters[0].role: carl (Member) may not grant role "workcenter-owner" in WorkCenter "tower-a": it grants`,
			"which carl does not hold there", "no escalation", "Account Administrators (ana, maria) and WorkCenter Administrators (daniel) hold everything")
		// The same role change within what carl holds is allowed.
		expectApplied(person("carl"), changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) {
			assign(c, "tower-a", "coordinator")
		}))
	})

	It("refuses a User Administrator granting a role where its own role gives it nothing", func() {
		expectRefused(person("uma"), changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) {
			assign(c, "tower-b", v1alpha1.RoleReadOnly)
		}), `spec.workCenters[1].role: uma (UserAdministrator) may not grant role "read-only" in WorkCenter "tower-b"`, "which uma does not hold there")
	})

	It("refuses a User Administrator editing or removing an Account Administrator", func() {
		expectRefused(person("uma"), changing(collaboratorIn(ns, "maria"), func(c *v1alpha1.Collaborator) {
			c.Spec.DisplayName = "Maria, edited by uma"
		}), "spec.displayName: uma (UserAdministrator) may not users.update for maria: User Administrators act on every type of user except Account Administrators, and maria is one; Account Administrators (ana, maria) may")
		expectRefused(person("uma"), removing(collaboratorIn(ns, "ana")),
			"uma (UserAdministrator) may not users.remove for ana: User Administrators act on every type of user except Account Administrators")
		// A WorkCenter Administrator, on the other hand, is a user like any other to her.
		expectApplied(person("uma"), changing(collaboratorIn(ns, "daniel"), func(c *v1alpha1.Collaborator) {
			c.Spec.DisplayName = "Daniel Kim"
		}))
	})

	It("refuses making oneself an administrator", func() {
		for _, who := range []string{"tom", "uma", "daniel"} {
			expectRefused(person(who), changing(collaboratorIn(ns, who), func(c *v1alpha1.Collaborator) {
				c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
			}), fmt.Sprintf("spec.adminRole: %s (", who), "may not administrators.manage: "+heldByAccountAdmins)
		}
		expectRefused(person("jane"), changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) {
			c.Spec.Type = v1alpha1.Member
		}), "spec.type: jane (Guest) may not users.upgrade: "+heldByUserAdmins)
	})

	It("refuses a Member adding itself to a WorkCenter where it may not add collaborators", func() {
		expectRefused(person("tom"), changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) {
			assign(c, "tower-b", v1alpha1.RoleReadOnly)
		}), `spec.workCenters[1]: tom (Member) may not collaborators.add in WorkCenter "tower-b": it needs collaborators.addGuests there, and tom has no assignment there; `+heldByAllAdmins)
	})

	It("refuses stripping an assignment in a WorkCenter one does not manage", func() {
		// priya owns tower-a, where she may remove anyone, but not tower-b.
		expectRefused(person("priya"), changing(collaboratorIn(ns, "mo"), func(c *v1alpha1.Collaborator) {
			unassign(c, "tower-b")
		}), `spec.workCenters: priya (Member) may not collaborators.remove in WorkCenter "tower-b" for mo: priya has no assignment there; `+heldByWCAdmins)
		expectApplied(person("priya"), changing(collaboratorIn(ns, "mo"), func(c *v1alpha1.Collaborator) {
			unassign(c, "tower-a")
		}))
	})

	It("names every field a change needs a missing capability for, in one 403", func() {
		msg := expectRefused(person("tom"), changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) {
			c.Spec.DisplayName = "Tom, Account Administrator"
			c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
			assign(c, "tower-b", v1alpha1.RoleWorkCenterOwner)
		}), "spec.displayName: tom (Member) may not users.update", "spec.adminRole: tom (Member) may not administrators.manage",
			`spec.workCenters[1]: tom (Member) may not collaborators.add in WorkCenter "tower-b"`)
		Expect(strings.Count(msg, "(Delegation)")).To(Equal(3), msg)
	})

	It("answers a refused change with its refusals alone, and an allowed one still keeps the rules", func() {
		// jane may not create WorkCenters: 403, whatever else is wrong with it (R8).
		msg := expectRefused(person("jane"), adding(newWorkCenter(ns, "jane-wc", "no-such-category")),
			"jane (Guest) may not workCenters.create")
		Expect(msg).NotTo(ContainSubstring("R8"))
		// tom may: the same WorkCenter breaks R8, 422 Invalid.
		for _, dryRun := range []bool{true, false} {
			err := adding(newWorkCenter(ns, "tom-wc", "no-such-category")).do(person("tom"), dryRun)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid (R8), got %v", err)
			Expect(err.Error()).To(ContainSubstring("R8"))
		}
	})
})

// Requests whose user is nobody of the account: RBAC alone judges them.
var _ = Describe("Who is asking, through the API server", func() {
	var ns string
	BeforeEach(func() { ns = delegationAccount() })

	raiseLicenses := func(n int32) change {
		return changing(accountIn(ns), func(a *v1alpha1.Account) { a.Spec.Licenses = n })
	}

	It("judges an unknown user by RBAC alone", func() {
		// With RBAC's leave, anything admission's rules allow: no capability is asked.
		stranger := user("stranger@example.com")
		expectApplied(stranger, raiseLicenses(20))
		expectApplied(stranger, adding(newWorkCenter(ns, "strangers-wc", "")))
		expectApplied(stranger, removing(collaboratorIn(ns, "tom")))
		// Without it, RBAC's 403, and nothing changed.
		noRBAC := impersonating("stranger@example.com", "system:authenticated")
		for _, c := range []change{raiseLicenses(30), adding(newWorkCenter(ns, "strangers-other-wc", "")), removing(collaboratorIn(ns, "jane"))} {
			err := c.do(noRBAC, false)
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: want RBAC's 403, got %v", c.what, err)
			Expect(err.Error()).To(ContainSubstring(`User "stranger@example.com" cannot`))
			c.unchanged(Default)
		}
	})

	It("judges an email in another case as the same person", func() {
		expectApplied(user("MARIA@Example.COM"), raiseLicenses(20))
		expectRefused(user("Jane@EXAMPLE.com"), raiseLicenses(30), "spec.licenses: jane (Guest) may not licenses.manage: "+heldByAccountAdmins)
	})

	It("judges a username with a prefix, when none is configured, as nobody of the account", func() {
		// The suite's webhooks have no identity prefix: "oidc:jane@example.com" is not
		// jane, whom admission refuses, but a stranger whom RBAC lets.
		expectRefused(person("jane"), raiseLicenses(20), "jane (Guest) may not licenses.manage")
		expectApplied(user("oidc:"+email("jane")), raiseLicenses(20))
	})

	It("judges a platform administrator who is a Guest of the account as that Guest", func() {
		admin := impersonating(email("jane"), "system:masters", "system:authenticated")
		expectRefused(admin, raiseLicenses(20), "spec.licenses: jane (Guest) may not licenses.manage")
		expectRefused(admin, removing(collaboratorIn(ns, "tom")), "jane (Guest) may not users.remove for tom")
	})

	It("judges a Collaborator being deleted as that Collaborator until it is gone", func() {
		// maria, the last Account Administrator, deleted by the platform (RBAC alone):
		// R7's finalizer holds her, and she still administers the account meanwhile.
		update(collaboratorIn(ns, "ana"), func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone })
		maria := collaboratorIn(ns, "maria")
		waitForFinalizer(maria, v1alpha1.FinalizerLastAdministrator)
		remove(maria)
		Expect(k8sClient.Get(ctx, key(maria), maria)).To(Succeed())
		Expect(maria.DeletionTimestamp).NotTo(BeNil())
		expectApplied(person("maria"), raiseLicenses(20))
		expectRefused(person("jane"), raiseLicenses(30), "jane (Guest) may not licenses.manage: Account Administrators (maria) hold it")
	})

	It("judges a person by the account of the object's namespace", func() {
		// sam is an Account Administrator of another account, and a Guest of this one.
		other := newNamespace()
		withAccount(newAccount(other, "acme", 2))
		create(accountAdmin(newCollaborator(other, "sam", v1alpha1.Member)), newCollaborator(ns, "sam", v1alpha1.Guest))
		sam := person("sam")
		expectApplied(sam, changing(accountIn(other), func(a *v1alpha1.Account) { a.Spec.Licenses = 5 }))
		expectRefused(sam, raiseLicenses(20), "spec.licenses: sam (Guest) may not licenses.manage: "+heldByAccountAdmins)
		expectRefused(sam, removing(collaboratorIn(ns, "jane")), "sam (Guest) may not users.remove for jane")
	})

	It("judges a request without credentials as the anonymous user, by RBAC alone", func() {
		// A request cannot reach admission with an empty username: the API server names
		// an unauthenticated request system:anonymous (and impersonation needs a
		// username). The model's answer to an empty username is TestIdentify's
		// (internal/model). system:anonymous is no Collaborator's email: RBAC decides.
		// Discovery is not the anonymous user's: its client maps kinds with the admin's.
		cfg := rest.AnonymousClientConfig(env.Config)
		log := &warningLog{}
		cfg.WarningHandlerWithContext = log
		c0, err := client.New(cfg, client.Options{Scheme: scheme, Mapper: k8sClient.RESTMapper()})
		Expect(err).NotTo(HaveOccurred())
		anonymous := actor{Client: c0, warnings: log}
		c := raiseLicenses(20)
		err = c.do(anonymous, false)
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "want RBAC's 403, got %v", err)
		Expect(err.Error()).To(ContainSubstring(`User "system:anonymous" cannot`))
		c.unchanged(Default)

		// Given RBAC's leave in this namespace only, it is allowed what the rules allow.
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "anonymous-writes"},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{v1alpha1.GroupVersion.Group},
				Resources: []string{"accounts", "workcenters"}, Verbs: []string{"get", "update", "create"}}},
		}
		binding := &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "anonymous-writes"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "system:anonymous"}},
		}
		Expect(k8sClient.Create(ctx, role)).To(Succeed())
		Expect(k8sClient.Create(ctx, binding)).To(Succeed())
		Eventually(func() error { return c.do(anonymous, true) }).Should(Succeed())
		expectApplied(anonymous, c)
	})
})

// Deletions by people: refused only when their member type does not allow them.
var _ = Describe("Deletions by people, through the API server", func() {
	var ns string
	BeforeEach(func() { ns = delegationAccount() })

	It("refuses a Guest deleting another person, lets it leave", func() {
		expectRefused(person("jane"), removing(collaboratorIn(ns, "tom")),
			"jane (Guest) may not users.remove for tom: "+heldByUserAdmins)
		expectApplied(person("jane"), removing(collaboratorIn(ns, "jane")))
	})

	It("refuses a Guest deleting every Collaborator at once: nobody else goes", func() {
		// A DELETECOLLECTION is admitted item by item, each a DELETE; the API server stops
		// at the first refusal, so jane herself, whom leaving is allowed, may go or stay.
		err := person("jane").DeleteAllOf(ctx, &v1alpha1.Collaborator{}, client.InNamespace(ns))
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "want 403 Forbidden, got %v", err)
		Expect(err.Error()).To(ContainSubstring("jane (Guest) may not users.remove for"))
		var list v1alpha1.CollaboratorList
		Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
		var left []string
		for _, c := range list.Items {
			if c.Name != "jane" {
				Expect(c.DeletionTimestamp).To(BeNil(), "%s is being deleted", c.Name)
				left = append(left, c.Name)
			}
		}
		Expect(left).To(ConsistOf("ana", "carl", "daniel", "maria", "mo", "priya", "tom", "uma"))
	})

	It("refuses the last Account Administrator leaving an active Account, with R7's message", func() {
		update(collaboratorIn(ns, "ana"), func(c *v1alpha1.Collaborator) { c.Spec.AdminRole = v1alpha1.AdminRoleNone })
		expectRefused(person("maria"), removing(collaboratorIn(ns, "maria")),
			`Collaborator "maria" is the last AccountAdministrator of Account "acme"`, "(R7, LastAccountAdministrator)")
		// Once another is made one (by maria, who may), she may leave.
		expectApplied(person("maria"), changing(collaboratorIn(ns, "ana"), func(c *v1alpha1.Collaborator) {
			c.Spec.AdminRole = v1alpha1.AdminRoleAccountAdministrator
		}))
		synced(collaboratorIn(ns, "ana"))
		expectApplied(person("maria"), removing(collaboratorIn(ns, "maria")))
	})
})

// The audit trail: an administrator changing a WorkCenter it is not assigned to.
var _ = Describe("The audit trail of delegated administration", func() {
	It("warns an unassigned administrator and records an Event on the WorkCenter; a dry run records none", func() {
		ns := delegationAccount()
		maria := person("maria")
		towerB := workCenterIn(ns, "tower-b")
		Expect(k8sClient.Get(ctx, key(towerB), towerB)).To(Succeed())

		// A dry run first: a warning, and no Event.
		maria.warnings.take()
		addJane := changing(collaboratorIn(ns, "jane"), func(c *v1alpha1.Collaborator) { assign(c, "tower-b", v1alpha1.RoleReadOnly) })
		Expect(addJane.do(maria, true)).To(Succeed())
		Expect(maria.warnings.take()).To(ContainElement(ContainSubstring(
			`maria (AccountAdministrator) is not assigned to WorkCenter "tower-b" and changes it as one of the Account Administrators (collaborators.add)`)))

		w := expectApplied(maria, changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { assign(c, "tower-b", v1alpha1.RoleReadOnly) }))
		Expect(w).To(ContainElement(ContainSubstring(`maria (AccountAdministrator) is not assigned to WorkCenter "tower-b"`)))
		Expect(w).To(ContainElement(ContainSubstring(v1alpha1.ReasonAdministratorNotAssigned)))

		events := func(g Gomega) []eventsv1.Event { return auditEvents(g, ns) }
		var audit []eventsv1.Event
		Eventually(func(g Gomega) {
			audit = events(g)
			g.Expect(audit).To(ContainElement(And(
				HaveField("Regarding.Kind", "WorkCenter"), HaveField("Regarding.Name", "tower-b"),
				HaveField("Regarding.UID", towerB.UID),
				HaveField("Related.Name", "tom"),
				HaveField("Type", "Normal"),
				HaveField("Note", ContainSubstring(`Collaborator "tom": maria (AccountAdministrator) is not assigned to WorkCenter "tower-b"`)))))
		}).Should(Succeed())
		// The Events about one WorkCenter are written in the order recorded: had the dry
		// run recorded one, it would be there already.
		Expect(audit).NotTo(ContainElement(HaveField("Related.Name", "jane")), "a dry run recorded an Event")
		Expect(audit).To(HaveLen(1))

		// A WorkCenter Administrator editing a WorkCenter it is not assigned to, too.
		expectApplied(person("daniel"), changing(towerB, func(wc *v1alpha1.WorkCenter) { wc.Spec.Description = "by daniel" }))
		Eventually(func(g Gomega) {
			g.Expect(events(g)).To(ContainElement(And(
				HaveField("Regarding.Name", "tower-b"),
				HaveField("Note", ContainSubstring(`WorkCenter "tower-b": daniel (WorkCenterAdministrator) is not assigned to WorkCenter "tower-b"`)))))
		}).Should(Succeed())
	})

	It("records no Event for a change the API server did not make", func() {
		// Admission runs before the object is stored: a create of a name that exists is
		// judged, then refused by the storage (409 AlreadyExists). The trail must not
		// record a change that never happened.
		ns := delegationAccount()
		maria := person("maria")
		err := maria.Create(ctx, newCollaborator(ns, "jane", v1alpha1.Guest, "tower-b=read-only"))
		Expect(apierrors.IsAlreadyExists(err)).To(BeTrue(), "want 409 AlreadyExists, got %v", err)

		// A change that is made, about the same WorkCenter: its Event is written after
		// any the failed create recorded.
		expectApplied(maria, changing(collaboratorIn(ns, "tom"), func(c *v1alpha1.Collaborator) { assign(c, "tower-b", v1alpha1.RoleReadOnly) }))
		var audit []eventsv1.Event
		Eventually(func(g Gomega) {
			audit = auditEvents(g, ns)
			g.Expect(audit).To(ContainElement(HaveField("Related.Name", "tom")))
		}).Should(Succeed())
		Expect(audit).NotTo(ContainElement(HaveField("Note", ContainSubstring(`Collaborator "jane"`))),
			"an Event records maria adding jane to tower-b, which the API server refused (AlreadyExists)")
	})
})

// auditEvents are the audit trail's Events in the namespace (AdministratorNotAssigned).
func auditEvents(g Gomega, ns string) []eventsv1.Event {
	var list eventsv1.EventList
	g.Expect(k8sClient.List(ctx, &list, client.InNamespace(ns))).To(Succeed())
	return slices.DeleteFunc(list.Items, func(e eventsv1.Event) bool { return e.Reason != v1alpha1.ReasonAdministratorNotAssigned })
}

// Ways around delegated administration that no single field of a spec shows. Each spec
// asserts what docs/administration.md means (nobody gets more than their member type and
// WorkCenter permissions give); the fix decides which write is refused.
var _ = Describe("Escalation around the capabilities, through the API server", func() {
	var ns string
	BeforeEach(func() { ns = delegationAccount() })

	It("does not let a User Administrator take over a WorkCenter Administrator's identity through its email", func() {
		// users.update lets uma change the email of anyone but an Account Administrator.
		// Given an address she also logs in with (uma.personal@example.com, a second
		// account at the identity provider), daniel's Collaborator would answer for her
		// requests under it: a WorkCenter Administrator's, which her member type is not
		// (workCenters.archive is not hers).
		hers := "uma.personal@example.com"
		if err := changing(collaboratorIn(ns, "daniel"), func(c *v1alpha1.Collaborator) { c.Spec.Email = hers }).do(person("uma"), false); err != nil {
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "a refusal is a 403, got %v", err)
			return
		}
		synced(collaboratorIn(ns, "daniel"))
		archive := changing(workCenterIn(ns, "tower-b"), func(wc *v1alpha1.WorkCenter) { wc.Spec.Archived = true })
		err := archive.do(user(hers), false)
		Expect(err).To(HaveOccurred(), "uma's other login archived tower-b as daniel: a User Administrator gained a WorkCenter Administrator's capabilities")
		Expect(apierrors.IsForbidden(err)).To(BeTrue(), "want 403 Forbidden, got %v", err)
		archive.unchanged(Default)
	})

	It("does not let a Guest make another person's objects its own, for the garbage collector to delete when it leaves", func() {
		// Only the spec is delegated administration; an ownerReference is metadata. The
		// garbage collector (not run by envtest) deletes an object whose owners are all
		// gone, as a system user whom admission only warns: jane, who may leave, would
		// take tom (users.remove) and tower-a (workCenters.delete) with her.
		jane := &v1alpha1.Collaborator{}
		Expect(k8sClient.Get(ctx, key(collaboratorIn(ns, "jane")), jane)).To(Succeed())
		owner := metav1.OwnerReference{APIVersion: v1alpha1.GroupVersion.String(), Kind: "Collaborator", Name: jane.Name, UID: jane.UID}
		own := func(o client.Object) {
			refs := o.GetOwnerReferences()
			if !slices.ContainsFunc(refs, func(r metav1.OwnerReference) bool { return r.UID == owner.UID }) {
				o.SetOwnerReferences(append(refs, owner))
			}
		}
		for _, obj := range []client.Object{collaboratorIn(ns, "tom"), workCenterIn(ns, "tower-a")} {
			err := changing(obj, own).do(person("jane"), false)
			Expect(err).To(HaveOccurred(), "jane (Guest) made herself the owner of %s", obj.GetName())
			Expect(apierrors.IsForbidden(err)).To(BeTrue(), "%s: want 403 Forbidden, got %v", obj.GetName(), err)
			cur := fresh(obj)
			Expect(k8sClient.Get(ctx, key(obj), cur)).To(Succeed())
			Expect(cur.GetOwnerReferences()).NotTo(ContainElement(HaveField("UID", jane.UID)))
		}
	})
})
