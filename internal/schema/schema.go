// Package schema checks objects of the access.workcenter.io kinds offline, the way the
// API server checks them on create: against the CustomResourceDefinitions of
// config/crd/bases (embedded in the binary), with Kubernetes' own apiextensions
// libraries rather than a re-implementation. The kubectl plugin's `validate` command
// runs it on manifests before they reach a cluster; test/crd proves that it and a real
// kube-apiserver agree on every rejection case of the CRD suite.
//
// What the API server does to a custom resource on create, and what Validate mirrors,
// step by step and in the same order (k8s.io/apiextensions-apiserver
// pkg/apiserver/customresource_handler.go and pkg/registry/customresource):
//
//  1. decoding the request body: the object is serialized to JSON and decoded back as
//     the server decodes it (whole numbers become int64); its metadata is read as
//     ObjectMeta; fields the structural schema does not know are pruned and, as with
//     strict field validation (kubectl's default, --validate=strict), reported; null
//     values of non-nullable fields without a default are dropped; metadata is coerced;
//  2. structural defaulting (the schema's defaults, themselves pruned as the server
//     prunes them);
//  3. the create handler's preparation: system metadata (uid, creationTimestamp,
//     deletion fields, selfLink) wiped, a generateName expanded into a name, the status
//     dropped (every kind has the status subresource), generation 1;
//  4. the strategy's Validate: apiVersion and kind; metadata (a DNS subdomain name,
//     namespace, labels, annotations...); OpenAPI v3 schema validation; embedded
//     resources; list-type set and map uniqueness; then, unless an error above blocks
//     them as the server's does, the x-kubernetes-validations CEL rules with the
//     server's per-call and per-object cost budgets;
//  5. when all that passed, the generic metadata check with the path-segment name rule.
//
// What it does not do: admission (the operator's validating webhook rules R1-R11 that
// need other objects, quota, ValidatingAdmissionPolicies), anything that needs the live
// cluster (a namespace that does not exist, a name already taken), and update checks:
// the CRDs have no transition rule (no oldSelf), so creation decides every rule.
package schema

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"reflect"
	"slices"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	structurallisttype "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/listtype"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/api/operation"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	apipath "k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/features"
	"k8s.io/apiserver/pkg/storage/names"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"sigs.k8s.io/yaml"

	"github.com/workcenter-io/workcenter-operator/config/crd"
)

// Validator checks objects of the access.workcenter.io kinds as the API server would on
// create. It is safe for concurrent use: everything it holds is read-only after New.
type Validator struct {
	kinds map[schema.GroupVersionKind]*kindSchema
}

// kindSchema is what the API server builds for one served version of one CRD.
type kindSchema struct {
	gvk             schema.GroupVersionKind
	namespaceScoped bool
	hasStatus       bool
	structural      *structuralschema.Structural
	openAPI         apiservervalidation.SchemaValidator
	// cel is nil when the schema has no x-kubernetes-validations rule.
	cel *cel.Validator
}

// New returns a Validator for the CRDs embedded from config/crd/bases.
func New() (*Validator, error) {
	return NewFromFS(crd.Bases)
}

// NewFromFS returns a Validator for the CustomResourceDefinitions in the *.yaml files of
// fsys, searched recursively.
func NewFromFS(fsys fs.FS) (*Validator, error) {
	v := &Validator{kinds: map[schema.GroupVersionKind]*kindSchema{}}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Ext(name) != ".yaml" {
			return err
		}
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		def := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.UnmarshalStrict(raw, def); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := v.add(def); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(v.kinds) == 0 {
		return nil, fmt.Errorf("no CustomResourceDefinition found")
	}
	return v, nil
}

