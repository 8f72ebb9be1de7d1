package query

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"pgregory.net/rapid"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/fixtures"
	"github.com/workcenter-io/workcenter-operator/internal/model"
)

const ns = "acme"

var (
	t0  = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now = metav1.NewTime(t0.Add(time.Hour))
)

// account is a small account: 1 license, roles with includes, an archived WorkCenter.
// Seniority follows the order of the collaborators.
func account(t testing.TB, change func(objs []any) []any) *Engine {
	t.Helper()
	objs := []any{
		fixtures.Account(ns, "acme", 2),
		fixtures.WorkCenter(ns, "tower-a"),
		fixtures.WorkCenter(ns, "old", fixtures.Archived),
		fixtures.Role(ns, "contributor"),
		fixtures.Role(ns, "read-only"),
		fixtures.Role(ns, "workcenter-owner"),
		fixtures.Role(ns, "site-engineer", fixtures.Includes("contributor"), func(r *v1alpha1.WorkCenterRole) {
			r.Spec.Levels.Folders = v1alpha1.LevelStandard
			r.Spec.Permissions = []v1alpha1.Permission{model.TasksCreate}
		}),
		fixtures.Role(ns, "lead", fixtures.Includes("site-engineer")),
		fixtures.Admin(v1alpha1.AdminRoleAccountAdministrator, fixtures.Collaborator(ns, "ann", v1alpha1.Member)),
		fixtures.Collaborator(ns, "bob", v1alpha1.Member, "tower-a=lead", "old=lead"),
		fixtures.Collaborator(ns, "carl", v1alpha1.Member, "tower-a=contributor"), // no license left
		fixtures.Collaborator(ns, "gina", v1alpha1.Guest, "tower-a=workcenter-owner", "old=contributor"),
		fixtures.Collaborator(ns, "gus", v1alpha1.Guest, "tower-a=read-only"),
		fixtures.Collaborator(ns, "pat", v1alpha1.Guest, "tower-a=missing-role"),
	}
	if change != nil {
		objs = change(objs)
	}
	for i, o := range objs {
		if c, ok := o.(*v1alpha1.Collaborator); ok {
			c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(i) * time.Second))
			c.Spec.Email = c.Name + "@acme.example"
		}
	}
	m, err := model.Build(ns, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return New(m, now)
}

func steps(d Decision) string {
	var b strings.Builder
	for _, s := range d.Steps {
		fmt.Fprintf(&b, "%d:%s ", s.Step, s.Result)
	}
	return strings.TrimSpace(b.String())
}

