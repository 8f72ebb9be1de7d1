package chaos

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/testenv"
)

// sampler judges, at every event of a watch on the accounts' four kinds for the whole
// run, what the operator writes in Collaborators' status against the specs it could
// have seen:
//
//   - R2/R3: a Guest's assignment Active or Archived on a role whose effective
//     permissions (the roles as the same watch shows them at that moment) are
//     member-only;
//   - R4 per write: `licensed: true` written for a Member that R4 (the account model's
//     allocation) gives no license;
//   - R4 in total: more Members showing `licensed: true` than the Account's
//     spec.licenses;
//   - R6, R7, R11 at every deletion that completes (the object gone from the watch):
//     a role gone while a Collaborator held it or another role included it since before
//     its deletion was asked; an AccountAdministrator gone from an Account active since
//     before, with no other administrator left; an Account gone while WorkCenters,
//     custom roles or Collaborators it had before remain. Each is judged a grace after
//     the deletion is seen, from what the watch shows then, so that the events of other
//     kinds that came before it on the server (an assignment dropped, a last holder
//     deleted) have arrived.
//
// Status lags spec, and the operator reads from a cache that lags the API server: a
// write is judged only against a state that had held for at least grace when the write
// was seen, a judgement the operator had time to see. So a status written while a role
// was just edited to become member-only is not flagged; one written a grace after it
// is. The total counts only the `licensed: true` written a grace or more after
// spec.licenses took its current value: those written before, under another limit,
// are the lag that the operator's next writes remove.
type sampler struct {
	grace time.Duration

	mu       sync.Mutex
	accounts map[string]*sampled
	events   int
	// paused: events update the state but are not judged (a broken watch, see pause).
	paused bool
	// now is when the event being judged was seen.
	now time.Time
	// live, when set, confirms the sampler's Account before an R4 flag (see stale).
	live client.Reader
	// skipped: R4 judgements dropped because the sampler's own Account was behind.
	skipped int
	// violations found, and how many of each rule.
	violations []string
	byRule     map[string]int
	// pending: completed deletions to judge once their grace has passed; judged counts
	// those judged, by kind.
	pending []deletion
	judged  map[string]int
}

// deletion is an object seen gone: obj as it was last, asked when its deletion was first
// seen (the deletionTimestamp, or the disappearance when no finalizer held it), due when
// it is judged.
type deletion struct {
	ns         string
	obj        client.Object
	asked, due time.Time
}

// sampled is one namespace as the watch shows it.
type sampled struct {
	m *model.Account
	// memberOnlySince: since when each role has been member-only without a break.
	memberOnlySince map[string]time.Time
	// unlicensedSince: since when each Member has held no license by R4 without a break.
	unlicensedSince map[string]time.Time
	// specSince: when each Collaborator's spec (generation) was last seen to change.
	specSince map[string]time.Time
	// statusAt: when each Collaborator's status was last seen to change.
	statusAt map[string]time.Time
	// limit is the Account's spec.licenses, limitSince when it took that value.
	limit      int32
	limitSince time.Time
	// over: whether the total is over the limit now (one violation per excursion).
	over bool
	// since: when each object ("Kind/name") was first seen, each reference to a role
	// ("Kind/name>role": a Collaborator's assignment or a role's include) first seen
	// without a break, and each deletion first seen asked.
	since, refSince, askedAt map[string]time.Time
	// activeSince: since when the Account has been active without a break (zero when not).
	activeSince time.Time
}

func newSampler(grace time.Duration) *sampler {
	return &sampler{grace: grace, accounts: map[string]*sampled{}, byRule: map[string]int{}, judged: map[string]int{}}
}

