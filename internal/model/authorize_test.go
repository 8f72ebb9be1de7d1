package model

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestResourceVerbRoundTrips(t *testing.T) {
	seen := map[string]string{}
	for _, p := range catalog {
		r, v := ResourceVerb(string(p.Permission))
		if r != strings.ToLower(r) || v != strings.ToLower(v) || strings.Contains(r, ".") {
			t.Errorf("%s: resource %q verb %q", p.Permission, r, v)
		}
		if got := Named(r, v); got != string(p.Permission) {
			t.Errorf("%s -> %s/%s -> %q", p.Permission, r, v, got)
		}
		if other, dup := seen[r+"/"+v]; dup {
			t.Errorf("%s and %s map to %s/%s", other, p.Permission, r, v)
		}
		seen[r+"/"+v] = string(p.Permission)
	}
	for _, c := range capabilities {
		if got := Named(AccountResource, strings.ToLower(string(c.Capability))); got != string(c.Capability) {
			t.Errorf("capability %s: account/%s names %q", c.Capability, strings.ToLower(string(c.Capability)), got)
		}
	}
	for name, want := range map[string][2]string{
		"files.upload":         {"files", "upload"},
		"files.restoreVersion": {"files", "restoreversion"},
		"fileComments.create":  {"filecomments", "create"},
		"taskComments.delete":  {"taskcomments", "delete"},
		"workCenter.view":      {"workcenter", "view"},
		"collaborators.remove": {"collaborators", "remove"},
		"users.upgrade":        {"account", "users.upgrade"},
		"workCenters.delete":   {"account", "workcenters.delete"},
	} {
		if r, v := ResourceVerb(name); r != want[0] || v != want[1] {
			t.Errorf("%s: %s/%s, want %s/%s", name, r, v, want[0], want[1])
		}
	}
	if Named("FILES", "Upload") != "files.upload" {
		t.Error("the mapping is not case-insensitive")
	}
}

func TestAuthorize(t *testing.T) {
	people := append(adminPeople(),
		newCollab("lee", member(), created(30), assigned("tower-a=site-engineer")),     // beyond the licenses
		newCollab("ola", member(), created(9), assigned("old-depot=workcenter-owner")), // archived WorkCenter
		newCollab("gia", guest(), created(10), assigned("tower-a=workcenter-owner")),   // Rejected (R2)
	)
	a := adminAccount(t, newAccount(licenses(8)), people)
	deactivated := adminAccount(t, newAccount(deactivated()), adminPeople())
	attrs := func(resource, verb, name string) ResourceAttributes {
		return ResourceAttributes{Group: AuthorizationGroup, Version: AuthorizationVersion, Resource: resource, Verb: verb, Name: name}
	}
	cases := map[string]struct {
		a        *Account
		username string
		attrs    ResourceAttributes
		want     Opinion
		says     []string
	}{
		"a Member's role grants it":      {a, "tom@example.com", attrs("files", "upload", "tower-a"), Allow, []string{`role "site-engineer" grants files.upload`}},
		"the email in another case":      {a, "TOM@Example.com", attrs("files", "upload", "tower-a"), Allow, nil},
		"the role lacks it":              {a, "tom@example.com", attrs("files", "move", "tower-a"), Deny, []string{`role "site-engineer" does not grant files.move`}},
		"no assignment there":            {a, "tom@example.com", attrs("files", "upload", "tower-b"), Deny, []string{"has no assignment there"}},
		"an administrator everywhere":    {a, "daniel@example.com", attrs("folders", "delete", "tower-b"), Allow, []string{"supersedes"}},
		"an archived WorkCenter cuts it": {a, "ola@example.com", attrs("files", "upload", "old-depot"), Deny, []string{"archived"}},
		"an archived WorkCenter's view":  {a, "ola@example.com", attrs("workcenter", "view", "old-depot"), Allow, nil},
		"no license":                     {a, "lee@example.com", attrs("files", "upload", "tower-a"), Deny, []string{"holds no license"}},
		"a Rejected assignment":          {a, "gia@example.com", attrs("tasks", "create", "tower-a"), Deny, []string{"Rejected", "RoleRequiresMember"}},
		"a deactivated account":          {deactivated, "tom@example.com", attrs("files", "upload", "tower-a"), Deny, []string{"step 1"}},
		"a capability":                   {a, "maria.lopez@acme-builders.example", attrs("account", "workcenters.delete", ""), Allow, []string{"Account Administrators hold it"}},
		"a capability refused":           {a, "tom@example.com", attrs("account", "users.upgrade", ""), Deny, []string{"User Administrators (uma)"}},
		"a capability in a WorkCenter":   {a, "priya@example.com", attrs("account", "workcenters.edit", "tower-a"), Allow, []string{"workCenter.editSettings"}},
		"both, as the permission":        {a, "uma@example.com", attrs("collaborators", "changerole", "tower-a"), Deny, []string{"site-engineer"}},
		"both, as the capability":        {a, "uma@example.com", attrs("account", "collaborators.changerole", "tower-a"), Allow, []string{"User Administrators hold it"}},

		"another group":                 {a, "tom@example.com", ResourceAttributes{Group: "apps", Resource: "deployments", Verb: "get"}, NoOpinion, []string{"only the group procorem.workcenter.io"}},
		"no Collaborator":               {a, "kubernetes-admin", attrs("files", "upload", "tower-a"), NoOpinion, []string{"not a Collaborator"}},
		"no username":                   {a, "", attrs("files", "upload", "tower-a"), NoOpinion, []string{"no username"}},
		"a WorkCenter permission alone": {a, "tom@example.com", attrs("files", "upload", ""), Deny, []string{"name the WorkCenter"}},
		"an unknown WorkCenter":         {a, "tom@example.com", attrs("files", "upload", "tower-z"), Deny, []string{`"tower-z" does not exist`}},
		"an unknown verb":               {a, "tom@example.com", attrs("files", "uplod", "tower-a"), Deny, []string{"names no permission", "files.upload"}},
		"a wildcard":                    {a, "tom@example.com", attrs("files", "*", "tower-a"), Deny, []string{"names no permission"}},
		"a subresource":                 {a, "tom@example.com", ResourceAttributes{Group: AuthorizationGroup, Resource: "files", Subresource: "status", Verb: "upload", Name: "tower-a"}, Deny, []string{"no subresources"}},
		"another version":               {a, "tom@example.com", ResourceAttributes{Group: AuthorizationGroup, Version: "v2", Resource: "files", Verb: "upload", Name: "tower-a"}, Deny, []string{`version "v2"`}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.a.Authorize(tc.username, "", tc.attrs)
			if got.Opinion != tc.want {
				t.Fatalf("%s, want %s: %s", got.Opinion, tc.want, got.Reason)
			}
			if got.Reason == "" {
				t.Fatal("no reason")
			}
			for _, s := range tc.says {
				if !strings.Contains(got.Reason, s) {
					t.Errorf("reason lacks %q: %s", s, got.Reason)
				}
			}
		})
	}

	// The same decision as Decide, on every person, permission and WorkCenter.
	for _, c := range a.Collaborators() {
		for _, wc := range a.WorkCenters() {
			for _, p := range catalog {
				r, v := ResourceVerb(string(p.Permission))
				got := a.Authorize(c.Spec.Email, "", attrs(r, v, wc.Name))
				held := a.Permissions(c, wc.Name, metav1.Time{}).Has(p.Permission)
				if (got.Opinion == Allow) != held {
					t.Errorf("%s %s in %s: %s, effective access says %v", c.Name, p.Permission, wc.Name, got.Opinion, held)
				}
			}
		}
	}
}

