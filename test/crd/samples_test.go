package crd_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	accessv1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

func samplesDir() string { return filepath.Join(repoRoot, "config", "samples") }

// sampleNamespace is the namespace every sample object lives in.
const sampleNamespace = "acme"

// sampleFiles returns the files config/samples/kustomization.yaml lists, in its order.
func sampleFiles() []string {
	raw, err := os.ReadFile(filepath.Join(samplesDir(), "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	var k struct {
		Resources []string `json:"resources"`
	}
	Expect(yaml.Unmarshal(raw, &k)).To(Succeed())
	return k.Resources
}

// loadSamples decodes every object of every file the kustomization lists, in order.
func loadSamples() []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	for _, name := range sampleFiles() {
		f, err := os.Open(filepath.Join(samplesDir(), name))
		Expect(err).NotTo(HaveOccurred())
		dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
		for {
			u := &unstructured.Unstructured{}
			err := dec.Decode(&u.Object)
			if errors.Is(err, io.EOF) {
				break
			}
			Expect(err).NotTo(HaveOccurred(), "decoding %s", name)
			if len(u.Object) == 0 { // an empty document between two ---
				continue
			}
			objs = append(objs, u)
		}
		Expect(f.Close()).To(Succeed())
	}
	return objs
}

// sampleAccount is the sample account, decoded into the API types so the rules can be
// checked without the controllers.
type sampleAccount struct {
	namespaces    []string
	accounts      []accessv1alpha1.Account
	roles         []accessv1alpha1.WorkCenterRole
	workCenters   []accessv1alpha1.WorkCenter
	collaborators []accessv1alpha1.Collaborator
}

func typedSamples() sampleAccount {
	var s sampleAccount
	for _, u := range loadSamples() {
		var into any
		switch u.GetKind() {
		case "Namespace":
			s.namespaces = append(s.namespaces, u.GetName())
			continue
		case "Account":
			s.accounts = append(s.accounts, accessv1alpha1.Account{})
			into = &s.accounts[len(s.accounts)-1]
		case "WorkCenterRole":
			s.roles = append(s.roles, accessv1alpha1.WorkCenterRole{})
			into = &s.roles[len(s.roles)-1]
		case "WorkCenter":
			s.workCenters = append(s.workCenters, accessv1alpha1.WorkCenter{})
			into = &s.workCenters[len(s.workCenters)-1]
		case "Collaborator":
			s.collaborators = append(s.collaborators, accessv1alpha1.Collaborator{})
			into = &s.collaborators[len(s.collaborators)-1]
		default:
			Fail("unexpected kind in config/samples: " + u.GetKind())
		}
		Expect(runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true)).
			To(Succeed(), "%s %s has a field the API types do not know", u.GetKind(), u.GetName())
	}
	return s
}

// memberOnlyPermissions are the permissions that need a paid Member (docs/rules.md, Permissions).
var memberOnlyPermissions = []accessv1alpha1.Permission{
	"workCenter.editSettings", "files.move", "files.copy", "folders.delete",
	"tasks.create", "tasks.update", "tasks.manageAssignees", "tasks.manageApprovers",
	"collaborators.addGuests", "collaborators.remove", "collaborators.changeRole",
}

// memberOnlyRole reports whether a role grants a member-only permission: the built-in
// workcenter-owner does; a custom role does through a granular permission, an Admin level
// in an area that has member-only permissions (all but posts; None, ReadOnly and Standard
// never grant one), or an included role that does. The includes are acyclic (checked).
func (s sampleAccount) memberOnlyRole(name string) bool {
	switch name {
	case accessv1alpha1.RoleWorkCenterOwner:
		return true
	case accessv1alpha1.RoleContributor, accessv1alpha1.RoleReadOnly:
		return false
	}
	role := s.role(name)
	Expect(role).NotTo(BeNil(), "role %q", name)
	for _, p := range role.Spec.Permissions {
		if slices.Contains(memberOnlyPermissions, p) {
			return true
		}
	}
	l := role.Spec.Levels
	for _, level := range []accessv1alpha1.Level{l.WorkCenter, l.Files, l.Folders, l.Tasks, l.Collaborators} {
		if level == accessv1alpha1.LevelAdmin {
			return true
		}
	}
	return slices.ContainsFunc(role.Spec.Includes, func(n accessv1alpha1.ObjectName) bool {
		return s.memberOnlyRole(string(n))
	})
}

