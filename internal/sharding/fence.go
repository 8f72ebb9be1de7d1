package sharding

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
)

// Fence wraps c, the manager's client, so that every write (create, update, patch,
// delete, and their subresource forms) is admitted by the shard first: refused with
// fencing.ErrNotOwner into a namespace the shard does not own at that moment, and with
// ErrLeaseNotHeld at all once its Lease was not renewed within the renew deadline, was
// lost or was released. Reads pass. A drain waits for the writes in flight.
func (m *Member) Fence(c client.WithWatch) client.WithWatch {
	write := func(namespace string, do func() error) error {
		done, err := m.admit(namespace)
		if err != nil {
			return err
		}
		defer done()
		return do()
	}
	return interceptor.NewClient(c, interceptor.Funcs{
		Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			return write(obj.GetNamespace(), func() error { return c.Create(ctx, obj, opts...) })
		},
		Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			return write(obj.GetNamespace(), func() error { return c.Update(ctx, obj, opts...) })
		},
		Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
			return write(obj.GetNamespace(), func() error { return c.Patch(ctx, obj, patch, opts...) })
		},
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			ns, err := applyNamespace(obj)
			if err != nil {
				return err
			}
			return write(ns, func() error { return c.Apply(ctx, obj, opts...) })
		},
		Delete: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteOption) error {
			return write(obj.GetNamespace(), func() error { return c.Delete(ctx, obj, opts...) })
		},
		DeleteAllOf: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.DeleteAllOfOption) error {
			var o client.DeleteAllOfOptions
			o.ApplyOptions(opts)
			return write(o.Namespace, func() error { return c.DeleteAllOf(ctx, obj, opts...) })
		},
		SubResourceCreate: func(ctx context.Context, c client.Client, sub string, obj, subObj client.Object, opts ...client.SubResourceCreateOption) error {
			return write(obj.GetNamespace(), func() error { return c.SubResource(sub).Create(ctx, obj, subObj, opts...) })
		},
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			return write(obj.GetNamespace(), func() error { return c.SubResource(sub).Update(ctx, obj, opts...) })
		},
		SubResourcePatch: func(ctx context.Context, c client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
			return write(obj.GetNamespace(), func() error { return c.SubResource(sub).Patch(ctx, obj, patch, opts...) })
		},
		SubResourceApply: func(ctx context.Context, c client.Client, sub string, obj runtime.ApplyConfiguration, opts ...client.SubResourceApplyOption) error {
			ns, err := applyNamespace(obj)
			if err != nil {
				return err
			}
			return write(ns, func() error { return c.SubResource(sub).Apply(ctx, obj, opts...) })
		},
	})
}

// applyNamespace is the namespace of an apply configuration (the generated ones say it).
func applyNamespace(obj runtime.ApplyConfiguration) (string, error) {
	if o, ok := obj.(interface{ GetNamespace() *string }); ok {
		if ns := o.GetNamespace(); ns != nil {
			return *ns, nil
		}
		return "", nil
	}
	return "", fmt.Errorf("not writing: the namespace of a %T is unknown, so whether this replica's shard owns it is", obj)
}
