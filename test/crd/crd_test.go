package crd_test

import (
	"encoding/json"
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	accessv1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The objects here are unstructured on purpose: the tests control exactly which fields
// are sent, so "left out" really is left out and the apiserver's defaulting shows.
type obj = map[string]any
type arr = []any

func newObject(kind, name, namespace string, spec obj) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: obj{}}
	if spec != nil {
		u.Object["spec"] = runtime.DeepCopyJSON(spec)
	}
	u.SetAPIVersion(accessv1alpha1.GroupVersion.String())
	u.SetKind(kind)
	u.SetName(name)
	u.SetNamespace(namespace)
	return u
}

func strs(items ...string) arr {
	out := make(arr, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

// numbered returns n distinct strings built by format from 0..n-1.
func numbered(format string, n int) arr {
	out := make(arr, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

// assignments returns n distinct WorkCenter assignments, all with the given role.
func assignments(n int, role string) arr {
	out := make(arr, n)
	for i := range out {
		out[i] = obj{"name": fmt.Sprintf("wc-%d", i), "role": role}
	}
	return out
}

// with returns a copy of base with the given keys set (a nil value removes the key).
func with(base obj, kv ...any) obj {
	out := runtime.DeepCopyJSON(base)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// Minimal valid specs of each kind.
var (
	accountSpec      = obj{"displayName": "Acme Builders"}
	workCenterSpec   = obj{"displayName": "Riverside Tower A"}
	roleSpec         = obj{"displayName": "Site Engineer"}
	collaboratorSpec = obj{"email": "jane.doe@partner.example"}
)

// variant is one side of a rejection case. name defaults to "valid" or "invalid".
type variant struct {
	name string
	spec obj // nil leaves spec out entirely
}

var _ = Describe("CRD schema", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	Describe("rejection of bad input", func() {
		// Each case creates the valid variant first, which must be accepted, then the
		// invalid one, which must be rejected as Invalid with the expected message. So a
		// case fails both when the rule is missing and when it rejects too much.
		DescribeTable("rejects the invalid variant and accepts the valid one",
			func(kind string, valid, invalid variant, message string) {
				if valid.name == "" {
					valid.name = "valid"
				}
				if invalid.name == "" {
					invalid.name = "invalid"
				}
				Expect(k8sClient.Create(ctx, newObject(kind, valid.name, ns, valid.spec))).
					To(Succeed(), "the valid variant must be accepted")

				err := k8sClient.Create(ctx, newObject(kind, invalid.name, ns, invalid.spec))
				Expect(err).To(HaveOccurred(), "the invalid variant must be rejected")
				Expect(apierrors.IsInvalid(err)).To(BeTrue(), "want 422 Invalid, got %v", err)
				Expect(err.Error()).To(ContainSubstring(message))
			},

			// Collaborator: CEL rules
			Entry("R1: adminRole other than None on a Guest", "Collaborator",
				variant{spec: with(collaboratorSpec, "type", "Member", "adminRole", "AccountAdministrator")},
				variant{spec: with(collaboratorSpec, "type", "Guest", "adminRole", "AccountAdministrator")},
				"adminRole other than None requires type: Member (guests cannot be administrators)"),
			Entry("R1: adminRole on a collaborator whose type defaults to Guest", "Collaborator",
				variant{spec: with(collaboratorSpec, "type", "Member", "adminRole", "WorkCenterAdministrator")},
				variant{spec: with(collaboratorSpec, "adminRole", "WorkCenterAdministrator")},
				"adminRole other than None requires type: Member"),
			Entry("R2: a Guest holding workcenter-owner", "Collaborator",
				variant{spec: with(collaboratorSpec, "type", "Member",
					"workCenters", arr{obj{"name": "tower-a", "role": "workcenter-owner"}})},
				variant{spec: with(collaboratorSpec, "type", "Guest",
					"workCenters", arr{obj{"name": "tower-a", "role": "workcenter-owner"}})},
				"a Guest cannot hold the workcenter-owner role: it has member-only permissions"),
			Entry("R2: workcenter-owner on a collaborator whose type defaults to Guest", "Collaborator",
				variant{spec: with(collaboratorSpec,
					"workCenters", arr{obj{"name": "tower-a", "role": "contributor"}, obj{"name": "tower-b", "role": "read-only"}})},
				variant{spec: with(collaboratorSpec,
					"workCenters", arr{obj{"name": "tower-a", "role": "contributor"}, obj{"name": "tower-b", "role": "workcenter-owner"}})},
				"a Guest cannot hold the workcenter-owner role"),
			Entry("email without @", "Collaborator",
				variant{spec: with(collaboratorSpec, "email", "jane@partner.example")},
				variant{spec: with(collaboratorSpec, "email", "jane.partner.example")},
				"email must be an address like name@example.com"),
			Entry("email with a space", "Collaborator",
				variant{spec: with(collaboratorSpec, "email", "jane.doe@partner.example")},
				variant{spec: with(collaboratorSpec, "email", "jane doe@partner.example")},
				"email must be an address like name@example.com"),
			Entry("email with two @", "Collaborator",
				variant{spec: with(collaboratorSpec, "email", "a@b.example")},
				variant{spec: with(collaboratorSpec, "email", "a@b@c.example")},
				"email must be an address like name@example.com"),

			// Collaborator: OpenAPI rules
			Entry("email missing", "Collaborator",
				variant{spec: collaboratorSpec},
				variant{spec: obj{"displayName": "Jane Doe"}},
				"spec.email: Required value"),
			Entry("spec missing", "Collaborator",
				variant{spec: collaboratorSpec},
				variant{spec: nil},
				"spec: Required value"),
			Entry("bad type enum", "Collaborator",
				variant{spec: with(collaboratorSpec, "type", "Guest")},
				variant{spec: with(collaboratorSpec, "type", "Contractor")},
				`spec.type: Unsupported value: "Contractor"`),
			Entry("bad adminRole enum", "Collaborator",
				variant{spec: with(collaboratorSpec, "type", "Member", "adminRole", "UserAdministrator")},
				variant{spec: with(collaboratorSpec, "type", "Member", "adminRole", "Owner")},
				`spec.adminRole: Unsupported value: "Owner"`),
			Entry("displayName longer than 128", "Collaborator",
				variant{spec: with(collaboratorSpec, "displayName", strings.Repeat("j", 128))},
				variant{spec: with(collaboratorSpec, "displayName", strings.Repeat("j", 129))},
				"spec.displayName: Too long: may not be more than 128 bytes"),
			Entry("the same WorkCenter twice in workCenters (list map key name)", "Collaborator",
				variant{spec: with(collaboratorSpec, "workCenters", arr{
					obj{"name": "tower-a", "role": "contributor"}, obj{"name": "tower-b", "role": "read-only"}})},
				variant{spec: with(collaboratorSpec, "workCenters", arr{
					obj{"name": "tower-a", "role": "contributor"}, obj{"name": "tower-a", "role": "read-only"}})},
				`spec.workCenters[1]: Duplicate value: {"name":"tower-a"}`),
			Entry("an assignment without a role", "Collaborator",
				variant{spec: with(collaboratorSpec, "workCenters", arr{obj{"name": "tower-a", "role": "read-only"}})},
				variant{spec: with(collaboratorSpec, "workCenters", arr{obj{"name": "tower-a"}})},
				"spec.workCenters[0].role: Required value"),
			Entry("an assignment naming a WorkCenter that is not an object name", "Collaborator",
				variant{spec: with(collaboratorSpec, "workCenters", arr{obj{"name": "tower-a", "role": "read-only"}})},
				variant{spec: with(collaboratorSpec, "workCenters", arr{obj{"name": "Tower A", "role": "read-only"}})},
				`spec.workCenters[0].name: Invalid value: "Tower A": spec.workCenters[0].name in body should match`),
			Entry("more than 256 workCenters (maxItems)", "Collaborator",
				variant{spec: with(collaboratorSpec, "workCenters", assignments(256, "read-only"))},
				variant{spec: with(collaboratorSpec, "workCenters", assignments(257, "read-only"))},
				"spec.workCenters: Too many: 257: must have at most 256 items"),

			// Account
			Entry("logoURL over http", "Account",
				variant{spec: with(accountSpec, "logoURL", "https://assets.acme.example/logo.png")},
				variant{spec: with(accountSpec, "logoURL", "http://assets.acme.example/logo.png")},
				"logoURL must be an absolute https:// URL"),
			Entry("logoURL that is not a URL", "Account",
				variant{spec: with(accountSpec, "logoURL", "https://acme.example/logo.png")},
				variant{spec: with(accountSpec, "logoURL", "not a url")},
				"logoURL must be an absolute https:// URL"),
			Entry("logoURL that is a relative path", "Account",
				variant{spec: with(accountSpec, "logoURL", "https://acme.example/logo.png")},
				variant{spec: with(accountSpec, "logoURL", "logo.png")},
				"logoURL must be an absolute https:// URL"),
			Entry("logoURL without a host", "Account",
				variant{spec: with(accountSpec, "logoURL", "https://acme.example/")},
				variant{spec: with(accountSpec, "logoURL", "https:///logo.png")},
				"logoURL must be an absolute https:// URL"),
			Entry("bad state enum", "Account",
				variant{spec: with(accountSpec, "state", "Deactivated")},
				variant{spec: with(accountSpec, "state", "Paused")},
				`spec.state: Unsupported value: "Paused"`),
			Entry("negative licenses", "Account",
				variant{spec: with(accountSpec, "licenses", int64(0))},
				variant{spec: with(accountSpec, "licenses", int64(-1))},
				"spec.licenses in body should be greater than or equal to 0"),
			Entry("displayName missing", "Account",
				variant{spec: accountSpec},
				variant{spec: obj{"licenses": int64(3)}},
				"spec.displayName: Required value"),
			Entry("displayName empty", "Account",
				variant{spec: with(accountSpec, "displayName", "A")},
				variant{spec: with(accountSpec, "displayName", "")},
				"spec.displayName in body should be at least 1 chars long"),
			Entry("displayName longer than 128", "Account",
				variant{spec: with(accountSpec, "displayName", strings.Repeat("a", 128))},
				variant{spec: with(accountSpec, "displayName", strings.Repeat("a", 129))},
				"spec.displayName: Too long: may not be more than 128 bytes"),
			Entry("picklist item longer than 64", "Account",
				variant{spec: with(accountSpec, "picklists", obj{"fileTypes": strs(strings.Repeat("d", 64))})},
				variant{spec: with(accountSpec, "picklists", obj{"fileTypes": strs(strings.Repeat("d", 65))})},
				"spec.picklists.fileTypes[0]: Too long: may not be more than 64 bytes"),
			Entry("empty picklist item", "Account",
				variant{spec: with(accountSpec, "picklists", obj{"fileStatuses": strs("Draft")})},
				variant{spec: with(accountSpec, "picklists", obj{"fileStatuses": strs("")})},
				"spec.picklists.fileStatuses[0] in body should be at least 1 chars long"),
			Entry("duplicate picklist item (listType set)", "Account",
				variant{spec: with(accountSpec, "picklists", obj{"workCenterCategories": strs("Residential", "Commercial")})},
				variant{spec: with(accountSpec, "picklists", obj{"workCenterCategories": strs("Residential", "Residential")})},
				`spec.picklists.workCenterCategories[1]: Duplicate value: "Residential"`),
			Entry("more than 256 picklist items (maxItems)", "Account",
				variant{spec: with(accountSpec, "picklists", obj{"workCenterCategories": numbered("Category %d", 256)})},
				variant{spec: with(accountSpec, "picklists", obj{"workCenterCategories": numbered("Category %d", 257)})},
				"spec.picklists.workCenterCategories: Too many: 257: must have at most 256 items"),

			// WorkCenter
			Entry("WorkCenter displayName missing", "WorkCenter",
				variant{spec: workCenterSpec},
				variant{spec: obj{"category": "Residential"}},
				"spec.displayName: Required value"),
			Entry("WorkCenter displayName empty", "WorkCenter",
				variant{spec: with(workCenterSpec, "displayName", "A")},
				variant{spec: with(workCenterSpec, "displayName", "")},
				"spec.displayName in body should be at least 1 chars long"),
			Entry("WorkCenter displayName longer than 128", "WorkCenter",
				variant{spec: with(workCenterSpec, "displayName", strings.Repeat("w", 128))},
				variant{spec: with(workCenterSpec, "displayName", strings.Repeat("w", 129))},
				"spec.displayName: Too long: may not be more than 128 bytes"),
			Entry("WorkCenter category longer than 64", "WorkCenter",
				variant{spec: with(workCenterSpec, "category", strings.Repeat("c", 64))},
				variant{spec: with(workCenterSpec, "category", strings.Repeat("c", 65))},
				"spec.category: Too long: may not be more than 64 bytes"),
			Entry("WorkCenter description longer than 2048", "WorkCenter",
				variant{spec: with(workCenterSpec, "description", strings.Repeat("d", 2048))},
				variant{spec: with(workCenterSpec, "description", strings.Repeat("d", 2049))},
				"spec.description: Too long: may not be more than 2048 bytes"),

			// WorkCenterRole
			Entry("a role including itself", "WorkCenterRole",
				variant{name: "site-lead", spec: with(roleSpec, "includes", strs("contributor", "site-engineer"))},
				variant{name: "site-engineer", spec: with(roleSpec, "includes", strs("contributor", "site-engineer"))},
				"a role cannot include itself"),
			Entry("unknown permission", "WorkCenterRole",
				variant{spec: with(roleSpec, "permissions", strs("tasks.create", "files.copy"))},
				variant{spec: with(roleSpec, "permissions", strs("tasks.create", "files.burn"))},
				`spec.permissions[1]: Unsupported value: "files.burn"`),
			Entry("duplicate permission (listType set)", "WorkCenterRole",
				variant{spec: with(roleSpec, "permissions", strs("tasks.create", "tasks.update"))},
				variant{spec: with(roleSpec, "permissions", strs("tasks.create", "tasks.create"))},
				`spec.permissions[1]: Duplicate value: "tasks.create"`),
			Entry("bad level enum", "WorkCenterRole",
				variant{spec: with(roleSpec, "levels", obj{"files": "Admin", "tasks": "ReadOnly"})},
				variant{spec: with(roleSpec, "levels", obj{"files": "Write", "tasks": "ReadOnly"})},
				`spec.levels.files: Unsupported value: "Write"`),
			Entry("included role that is not an object name", "WorkCenterRole",
				variant{spec: with(roleSpec, "includes", strs("contributor"))},
				variant{spec: with(roleSpec, "includes", strs("Contributor"))},
				`spec.includes[0]: Invalid value: "Contributor": spec.includes[0] in body should match`),
			Entry("more than 32 includes (maxItems)", "WorkCenterRole",
				variant{spec: with(roleSpec, "includes", numbered("role-%d", 32))},
				variant{spec: with(roleSpec, "includes", numbered("role-%d", 33))},
				"spec.includes: Too many: 33: must have at most 32 items"),
			Entry("WorkCenterRole displayName missing", "WorkCenterRole",
				variant{spec: roleSpec},
				variant{spec: obj{"includes": strs("contributor")}},
				"spec.displayName: Required value"),
			Entry("WorkCenterRole displayName empty", "WorkCenterRole",
				variant{spec: with(roleSpec, "displayName", "R")},
				variant{spec: with(roleSpec, "displayName", "")},
				"spec.displayName in body should be at least 1 chars long"),
			Entry("WorkCenterRole displayName longer than 128", "WorkCenterRole",
				variant{spec: with(roleSpec, "displayName", strings.Repeat("r", 128))},
				variant{spec: with(roleSpec, "displayName", strings.Repeat("r", 129))},
				"spec.displayName: Too long: may not be more than 128 bytes"),
			Entry("emailNotifications option that is not a boolean", "WorkCenterRole",
				variant{spec: with(roleSpec, "emailNotifications", obj{"postDeleted": false})},
				variant{spec: with(roleSpec, "emailNotifications", obj{"postDeleted": "no"})},
				`spec.emailNotifications.postDeleted: Invalid value: "string": spec.emailNotifications.postDeleted in body must be of type boolean`),
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

	Describe("names, categories and printer columns (SPEC section 1)", func() {
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

				// kubectl shows column names in upper case, as the SPEC table does.
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
