package crd_test

import (
	"regexp"
	"strings"
	"sync"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/workcenter-io/workcenter-operator/internal/schema"
	"github.com/workcenter-io/workcenter-operator/test/crd"
)

// The offline validator of internal/schema (behind `kubectl procorem validate`) claims
// to decide exactly as the API server does on create. These specs hold it to that: every
// object is sent both to it and to the apiserver, and the verdicts must be the same
// down to each cause's field and message.

var offlineValidator = sync.OnceValues(schema.New)

// cause is one problem as the apiserver reports it in a 422's details.
type cause struct{ Field, Message string }

// unknownFieldPattern finds the fields of a strict decoding error ("unknown field
// \"spec.colour\"").
var unknownFieldPattern = regexp.MustCompile(`unknown field "([^"]+)"`)

// expectAgreement sends u to the offline validator and to the apiserver (with strict
// field validation, kubectl's default) and fails unless both accept it or both reject it
// for the same causes. Unknown fields make the apiserver answer 400 before it validates
// anything; then their paths are compared, and u is sent again with fieldValidation
// Ignore so that the rest of the verdict, on the pruned object, is compared too. It
// returns whether the object was rejected.
func expectAgreement(u *unstructured.Unstructured) bool {
	v, err := offlineValidator()
	Expect(err).NotTo(HaveOccurred())
	desc := u.GetKind() + " " + u.GetName() + u.GetGenerateName()

	_, errs := v.Validate(u.DeepCopy())
	unknown := []string{}
	offline := []cause{}
	for _, e := range errs {
		if schema.IsUnknownField(e) {
			unknown = append(unknown, e.Field)
			continue
		}
		offline = append(offline, cause{Field: e.Field, Message: e.ErrorBody()})
	}

	err = k8sClient.Create(ctx, u.DeepCopy(), client.FieldValidation(metav1.FieldValidationStrict))
	if err != nil && apierrors.IsBadRequest(err) && strings.Contains(err.Error(), "strict decoding error") {
		var server []string
		for _, m := range unknownFieldPattern.FindAllStringSubmatch(err.Error(), -1) {
			server = append(server, m[1])
		}
		Expect(unknown).To(ConsistOf(server), "%s: the unknown fields, offline and on the server", desc)
		err = k8sClient.Create(ctx, u.DeepCopy(), client.FieldValidation(metav1.FieldValidationIgnore))
	} else {
		Expect(unknown).To(BeEmpty(), "%s: unknown fields offline that the server did not see (%v)", desc, err)
	}

	if err == nil {
		Expect(offline).To(BeEmpty(), "%s: the apiserver accepts it, the offline validator does not", desc)
		GinkgoWriter.Printf("agreed on %s: %d unknown fields, otherwise accepted\n", desc, len(unknown))
		return len(unknown) > 0
	}
	Expect(apierrors.IsInvalid(err)).To(BeTrue(), "%s: want 422 Invalid, got %v", desc, err)
	status, ok := err.(apierrors.APIStatus)
	Expect(ok).To(BeTrue())
	server := []cause{}
	for _, c := range status.Status().Details.Causes {
		server = append(server, cause{Field: c.Field, Message: c.Message})
	}
	Expect(offline).To(Equal(server), "%s: the causes, offline and on the server", desc)
	GinkgoWriter.Printf("agreed on %s: %d unknown fields, rejected for %v\n", desc, len(unknown), server)
	return true
}