// add builds, for every served version of def, the structural schema (defaults pruned),
// the OpenAPI validator and the CEL validator the same way the API server's CRD handler
// does when it starts serving the resource.
func (v *Validator) add(def *apiextensionsv1.CustomResourceDefinition) error {
	if def.Kind != "CustomResourceDefinition" {
		return fmt.Errorf("kind %q is not CustomResourceDefinition", def.Kind)
	}
	apiextensionsv1.SetObjectDefaults_CustomResourceDefinition(def)
	for _, version := range def.Spec.Versions {
		if !version.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: def.Spec.Group, Version: version.Name, Kind: def.Spec.Names.Kind}
		validation, err := apihelpers.GetSchemaForVersion(def, version.Name)
		if err != nil {
			return err
		}
		if validation == nil || validation.OpenAPIV3Schema == nil {
			return fmt.Errorf("%s has no schema", gvk)
		}
		if def.Spec.PreserveUnknownFields {
			return fmt.Errorf("%s: preserveUnknownFields is not supported", gvk)
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(validation, internal, nil); err != nil {
			return fmt.Errorf("%s: converting the schema to the internal version: %w", gvk, err)
		}
		structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("%s: the schema is not structural: %w", gvk, err)
		}
		// The server does not own the defaults it got from the conversion: it copies
		// the schema before pruning them, and so do we.
		structural = structural.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(structural); err != nil {
			return fmt.Errorf("%s: pruning the defaults: %w", gvk, err)
		}
		openAPI, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("%s: %w", gvk, err)
		}
		subresources, err := apihelpers.GetSubresourcesForVersion(def, version.Name)
		if err != nil {
			return err
		}
		if subresources != nil && subresources.Scale != nil {
			return fmt.Errorf("%s: the scale subresource is not supported", gvk)
		}
		v.kinds[gvk] = &kindSchema{
			gvk:             gvk,
			namespaceScoped: def.Spec.Scope == apiextensionsv1.NamespaceScoped,
			hasStatus:       subresources != nil && subresources.Status != nil,
			structural:      structural,
			openAPI:         openAPI,
			cel:             cel.NewValidator(structural, true, celconfig.PerCallLimit),
		}
	}
	return nil
}

// Kinds returns the group, version and kind of every kind the Validator knows, sorted.
func (v *Validator) Kinds() []schema.GroupVersionKind {
	out := make([]schema.GroupVersionKind, 0, len(v.kinds))
	for gvk := range v.kinds {
		out = append(out, gvk)
	}
	slices.SortFunc(out, func(a, b schema.GroupVersionKind) int {
		return strings.Compare(a.String(), b.String())
	})
	return out
}

// Knows reports whether gvk is one of the Validator's kinds.
func (v *Validator) Knows(gvk schema.GroupVersionKind) bool {
	_, ok := v.kinds[gvk]
	return ok
}

// unknownFieldDetail marks the errors that report a field the schema does not know.
const unknownFieldDetail = "unknown field"

// IsUnknownField reports whether err is a field the schema does not know, which the API
// server drops (with a warning when fieldValidation is Warn) or rejects (when it is
// Strict, kubectl's default). Callers that want the lenient behaviour turn these into
// warnings; every other error is a rejection whatever the field validation.
func IsUnknownField(err *field.Error) bool {
	return err != nil && err.Type == field.ErrorTypeForbidden && err.Detail == unknownFieldDetail
}

// Validate returns obj as the API server would store it on create (unknown fields
// pruned, defaults applied, status dropped, generation 1) and the problems the server
// would report, each with its field path (spec.permissions[1]) and the server's own
// message (field.Error.ErrorBody). obj is not modified.
//
// Unknown fields are reported first, one error each, recognised by IsUnknownField; the
// API server would reject the object for them alone with kubectl's default strict field
// validation, but Validate goes on with the pruned object, so one run shows every
// problem. A kind the Validator does not know is a single error on "kind" (or
// "apiVersion"), and the object returned is nil; so is it when obj cannot be decoded as
// the server decodes it.
//
// A namespaced object without a namespace is checked as if it were in "default", as
// kubectl would send it to the namespace of its context; the object returned keeps no
// namespace. An object with only a generateName is checked with a generated name, as
// the server does; the object returned keeps only the generateName.
func (v *Validator) Validate(obj *unstructured.Unstructured) (*unstructured.Unstructured, field.ErrorList) {
	ks, errs := v.kindOf(obj)
	if errs != nil {
		return nil, errs
	}

	// 1. Decoding, as the request body is decoded: JSON, then the schema coercion.
	u, err := roundTrip(obj)
	if err != nil {
		return nil, field.ErrorList{field.Invalid(nil, nil, err.Error())}
	}
	unknown, ferr := ks.coerce(u)
	if ferr != nil {
		return nil, append(errs, ferr)
	}
	for _, p := range unknown {
		errs = append(errs, &field.Error{Type: field.ErrorTypeForbidden, Field: p, Detail: unknownFieldDetail})
	}

	// 2. Defaulting, which the decoder runs right after.
	structuraldefaulting.Default(u.Object, ks.structural)

	// 3. The create handler and the strategy's PrepareForCreate.
	wipeSystemFields(u)
	if ks.hasStatus {
		delete(u.Object, "status")
	}
	u.SetGeneration(1)
	out := u.DeepCopy()

	checked := u
	if u.GetName() == "" && u.GetGenerateName() != "" {
		checked.SetName(names.SimpleNameGenerator.GenerateName(u.GetGenerateName()))
	}
	if ks.namespaceScoped && u.GetNamespace() == "" {
		checked.SetNamespace(metav1.NamespaceDefault)
	}

	// 4. and 5. The strategy's Validate, then the generic metadata check.
	errs = append(errs, ks.validateCreate(context.Background(), checked)...)
	return out, errs
}