// watch starts informers on the four kinds in namespaces, feeding every event to the
// sampler until ctx ends. Informers list again and watch on after a broken watch (an
// API server restart).
func (s *sampler) watch(ctx context.Context, cfg *rest.Config, live client.Reader, namespaces []string) error {
	s.live = live
	byNS := map[string]cache.Config{}
	for _, ns := range namespaces {
		byNS[ns] = cache.Config{}
	}
	c, err := cache.New(cfg, cache.Options{Scheme: testenv.Scheme, DefaultNamespaces: byNS})
	if err != nil {
		return err
	}
	for _, obj := range []client.Object{&v1alpha1.Account{}, &v1alpha1.WorkCenter{}, &v1alpha1.WorkCenterRole{}, &v1alpha1.Collaborator{}} {
		inf, err := c.GetInformer(ctx, obj)
		if err != nil {
			return err
		}
		if _, err := inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
			AddFunc:    func(o any) { s.observe(o, false, time.Now()) },
			UpdateFunc: func(_, o any) { s.observe(o, false, time.Now()) },
			DeleteFunc: func(o any) {
				if d, ok := o.(toolscache.DeletedFinalStateUnknown); ok {
					o = d.Obj
				}
				s.observe(o, true, time.Now())
			},
		}); err != nil {
			return err
		}
	}
	go func() { _ = c.Start(ctx) }()
	go func() {
		// Deletions are judged on later events too; this judges the last ones.
		tick := time.NewTicker(s.grace / 4)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tick.C:
				s.mu.Lock()
				s.judgeDeletions(now)
				s.mu.Unlock()
			}
		}
	}()
	if !c.WaitForCacheSync(ctx) {
		return fmt.Errorf("the sampler's informers did not sync")
	}
	return nil
}

// observe takes one event: obj as it is now (or was last, when deleted), seen at at.
func (s *sampler) observe(obj any, deleted bool, at time.Time) {
	o, ok := obj.(client.Object)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events++
	s.now = at
	ns := o.GetNamespace()
	a := s.accounts[ns]
	if a == nil {
		a = &sampled{m: model.New(ns), memberOnlySince: map[string]time.Time{}, unlicensedSince: map[string]time.Time{},
			specSince: map[string]time.Time{}, statusAt: map[string]time.Time{},
			since: map[string]time.Time{}, refSince: map[string]time.Time{}, askedAt: map[string]time.Time{}}
		s.accounts[ns] = a
	}
	if gone := a.track(o, deleted, at); gone != nil && !s.paused {
		s.pending = append(s.pending, *gone)
	}
	var wrote *v1alpha1.Collaborator
	switch x := o.(type) {
	case *v1alpha1.Account:
		s.apply(a, model.KindAccount, x, deleted)
	case *v1alpha1.WorkCenter:
		s.apply(a, model.KindWorkCenter, x, deleted)
	case *v1alpha1.WorkCenterRole:
		s.apply(a, model.KindWorkCenterRole, x, deleted)
		a.rolesChanged(at)
	case *v1alpha1.Collaborator:
		prev := a.m.Collaborator(x.Name)
		s.apply(a, model.KindCollaborator, x, deleted)
		if deleted {
			delete(a.specSince, x.Name)
			delete(a.statusAt, x.Name)
			break
		}
		if prev == nil || prev.Generation != x.Generation || !prev.CreationTimestamp.Equal(&x.CreationTimestamp) {
			a.specSince[x.Name] = at
		}
		if prev == nil || !equality.Semantic.DeepEqual(prev.Status, x.Status) || !prev.CreationTimestamp.Equal(&x.CreationTimestamp) {
			a.statusAt[x.Name] = at
			wrote = x
		}
	default:
		return
	}
	a.licensesChanged(at)
	a.activeChanged(at)
	if s.paused {
		return
	}
	s.judgeDeletions(at)
	if wrote != nil {
		s.judgeWrite(a, wrote, at)
	}
	s.judgeTotal(a, at)
}

// pause stops judging while the watch is broken (the API server stopped): the
// informers then list again, kind by kind, and a Collaborator's status written under
// an Account change may come before that change, a license freed by a deletion before
// the deletion. resume judges again once the sampler has seen every object at least as
// new as in live (a list read after the restart) and holds nothing live lacks; it
// reports whether it has.
func (s *sampler) pause() {
	s.mu.Lock()
	s.paused = true
	// A deletion seen just before the break is judged from a view that may miss what
	// came after it; the informers' lists after the break report what they lost as
	// deletions too, at the wrong time. Neither is judged.
	s.pending = nil
	s.mu.Unlock()
}