// agreementObjects are objects beyond the rejection cases, for the steps of the
// apiserver that the cases do not reach: metadata, unknown fields, nulls, numbers, the
// CEL rules blocked by an OpenAPI error.
func agreementObjects(ns string) map[string]*unstructured.Unstructured {
	named := func(name string, kind string, spec crd.Obj) *unstructured.Unstructured {
		return crd.NewObject(kind, name, ns, spec)
	}
	generated := crd.NewObject("WorkCenter", "", ns, crd.WorkCenterSpec)
	generated.SetGenerateName("tower-")
	badLabel := named("labelled", "WorkCenter", crd.WorkCenterSpec)
	badLabel.SetLabels(map[string]string{"access.workcenter.io/floor": "not a label value"})
	withStatus := named("with-status", "Account", crd.AccountSpec)
	withStatus.Object["status"] = crd.Obj{"observedGeneration": int64(7)}
	withUID := named("with-uid", "Account", crd.AccountSpec)
	withUID.SetUID("0b5bd7b2-3c1d-4d6e-9a1f-2f0e6f8c9d10")
	unknownMeta := named("unknown-meta", "WorkCenter", crd.WorkCenterSpec)
	unknownMeta.Object["metadata"].(crd.Obj)["colour"] = "red"

	return map[string]*unstructured.Unstructured{
		"a name that is not a DNS subdomain": named("Tower_A", "WorkCenter", crd.WorkCenterSpec),
		"a name of 254 characters":           named(strings.Repeat("a", 254), "WorkCenter", crd.WorkCenterSpec),
		"a name of 253 characters":           named(strings.Repeat("a", 253), "WorkCenter", crd.WorkCenterSpec),
		"no name and no generateName":        named("", "WorkCenter", crd.WorkCenterSpec),
		"a generateName":                     generated,
		"a label value with spaces":          badLabel,
		"a status on create":                 withStatus,
		"a uid on create":                    withUID,
		"an unknown metadata field":          unknownMeta,
		"an unknown spec field":              named("unknown-spec", "WorkCenter", crd.With(crd.WorkCenterSpec, "colour", "red")),
		"an unknown field in a list item and an invalid value": named("unknown-item", "Collaborator", crd.With(crd.CollaboratorSpec,
			"workCenters", crd.Arr{crd.Obj{"name": "tower-a", "role": "read-only", "since": "2024"}}, "email", "nobody")),
		"an unknown field in a role": named("unknown-role-field", "WorkCenterRole", crd.With(crd.RoleSpec,
			"levels", crd.Obj{"files": "Admin", "drawings": "Admin"})),
		"a null required field":        named("null-required", "WorkCenter", crd.Obj{"displayName": nil}),
		"a null defaulted field":       named("null-defaulted", "Collaborator", crd.With(crd.CollaboratorSpec, "type", nil, "adminRole", nil)),
		"a null optional field":        named("null-optional", "WorkCenter", crd.With(crd.WorkCenterSpec, "category", nil)),
		"a whole float for an integer": named("whole-float", "Account", crd.With(crd.AccountSpec, "licenses", float64(3))),
		"a fraction for an integer":    named("fraction", "Account", crd.With(crd.AccountSpec, "licenses", 2.5)),
		"a string for an integer":      named("string-licenses", "Account", crd.With(crd.AccountSpec, "licenses", "3")),
		"a string for the spec":        named("string-spec", "Account", nil),
		"an enum error blocking a CEL rule": named("blocked", "Collaborator", crd.With(crd.CollaboratorSpec,
			"type", "Contractor", "adminRole", "AccountAdministrator")),
		"two CEL rules broken at once": named("two-rules", "Collaborator", crd.With(crd.CollaboratorSpec,
			"type", "Guest", "adminRole", "AccountAdministrator", "email", "nobody",
			"workCenters", crd.Arr{crd.Obj{"name": "tower-a", "role": "workcenter-owner"}})),
		"an empty role that includes itself": named("loop", "WorkCenterRole", crd.With(crd.RoleSpec,
			"includes", crd.Strs("loop"), "permissions", crd.Arr{})),
	}
}

var _ = Describe("offline validation (internal/schema) against the apiserver", func() {
	var ns string
	BeforeEach(func() { ns = newNamespace() })

	DescribeTable("agrees on both variants of every rejection case",
		func(c crd.Case) {
			Expect(expectAgreement(c.ValidObject(ns))).To(BeFalse(), "the valid variant is accepted")
			Expect(expectAgreement(c.InvalidObject(ns))).To(BeTrue(), "the invalid variant is rejected")
		},
		rejectionEntries(),
	)

	It("agrees on metadata, unknown fields, nulls, numbers and blocked rules", func() {
		objects := agreementObjects(ns)
		objects["a string for the spec"].Object["spec"] = "everything"
		rejected := 0
		for name, u := range objects {
			By(name)
			if expectAgreement(u) {
				rejected++
			}
		}
		// Not a vacuous agreement: most of these are rejections.
		Expect(rejected).To(BeNumerically(">=", len(objects)/2))
	})

	It("accepts every sample, as the apiserver does", func() {
		for _, u := range loadSamples() {
			if u.GetKind() == "Namespace" {
				continue
			}
			u.SetNamespace(ns)
			Expect(expectAgreement(u)).To(BeFalse(), "%s %s", u.GetKind(), u.GetName())
		}
	})
})
