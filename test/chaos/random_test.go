package chaos

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

// TestRandomObjects sends random objects of the four kinds through the real API server
// to the running manager: valid ones, and valid ones with their spec mangled at random
// (any field set to a string, a number out of range, a list, a map, null; fields
// removed; unknown fields added), as creates, updates and deletes. Every request is
// accepted, or refused with a status and a message a person can act on (never a 5xx,
// a timeout, a panic); then everything converges to the account model's oracle, the
// manager is quiet, never panicked and is still running, and deleting everything leaves
// nothing held by a finalizer of ours. RANDOM_REQUESTS sets the count (default 250;
// make test-chaos runs 3000), CHAOS_SEED the seed.
func TestRandomObjects(t *testing.T) {
	requests := int(setting("RANDOM_REQUESTS", 250))
	seed := setting("CHAOS_SEED", time.Now().UnixNano())
	t.Logf("seed %d (CHAOS_SEED reruns it): %d random requests", seed, requests)
	ctx := context.Background()
	h, m := startManaged(t, "random", seed, false)
	defer m.Stop()
	c := h.env.Client
	ns, err := h.env.NewNamespace(ctx, "random-")
	if err != nil {
		t.Fatal(err)
	}
	g := &hostile{rng: rand.New(rand.NewPCG(uint64(seed), 3)), ns: ns}
	if err := c.Create(ctx, fixtures.Account(ns, "acme", 10, "site")); err != nil {
		t.Fatal(err)
	}
	reconcilesBefore, _ := reconcileCounts(t, m)

	var accepted, mangled, mangledAccepted int
	refused := map[string]int{} // by who refused: the API server (schema, CEL) or a webhook
	for i := range requests {
		op, obj, changes, err := g.request(ctx, c)
		if changes > 0 {
			mangled++
		}
		if err == nil {
			accepted++
			if changes > 0 {
				mangledAccepted++
			}
			continue
		}
		var status apierrors.APIStatus
		if !errors.As(err, &status) {
			t.Fatalf("request %d (%s %s): not an API status: %v (seed %d)", i, op, obj, err, seed)
		}
		st := status.Status()
		msg := strings.ToLower(st.Message)
		switch {
		case st.Code >= 500 || st.Code == 0:
			t.Errorf("request %d (%s %s): code %d, %s (seed %d)", i, op, obj, st.Code, st.Message, seed)
		case strings.TrimSpace(st.Message) == "":
			t.Errorf("request %d (%s %s): refused (%d %s) with no message (seed %d)", i, op, obj, st.Code, st.Reason, seed)
		case strings.Contains(msg, "panic") || strings.Contains(msg, "runtime error") || strings.Contains(msg, "internal error"):
			t.Errorf("request %d (%s %s): %s (seed %d)", i, op, obj, st.Message, seed)
		case strings.Contains(msg, "admission webhook"):
			refused["webhook"]++
			if refused["webhook"] <= 3 {
				t.Logf("refused by a webhook, for example: %s %s: %s", op, obj, st.Message)
			}
		case st.Code == 404 || st.Code == 409:
			refused["not found or conflict"]++
		default:
			refused["API server"]++
			if refused["API server"] <= 3 {
				t.Logf("refused by the API server, for example: %s %s: %.300s", op, obj, st.Message)
			}
		}
	}
	select {
	case <-m.Exited():
		t.Fatalf("the manager exited during the random requests; see %s (seed %d)", h.logPath, seed)
	default:
	}

	start := time.Now()
	var last []string
	for {
		if last = mismatches(ctx, t, c, ns); len(last) == 0 {
			break
		}
		if time.Since(start) > 2*time.Minute {
			t.Fatalf("not converged to the oracle 2m after the random requests (seed %d); %d mismatches, first: %v; manager log %s",
				seed, len(last), last[:min(len(last), 10)], h.logPath)
		}
		time.Sleep(200 * time.Millisecond)
	}
	converged := time.Since(start)
	reconciles, _ := reconcileCounts(t, m)
	quiet(t, m, seed)

	// The Accounts first, as the end of the crash suite does: while an Account is not
	// being deleted it restores a built-in role deleted under it (R9), which only the
	// garbage collector (absent from envtest) would then remove through its owner.
	for _, name := range []string{"acme", "second"} {
		if err := c.Delete(ctx, &v1alpha1.Account{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	if err := deleteAll(ctx, c, ns); err != nil {
		t.Fatal(err)
	}
	emptied := time.Now()
	for objs := list(ctx, t, c, ns); len(objs) > 0; objs = list(ctx, t, c, ns) {
		if time.Since(emptied) > 2*time.Minute {
			var held []string
			for _, o := range objs[:min(len(objs), 10)] {
				held = append(held, fmt.Sprintf("%T %s %v", o, o.(client.Object).GetName(), o.(client.Object).GetFinalizers()))
			}
			t.Fatalf("2m after everything was deleted, %d objects stay, first: %v (seed %d)", len(objs), held, seed)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case <-m.Exited():
		t.Fatalf("the manager exited; see %s (seed %d)", h.logPath, seed)
	default:
	}
	t.Logf("random objects: seed %d, %d requests (%d with a mangled spec), %d accepted (%d of them mangled), refused %v; converged %s after the last, %.0f reconciles meanwhile (%.1f per accepted request); everything deleted, released after %s",
		seed, requests, mangled, accepted, mangledAccepted, refused, converged.Round(time.Millisecond),
		reconciles-reconcilesBefore, (reconciles-reconcilesBefore)/float64(max(accepted, 1)), time.Since(emptied).Round(time.Millisecond))
}

// hostile makes the random requests of TestRandomObjects.
type hostile struct {
	rng *rand.Rand
	ns  string
}

var kinds = []string{"Account", "WorkCenter", "WorkCenterRole", "Collaborator"}

// request sends one random create, update or delete; it returns what it did, the object,
// how many changes it made to a valid spec, and the API server's answer.
func (g *hostile) request(ctx context.Context, c client.Client) (op, obj string, changes int, err error) {
	kind := kinds[g.weighted(1, 2, 3, 6)]
	name := g.name(kind)
	obj = kind + "/" + name
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
	u.SetNamespace(g.ns)
	u.SetName(name)
	action := g.weighted(5, 4, 1)
	if action > 0 { // an update or a delete, of an object that exists when there is one
		l := &unstructured.UnstructuredList{}
		l.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind + "List"))
		if err := c.List(ctx, l, client.InNamespace(g.ns)); err == nil && len(l.Items) > 0 && g.rng.IntN(8) > 0 {
			name = l.Items[g.rng.IntN(len(l.Items))].GetName()
			obj = kind + "/" + name
			u.SetName(name)
		}
	}
	switch action {
	case 0:
		op = "create"
		content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(g.valid(kind, name))
		if err != nil {
			panic(err)
		}
		u.Object = content
		u.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind(kind))
		changes = g.mangle(u)
		return op, obj, changes, c.Create(ctx, u)
	case 1:
		op = "update"
		if err := c.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			return op, obj, 0, err
		}
		if g.rng.IntN(3) == 0 { // a valid spec, as a person would change it
			content, err := runtime.DefaultUnstructuredConverter.ToUnstructured(g.valid(kind, name))
			if err != nil {
				panic(err)
			}
			u.Object["spec"] = content["spec"]
		} else {
			changes = g.mangle(u)
		}
		return op, obj, changes, c.Update(ctx, u)
	default:
		if kind == "Account" { // the Account goes at the end; while in use it would only wait
			return "none", obj, 0, nil
		}
		return "delete", obj, 0, c.Delete(ctx, u)
	}
}

