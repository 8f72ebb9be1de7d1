package crd_test

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/schema"
)

// etcdLimit is etcd's default request size limit (--max-request-bytes, 1.5 MiB), which
// caps any stored object.
const etcdLimit = 1572864

// longName is a valid object name of exactly 253 characters, distinct per i.
func longName(i int) string {
	label := func(c byte) string { return strings.Repeat(string(c), 63) }
	name := fmt.Sprintf("n%04d", i) + label('a')[5:] + "." + label('b') + "." + label('c') + "." + label('d')[:61]
	return name
}

// conditions are the most a status holds: 16 conditions, each message at metav1's
// 32,768 characters.
func conditions() []metav1.Condition {
	var out []metav1.Condition
	for i := range 16 {
		out = append(out, metav1.Condition{Type: fmt.Sprintf("Condition%02d", i), Status: metav1.ConditionFalse,
			Reason: strings.Repeat("R", 1024), Message: strings.Repeat("m", 32768), LastTransitionTime: metav1.Now()})
	}
	return out
}

// The largest valid objects: every list at its maxItems and every string at its
// maxLength, in spec (as a person writes it) and in status (as the schema allows, far more
// than the operator writes). The API server must store them (under etcd's limit and the
// CEL cost budget); the figures are printed (go test -v, or the report).
var _ = Describe("The largest valid objects", func() {
	It("are stored, under etcd's request limit and the CEL cost budget", func() {
		ns := newNamespace()
		sv, err := schema.New()
		Expect(err).NotTo(HaveOccurred())

		c := &v1alpha1.Collaborator{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: longName(9999)},
			Spec: v1alpha1.CollaboratorSpec{
				Email:       strings.Repeat("e", 240) + "@" + strings.Repeat("d", 9) + ".example"[:4],
				DisplayName: strings.Repeat("D", 128), Type: v1alpha1.Member, AdminRole: v1alpha1.AdminRoleNone,
			},
		}
		for i := range 256 {
			c.Spec.WorkCenters = append(c.Spec.WorkCenters, v1alpha1.WorkCenterAssignment{Name: v1alpha1.ObjectName(longName(i)), Role: v1alpha1.ObjectName(longName(i + 1000))})
		}
		role := &v1alpha1.WorkCenterRole{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: longName(8888)},
			Spec: v1alpha1.WorkCenterRoleSpec{DisplayName: strings.Repeat("D", 128), Description: strings.Repeat("d", 2048),
				EmailNotifications: model.AllEmailNotifications()},
		}
		for i := range 32 {
			role.Spec.Includes = append(role.Spec.Includes, v1alpha1.ObjectName(longName(i)))
		}
		for _, p := range model.Catalog() {
			role.Spec.Permissions = append(role.Spec.Permissions, p.Permission)
		}
		acct := &v1alpha1.Account{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: longName(7777)},
			Spec: v1alpha1.AccountSpec{DisplayName: strings.Repeat("D", 128), Licenses: 1000000,
				LogoURL: "https://" + strings.Repeat("l", 2030) + ".example/"},
		}
		for i := range 256 {
			item := v1alpha1.PicklistItem(fmt.Sprintf("%04d", i) + strings.Repeat("p", 60))
			acct.Spec.Picklists.WorkCenterCategories = append(acct.Spec.Picklists.WorkCenterCategories, item)
			acct.Spec.Picklists.FileTypes = append(acct.Spec.Picklists.FileTypes, item)
			acct.Spec.Picklists.FileStatuses = append(acct.Spec.Picklists.FileStatuses, item)
		}

		for _, obj := range []client.Object{c, role, acct} {
			u, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
			Expect(err).NotTo(HaveOccurred())
			kind := fmt.Sprintf("%T", obj)[len("*v1alpha1."):]
			us := &unstructured.Unstructured{Object: u}
			us.SetAPIVersion(v1alpha1.GroupVersion.String())
			us.SetKind(kind)
			cost, budget, err := sv.CELCost(us)
			Expect(err).NotTo(HaveOccurred())
			Expect(k8sClient.Create(ctx, obj)).To(Succeed(), "the largest valid %s is stored", kind)
			spec, err := json.Marshal(obj)
			Expect(err).NotTo(HaveOccurred())

			// The status at the schema's maxima.
			switch o := obj.(type) {
			case *v1alpha1.Collaborator:
				o.Status.Licensed = ptr.To(true)
				since := metav1.Now()
				for _, a := range o.Spec.WorkCenters {
					o.Status.WorkCenters = append(o.Status.WorkCenters, v1alpha1.WorkCenterAssignmentStatus{Name: string(a.Name), Role: string(a.Role),
						State: v1alpha1.AssignmentRejected, Reason: strings.Repeat("R", 128), Message: strings.Repeat("m", 1024), Since: &since})
				}
				o.Status.Conditions = conditions()
			case *v1alpha1.WorkCenterRole:
				o.Status.Permissions = o.Spec.Permissions
				o.Status.MemberOnlyPermissions = o.Spec.Permissions
				for i := range 20 {
					o.Status.AssignedTo = append(o.Status.AssignedTo, v1alpha1.RoleAssignment{Collaborator: longName(i), WorkCenter: longName(i + 100)})
				}
				for i := range 100 {
					o.Status.IncludedBy = append(o.Status.IncludedBy, v1alpha1.ObjectName(longName(i)))
				}
				o.Status.Conditions = conditions()
			case *v1alpha1.Account:
				o.Status.Conditions = conditions()
			}
			Expect(k8sClient.Status().Update(ctx, obj)).To(Succeed(), "the largest valid %s status is stored", kind)
			whole, err := json.Marshal(obj)
			Expect(err).NotTo(HaveOccurred())
			Expect(len(whole)).To(BeNumerically("<", etcdLimit))
			// What the operator can write: its four condition types (Ready, Reconciling,
			// Stalled, DeletionBlocked; the Account's two more), messages bounded by
			// model.MaxConditionMessage and model.MaxAssignmentMessage.
			written := obj.DeepCopyObject().(client.Object)
			keep := 4
			if _, ok := written.(*v1alpha1.Account); ok {
				keep = 6
			}
			switch o := written.(type) {
			case *v1alpha1.Collaborator:
				o.Status.Conditions = o.Status.Conditions[:keep]
			case *v1alpha1.WorkCenterRole:
				o.Status.Conditions = o.Status.Conditions[:keep+1] // InUse
			case *v1alpha1.Account:
				o.Status.Conditions = o.Status.Conditions[:keep]
			}
			operator, err := json.Marshal(written)
			Expect(err).NotTo(HaveOccurred())
			Expect(len(operator)).To(BeNumerically("<", etcdLimit*2/3), "what the operator writes stays well under etcd's limit")
			line := fmt.Sprintf("largest %s: spec %d bytes (%.1f%% of etcd's 1.5 MiB); with the largest status the operator writes %d bytes (%.1f%%); with the schema's largest status %d bytes (%.1f%%); CEL cost %d of %d (%.4f%%)",
				kind, len(spec), 100*float64(len(spec))/etcdLimit, len(operator), 100*float64(len(operator))/etcdLimit,
				len(whole), 100*float64(len(whole))/etcdLimit, cost, budget, 100*float64(cost)/float64(budget))
			GinkgoWriter.Println(line)
			AddReportEntry(kind, line)
		}
	})
})
