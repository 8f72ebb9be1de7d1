package controllers

import (
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
)

// What Desired makes is up to date by roleUpToDate and bindingUpToDate (else every
// reconcile would write it again), and each of its parts, changed, is not (else a change
// would never be written).
func TestDesiredIsUpToDate(t *testing.T) {
	owner := fixtures.Account("acme", "acme", 5)
	owner.UID = types.UID("uid-acme")
	r := &RBACReconciler{IdentityPrefix: "oidc:"}
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"access.workcenter.io"}, Resources: []string{"workcenters"}, Verbs: []string{"create"}}}
	for _, name := range []string{"tom", strings.Repeat("x", 64), strings.Repeat("y", 250)} {
		c := fixtures.Collaborator("acme", name, v1alpha1.Member)
		role, binding := r.Desired(owner, c, rules)
		if len(role.Name) > 253 || role.Name != binding.Name || role.Name != RBACName(name) {
			t.Errorf("%s: names %q and %q", name[:3], role.Name, binding.Name)
		}
		if !r.roleUpToDate(role, owner, name, rules) || !r.bindingUpToDate(binding, owner, c) {
			t.Fatalf("%s: what Desired makes is not up to date", name[:3])
		}
		for what, change := range map[string]func(role *rbacv1.Role, binding *rbacv1.RoleBinding){
			"rules":  func(role *rbacv1.Role, _ *rbacv1.RoleBinding) { role.Rules = nil },
			"a verb": func(role *rbacv1.Role, _ *rbacv1.RoleBinding) { role.Rules[0].Verbs = []string{"delete"} },
			"managed-by": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				delete(role.Labels, v1alpha1.LabelManagedBy)
				delete(b.Labels, v1alpha1.LabelManagedBy)
			},
			"collaborator label": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				role.Labels[v1alpha1.LabelCollaborator], b.Labels[v1alpha1.LabelCollaborator] = "other", "other"
			},
			"annotation": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				role.Annotations[v1alpha1.AnnotationCollaborator], b.Annotations[v1alpha1.AnnotationCollaborator] = "other", "other"
			},
			"owner": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				role.OwnerReferences[0].UID, b.OwnerReferences[0].UID = "other", "other"
			},
			"a second owner": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				role.OwnerReferences = append(role.OwnerReferences, metav1.OwnerReference{Name: "x"})
				b.OwnerReferences = append(b.OwnerReferences, metav1.OwnerReference{Name: "x"})
			},
			"not controller": func(role *rbacv1.Role, b *rbacv1.RoleBinding) {
				f := false
				role.OwnerReferences[0].Controller, b.OwnerReferences[0].Controller = &f, &f
			},
		} {
			role, binding := r.Desired(owner, c, []rbacv1.PolicyRule{*rules[0].DeepCopy()})
			wantRole, wantBinding := r.Desired(owner, c, rules)
			change(role, binding)
			if r.roleUpToDate(role, owner, name, rules) {
				t.Errorf("%s: a Role with another %s is up to date", name[:3], what)
			}
			if contentDigest(role) == contentDigest(wantRole) {
				t.Errorf("%s: a Role with another %s has the digest of ours: an edit would not be reverted", name[:3], what)
			}
			if what != "rules" && what != "a verb" && r.bindingUpToDate(binding, owner, c) {
				t.Errorf("%s: a RoleBinding with another %s is up to date", name[:3], what)
			}
			if what != "rules" && what != "a verb" && contentDigest(binding) == contentDigest(wantBinding) {
				t.Errorf("%s: a RoleBinding with another %s has the digest of ours", name[:3], what)
			}
		}
		// Labels and annotations of others change nothing of ours.
		role, binding = r.Desired(owner, c, rules)
		role.Labels["team"], binding.Annotations["note"] = "x", "y"
		if wantRole, wantBinding := r.Desired(owner, c, rules); contentDigest(role) != contentDigest(wantRole) || contentDigest(binding) != contentDigest(wantBinding) ||
			!r.roleUpToDate(role, owner, name, rules) || !r.bindingUpToDate(binding, owner, c) {
			t.Errorf("%s: a label or annotation of someone else's changes ours", name[:3])
		}
		_, binding = r.Desired(owner, c, rules)
		binding.Subjects[0].Name = c.Spec.Email // without the prefix
		if r.bindingUpToDate(binding, owner, c) {
			t.Errorf("%s: a RoleBinding to another user is up to date", name[:3])
		}
		_, binding = r.Desired(owner, c, rules)
		binding.Subjects = append(binding.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, Name: "mallory"})
		if r.bindingUpToDate(binding, owner, c) {
			t.Errorf("%s: a RoleBinding with a second subject is up to date", name[:3])
		}
	}
	if a, b := RBACName(strings.Repeat("z", 240)+"a"), RBACName(strings.Repeat("z", 240)+"b"); a == b {
		t.Errorf("two long names make one RBAC name %q", a)
	}
}