// weighted picks an index with the given weights.
func (g *hostile) weighted(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

func (g *hostile) name(kind string) string {
	switch kind {
	case "Account":
		return []string{"acme", "acme", "acme", "second"}[g.rng.IntN(4)]
	case "WorkCenter":
		return fmt.Sprintf("wc%d", g.rng.IntN(4))
	case "WorkCenterRole":
		if g.rng.IntN(6) == 0 {
			return v1alpha1.BuiltInRoleNames[g.rng.IntN(len(v1alpha1.BuiltInRoleNames))]
		}
		return fmt.Sprintf("role%d", g.rng.IntN(6))
	}
	return fmt.Sprintf("c%02d", g.rng.IntN(16))
}

// valid is a valid object of kind, with references (WorkCenters, roles, includes,
// emails) drawn from the same small pools, so that they meet.
func (g *hostile) valid(kind, name string) client.Object {
	catalog := model.Catalog()
	switch kind {
	case "Account":
		a := fixtures.Account(g.ns, name, int32(g.rng.IntN(12)), "site", "office")
		if g.rng.IntN(5) == 0 {
			a.Spec.State = v1alpha1.AccountDeactivated
		}
		return a
	case "WorkCenter":
		return fixtures.WorkCenter(g.ns, name, func(wc *v1alpha1.WorkCenter) {
			wc.Spec.Archived = g.rng.IntN(4) == 0
			wc.Spec.Category = []string{"", "site", "office", "lab"}[g.rng.IntN(4)]
		})
	case "WorkCenterRole":
		var opts []func(*v1alpha1.WorkCenterRole)
		for range g.rng.IntN(3) {
			opts = append(opts, fixtures.Perms(string(catalog[g.rng.IntN(len(catalog))].Permission)))
		}
		if inc := g.name("WorkCenterRole"); g.rng.IntN(2) == 0 && inc != name {
			opts = append(opts, fixtures.Includes(inc))
		}
		return fixtures.Role(g.ns, name, opts...)
	}
	typ := []v1alpha1.CollaboratorType{v1alpha1.Member, v1alpha1.Member, v1alpha1.Guest}[g.rng.IntN(3)]
	var assign []string
	for i := range g.rng.IntN(4) {
		assign = append(assign, fmt.Sprintf("wc%d=%s", i, g.name("WorkCenterRole")))
	}
	c := fixtures.Collaborator(g.ns, name, typ, assign...)
	c.Spec.Email = fmt.Sprintf("p%d@example.com", g.rng.IntN(20))
	if typ == v1alpha1.Member && g.rng.IntN(4) == 0 {
		c.Spec.AdminRole = []v1alpha1.AdminRole{v1alpha1.AdminRoleAccountAdministrator, v1alpha1.AdminRoleUserAdministrator, v1alpha1.AdminRoleWorkCenterAdministrator}[g.rng.IntN(3)]
	}
	return c
}

// fieldNames are the spec fields of the four kinds (and a few that are not), to add.
var fieldNames = []string{"displayName", "licenses", "state", "picklists", "workCenterCategories", "fileTypes",
	"category", "archived", "template", "description", "permissions", "includes", "levels", "workCenter", "files",
	"email", "type", "adminRole", "workCenters", "name", "role", "notifications", "unknownField", "status", ""}

// mangle changes u's spec at random 0 to 3 times (none: the valid object as it is) and
// returns how many changes it made.
func (g *hostile) mangle(u *unstructured.Unstructured) int {
	n := []int{0, 0, 1, 1, 2, 3}[g.rng.IntN(6)]
	for range n {
		spec, _ := u.Object["spec"].(map[string]any)
		if spec == nil || g.rng.IntN(20) == 0 {
			u.Object["spec"] = g.value(0) // the spec itself replaced
			continue
		}
		paths := leaves(spec, nil)
		switch g.rng.IntN(4) {
		case 0, 1: // a field set to anything
			set(spec, paths[g.rng.IntN(len(paths))], g.value(0))
		case 2: // a field removed
			set(spec, paths[g.rng.IntN(len(paths))], deleted{})
		default: // a field added, known or not, somewhere
			at := paths[g.rng.IntN(len(paths))]
			if len(at) > 0 {
				at = slices.Clone(at[:len(at)-1])
			}
			set(spec, append(at, fieldNames[g.rng.IntN(len(fieldNames))]), g.value(0))
		}
	}
	return n
}

// value is anything a manifest could hold.
func (g *hostile) value(depth int) any {
	catalog := model.Catalog()
	words := []string{"Active", "Deactivated", "Member", "Guest", "AccountAdministrator", "UserAdministrator", "None",
		"ReadOnly", "Standard", "Admin", "Owner", "site", "office", "P1@Example.com", "p2@example.com", "not an email",
		"wc0", "wc9", "role1", "role5", "Role1", "read-only", "contributor", "workcenter-owner", "-", "a/b", "..",
		string(catalog[g.rng.IntN(len(catalog))].Permission), "files.*", "é🙂", "<script>x</script>", "\u0000", "true", "1e9"}
	switch k := g.rng.IntN(12); {
	case k < 3:
		return words[g.rng.IntN(len(words))]
	case k == 3:
		return strings.Repeat("x", []int{0, 63, 64, 254, 256, 1025, 70000}[g.rng.IntN(7)])
	case k == 4:
		return []int64{-1, 0, 1, 2, 1 << 31, -1 << 40, math.MaxInt64}[g.rng.IntN(7)]
	case k == 5:
		return []float64{0.5, -2.5, 1e300}[g.rng.IntN(3)]
	case k == 6:
		return g.rng.IntN(2) == 0
	case k == 7:
		return nil
	case k < 10 && depth < 3: // a list: short, or long, of one thing
		n := []int{0, 1, 2, 3, 65, 300}[g.rng.IntN(6)]
		one := g.value(depth + 1)
		out := make([]any, n)
		for i := range out {
			if i < 3 {
				out[i] = g.value(depth + 1)
			} else {
				out[i] = one
			}
		}
		return out
	case depth < 3:
		out := map[string]any{}
		for range g.rng.IntN(4) {
			out[fieldNames[g.rng.IntN(len(fieldNames))]] = g.value(depth + 1)
		}
		return out
	}
	return "x"
}

// deleted, set at a path, removes what is there.
type deleted struct{}

// leaves lists the paths (map keys, list indexes) to every value under v, v included.
func leaves(v any, at []any) [][]any {
	out := [][]any{slices.Clone(at)}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			out = append(out, leaves(e, append(at, k))...)
		}
	case []any:
		for i, e := range x {
			out = append(out, leaves(e, append(at, i))...)
		}
	}
	return out
}

// set puts v at path under root (a map), creating maps on the way where a key is new;
// the empty path, or a path that no longer fits, changes nothing.
func set(root map[string]any, path []any, v any) {
	if len(path) == 0 {
		return
	}
	var cur any = root
	for i, step := range path {
		lastStep := i == len(path)-1
		switch c := cur.(type) {
		case map[string]any:
			k, ok := step.(string)
			if !ok {
				return
			}
			if lastStep {
				if _, del := v.(deleted); del {
					delete(c, k)
				} else {
					c[k] = v
				}
				return
			}
			if _, there := c[k]; !there {
				c[k] = map[string]any{}
			}
			cur = c[k]
		case []any:
			idx, ok := step.(int)
			if !ok || idx >= len(c) {
				return
			}
			if lastStep {
				if _, del := v.(deleted); !del {
					c[idx] = v
				}
				return
			}
			cur = c[idx]
		default:
			return
		}
	}
}