func (s *sampler) resume(live []client.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Nothing gone from live may remain in the sampler's view: a deletion lost with the
	// broken watch comes with the list again, maybe after the updates.
	there := map[string]bool{}
	for _, o := range live {
		there[fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName())] = true
	}
	for _, a := range s.accounts {
		var held []client.Object
		for _, x := range a.m.Accounts() {
			held = append(held, x)
		}
		for _, x := range a.m.Roles() {
			held = append(held, x)
		}
		for _, x := range a.m.WorkCenters() {
			held = append(held, x)
		}
		for _, x := range a.m.AllCollaborators() {
			held = append(held, x)
		}
		for _, o := range held {
			if !there[fmt.Sprintf("%T %s/%s", o, o.GetNamespace(), o.GetName())] {
				return false
			}
		}
	}
	for _, o := range live {
		a := s.accounts[o.GetNamespace()]
		if a == nil {
			return false
		}
		var seen client.Object
		switch o.(type) {
		case *v1alpha1.Account:
			if x := a.m.Owner(); x != nil && x.Name == o.GetName() {
				seen = x
			}
		case *v1alpha1.WorkCenter:
			if x := a.m.WorkCenter(o.GetName()); x != nil {
				seen = x
			}
		case *v1alpha1.WorkCenterRole:
			if x := a.m.Role(o.GetName()); x != nil {
				seen = x
			}
		case *v1alpha1.Collaborator:
			if x := a.m.Collaborator(o.GetName()); x != nil {
				seen = x
			}
		default:
			continue
		}
		// resourceVersions are etcd's revisions: integers that only grow. (Opaque to
		// clients in general; this test runs on etcd.)
		if seen == nil || revision(seen) < revision(o) {
			return false
		}
	}
	s.paused = false
	return true
}

func revision(o client.Object) int64 {
	n, _ := strconv.ParseInt(o.GetResourceVersion(), 10, 64)
	return n
}

func (s *sampler) apply(a *sampled, kind string, obj any, deleted bool) {
	if deleted {
		a.m.Remove(kind, obj.(client.Object).GetName())
		return
	}
	_ = a.m.Set(obj)
}

// track keeps the times deletions are judged by: when o was first seen, when each of its
// role references was, and when its deletion was first seen asked. It returns the
// deletion to judge when o is gone.
func (a *sampled) track(o client.Object, deleted bool, at time.Time) *deletion {
	k := model.KindOf(o) + "/" + o.GetName()
	var refs []string
	switch x := o.(type) {
	case *v1alpha1.Collaborator:
		for _, w := range x.Spec.WorkCenters {
			refs = append(refs, string(w.Role))
		}
	case *v1alpha1.WorkCenterRole:
		for _, r := range x.Spec.Includes {
			refs = append(refs, string(r))
		}
	}
	if deleted {
		asked, ok := a.askedAt[k]
		if !ok {
			asked = at
		}
		delete(a.since, k)
		delete(a.askedAt, k)
		for ref := range a.refSince {
			if strings.HasPrefix(ref, k+">") {
				delete(a.refSince, ref)
			}
		}
		return &deletion{ns: a.m.Namespace, obj: o, asked: asked, due: at}
	}
	if _, ok := a.since[k]; !ok {
		a.since[k] = at
	}
	if _, ok := a.askedAt[k]; !ok && !o.GetDeletionTimestamp().IsZero() {
		a.askedAt[k] = at
	}
	held := map[string]bool{}
	for _, r := range refs {
		held[k+">"+r] = true
		if _, ok := a.refSince[k+">"+r]; !ok {
			a.refSince[k+">"+r] = at
		}
	}
	for ref := range a.refSince {
		if strings.HasPrefix(ref, k+">") && !held[ref] {
			delete(a.refSince, ref)
		}
	}
	return nil
}

// activeChanged keeps since when the Account has been active.
func (a *sampled) activeChanged(at time.Time) {
	switch {
	case !model.AccountActive(a.m.Owner()):
		a.activeSince = time.Time{}
	case a.activeSince.IsZero():
		a.activeSince = at
	}
}

