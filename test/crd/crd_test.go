package crd_test

import (
	"encoding/json"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/test/crd"
)

// The helpers and the rejection cases live in cases.go (package crd), which
// internal/schema shares; short local names keep the specs below readable.
type obj = crd.Obj
type arr = crd.Arr

var (
	newObject        = crd.NewObject
	with             = crd.With
	accountSpec      = crd.AccountSpec
	workCenterSpec   = crd.WorkCenterSpec
	roleSpec         = crd.RoleSpec
	collaboratorSpec = crd.CollaboratorSpec
)

// rejectionEntries turns the shared rejection cases into table entries.
func rejectionEntries() []TableEntry {
	entries := make([]TableEntry, len(crd.RejectionCases))
	for i, c := range crd.RejectionCases {
		entries[i] = Entry(c.Name, c)
	}
	return entries
}

var _ = Describe("CRD schema", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	Describe("rejection of bad input", func() {
		// Each case creates the valid variant first, which must be accepted, then the
		// invalid one, which must be rejected as Invalid with the expected message. So a
		// case fails both when the rule is missing and when it rejects too much.
		DescribeTable("rejects the invalid variant and accepts the valid one",
			func(c crd.Case) {
				Expect(k8sClient.Create(ctx, c.ValidObject(ns))).
					To(Succeed(), "the valid variant must be accepted")

				err := k8sClient.Create(ctx, c.InvalidObject(ns))
				Expect(err).To(HaveOccurred(), "the invalid variant must be rejected")
				Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
				Expect(err.Error()).To(ContainSubstring(c.Message))
			},
			rejectionEntries(),
		)

		It("enforces the Collaborator rules on update as well as on create", func() {
			admin := newObject("Collaborator", "maria-lopez", ns,
				with(collaboratorSpec, "type", "Member", "adminRole", "AccountAdministrator"))
			Expect(k8sClient.Create(ctx, admin)).To(Succeed())

			Expect(unstructured.SetNestedField(admin.Object, "Guest", "spec", "type")).To(Succeed())
			err := k8sClient.Update(ctx, admin)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring("adminRole other than None requires type: Member"))

			owner := newObject("Collaborator", "priya-shah", ns, with(collaboratorSpec,
				"email", "priya@acme.example", "type", "Member",
				"workCenters", arr{obj{"name": "tower-a", "role": "workcenter-owner"}}))
			Expect(k8sClient.Create(ctx, owner)).To(Succeed())
			Expect(unstructured.SetNestedField(owner.Object, "Guest", "spec", "type")).To(Succeed())
			err = k8sClient.Update(ctx, owner)
			Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
			Expect(err.Error()).To(ContainSubstring("a Guest cannot hold the workcenter-owner role"))
		})
	})

	Describe("defaults", func() {
		get := func(kind, name string) *unstructured.Unstructured {
			u := newObject(kind, name, ns, nil)
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), u)).To(Succeed())
			return u
		}

		It("defaults an Account to state Active and 0 licenses", func() {
			Expect(k8sClient.Create(ctx, newObject("Account", "acme", ns, accountSpec))).To(Succeed())
			u := get("Account", "acme")
			Expect(u.Object["spec"]).To(HaveKeyWithValue("state", "Active"))
			Expect(u.Object["spec"]).To(HaveKeyWithValue("licenses", BeNumerically("==", 0)))

			var typed accessv1alpha1.Account
			Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(u), &typed)).To(Succeed())
			Expect(typed.Spec.State).To(Equal(accessv1alpha1.AccountActive))
		})

		It("keeps an explicit Account state and licenses", func() {
			Expect(k8sClient.Create(ctx, newObject("Account", "acme", ns,
				with(accountSpec, "state", "Deactivated", "licenses", int64(25))))).To(Succeed())
			u := get("Account", "acme")
			Expect(u.Object["spec"]).To(HaveKeyWithValue("state", "Deactivated"))
			Expect(u.Object["spec"]).To(HaveKeyWithValue("licenses", BeNumerically("==", 25)))
		})

		It("defaults a Collaborator to type Guest and adminRole None", func() {
			Expect(k8sClient.Create(ctx, newObject("Collaborator", "jane-doe", ns, collaboratorSpec))).To(Succeed())
			u := get("Collaborator", "jane-doe")
			Expect(u.Object["spec"]).To(HaveKeyWithValue("type", "Guest"))
			Expect(u.Object["spec"]).To(HaveKeyWithValue("adminRole", "None"))
		})

		It("keeps an explicit Collaborator type and adminRole", func() {
			Expect(k8sClient.Create(ctx, newObject("Collaborator", "maria-lopez", ns,
				with(collaboratorSpec, "type", "Member", "adminRole", "UserAdministrator")))).To(Succeed())
			u := get("Collaborator", "maria-lopez")
			Expect(u.Object["spec"]).To(HaveKeyWithValue("type", "Member"))
			Expect(u.Object["spec"]).To(HaveKeyWithValue("adminRole", "UserAdministrator"))
		})

		emailOptions := []string{
			"fileUploaded", "filesFoldersDeleted", "fileVersionRestored", "fileCommentAdded",
			"filesFoldersCopiedMoved", "postCreated", "postUpdated", "postDeleted", "collaboratorRemoved",
		}
		emailNotifications := func(name string) obj {
			n, found, err := unstructured.NestedMap(get("WorkCenterRole", name).Object, "spec", "emailNotifications")
			Expect(err).NotTo(HaveOccurred())
			Expect(found).To(BeTrue(), "spec.emailNotifications is defaulted")
			return n
		}

		It("turns every email notification on when emailNotifications is left out", func() {
			Expect(k8sClient.Create(ctx, newObject("WorkCenterRole", "site-engineer", ns, roleSpec))).To(Succeed())
			n := emailNotifications("site-engineer")
			Expect(n).To(HaveLen(9))
			for _, o := range emailOptions {
				Expect(n).To(HaveKeyWithValue(o, true), o)
			}

			var typed accessv1alpha1.WorkCenterRole
			Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "site-engineer"}, &typed)).To(Succeed())
			Expect(typed.Spec.EmailNotifications).NotTo(BeNil())
			Expect(typed.Spec.EmailNotifications.CollaboratorRemoved).To(HaveValue(BeTrue()))
		})

		It("turns every email notification on when emailNotifications is empty", func() {
			Expect(k8sClient.Create(ctx, newObject("WorkCenterRole", "site-engineer", ns,
				with(roleSpec, "emailNotifications", obj{})))).To(Succeed())
			n := emailNotifications("site-engineer")
			for _, o := range emailOptions {
				Expect(n).To(HaveKeyWithValue(o, true), o)
			}
		})

		It("keeps an explicit false and defaults the other options to true", func() {
			Expect(k8sClient.Create(ctx, newObject("WorkCenterRole", "quiet", ns,
				with(roleSpec, "emailNotifications", obj{"postDeleted": false, "fileUploaded": false})))).To(Succeed())
			n := emailNotifications("quiet")
			Expect(n).To(HaveLen(9))
			for _, o := range emailOptions {
				want := o != "postDeleted" && o != "fileUploaded"
				Expect(n).To(HaveKeyWithValue(o, want), o)
			}
		})
	})

	Describe("names, categories and printer columns", func() {
		DescribeTable("each CRD",
			func(kind, plural, shortName string, spec obj, columns []string) {
				var crd apiextensionsv1.CustomResourceDefinition
				Expect(k8sClient.Get(ctx, client.ObjectKey{Name: plural + "." + accessv1alpha1.GroupVersion.Group}, &crd)).To(Succeed())

				Expect(crd.Spec.Scope).To(Equal(apiextensionsv1.NamespaceScoped))
				Expect(crd.Spec.Names.Kind).To(Equal(kind))
				Expect(crd.Spec.Names.ShortNames).To(ContainElement(shortName))
				Expect(crd.Spec.Names.Categories).To(ContainElement("procorem"))

				Expect(crd.Spec.Versions).To(HaveLen(1))
				version := crd.Spec.Versions[0]
				Expect(version.Name).To(Equal(accessv1alpha1.GroupVersion.Version))
				Expect(version.Served && version.Storage).To(BeTrue())

				// kubectl shows column names in upper case, as the table below writes them.
				names := map[string]apiextensionsv1.CustomResourceColumnDefinition{}
				for _, c := range version.AdditionalPrinterColumns {
					names[strings.ToUpper(c.Name)] = c
				}
				for _, want := range append(columns, "AGE") {
					Expect(names).To(HaveKey(want))
					Expect(names[want].Priority).To(BeZero(), "%s shows without -o wide", want)
				}
				Expect(names["READY"].JSONPath).To(Equal(`.status.conditions[?(@.type=="Ready")].status`))
				Expect(names["AGE"].Type).To(Equal("date"))

				By("the apiserver serves the columns to kubectl get")
				Expect(k8sClient.Create(ctx, newObject(kind, "example", ns, spec))).To(Succeed())
				table := getTable(plural, ns)
				var served []string
				for _, c := range table.ColumnDefinitions {
					served = append(served, strings.ToUpper(c.Name))
				}
				Expect(served).To(ContainElements(append([]string{"NAME"}, columns...)))
				Expect(table.Rows).To(HaveLen(1))
				Expect(table.Rows[0].Cells[0]).To(Equal("example"))
			},
			Entry("Account", "Account", "accounts", "acct", accountSpec,
				[]string{"DISPLAY NAME", "STATE", "MEMBERS", "GUESTS", "LICENSES", "READY"}),
			Entry("WorkCenter", "WorkCenter", "workcenters", "wc", workCenterSpec,
				[]string{"DISPLAY NAME", "CATEGORY", "ARCHIVED", "COLLABORATORS", "READY"}),
			Entry("WorkCenterRole", "WorkCenterRole", "workcenterroles", "wcrole", roleSpec,
				[]string{"DISPLAY NAME", "BUILT-IN", "MEMBER-ONLY", "ASSIGNMENTS", "READY"}),
			Entry("Collaborator", "Collaborator", "collaborators", "collab", collaboratorSpec,
				[]string{"EMAIL", "TYPE", "ADMIN", "WORKCENTERS", "READY", "REASON"}),
		)

		It("lists exactly the four kinds under the procorem category, which shadows no resource", func() {
			dc, err := discovery.NewDiscoveryClientForConfig(cfg)
			Expect(err).NotTo(HaveOccurred())
			_, lists, err := dc.ServerGroupsAndResources()
			Expect(err).NotTo(HaveOccurred())

			inCategory := sets.New[string]()
			for _, list := range lists {
				gv := list.GroupVersion
				for _, r := range list.APIResources {
					if strings.Contains(r.Name, "/") {
						continue // subresources
					}
					Expect(r.Name).NotTo(Equal("procorem"), "%s shadows the category", gv)
					Expect(r.SingularName).NotTo(Equal("procorem"), "%s shadows the category", gv)
					Expect(r.ShortNames).NotTo(ContainElement("procorem"), "%s/%s shadows the category", gv, r.Name)
					if sets.New(r.Categories...).Has("procorem") {
						inCategory.Insert(r.Name + "." + gv)
					}
				}
			}
			Expect(sets.List(inCategory)).To(ConsistOf(
				"accounts.access.workcenter.io/v1alpha1",
				"collaborators.access.workcenter.io/v1alpha1",
				"workcenterroles.access.workcenter.io/v1alpha1",
				"workcenters.access.workcenter.io/v1alpha1",
			))
		})
	})

	Describe("status subresource", func() {
		DescribeTable("status is written through /status only, without bumping the generation",
			func(kind, plural string, spec obj, specField string, newValue any) {
				var crd apiextensionsv1.CustomResourceDefinition
				Expect(k8sClient.Get(ctx, client.ObjectKey{Name: plural + "." + accessv1alpha1.GroupVersion.Group}, &crd)).To(Succeed())
				Expect(crd.Spec.Versions[0].Subresources).NotTo(BeNil())
				Expect(crd.Spec.Versions[0].Subresources.Status).NotTo(BeNil())

				u := newObject(kind, "example", ns, spec)
				Expect(k8sClient.Create(ctx, u)).To(Succeed())
				Expect(u.GetGeneration()).To(Equal(int64(1)))

				By("writing status through the status subresource")
				u.Object["status"] = obj{
					"observedGeneration": int64(1),
					"conditions": arr{obj{
						"type": "Ready", "status": "True", "reason": "Reconciled", "message": "",
						"observedGeneration": int64(1), "lastTransitionTime": metav1.Now().UTC().Format("2006-01-02T15:04:05Z"),
					}},
				}
				Expect(k8sClient.Status().Update(ctx, u)).To(Succeed())
				Expect(u.GetGeneration()).To(Equal(int64(1)), "a status write does not bump the generation")
				Expect(observedGeneration(u)).To(Equal(int64(1)))
				table := getTable(plural, ns)
				Expect(table.Rows[0].Cells[readyColumn(table)]).To(Equal("True"), "the READY column reads the condition")

				By("ignoring status written through the main resource")
				Expect(unstructured.SetNestedField(u.Object, int64(99), "status", "observedGeneration")).To(Succeed())
				Expect(unstructured.SetNestedField(u.Object, newValue, "spec", specField)).To(Succeed())
				Expect(k8sClient.Update(ctx, u)).To(Succeed())
				Expect(u.GetGeneration()).To(Equal(int64(2)), "a spec change bumps the generation")
				Expect(observedGeneration(u)).To(Equal(int64(1)))
			},
			Entry("Account", "Account", "accounts", accountSpec, "licenses", int64(5)),
			Entry("WorkCenter", "WorkCenter", "workcenters", workCenterSpec, "archived", true),
			Entry("WorkCenterRole", "WorkCenterRole", "workcenterroles", roleSpec, "description", "changed"),
			Entry("Collaborator", "Collaborator", "collaborators", collaboratorSpec, "displayName", "Jane Doe"),
		)
	})
})

// getTable lists a resource in ns the way kubectl get does: as a server-side Table.
func getTable(resource, ns string) *metav1.Table {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &accessv1alpha1.GroupVersion
	c.APIPath = "/apis"
	c.NegotiatedSerializer = serializer.NewCodecFactory(scheme).WithoutConversion()
	rc, err := rest.RESTClientFor(c)
	Expect(err).NotTo(HaveOccurred())
	raw, err := rc.Get().Namespace(ns).Resource(resource).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Do(ctx).Raw()
	Expect(err).NotTo(HaveOccurred())
	var table metav1.Table
	Expect(json.Unmarshal(raw, &table)).To(Succeed())
	return &table
}

func observedGeneration(u *unstructured.Unstructured) int64 {
	g, found, err := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	Expect(err).NotTo(HaveOccurred())
	Expect(found).To(BeTrue(), "status.observedGeneration is set")
	return g
}

func readyColumn(t *metav1.Table) int {
	for i, c := range t.ColumnDefinitions {
		if c.Name == "Ready" {
			return i
		}
	}
	Fail("no Ready column")
	return -1
}