// TestAuthorizeAllocatesOnlyItsAnswer: in steady state (statuses recorded, memos filled
// by a first question), a check builds nothing on the heap but its reason: one
// allocation, whichever step answers.
func TestAuthorizeAllocatesOnlyItsAnswer(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	people := append(adminPeople(),
		newCollab("lee", member(), created(30), assigned("tower-a=site-engineer")),
		newCollab("ola", member(), created(9), assigned("old-depot=workcenter-owner")),
	)
	a := adminAccount(t, newAccount(licenses(8)), people)
	now := metav1.Now()
	for _, c := range a.Collaborators() { // the statuses the controller writes
		c.Status.WorkCenters = a.Evaluate(c, "", now).Statuses
	}
	attrs := func(resource, verb, name string) ResourceAttributes {
		return ResourceAttributes{Group: AuthorizationGroup, Version: AuthorizationVersion, Resource: resource, Verb: verb, Name: name}
	}
	for name, q := range map[string]struct {
		user  string
		attrs ResourceAttributes
	}{
		"granted by a role":          {"tom@example.com", attrs("files", "upload", "tower-a")},
		"not granted by the role":    {"tom@example.com", attrs("files", "move", "tower-a")},
		"no assignment":              {"tom@example.com", attrs("files", "upload", "tower-b")},
		"an administrator":           {"daniel@example.com", attrs("folders", "delete", "tower-b")},
		"archived":                   {"ola@example.com", attrs("files", "upload", "old-depot")},
		"a Rejected assignment":      {"gus@example.com", attrs("tasks", "create", "tower-a")},
		"a capability held":          {"maria.lopez@acme-builders.example", attrs("account", "workcenters.delete", "")},
		"a capability refused":       {"tom@example.com", attrs("account", "users.upgrade", "")},
		"a capability in WorkCenter": {"priya@example.com", attrs("account", "workcenters.edit", "tower-a")},
	} {
		a.Authorize(q.user, "", q.attrs)
		if n := testing.AllocsPerRun(50, func() { a.Authorize(q.user, "", q.attrs) }); n > 1 {
			t.Errorf("%s: %.0f allocations per check, want the reason's only", name, n)
		}
	}
}

// TestHoldersFollowCollaborators: what a refusal says of who holds a capability is kept
// between questions, and changes with the people.
func TestHoldersFollowCollaborators(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	ask := func() string { return a.MayDo(a.Collaborator("tom"), string(UsersUpgrade), "").Message }
	if first := ask(); !strings.Contains(first, "User Administrators (uma)") {
		t.Fatalf("refusal: %s", first)
	}
	if err := a.Set(newCollab("ulla", member(), admin(ua), created(20))); err != nil {
		t.Fatal(err)
	}
	if got := ask(); !strings.Contains(got, "User Administrators (uma, ulla)") && !strings.Contains(got, "User Administrators (ulla, uma)") {
		t.Fatalf("after a new User Administrator: %s", got)
	}
	a.Remove(KindCollaborator, "uma")
	if got := ask(); !strings.Contains(got, "User Administrators (ulla)") {
		t.Fatalf("after uma left: %s", got)
	}
}