func (s sampleAccount) role(name string) *accessv1alpha1.WorkCenterRole {
	for i := range s.roles {
		if s.roles[i].Name == name {
			return &s.roles[i]
		}
	}
	return nil
}

func (s sampleAccount) roleExists(name string) bool {
	return accessv1alpha1.IsBuiltInRoleName(name) || s.role(name) != nil
}

func (s sampleAccount) workCenter(name string) *accessv1alpha1.WorkCenter {
	for i := range s.workCenters {
		if s.workCenters[i].Name == name {
			return &s.workCenters[i]
		}
	}
	return nil
}

func isMember(c accessv1alpha1.Collaborator) bool { return c.Spec.Type == accessv1alpha1.Member }

var _ = Describe("config/samples", func() {
	It("lists every sample file in kustomization.yaml, the Namespace first", func() {
		entries, err := os.ReadDir(samplesDir())
		Expect(err).NotTo(HaveOccurred())
		var onDisk []string
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".yaml") && e.Name() != "kustomization.yaml" {
				onDisk = append(onDisk, e.Name())
			}
		}
		Expect(sampleFiles()).To(ConsistOf(onDisk))
		// kubectl apply -f applies a directory in lexical order.
		Expect(slices.IsSorted(onDisk)).To(BeTrue())
		Expect(loadSamples()[0].GetKind()).To(Equal("Namespace"))
		Expect(loadSamples()[0].GetName()).To(Equal(sampleNamespace))
	})

	It("puts every object in the acme namespace", func() {
		for _, u := range loadSamples() {
			if u.GetKind() == "Namespace" {
				continue
			}
			Expect(u.GetNamespace()).To(Equal(sampleNamespace), "%s %s", u.GetKind(), u.GetName())
			Expect(u.GetAPIVersion()).To(Equal(accessv1alpha1.GroupVersion.String()))
		}
	})

	It("shows a whole account: admins, members, guests, custom roles, archived and template WorkCenters", func() {
		s := typedSamples()
		Expect(s.namespaces).To(Equal([]string{sampleNamespace}))
		Expect(s.accounts).To(HaveLen(1))
		a := s.accounts[0].Spec
		Expect(a.LogoURL).To(HavePrefix("https://"))
		Expect(a.Picklists.WorkCenterCategories).NotTo(BeEmpty())
		Expect(a.Picklists.FileTypes).NotTo(BeEmpty())
		Expect(a.Picklists.FileStatuses).NotTo(BeEmpty())

		var admins, wcAdmins, members, guests int
		for _, c := range s.collaborators {
			switch {
			case c.Spec.AdminRole == accessv1alpha1.AdminRoleAccountAdministrator:
				admins++
			case c.Spec.AdminRole == accessv1alpha1.AdminRoleWorkCenterAdministrator:
				wcAdmins++
			case isMember(c):
				members++
			default:
				guests++
			}
		}
		Expect(admins).To(BeNumerically(">=", 1))
		Expect(wcAdmins).To(BeNumerically(">=", 1))
		Expect(members).To(BeNumerically(">=", 2))
		Expect(guests).To(BeNumerically(">=", 3))

		Expect(s.workCenters).To(ContainElement(HaveField("Spec.Archived", BeTrue())))
		Expect(s.workCenters).To(ContainElement(HaveField("Spec.Template", BeTrue())))

		var memberOnly, guestSafe int
		for _, r := range s.roles {
			if s.memberOnlyRole(r.Name) {
				memberOnly++
				Expect(r.Spec.Includes).NotTo(BeEmpty(), "the member-only sample role shows includes")
				Expect(r.Spec.Levels).NotTo(BeZero(), "the member-only sample role shows levels")
			} else {
				guestSafe++
			}
		}
		Expect(memberOnly).To(BeNumerically(">=", 1))
		Expect(guestSafe).To(BeNumerically(">=", 1))
	})

	// The samples must converge to Ready once the operator runs: check the rules of
	// docs/rules.md on them without the controllers.
	It("keeps rules R1-R11 so that everything converges to Ready", func() {
		s := typedSamples()
		account := s.accounts[0]

		By("R1: only Members have an adminRole; R7: an AccountAdministrator exists")
		var admins int
		for _, c := range s.collaborators {
			if c.Spec.AdminRole != "" && c.Spec.AdminRole != accessv1alpha1.AdminRoleNone {
				Expect(isMember(c)).To(BeTrue(), "%s has adminRole %s", c.Name, c.Spec.AdminRole)
			}
			if c.Spec.AdminRole == accessv1alpha1.AdminRoleAccountAdministrator {
				admins++
			}
		}
		Expect(admins).To(BeNumerically(">=", 1))
		Expect(account.Spec.State).To(Equal(accessv1alpha1.AccountActive))

		By("R4: the members fit in the licenses")
		members := slices.DeleteFunc(slices.Clone(s.collaborators), func(c accessv1alpha1.Collaborator) bool {
			return !isMember(c)
		})
		Expect(len(members)).To(BeNumerically("<=", account.Spec.Licenses))

		By("R5: emails are unique, case-insensitively")
		emails := map[string]string{}
		for _, c := range s.collaborators {
			e := strings.ToLower(c.Spec.Email)
			Expect(emails).NotTo(HaveKey(e), "%s and %s share an email", c.Name, emails[e])
			emails[e] = c.Name
		}

		By("R8: every category is in the account's picklist")
		for _, wc := range s.workCenters {
			if wc.Spec.Category != "" {
				Expect(account.Spec.Picklists.WorkCenterCategories).
					To(ContainElement(accessv1alpha1.PicklistItem(wc.Spec.Category)), wc.Name)
			}
		}

		By("R9: no sample redefines a built-in role; includes exist and are acyclic")
		for _, r := range s.roles {
			Expect(accessv1alpha1.IsBuiltInRoleName(r.Name)).To(BeFalse(), r.Name)
			Expect(r.Labels).NotTo(HaveKey(accessv1alpha1.LabelBuiltIn), r.Name)
			for _, inc := range r.Spec.Includes {
				Expect(s.roleExists(string(inc))).To(BeTrue(), "%s includes unknown role %s", r.Name, inc)
			}
		}
		var visit func(name string, path []string)
		visit = func(name string, path []string) {
			Expect(path).NotTo(ContainElement(name), "inclusion cycle %v", append(path, name))
			if r := s.role(name); r != nil {
				for _, inc := range r.Spec.Includes {
					visit(string(inc), append(path, name))
				}
			}
		}
		for _, r := range s.roles {
			visit(r.Name, nil)
		}

		By("R2: guests hold no member-only role; every reference exists (nothing stays Pending)")
		for _, c := range s.collaborators {
			for _, a := range c.Spec.WorkCenters {
				Expect(s.workCenter(string(a.Name))).NotTo(BeNil(), "%s: WorkCenter %s", c.Name, a.Name)
				Expect(s.roleExists(string(a.Role))).To(BeTrue(), "%s: role %s", c.Name, a.Role)
				if !isMember(c) {
					Expect(s.memberOnlyRole(string(a.Role))).To(BeFalse(),
						"guest %s holds the member-only role %s", c.Name, a.Role)
				}
			}
		}
	})

	It("is accepted by the apiserver, object by object", func() {
		ns := newNamespace()
		created := map[string]int{}
		for _, u := range loadSamples() {
			if u.GetKind() == "Namespace" {
				continue // each spec runs in its own generated namespace instead
			}
			u.SetNamespace(ns)
			Expect(k8sClient.Create(ctx, u)).To(Succeed(), "%s %s", u.GetKind(), u.GetName())
			created[u.GetKind()]++
		}
		Expect(created).To(HaveKeyWithValue("Account", 1))
		Expect(created).To(HaveKey("WorkCenterRole"))
		Expect(created).To(HaveKey("WorkCenter"))
		Expect(created).To(HaveKey("Collaborator"))

		var collaborators accessv1alpha1.CollaboratorList
		Expect(k8sClient.List(ctx, &collaborators, client.InNamespace(ns))).To(Succeed())
		Expect(collaborators.Items).To(HaveLen(created["Collaborator"]))
		for _, c := range collaborators.Items {
			Expect(c.Spec.Type).NotTo(BeEmpty(), "type is defaulted")
			Expect(c.Spec.AdminRole).NotTo(BeEmpty(), "adminRole is defaulted")
		}
	})
})