// judgeDeletions judges the deletions whose grace has passed by now.
func (s *sampler) judgeDeletions(now time.Time) {
	keep := s.pending[:0]
	for _, d := range s.pending {
		if now.Sub(d.due) < s.grace {
			keep = append(keep, d)
			continue
		}
		if a := s.accounts[d.ns]; a != nil {
			s.judgeDeletion(a, d)
		}
	}
	s.pending = keep
}

// judgeDeletion judges one completed deletion against what had held since a grace
// before its deletion was asked, and still holds now.
func (s *sampler) judgeDeletion(a *sampled, d deletion) {
	before := func(t time.Time, ok bool) bool { return ok && !t.After(d.asked.Add(-s.grace)) }
	name := d.obj.GetName()
	switch x := d.obj.(type) {
	case *v1alpha1.WorkCenterRole:
		s.judged[model.KindWorkCenterRole]++
		var holders []string
		for ref, t := range a.refSince {
			if strings.HasSuffix(ref, ">"+name) && before(t, true) && ref != model.KindWorkCenterRole+"/"+name+">"+name {
				holders = append(holders, strings.TrimSuffix(ref, ">"+name))
			}
		}
		if len(holders) > 0 {
			sort.Strings(holders)
			s.flag("R6", "role %s/%s gone (deletion seen asked at %s) while %v held or included it from before", d.ns, name, d.asked.Format("15:04:05.000"), holders)
		}
	case *v1alpha1.Collaborator:
		if !model.IsAccountAdministrator(x) {
			return
		}
		s.judged[model.KindCollaborator]++
		if !before(a.activeSince, !a.activeSince.IsZero()) {
			return
		}
		for _, c := range a.m.AllCollaborators() {
			if model.IsAccountAdministrator(c) {
				return
			}
		}
		s.flag("R7", "AccountAdministrator %s/%s gone (deletion seen asked at %s) from an Account active since %s, with no administrator left",
			d.ns, name, d.asked.Format("15:04:05.000"), a.activeSince.Format("15:04:05.000"))
	case *v1alpha1.Account:
		if o := a.m.Owner(); o != nil && o.Name != name {
			return // another Account owns the namespace now
		}
		s.judged[model.KindAccount]++
		var left []string
		for k, t := range a.since {
			if !strings.HasPrefix(k, model.KindAccount+"/") && before(t, true) &&
				!(strings.HasPrefix(k, model.KindWorkCenterRole+"/") && v1alpha1.IsBuiltInRoleName(strings.TrimPrefix(k, model.KindWorkCenterRole+"/"))) {
				left = append(left, k)
			}
		}
		if len(left) > 0 {
			sort.Strings(left)
			s.flag("R11", "Account %s/%s gone (deletion seen asked at %s) while %d objects it had before remain: %v",
				d.ns, name, d.asked.Format("15:04:05.000"), len(left), left[:min(len(left), 5)])
		}
	}
}

// rolesChanged recomputes which roles are member-only.
func (a *sampled) rolesChanged(at time.Time) {
	for name := range a.memberOnlySince {
		if a.m.Role(name) == nil {
			delete(a.memberOnlySince, name)
		}
	}
	for name := range a.m.Roles() {
		perms, err := a.m.Effective(name)
		if err == nil && perms.IsMemberOnly() {
			if _, ok := a.memberOnlySince[name]; !ok {
				a.memberOnlySince[name] = at
			}
		} else {
			delete(a.memberOnlySince, name)
		}
	}
}

// licensesChanged recomputes R4's allocation and the limit.
func (a *sampled) licensesChanged(at time.Time) {
	if l := a.m.Licenses(); l != a.limit || a.limitSince.IsZero() {
		a.limit, a.limitSince = l, at
	}
	alloc := a.m.Allocation()
	members := map[string]bool{}
	for _, c := range a.m.Members() {
		members[c.Name] = true
		if alloc[c.Name] {
			delete(a.unlicensedSince, c.Name)
		} else if _, ok := a.unlicensedSince[c.Name]; !ok {
			a.unlicensedSince[c.Name] = at
		}
	}
	for name := range a.unlicensedSince {
		if !members[name] {
			delete(a.unlicensedSince, name)
		}
	}
}

