package webhook_test

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

var _ = Describe("WorkCenterRole admission", func() {
	var ns string
	BeforeEach(func() {
		ns = newNamespace()
		withAccount(newAccount(ns, "acme", 5))
		create(newWorkCenter(ns, "tower-a", ""), newWorkCenter(ns, "tower-b", ""),
			newRole(ns, "viewer", includes("read-only")),
			newRole(ns, "base"),
			newRole(ns, "composite", includes("base")))
	})

	builtIn := func(name string) *v1alpha1.WorkCenterRole {
		return &v1alpha1.WorkCenterRole{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
	}

	DescribeTable("rejects a change that makes a role held by guests member-only (R2), naming the guests and permissions",
		func(setup func(ns string) op, substrings ...string) {
			expectDenied(setup(ns), append(substrings, "R2", v1alpha1.ReasonRoleRequiresMember)...)
		},
		Entry("the role they hold",
			func(ns string) op {
				create(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=viewer", "tower-b=viewer"),
					newCollaborator(ns, "mark", v1alpha1.Member, "tower-a=viewer"))
				return updating(newRole(ns, "viewer"), func(r *v1alpha1.WorkCenterRole) {
					r.Spec.Permissions = append(r.Spec.Permissions, "tasks.create")
					r.Spec.Levels.Folders = v1alpha1.LevelAdmin
				})
			},
			`WorkCenterRole "viewer" would give member-only permissions (folders.delete, tasks.create) to guests: gina (viewer in tower-a, viewer in tower-b)`),
		Entry("a role that the one they hold includes",
			func(ns string) op {
				create(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=composite"))
				return updating(newRole(ns, "base"), func(r *v1alpha1.WorkCenterRole) {
					r.Spec.Permissions = []v1alpha1.Permission{"collaborators.remove"}
				})
			},
			`WorkCenterRole "base" would give member-only permissions (collaborators.remove) to guests: gina (composite in tower-a)`),
		Entry("including a member-only role",
			func(ns string) op {
				create(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=viewer"))
				return updating(newRole(ns, "viewer"), func(r *v1alpha1.WorkCenterRole) {
					r.Spec.Includes = append(r.Spec.Includes, "workcenter-owner")
				})
			},
			`WorkCenterRole "viewer" would give member-only permissions (`, "workCenter.editSettings", "gina (viewer in tower-a)"),
		Entry("creating a member-only role that guests wait for",
			func(ns string) op {
				create(newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=planner"))
				return creating(newRole(ns, "planner", perms("tasks.create")))
			},
			`WorkCenterRole "planner" would give member-only permissions (tasks.create) to guests: gina (planner in tower-a)`),
	)

	It("names up to 10 guests and the total", func() {
		for _, n := range names("guest", 12) {
			create(newCollaborator(ns, n, v1alpha1.Guest, "tower-a=viewer"))
		}
		expectDenied(updating(newRole(ns, "viewer"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Permissions = []v1alpha1.Permission{"files.move"} }),
			"guest01 (viewer in tower-a), guest02", "guest10 (viewer in tower-a) and 2 more (12 in total)")
	})

	It("allows a member-only role for Members, and a change that leaves guests' roles as they were", func() {
		create(newCollaborator(ns, "mark", v1alpha1.Member, "tower-a=composite"),
			newCollaborator(ns, "gina", v1alpha1.Guest, "tower-a=viewer"))
		expectAllowed(updating(newRole(ns, "base"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Levels.Tasks = v1alpha1.LevelAdmin }))
		expectAllowed(updating(newRole(ns, "viewer"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Levels.Posts = v1alpha1.LevelStandard }))
	})

	It("rejects an include that closes a cycle, naming it", func() {
		create(newRole(ns, "outer", includes("composite")))
		err := expectDenied(updating(newRole(ns, "base"), func(r *v1alpha1.WorkCenterRole) { r.Spec.Includes = []v1alpha1.ObjectName{"outer"} }),
			`spec.includes`, "WorkCenterRoles include each other in a cycle: base -> outer -> composite -> base", v1alpha1.ReasonInclusionCycle)
		Expect(apierrors.IsInvalid(err)).To(BeTrue())

		By("creating a role that closes a cycle with roles waiting for it")
		create(newRole(ns, "x", includes("y")))
		expectDenied(creating(newRole(ns, "y", includes("x"))), "WorkCenterRoles include each other in a cycle: x -> y -> x")
	})

	It("warns about includes that do not exist yet", func() {
		expectAllowed(creating(newRole(ns, "site-lead", includes("viewer", "site-engineer", "planner"))),
			`WorkCenterRole "site-lead" includes "site-engineer", which does not exist yet; the role and its assignments wait (Pending) until it appears`,
			`WorkCenterRole "site-lead" includes "planner", which does not exist yet`)
	})

	Describe("built-in roles (R9)", func() {
		It("denies anyone but the operator an edit of a built-in role's spec or label", func() {
			err := expectDeniedAs(alice, updating(builtIn(v1alpha1.RoleReadOnly), func(r *v1alpha1.WorkCenterRole) {
				r.Spec.Permissions = []v1alpha1.Permission{"files.upload"}
			}), `WorkCenterRole "read-only" is built in (one of read-only, contributor, workcenter-owner): only the operator may edit it`, `user "alice"`, "R9")
			Expect(apierrors.IsForbidden(err)).To(BeTrue())
			expectDeniedAs(alice, updating(builtIn(v1alpha1.RoleContributor), func(r *v1alpha1.WorkCenterRole) {
				delete(r.Labels, v1alpha1.LabelBuiltIn)
			}), `WorkCenterRole "contributor" is built in`, v1alpha1.LabelBuiltIn)
		})

		It("denies anyone but the operator the creation of a built-in role", func() {
			empty := newNamespace()
			expectDeniedAs(alice, creating(newRole(empty, v1alpha1.RoleWorkCenterOwner)),
				`WorkCenterRole "workcenter-owner" is built in`, "only the operator may create it", "R9")
		})

		It("lets anyone change what R9 does not cover, and delete a built-in role, which comes back", func() {
			role := builtIn(v1alpha1.RoleWorkCenterOwner)
			expectAllowedAs(alice, updating(role, func(r *v1alpha1.WorkCenterRole) {
				metav1.SetMetaDataAnnotation(&r.ObjectMeta, "example.com/note", "reviewed")
			}))
			Expect(k8sClient.Get(ctx, key(role), role)).To(Succeed())
			uid := role.UID
			expectAllowedAs(alice, deleting(role))
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, key(role), role)).To(Succeed())
				g.Expect(role.UID).NotTo(Equal(uid))
			}).Should(Succeed())
		})

		It("lets the operator write built-in roles, and its revert of an edit goes through", func() {
			role := builtIn(v1alpha1.RoleContributor)
			expectAllowed(updating(role, func(r *v1alpha1.WorkCenterRole) {
				r.Spec.Description = "edited by the operator's identity"
			}))
			want, _ := model.BuiltInRoleSpec(v1alpha1.RoleContributor)
			Eventually(func(g Gomega) {
				g.Expect(k8sClient.Get(ctx, key(role), role)).To(Succeed())
				g.Expect(role.Spec.Description).To(Equal(want.Description), "the Account controller reverted the edit")
			}).Should(Succeed())
		})
	})

	It("warns on DELETE of a role in use, naming up to 10 users, the total and the including roles; the deletion waits", func() {
		users := names("c", 12)
		for _, n := range users {
			create(newCollaborator(ns, n, v1alpha1.Guest, "tower-a=viewer", "tower-b=viewer"))
		}
		create(newRole(ns, "viewer-plus", includes("viewer")))
		role := newRole(ns, "viewer")
		waitForFinalizer(role, v1alpha1.FinalizerInUseProtection)
		expectAllowed(deleting(role), `WorkCenterRole "viewer" is assigned to 12 users in 24 assignments: `+
			strings.Join(users[:10], ", ")+` and 2 more (12 in total); included by roles: viewer-plus; its deletion waits (finalizer access.workcenter.io/in-use-protection, DeletionBlocked RoleInUse)`)
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, key(role), role)).To(Succeed())
			g.Expect(role.DeletionTimestamp).NotTo(BeNil())
			g.Expect(cond(role.Status.Conditions, v1alpha1.ConditionDeletionBlocked).Reason).To(Equal(v1alpha1.ReasonRoleInUse))
		}).Should(Succeed())

		By("checking nothing on a role being deleted; the controllers still reject what breaks a rule")
		synced(role)
		expectAllowed(updating(role, func(r *v1alpha1.WorkCenterRole) { r.Spec.Permissions = []v1alpha1.Permission{"tasks.create"} }))
		Eventually(func(g Gomega) {
			c := newCollaborator(ns, "c01", v1alpha1.Guest)
			g.Expect(k8sClient.Get(ctx, key(c), c)).To(Succeed())
			g.Expect(cond(c.Status.Conditions, v1alpha1.ConditionReady).Reason).To(Equal(v1alpha1.ReasonRoleRequiresMember))
		}).Should(Succeed())
	})

	It("deletes a role nobody uses without a warning", func() {
		role := newRole(ns, "unused")
		create(role)
		waitForFinalizer(role, v1alpha1.FinalizerInUseProtection)
		expectAllowed(deleting(role))
		Eventually(func() bool { return apierrors.IsNotFound(k8sClient.Get(ctx, key(role), role)) }).Should(BeTrue())
	})
})