// kindOf finds the schema of obj's kind, or says why there is none the way the API
// server would.
func (v *Validator) kindOf(obj *unstructured.Unstructured) (*kindSchema, field.ErrorList) {
	if obj == nil || obj.Object == nil {
		return nil, field.ErrorList{field.Required(field.NewPath("kind"), "")}
	}
	gvk := obj.GroupVersionKind()
	if gvk.Kind == "" {
		return nil, field.ErrorList{field.Required(field.NewPath("kind"), "")}
	}
	if obj.GetAPIVersion() == "" {
		return nil, field.ErrorList{field.Required(field.NewPath("apiVersion"), "")}
	}
	if ks, ok := v.kinds[gvk]; ok {
		return ks, nil
	}
	for known := range v.kinds {
		if known.GroupKind() == gvk.GroupKind() {
			return nil, field.ErrorList{field.Invalid(field.NewPath("apiVersion"), obj.GetAPIVersion(),
				fmt.Sprintf("no matches for kind %q in version %q", gvk.Kind, gvk.GroupVersion()))}
		}
	}
	return nil, field.ErrorList{field.Invalid(field.NewPath("kind"), gvk.Kind,
		fmt.Sprintf("no matches for kind %q in version %q", gvk.Kind, gvk.GroupVersion()))}
}

// roundTrip encodes obj to JSON and decodes it as the API server decodes a request body
// into an Unstructured, so that numbers and nested types are what the server sees.
func roundTrip(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	raw, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("cannot be encoded as JSON: %w", err)
	}
	u := &unstructured.Unstructured{}
	if _, _, err := unstructured.UnstructuredJSONScheme.Decode(raw, nil, u); err != nil {
		return nil, err
	}
	return u, nil
}

// coerce is what the API server's decoder does after JSON (the schema coercer of
// customresource_handler.go), with strict field validation: it returns the paths of
// the unknown fields it pruned.
func (ks *kindSchema) coerce(u *unstructured.Unstructured) ([]string, *field.Error) {
	kind, apiVersion := u.GetKind(), u.GetAPIVersion()
	objectMeta, foundObjectMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object,
		schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, field.Invalid(field.NewPath("metadata"), nil, err.Error())
	}
	unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, ks.structural, true,
		structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true})...)
	structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, ks.structural)
	ferr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, ks.structural, false,
		schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if ferr != nil {
		return nil, ferr
	}
	unknown = append(unknown, paths...)

	// The implicit meta fields come back, starting clean.
	u.SetKind(kind)
	u.SetAPIVersion(apiVersion)
	if foundObjectMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, objectMeta); err != nil {
			return nil, field.Invalid(field.NewPath("metadata"), nil, err.Error())
		}
	}
	return unknown, nil
}

// wipeSystemFields clears what the create handler clears before anything else looks at
// the object (rest.WipeObjectMetaSystemFields).
func wipeSystemFields(u *unstructured.Unstructured) {
	u.SetCreationTimestamp(metav1.Time{})
	u.SetUID("")
	u.SetDeletionTimestamp(nil)
	u.SetDeletionGracePeriodSeconds(nil)
	u.SetSelfLink("")
}