// judgeWrite judges the status of c the operator just wrote.
func (s *sampler) judgeWrite(a *sampled, c *v1alpha1.Collaborator, at time.Time) {
	// The write is for the spec it names, or for a spec that has held for a grace.
	if c.Status.ObservedGeneration != c.Generation && at.Sub(a.specSince[c.Name]) < s.grace {
		return
	}
	if !model.IsMember(c) {
		for _, st := range c.Status.WorkCenters {
			since, ok := a.memberOnlySince[st.Role]
			if model.InEffect(st.State) && ok && at.Sub(since) >= s.grace {
				s.flag("R2", "Guest %s/%s is %s in WorkCenter %s on role %s, member-only for %s before the write",
					c.Namespace, c.Name, st.State, st.Name, st.Role, at.Sub(since).Round(time.Millisecond))
			}
		}
		return
	}
	if l := c.Status.Licensed; l != nil && *l {
		if since, ok := a.unlicensedSince[c.Name]; ok && at.Sub(since) >= s.grace && !s.stale(a) {
			rank := slices.IndexFunc(a.m.Members(), func(m *v1alpha1.Collaborator) bool { return m.Name == c.Name })
			acct := ""
			if o := a.m.Owner(); o != nil {
				acct = o.ResourceVersion
			}
			s.flag("R4", "Member %s/%s (resourceVersion %s, created %s) written licensed: true while R4 has given it no license for %s: limit %d (Account resourceVersion %s), %d Members, it the %dth",
				c.Namespace, c.Name, c.ResourceVersion, c.CreationTimestamp.Format(time.RFC3339), at.Sub(since).Round(time.Millisecond), a.limit, acct, len(a.m.Members()), rank+1)
		}
	}
}

// judgeTotal counts the Members showing a license written under the current limit.
func (s *sampler) judgeTotal(a *sampled, at time.Time) {
	if a.m.Owner() == nil {
		a.over = false
		return
	}
	var fresh []string
	for _, c := range a.m.Members() {
		if l := c.Status.Licensed; l != nil && *l && !a.statusAt[c.Name].Before(a.limitSince.Add(s.grace)) {
			fresh = append(fresh, c.Name)
		}
	}
	over := int32(len(fresh)) > a.limit
	if over && !a.over && !s.stale(a) {
		sort.Strings(fresh)
		s.flag("R4-total", "Account in %s: %d Members show licensed: true written under the limit of %d: %v",
			a.m.Namespace, len(fresh), a.limit, fresh)
	}
	a.over = over
}

// stale reports whether the sampler's Account of a is older than the live one: an
// informer's watch can lag for long after its list (client-go's reflector waits up to a
// minute between tries after failures), and a license judged against a limit the
// driver has changed since is no violation. The live read is made only before a flag.
func (s *sampler) stale(a *sampled) bool {
	o := a.m.Owner()
	if s.live == nil || o == nil {
		return false
	}
	var now v1alpha1.Account
	if err := s.live.Get(context.Background(), client.ObjectKeyFromObject(o), &now); err != nil || now.ResourceVersion != o.ResourceVersion {
		s.skipped++
		return true
	}
	return false
}

func (s *sampler) flag(rule, format string, args ...any) {
	s.byRule[rule]++
	if len(s.violations) < 100 {
		s.violations = append(s.violations, rule+": "+fmt.Sprintf(format, args...)+" (seen at "+s.now.Format("15:04:05.000")+")")
	}
}

// report is the sampler's figures: events judged and violations by rule (and
// "skipped": R4 judgements dropped because the sampler's Account was behind).
func (s *sampler) report() (events int, violations int, byRule map[string]int, first []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.judgeDeletions(time.Now().Add(time.Hour)) // the end: everything the view shows has come
	byRule = map[string]int{"skipped": s.skipped}
	for k, v := range s.judged {
		byRule["judged "+k] = v
	}
	for k, v := range s.byRule {
		byRule[k] = v
		violations += v
	}
	return s.events, violations, byRule, append([]string(nil), s.violations...)
}