func TestCheckTakesEveryStepInOrder(t *testing.T) {
	deactivated := func(objs []any) []any {
		objs[0].(*v1alpha1.Account).Spec.State = v1alpha1.AccountDeactivated
		return objs
	}
	noAccount := func(objs []any) []any { return objs[1:] }
	cases := []struct {
		name       string
		change     func([]any) []any
		who, wc    string
		perm       model.Permission
		allowed    bool
		decidedBy  int
		steps      string
		detail     string // in the deciding step's detail
		path       []string
		source     string
		adminRole  string
		assignment string // state (reason)
	}{
		{name: "no Account denies at step 1", change: noAccount, who: "ann", wc: "tower-a", perm: model.WorkCenterView,
			decidedBy: 1, steps: "1:deny 2:not reached 3:not reached 4:not reached 5:not reached", detail: `no Account in namespace "acme"`},
		{name: "a Deactivated account denies at step 1", change: deactivated, who: "bob", wc: "tower-a", perm: model.FilesUpload,
			decidedBy: 1, steps: "1:deny 2:not reached 3:not reached 4:not reached 5:not reached", detail: "is Deactivated"},
		{name: "a Member without a license is denied at step 2", who: "carl", wc: "tower-a", perm: model.FilesUpload,
			decidedBy: 2, steps: "1:pass 2:deny 3:not reached 4:not reached 5:not reached", detail: "holds none of", assignment: "Pending (LicenseLimitExceeded)"},
		{name: "an AccountAdministrator is granted at step 3, unassigned", who: "ann", wc: "tower-a", perm: model.CollaboratorsChange,
			allowed: true, decidedBy: 3, steps: "1:pass 2:pass 3:grant 4:skip 5:pass", detail: "AccountAdministrator", adminRole: "AccountAdministrator"},
		{name: "an archived WorkCenter cuts an administrator at step 5", who: "ann", wc: "old", perm: model.FilesUpload,
			decidedBy: 5, steps: "1:pass 2:pass 3:grant 4:skip 5:deny", detail: "is archived"},
		{name: "an archived WorkCenter keeps download", who: "ann", wc: "old", perm: model.FilesDownload,
			allowed: true, decidedBy: 3, steps: "1:pass 2:pass 3:grant 4:skip 5:pass", adminRole: "AccountAdministrator"},
		{name: "not assigned denies at step 4", who: "gus", wc: "old", perm: model.WorkCenterView,
			decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:deny 5:not reached", detail: "is not assigned"},
		{name: "a Rejected assignment denies at step 4 with its reason", who: "gina", wc: "tower-a", perm: model.WorkCenterView,
			decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:deny 5:not reached", detail: "Rejected (RoleRequiresMember)", assignment: "Rejected (RoleRequiresMember)"},
		{name: "a Pending assignment denies at step 4", who: "pat", wc: "tower-a", perm: model.WorkCenterView,
			decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:deny 5:not reached", detail: "Pending (RoleNotFound)", assignment: "Pending (RoleNotFound)"},
		{name: "a role lacking the permission denies at step 4", who: "gus", wc: "tower-a", perm: model.FilesUpload,
			decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:deny 5:not reached", detail: `role "read-only" does not grant files.upload`, assignment: "Active"},
		{name: "a grant through two includes names the path", who: "bob", wc: "tower-a", perm: model.FilesUpload,
			allowed: true, decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:grant 5:pass",
			detail: "lead includes site-engineer, which includes contributor, which grants files.upload (built-in role)",
			path:   []string{"lead", "site-engineer", "contributor"}, source: "levels.files: Standard", assignment: "Active"},
		{name: "a grant by levels names the level", who: "bob", wc: "tower-a", perm: model.FoldersRename,
			allowed: true, decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:grant 5:pass", detail: "(levels.folders: Standard)",
			path: []string{"lead", "site-engineer"}, source: "levels.folders: Standard"},
		{name: "a grant by granular permissions says so", who: "bob", wc: "tower-a", perm: model.TasksCreate,
			allowed: true, decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:grant 5:pass", detail: "(permissions)",
			path: []string{"lead", "site-engineer"}, source: "permissions"},
		{name: "workCenter.view comes with every role", who: "bob", wc: "tower-a", perm: model.WorkCenterView,
			allowed: true, decidedBy: 4, steps: "1:pass 2:pass 3:pass 4:grant 5:pass", detail: "every role has it", path: []string{"lead"}, source: "workCenter.view"},
		{name: "an archived assignment is cut at step 5", who: "bob", wc: "old", perm: model.TasksCreate,
			decidedBy: 5, steps: "1:pass 2:pass 3:pass 4:grant 5:deny", detail: "is archived", assignment: "Archived (WorkCenterArchived)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := account(t, tc.change)
			c, err := e.Collaborator(tc.who)
			if err != nil {
				t.Fatal(err)
			}
			d := e.Check(c, tc.wc, tc.perm)
			if d.Allowed != tc.allowed || d.DecidedBy != tc.decidedBy || steps(d) != tc.steps {
				t.Fatalf("allowed %v decided by %d steps %q; want %v, %d, %q\n%+v", d.Allowed, d.DecidedBy, steps(d), tc.allowed, tc.decidedBy, tc.steps, d.Steps)
			}
			if want := e.Model().Permissions(c, tc.wc, now).Has(tc.perm); d.Allowed != want {
				t.Fatalf("Check says %v, the model's effective access %v", d.Allowed, want)
			}
			if !strings.Contains(d.Reason(), tc.detail) {
				t.Errorf("deciding step says %q; want it to contain %q", d.Reason(), tc.detail)
			}
			if (d.How != nil) != d.Allowed {
				t.Errorf("How %+v for allowed %v", d.How, d.Allowed)
			}
			if tc.path != nil && (d.How == nil || !slices.Equal(d.How.Path, tc.path) || d.How.Source != tc.source && !d.How.BuiltIn) {
				t.Errorf("how %+v; want path %v source %q", d.How, tc.path, tc.source)
			}
			if tc.adminRole != "" && (d.How == nil || d.How.AdminRole != tc.adminRole) {
				t.Errorf("how %+v; want admin role %s", d.How, tc.adminRole)
			}
			if tc.assignment != "" {
				got := "none"
				if a := d.Assignment; a != nil {
					got = a.State
					if a.Reason != "" {
						got += " (" + a.Reason + ")"
					}
				}
				if got != tc.assignment {
					t.Errorf("assignment %s; want %s", got, tc.assignment)
				}
			}
		})
	}
}

func TestWhoCanListsHoldersWithHowAndTheDeniedWithWhy(t *testing.T) {
	e := account(t, nil)
	r := e.WhoCan(model.FilesUpload, "tower-a", true)
	var allowed, denied []string
	for _, h := range r.Allowed {
		allowed = append(allowed, h.Collaborator+":"+howString(h.How))
	}
	for _, d := range r.Denied {
		denied = append(denied, fmt.Sprintf("%s:%d", d.Collaborator, d.Step))
	}
	if want := []string{"ann:AccountAdministrator", "bob:lead>site-engineer>contributor"}; !slices.Equal(allowed, want) {
		t.Errorf("allowed %v; want %v", allowed, want)
	}
	if want := []string{"carl:2", "gina:4", "gus:4", "pat:4"}; !slices.Equal(denied, want) {
		t.Errorf("denied %v; want %v", denied, want)
	}
	if r := e.WhoCan(model.FilesUpload, "tower-a", false); r.Denied != nil {
		t.Errorf("denied listed without being asked: %v", r.Denied)
	}
}

func howString(h How) string {
	if h.AdminRole != "" {
		return h.AdminRole
	}
	return strings.Join(h.Path, ">")
}

func TestListAndAccess(t *testing.T) {
	e := account(t, nil)
	bob, _ := e.Collaborator("BOB@acme.example")
	l := e.List(bob, "old")
	if got := permissionsOf(l); !slices.Equal(got, []string{"workCenter.view", "files.download"}) {
		t.Errorf("bob in the archived WorkCenter has %v", got)
	}
	gus, _ := e.Collaborator("gus")
	if l := e.List(gus, "old"); len(l.Permissions) != 0 || !strings.Contains(l.Reason, "not assigned") {
		t.Errorf("gus in old: %+v", l)
	}
	a := e.Access(bob)
	var rows []string
	for _, wc := range a.WorkCenters {
		state := "-"
		if wc.Assignment != nil {
			state = wc.Assignment.State
		}
		rows = append(rows, fmt.Sprintf("%s:%s:%d", wc.WorkCenter, state, len(wc.Permissions)))
	}
	if want := []string{"old:Archived:2", "tower-a:Active:15"}; !slices.Equal(rows, want) {
		t.Errorf("access rows %v; want %v", rows, want)
	}
	if a.Licensed == nil || !*a.Licensed {
		t.Errorf("bob licensed %v", a.Licensed)
	}
}

func permissionsOf(l List) []string {
	var out []string
	for _, p := range l.Permissions {
		out = append(out, p.Permission)
	}
	return out
}

func TestMatrix(t *testing.T) {
	e := account(t, func(objs []any) []any {
		off := false
		r := fixtures.Role(ns, "quiet")
		r.Spec.EmailNotifications = &v1alpha1.EmailNotifications{PostCreated: &off}
		return append(objs, r, fixtures.Role(ns, "loop-a", fixtures.Includes("loop-b")), fixtures.Role(ns, "loop-b", fixtures.Includes("loop-a")))
	})
	m := e.Matrix()
	var names []string
	for _, r := range m.Roles {
		names = append(names, r.Name)
	}
	if want := []string{"read-only", "contributor", "workcenter-owner", "lead", "loop-a", "loop-b", "quiet", "site-engineer"}; !slices.Equal(names, want) {
		t.Fatalf("columns %v; want built-in roles first, then by name: %v", names, want)
	}
	if len(m.Permissions) != len(model.Catalog()) {
		t.Errorf("%d rows; want the catalog's %d", len(m.Permissions), len(model.Catalog()))
	}
	for i, r := range m.Roles {
		perms, _ := e.Model().Effective(r.Name)
		for _, p := range m.Permissions {
			if m.Has(i, p.Permission) != perms.Has(model.Permission(p.Permission)) {
				t.Errorf("%s/%s: matrix %v, model %v", r.Name, p.Permission, m.Has(i, p.Permission), !m.Has(i, p.Permission))
			}
		}
		if r.MemberOnly != perms.IsMemberOnly() {
			t.Errorf("%s memberOnly %v", r.Name, r.MemberOnly)
		}
	}
	quiet := m.Roles[slices.Index(names, "quiet")]
	if quiet.EmailNotifications["postCreated"] || !quiet.EmailNotifications["fileUploaded"] {
		t.Errorf("quiet's email options %v; want postCreated off and the rest on (default)", quiet.EmailNotifications)
	}
	if loop := m.Roles[slices.Index(names, "loop-a")]; !strings.Contains(loop.Error, "cycle") {
		t.Errorf("loop-a error %q; want the cycle", loop.Error)
	}
	only := e.Matrix("site-engineer")
	if len(only.Roles) != 1 || !only.Roles[0].MemberOnly {
		t.Errorf("matrix of site-engineer: %+v", only.Roles)
	}
}

func TestUnknownNamesGiveTheNearest(t *testing.T) {
	e := account(t, nil)
	cases := []struct {
		err  error
		want string
	}{
		{second(Permission("folder.delete")), `unknown permission "folder.delete"; nearest: folders.delete`},
		{second(e.Collaborator("bobby")), `unknown collaborator "bobby" in namespace acme; nearest: bob`},
		{second(e.WorkCenter("towr-a")), `unknown WorkCenter "towr-a" in namespace acme; nearest: tower-a`},
		{second(e.Role("site-enginer")), `unknown role "site-enginer" in namespace acme; nearest: site-engineer`},
	}
	for _, tc := range cases {
		if tc.err == nil || !strings.HasPrefix(tc.err.Error(), tc.want) {
			t.Errorf("error %v; want it to start with %q", tc.err, tc.want)
		}
	}
	if c, err := e.Collaborator("GINA@ACME.EXAMPLE"); err != nil || c.Name != "gina" {
		t.Errorf("email lookup: %v %v", c, err)
	}
}

func second[T any](_ T, err error) error { return err }

// TestAnswersAgreeWithTheModel: on random accounts, every answer agrees with the model's
// effective access (the controllers' functions), and the answers agree with each other:
// a decision's steps are coherent, List is the permissions Check allows, and WhoCan is
// exactly the collaborators (all of them, not only those it looks at) Check allows.
func TestAnswersAgreeWithTheModel(t *testing.T) {
	catalog := model.Catalog()
	rapid.Check(t, func(t *rapid.T) {
		m := randomAccount(t)
		e := New(m, now)
		for _, wc := range m.WorkCenters() {
			for _, info := range catalog {
				p := info.Permission
				var can []string
				for _, c := range m.Collaborators() {
					d := e.Check(c, wc.Name, p)
					if want := m.Permissions(c, wc.Name, now).Has(p); d.Allowed != want {
						t.Fatalf("%s %s %s: Check %v, model %v", c.Name, wc.Name, p, d.Allowed, want)
					}
					checkCoherent(t, d)
					if d.Allowed {
						can = append(can, c.Name)
					}
					if slices.Contains(permissionsOf(e.List(c, wc.Name)), string(p)) != d.Allowed {
						t.Fatalf("%s %s %s: List disagrees with Check (%v)", c.Name, wc.Name, p, d.Allowed)
					}
				}
				var got []string
				for _, h := range e.WhoCan(p, wc.Name, false).Allowed {
					got = append(got, h.Collaborator)
				}
				if !slices.Equal(got, can) {
					t.Fatalf("who-can %s in %s: %v; Check allows %v", p, wc.Name, got, can)
				}
			}
		}
	})
}

// randomAccount is a random account of up to 8 collaborators, 5 roles including each
// other and 3 WorkCenters, some archived; no Account, or a Deactivated one, at times.
func randomAccount(t *rapid.T) *model.Account {
	catalog := model.Catalog()
	m := model.New(ns)
	if rapid.IntRange(0, 5).Draw(t, "account") > 0 {
		a := fixtures.Account(ns, "acme", int32(rapid.IntRange(0, 4).Draw(t, "licenses")))
		if rapid.IntRange(0, 5).Draw(t, "deactivated") == 0 {
			a.Spec.State = v1alpha1.AccountDeactivated
		}
		_ = m.Set(a)
	}
	for i := range 3 {
		wc := fixtures.WorkCenter(ns, fmt.Sprintf("wc%d", i))
		wc.Spec.Archived = rapid.IntRange(0, 3).Draw(t, "archived") == 0
		_ = m.Set(wc)
	}
	for i := range 5 {
		r := fixtures.Role(ns, fmt.Sprintf("role%d", i))
		for range rapid.IntRange(0, 2).Draw(t, "includes") {
			r.Spec.Includes = append(r.Spec.Includes, v1alpha1.ObjectName(fmt.Sprintf("role%d", rapid.IntRange(0, 5).Draw(t, "include"))))
		}
		for range rapid.IntRange(0, 3).Draw(t, "perms") {
			r.Spec.Permissions = append(r.Spec.Permissions, catalog[rapid.IntRange(0, len(catalog)-1).Draw(t, "perm")].Permission)
		}
		r.Spec.Levels.Folders = []v1alpha1.Level{"", v1alpha1.LevelReadOnly, v1alpha1.LevelStandard, v1alpha1.LevelAdmin}[rapid.IntRange(0, 3).Draw(t, "folders")]
		_ = m.Set(r)
	}
	n := rapid.IntRange(1, 8).Draw(t, "collaborators")
	for i := range n {
		typ := v1alpha1.Guest
		if rapid.Bool().Draw(t, "member") {
			typ = v1alpha1.Member
		}
		var assign []string
		for w := range 3 {
			if rapid.Bool().Draw(t, "assigned") {
				assign = append(assign, fmt.Sprintf("wc%d=role%d", w, rapid.IntRange(0, 5).Draw(t, "role")))
			}
		}
		c := fixtures.Collaborator(ns, fmt.Sprintf("c%d", i), typ, assign...)
		c.Spec.Email = fmt.Sprintf("c%d@acme.example", rapid.IntRange(0, n).Draw(t, "email"))
		c.CreationTimestamp = metav1.NewTime(t0.Add(time.Duration(rapid.IntRange(0, 3).Draw(t, "age")) * time.Second))
		if typ == v1alpha1.Member {
			c.Spec.AdminRole = []v1alpha1.AdminRole{v1alpha1.AdminRoleNone, v1alpha1.AdminRoleAccountAdministrator,
				v1alpha1.AdminRoleWorkCenterAdministrator, v1alpha1.AdminRoleUserAdministrator}[rapid.IntRange(0, 3).Draw(t, "admin")]
		}
		_ = m.Set(c)
	}
	return m
}

// checkCoherent: the steps run 1 to 5 in order; the deciding step denied (or granted,
// when allowed); every step after the decision is not reached, except the archival cut
// after a grant; How is set exactly when allowed.
func checkCoherent(t *rapid.T, d Decision) {
	if len(d.Steps) != 5 {
		t.Fatalf("%d steps", len(d.Steps))
	}
	for i, s := range d.Steps {
		if s.Step != i+1 {
			t.Fatalf("step %d at %d", s.Step, i)
		}
	}
	decided := d.Steps[d.DecidedBy-1]
	switch {
	case d.Allowed && decided.Result != Grant:
		t.Fatalf("allowed, decided by %+v", decided)
	case !d.Allowed && decided.Result != Deny:
		t.Fatalf("denied, decided by %+v", decided)
	case (d.How != nil) != d.Allowed:
		t.Fatalf("how %+v, allowed %v", d.How, d.Allowed)
	}
	for _, s := range d.Steps[:d.DecidedBy-1] {
		if s.Result == Deny || s.Result == NotReached {
			t.Fatalf("step %+v before the decision at %d", s, d.DecidedBy)
		}
	}
	if !d.Allowed {
		for _, s := range d.Steps[d.DecidedBy:] {
			if s.Result != NotReached {
				t.Fatalf("step %+v after the denial at %d", s, d.DecidedBy)
			}
		}
	}
}