// validateCreate is the custom resource strategy's Validate followed by the generic
// metadata check of rest.ValidateCreate.
func (ks *kindSchema) validateCreate(ctx context.Context, u *unstructured.Unstructured) field.ErrorList {
	var errs field.ErrorList
	meta, metaErrs := objectMeta(u)
	if metaErrs != nil {
		errs = append(errs, metaErrs...)
	} else {
		errs = append(errs, apimachineryvalidation.ValidateObjectMetaDeclaratively(ctx, operation.Create, meta, nil,
			ks.namespaceScoped, apimachineryvalidation.NameIsDNSSubdomain, field.NewPath("metadata"),
			utilfeature.DefaultFeatureGate.Enabled(features.DeclarativeValidationBeta))...)
	}
	errs = append(errs, apiservervalidation.ValidateCustomResource(nil, u.UnstructuredContent(), ks.openAPI)...)
	errs = append(errs, schemaobjectmeta.Validate(ctx, nil, u.Object, ks.structural, false)...)
	errs = append(errs, structurallisttype.ValidateListSetsAndMaps(nil, ks.structural, u.Object)...)
	// A schema without x-kubernetes-validations has no CEL validator, and then nothing
	// is blocked either: the server says so only when there were rules to skip.
	if ks.cel != nil {
		if blocked := blockingError(errs); blocked != nil {
			errs = append(errs, blocked)
		} else {
			celErrs, _ := ks.cel.Validate(ctx, nil, ks.structural, u.Object, nil, celconfig.RuntimeCELCostBudget)
			errs = append(errs, celErrs...)
		}
	}

	if len(errs) == 0 && meta != nil {
		errs = append(errs, apimachineryvalidation.ValidateObjectMetaAccessor(meta, ks.namespaceScoped,
			apipath.ValidatePathSegmentName, field.NewPath("metadata"))...)
	}
	return errs
}

// objectMeta reads the metadata as the strategy does, for its validation.
func objectMeta(u *unstructured.Unstructured) (*metav1.ObjectMeta, field.ErrorList) {
	raw := u.Object["metadata"]
	if raw == nil {
		return &metav1.ObjectMeta{}, nil
	}
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), raw,
			fmt.Sprintf("expected map[string]interface{}, got %T", raw))}
	}
	meta := &metav1.ObjectMeta{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, meta); err != nil {
		return nil, field.ErrorList{field.Invalid(field.NewPath("metadata"), raw, err.Error())}
	}
	return meta, nil
}

// blockingError returns the error the API server adds instead of running the CEL rules
// when an OpenAPI error means the object is not what the rules were written for (a
// wrong type, a missing required field, a value outside its enum, too long or too many).
func blockingError(errs field.ErrorList) *field.Error {
	for _, err := range errs {
		switch err.Type {
		case field.ErrorTypeNotSupported, field.ErrorTypeRequired, field.ErrorTypeTooLong,
			field.ErrorTypeTooMany, field.ErrorTypeTypeInvalid:
			return field.Invalid(nil, nil, "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation")
		}
	}
	return nil
}

// CELCost is the runtime cost of obj's CEL rules as the API server counts it, and the
// budget one request has (celconfig.RuntimeCELCostBudget): how far the largest valid
// objects stay from the limit. A kind without rules costs 0.
func (v *Validator) CELCost(obj *unstructured.Unstructured) (cost, budget int64, err error) {
	ks, errs := v.kindOf(obj)
	if errs != nil {
		return 0, 0, errs.ToAggregate()
	}
	u, err := roundTrip(obj)
	if err != nil {
		return 0, 0, err
	}
	if _, ferr := ks.coerce(u); ferr != nil {
		return 0, 0, ferr
	}
	structuraldefaulting.Default(u.Object, ks.structural)
	budget = celconfig.RuntimeCELCostBudget
	if ks.cel == nil {
		return 0, budget, nil
	}
	celErrs, remaining := ks.cel.Validate(context.Background(), nil, ks.structural, u.Object, nil, budget)
	if len(celErrs) > 0 {
		return budget - remaining, budget, celErrs.ToAggregate()
	}
	return budget - remaining, budget, nil
}

// FieldNames are the fields the schema of gvk declares in the object at path (a field
// path: "spec", "spec.workCenters[0]"; "" for the top level), sorted: what an unknown
// field there could have meant. metadata's are ObjectMeta's. None when the path is not
// an object of the schema, or the kind is unknown.
func (v *Validator) FieldNames(gvk schema.GroupVersionKind, path string) []string {
	ks, ok := v.kinds[gvk]
	if !ok {
		return nil
	}
	if path == "metadata" {
		return objectMetaFields()
	}
	s := ks.structural
	for _, seg := range strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' }) {
		if s == nil {
			return nil
		}
		if strings.HasSuffix(seg, "]") {
			if s.Items == nil {
				return nil
			}
			s = s.Items
			continue
		}
		if p, ok := s.Properties[seg]; ok {
			s = &p
			continue
		}
		if s.AdditionalProperties != nil && s.AdditionalProperties.Structural != nil {
			s = s.AdditionalProperties.Structural
			continue
		}
		return nil
	}
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// objectMetaFields are the JSON names of ObjectMeta's fields.
func objectMetaFields() []string {
	t := reflect.TypeFor[metav1.ObjectMeta]()
	var out []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}