// The RBAC cache keeps Roles and RoleBindings as digests (keepDigests): a cached object
// is up to date by its digests, at the version they were taken of; other rules, another
// subject, another owner, or a newer version not yet seen by the transform, are not;
// this manager's own write is still told from anyone else's; the labels and annotations
// of others are kept for update.
func TestCachedRBACKeepsDigests(t *testing.T) {
	owner := fixtures.Account("acme", "acme", 5)
	owner.UID = types.UID("uid-acme")
	r := &RBACReconciler{IdentityPrefix: "oidc:"}
	tom := fixtures.Collaborator("acme", "tom", v1alpha1.Member)
	rules := []rbacv1.PolicyRule{{APIGroups: []string{"access.workcenter.io"}, Resources: []string{"workcenters"},
		ResourceNames: []string{"tower"}, Verbs: []string{"get"}}}
	role, binding := r.Desired(owner, tom, rules)
	role.ResourceVersion, binding.ResourceVersion = "7", "7"
	role.UID, binding.UID = "uid-role", "uid-binding"
	r.remember(role) // this manager writes them
	r.remember(binding)
	written, writtenBinding := role.DeepCopy(), binding.DeepCopy()
	o, err := r.keepDigests(role)
	if err != nil {
		t.Fatal(err)
	}
	cached := o.(*rbacv1.Role)
	if cached.Rules != nil || cached.OwnerReferences != nil || cached.Labels != nil || cached.Annotations != nil {
		t.Fatalf("the cache keeps more than it needs: %+v", cached)
	}
	if cached.Name != role.Name || cached.Namespace != "acme" || cached.ResourceVersion != "7" || cached.UID != "uid-role" {
		t.Fatalf("the cache lost what update needs: %+v", cached.ObjectMeta)
	}
	o, _ = r.keepDigests(binding)
	cachedBinding := o.(*rbacv1.RoleBinding)
	if cachedBinding.Subjects != nil || cachedBinding.RoleRef != (rbacv1.RoleRef{}) || cachedBinding.OwnerReferences != nil || cachedBinding.Labels != nil {
		t.Fatalf("the cache keeps more than it needs: %+v", cachedBinding)
	}
	if again, _ := r.keepDigests(cached); !r.roleUpToDate(again.(*rbacv1.Role), owner, "tom", rules) {
		t.Error("a kept Role, transformed again, lost its digests")
	}
	if !r.roleUpToDate(cached, owner, "tom", rules) || !r.bindingUpToDate(cachedBinding, owner, tom) {
		t.Error("a cached Role or RoleBinding as Desired makes it is not up to date")
	}
	other := []rbacv1.PolicyRule{{APIGroups: []string{"access.workcenter.io"}, Resources: []string{"workcenters"},
		ResourceNames: []string{"annex"}, Verbs: []string{"get"}}}
	if r.roleUpToDate(cached, owner, "tom", other) {
		t.Error("a cached Role with other rules is up to date")
	}
	moved := owner.DeepCopy()
	moved.UID = "uid-other"
	if r.roleUpToDate(cached, moved, "tom", rules) || r.bindingUpToDate(cachedBinding, moved, tom) {
		t.Error("a cached Role or RoleBinding of another owner is up to date")
	}
	renamed := tom.DeepCopy()
	renamed.Spec.Email = "thomas@example.com"
	if r.bindingUpToDate(cachedBinding, owner, renamed) {
		t.Error("a cached RoleBinding to another user is up to date")
	}
	if !r.ours(cached, false) || !r.ours(cachedBinding, false) {
		t.Error("this manager's own write, cached, is taken for someone else's")
	}
	// Someone edits the rules, the subjects and the roleRef, and labels them: the new
	// versions' digests are recorded, and they are theirs; their labels are kept.
	edited := written.DeepCopy()
	edited.ResourceVersion = "8"
	edited.Rules[0].Verbs = []string{"get", "delete"}
	edited.Labels["team"] = "north"
	editedRules := slices.Clone(edited.Rules)
	o, _ = r.keepDigests(edited)
	if r.ours(o.(*rbacv1.Role), false) {
		t.Error("an edit by someone else is taken for this manager's write")
	}
	if r.roleUpToDate(o.(*rbacv1.Role), owner, "tom", rules) {
		t.Error("an edited Role is up to date")
	}
	if l := o.(*rbacv1.Role).Labels; l["team"] != "north" || l[v1alpha1.LabelCollaborator] != "tom" {
		t.Errorf("the labels of others, and ours with them, are not kept for update: %v", l)
	}
	editedBinding := writtenBinding.DeepCopy()
	editedBinding.ResourceVersion = "8"
	editedBinding.Subjects = append(editedBinding.Subjects, rbacv1.Subject{Kind: rbacv1.UserKind, Name: "mallory"})
	o, _ = r.keepDigests(editedBinding)
	if r.ours(o.(*rbacv1.RoleBinding), false) || r.bindingUpToDate(o.(*rbacv1.RoleBinding), owner, tom) {
		t.Error("a RoleBinding with a second subject is ours, or up to date")
	}
	otherRef := writtenBinding.DeepCopy()
	otherRef.ResourceVersion = "9"
	otherRef.RoleRef.Name = "admin"
	o, _ = r.keepDigests(otherRef)
	if d, recorded := r.digestsOf(o.(*rbacv1.RoleBinding)); !recorded || d.roleRefOurs || r.bindingUpToDate(o.(*rbacv1.RoleBinding), owner, tom) {
		t.Error("a RoleBinding to another Role is taken for ours")
	}
	// A version the transform has not recorded (nothing kept, another resourceVersion)
	// is never taken as up to date.
	unseen := cached.DeepCopy()
	unseen.ResourceVersion = "10"
	if r.roleUpToDate(unseen, owner, "tom", editedRules) || r.roleUpToDate(unseen, owner, "tom", rules) {
		t.Error("a version with no digest is up to date")
	}
	// Deleted: its digests go, unless a newer object of that name is recorded already.
	renewed := written.DeepCopy()
	renewed.UID, renewed.ResourceVersion = "uid-role-2", "11"
	_, _ = r.keepDigests(renewed)
	r.ours(unseen, true) // the old object's deletion, seen after the new one's transform
	if _, ok := r.cached.Load(writtenKey(unseen)); !ok {
		t.Error("a deletion dropped the digests of the object made again under that name")
	}
	r.ours(renewed, true)
	if _, ok := r.cached.Load(writtenKey(renewed)); ok {
		t.Error("a deleted Role's digests are kept")
	}
}
