package webhook

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// Offline runs the admission checks of the four kinds outside any cluster, with the very
// validators the webhooks serve (bounded the same way), over account models held in
// memory: kubectl procorem validate replays manifests through it, so its verdicts and
// messages are admission's.
type Offline struct {
	models map[string]*model.Account
	book   *accounts.Book

	account      admission.Validator[*v1alpha1.Account]
	workCenter   admission.Validator[*v1alpha1.WorkCenter]
	role         admission.Validator[*v1alpha1.WorkCenterRole]
	collaborator admission.Validator[*v1alpha1.Collaborator]
}

// NewOffline is an empty offline admission: no object exists yet.
func NewOffline() *Offline {
	o := &Offline{models: map[string]*model.Account{}}
	o.book = accounts.Models(o.models)
	r := reader{cache: noObjects{}, live: noObjects{}, book: o.book, operators: map[string]bool{}}
	o.account = bound[*v1alpha1.Account](&AccountValidator{reader: r})
	o.workCenter = bound[*v1alpha1.WorkCenter](&WorkCenterValidator{reader: r})
	o.role = bound[*v1alpha1.WorkCenterRole](&WorkCenterRoleValidator{reader: r})
	o.collaborator = bound[*v1alpha1.Collaborator](&CollaboratorValidator{reader: r})
	return o
}

// Create checks obj as its webhook checks a CREATE, against the objects created so far,
// and keeps it when admitted. It returns the webhook's warnings, and its denial (an
// *apierrors.StatusError, as the API server would return it) when it refuses obj.
func (o *Offline) Create(ctx context.Context, obj client.Object) (admission.Warnings, error) {
	var warnings admission.Warnings
	var err error
	switch t := obj.(type) {
	case *v1alpha1.Account:
		warnings, err = o.account.ValidateCreate(ctx, t)
	case *v1alpha1.WorkCenter:
		warnings, err = o.workCenter.ValidateCreate(ctx, t)
	case *v1alpha1.WorkCenterRole:
		warnings, err = o.role.ValidateCreate(ctx, t)
	case *v1alpha1.Collaborator:
		warnings, err = o.collaborator.ValidateCreate(ctx, t)
	default:
		return nil, apierrors.NewBadRequest("not a kind of " + v1alpha1.GroupVersion.Group)
	}
	if err != nil {
		return warnings, err
	}
	m := o.Model(obj.GetNamespace())
	if err := m.Set(obj); err != nil {
		return warnings, err
	}
	o.book.Touch(obj)
	return warnings, nil
}

// Model is the model of the namespace's objects admitted so far. It must not be changed.
func (o *Offline) Model(namespace string) *model.Account {
	m := o.models[namespace]
	if m == nil {
		m = model.New(namespace)
		o.models[namespace] = m
	}
	return m
}

// noObjects is a reader of an empty cluster: the validators read the account through
// the Book, and ask the API server only about namespaces being deleted (never on CREATE).
type noObjects struct{}

func (noObjects) Get(_ context.Context, key client.ObjectKey, obj client.Object, _ ...client.GetOption) error {
	return apierrors.NewNotFound(groupResource("objects"), key.Name)
}

func (noObjects) List(context.Context, client.ObjectList, ...client.ListOption) error { return nil }

// Seed keeps obj without checking it, as the operator's own writes are: the built-in
// roles the Account controller creates.
func (o *Offline) Seed(obj client.Object) error {
	if err := o.Model(obj.GetNamespace()).Set(obj); err != nil {
		return err
	}
	o.book.Touch(obj)
	return nil
}
