package model

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"k8s.io/utils/ptr"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Email recipients (recipients.go), written from docs/email.md: each rule of who is and
// who is not emailed has a case here that fails when the rule breaks.

func emailOff(options ...string) roleOpt {
	return func(r *v1alpha1.WorkCenterRole) {
		n := &v1alpha1.EmailNotifications{}
		v := reflect.ValueOf(n).Elem()
		for i := 0; i < v.NumField(); i++ {
			tag, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			v.Field(i).Set(reflect.ValueOf(ptr.To(!slices.Contains(options, tag))))
		}
		r.Spec.EmailNotifications = n
	}
}

func prefer(delivery v1alpha1.EmailDelivery, disabled ...v1alpha1.EmailOption) collabOpt {
	return func(c *v1alpha1.Collaborator) {
		c.Spec.EmailPreferences = &v1alpha1.EmailPreferences{Delivery: delivery, Disabled: disabled}
	}
}

func leaving() collabOpt {
	return func(c *v1alpha1.Collaborator) { beingDeleted(c) }
}

// recipientsAccount: tower-a (active) and old-depot (archived); roles quiet (fileUploaded
// off), mute (fileUploaded off, includes contributor), includer (every option on,
// includes quiet); the contributor object edited to turn fileUploaded off, an edit the
// operator has not reverted yet. Five licenses: carl, the sixth Member, holds none.
func recipientsAccount(t *testing.T, acct *v1alpha1.Account, extra ...*v1alpha1.Collaborator) *Account {
	t.Helper()
	objs := []any{}
	if acct != nil {
		objs = append(objs, acct)
	}
	objs = append(objs, newWorkCenter("tower-a", false), newWorkCenter("old-depot", true), newWorkCenter("tower-b", false))
	contributor := newRole("contributor", emailOff("fileUploaded"))
	for _, r := range []*v1alpha1.WorkCenterRole{
		newRole("read-only"), contributor, newRole("workcenter-owner"),
		newRole("quiet", emailOff("fileUploaded", "postDeleted")),
		newRole("mute", includes("contributor"), emailOff("fileUploaded")),
		newRole("includer", includes("quiet")),
	} {
		objs = append(objs, r)
	}
	people := []*v1alpha1.Collaborator{
		newCollab("maria", member(), admin(aa), created(0)),
		newCollab("daniel", member(), admin(wca), created(1), assigned("tower-a=read-only")),
		newCollab("dora", member(), admin(wca), created(2), assigned("tower-a=quiet")),
		newCollab("tom", member(), created(3), assigned("tower-a=contributor", "old-depot=contributor"), prefer(v1alpha1.EmailDigest)),
		newCollab("uma", member(), admin(ua), created(4)),
		newCollab("carl", member(), created(5), assigned("tower-a=contributor")),
		newCollab("jane", guest(), created(6), assigned("tower-a=contributor", "old-depot=read-only"), prefer("", v1alpha1.EmailFileUploaded)),
		newCollab("gus", guest(), created(7), assigned("tower-a=workcenter-owner")),
		newCollab("pat", guest(), created(8), assigned("tower-a=missing-role", "old-depot=missing-role")),
		newCollab("leo", guest(), created(9), assigned("tower-a=contributor"), leaving()),
		newCollab("rita", guest(), created(10), assigned("tower-a=includer")),
		newCollab("mo", guest(), created(11), assigned("tower-a=mute"), prefer(v1alpha1.EmailImmediate, v1alpha1.EmailFileUploaded)),
		newCollab("zed", guest(), created(12), assigned("tower-b=contributor")),
	}
	for _, c := range append(people, extra...) {
		objs = append(objs, c)
	}
	a, err := Build(testNamespace, objs...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// want is one person of an answer: reason "" for emailed (with its delivery), and words
// its message holds.
type wantRecipient struct {
	name     string
	reason   RecipientReason
	delivery v1alpha1.EmailDelivery
	role     string
	words    []string
}

func TestRecipients(t *testing.T) {
	emailed := func(name, role string, delivery v1alpha1.EmailDelivery, words ...string) wantRecipient {
		return wantRecipient{name: name, delivery: delivery, role: role, words: words}
	}
	not := func(name string, reason RecipientReason, role string, words ...string) wantRecipient {
		return wantRecipient{name: name, reason: reason, role: role, words: words}
	}
	cases := map[string]struct {
		account    *v1alpha1.Account
		option, wc string
		want       []wantRecipient
	}{
		"a file uploaded in an active WorkCenter": {newAccount(licenses(5)), "fileUploaded", "tower-a", []wantRecipient{
			// The role decides, for an administrator assigned there too.
			emailed("daniel", "read-only", v1alpha1.EmailImmediate, `role "read-only" has fileUploaded on (built-in role`),
			not("dora", RecipientOptionOffInRole, "quiet", `role "quiet" has fileUploaded off`),
			// A built-in role's options are fixed: the edited contributor object emails.
			emailed("tom", "contributor", v1alpha1.EmailDigest, `role "contributor" has fileUploaded on`),
			not("carl", RecipientNoActiveAssignment, "contributor", "Pending", "LicenseLimitExceeded"),
			not("jane", RecipientDisabledByPerson, "contributor", "jane turned fileUploaded off"),
			not("gus", RecipientNoActiveAssignment, "workcenter-owner", "Rejected", "RoleRequiresMember"),
			not("pat", RecipientNoActiveAssignment, "missing-role", "Pending", "RoleNotFound"),
			not("leo", RecipientBeingDeleted, "contributor", "being deleted"),
			// A role's options are its own: includes lend permissions, not emails.
			emailed("rita", "includer", v1alpha1.EmailImmediate, `role "includer" has fileUploaded on`),
			// The role's off wins over the person's own: it is the role's doing.
			not("mo", RecipientOptionOffInRole, "mute", `role "mute" has fileUploaded off`),
			// Administrators not assigned are not emailed; uma (User Administrator) and
			// zed (assigned elsewhere) are not asked about.
			not("maria", RecipientNotAssigned, "", "is not assigned", "emailed only where they are assigned"),
		}},
		"another option of the same roles": {newAccount(licenses(5)), "postDeleted", "tower-a", []wantRecipient{
			emailed("daniel", "read-only", v1alpha1.EmailImmediate),
			not("dora", RecipientOptionOffInRole, "quiet"),
			emailed("tom", "contributor", v1alpha1.EmailDigest),
			not("carl", RecipientNoActiveAssignment, "contributor"),
			emailed("jane", "contributor", v1alpha1.EmailImmediate),
			not("gus", RecipientNoActiveAssignment, "workcenter-owner"),
			not("pat", RecipientNoActiveAssignment, "missing-role"),
			not("leo", RecipientBeingDeleted, "contributor"),
			emailed("rita", "includer", v1alpha1.EmailImmediate),
			emailed("mo", "mute", v1alpha1.EmailImmediate),
			not("maria", RecipientNotAssigned, ""),
		}},
		"an archived WorkCenter emails nobody": {newAccount(licenses(5)), "postCreated", "old-depot", []wantRecipient{
			not("tom", RecipientWorkCenterArchived, "contributor", `WorkCenter "old-depot" is archived`),
			not("jane", RecipientWorkCenterArchived, "read-only"),
			// What keeps an assignment from taking effect comes first, as in its state.
			not("pat", RecipientNoActiveAssignment, "missing-role", "RoleNotFound"),
			not("daniel", RecipientNotAssigned, ""),
			not("dora", RecipientNotAssigned, ""),
			not("maria", RecipientNotAssigned, ""),
		}},
		"a Deactivated Account emails nobody": {newAccount(licenses(5), deactivated()), "fileUploaded", "tower-a", []wantRecipient{
			not("daniel", RecipientAccountDeactivated, "read-only", `Account "acme" is Deactivated`),
			not("dora", RecipientAccountDeactivated, "quiet"),
			not("tom", RecipientAccountDeactivated, "contributor"),
			not("carl", RecipientAccountDeactivated, "contributor"),
			not("jane", RecipientAccountDeactivated, "contributor"),
			not("gus", RecipientAccountDeactivated, "workcenter-owner"),
			not("pat", RecipientAccountDeactivated, "missing-role"),
			not("leo", RecipientAccountDeactivated, "contributor"),
			not("rita", RecipientAccountDeactivated, "includer"),
			not("mo", RecipientAccountDeactivated, "mute"),
			not("maria", RecipientAccountDeactivated, ""),
		}},
		"no Account emails nobody": {nil, "fileUploaded", "tower-b", []wantRecipient{
			not("zed", RecipientAccountNotFound, "contributor", "no Account"),
			not("daniel", RecipientAccountNotFound, ""),
			not("dora", RecipientAccountNotFound, ""),
			not("maria", RecipientAccountNotFound, ""),
		}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			a := recipientsAccount(t, tc.account)
			got, err := a.Recipients(tc.option, tc.wc)
			if err != nil {
				t.Fatal(err)
			}
			if got.WorkCenter != tc.wc || string(got.Option.Option) != tc.option {
				t.Errorf("answer about %s in %s; want %s in %s", got.Option.Option, got.WorkCenter, tc.option, tc.wc)
			}
			var wantEmailed, wantNot []string
			for _, w := range tc.want {
				if w.reason == "" {
					wantEmailed = append(wantEmailed, w.name)
				} else {
					wantNot = append(wantNot, w.name)
				}
			}
			slices.Sort(wantEmailed)
			slices.Sort(wantNot)
			names := func(rs []Recipient) []string {
				out := []string{}
				for _, r := range rs {
					out = append(out, r.Collaborator.Name)
				}
				return out
			}
			if g := names(got.Emailed); !slices.Equal(g, append([]string{}, wantEmailed...)) {
				t.Errorf("emailed %v; want %v", g, wantEmailed)
			}
			if g := names(got.NotEmailed); !slices.Equal(g, append([]string{}, wantNot...)) {
				t.Errorf("not emailed %v; want %v", g, wantNot)
			}
			all := append(slices.Clone(got.Emailed), got.NotEmailed...)
			for _, w := range tc.want {
				i := slices.IndexFunc(all, func(r Recipient) bool { return r.Collaborator.Name == w.name })
				if i < 0 {
					continue
				}
				r := all[i]
				if r.Reason != w.reason {
					t.Errorf("%s: reason %q (%s); want %q", w.name, r.Reason, r.Message, w.reason)
				}
				if r.Role != w.role {
					t.Errorf("%s: role %q; want %q", w.name, r.Role, w.role)
				}
				if w.reason == "" && r.Delivery != w.delivery {
					t.Errorf("%s: delivery %q; want %q", w.name, r.Delivery, w.delivery)
				}
				if r.Message == "" {
					t.Errorf("%s: no message", w.name)
				}
				mustContain(t, w.name+"'s message", r.Message, w.words...)
			}
		})
	}
}

// The assignment in a Recipient is the operator's own evaluation (Access), state and all.
func TestRecipientsUseTheOperatorsAssignment(t *testing.T) {
	a := recipientsAccount(t, newAccount(licenses(5)))
	got, err := a.Recipients("postCreated", "tower-a")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range append(got.Emailed, got.NotEmailed...) {
		acc := a.Access(r.Collaborator, "tower-a", at(0))
		switch {
		case acc.Assignment == nil && r.Assignment != nil, acc.Assignment != nil && r.Assignment == nil:
			t.Errorf("%s: assignment %v; Access says %v", r.Collaborator.Name, r.Assignment, acc.Assignment)
		case acc.Assignment != nil && (acc.Assignment.State != r.Assignment.State || acc.Assignment.Reason != r.Assignment.Reason):
			t.Errorf("%s: assignment %s %s; Access says %s %s", r.Collaborator.Name, r.Assignment.State, r.Assignment.Reason, acc.Assignment.State, acc.Assignment.Reason)
		}
		if r.Reason == "" && (acc.Assignment == nil || acc.Assignment.State != v1alpha1.AssignmentActive) {
			t.Errorf("%s is emailed without an Active assignment", r.Collaborator.Name)
		}
	}
}

// A person who set no preferences is emailed immediately; one who set only disabled
// options too.
func TestDelivery(t *testing.T) {
	cases := map[string]struct {
		c    *v1alpha1.Collaborator
		want v1alpha1.EmailDelivery
	}{
		"no preferences":         {newCollab("a"), v1alpha1.EmailImmediate},
		"disabled options only":  {newCollab("a", prefer("", v1alpha1.EmailPostCreated)), v1alpha1.EmailImmediate},
		"digest":                 {newCollab("a", prefer(v1alpha1.EmailDigest)), v1alpha1.EmailDigest},
		"immediate, given again": {newCollab("a", prefer(v1alpha1.EmailImmediate)), v1alpha1.EmailImmediate},
	}
	for name, tc := range cases {
		if got := DeliveryOf(tc.c); got != tc.want {
			t.Errorf("%s: %q; want %q", name, got, tc.want)
		}
	}
}

func TestRecipientsUnknownNames(t *testing.T) {
	a := recipientsAccount(t, newAccount())
	_, err := a.Recipients("fileUpload", "tower-a")
	var opt *UnknownEmailOptionError
	if !errors.As(err, &opt) {
		t.Fatalf("an unknown option: %v", err)
	}
	if !strings.HasPrefix(err.Error(), `unknown email option "fileUpload"; nearest: fileUploaded, `) {
		t.Errorf("message %q", err.Error())
	}
	_, err = a.Recipients("FileUploaded", "tower-a")
	if err == nil || !strings.HasPrefix(err.Error(), `unknown email option "FileUploaded"; nearest: fileUploaded`) {
		t.Errorf("names are exact, as the API's fields: %v", err)
	}
	_, err = a.Recipients("fileUploaded", "tower-c")
	var wc *UnknownWorkCenterError
	if !errors.As(err, &wc) || !strings.HasPrefix(err.Error(), `unknown WorkCenter "tower-c"; nearest: tower-a, tower-b`) {
		t.Errorf("an unknown WorkCenter: %v", err)
	}
}

// The options are the fields of EmailNotifications, by their JSON names and in their
// order, the enum of EmailOption; EmailOptionOn reads each from its own field.
func TestEmailOptionsAreTheRolesFields(t *testing.T) {
	typ := reflect.TypeOf(v1alpha1.EmailNotifications{})
	var fields []string
	for i := 0; i < typ.NumField(); i++ {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		fields = append(fields, tag)
	}
	if got := EmailOptionNames(); !slices.Equal(got, fields) {
		t.Fatalf("options %v; the role's fields are %v", got, fields)
	}
	for _, info := range EmailOptions() {
		if info.Title == "" || len(info.Actions) == 0 {
			t.Errorf("%s has no title or actions", info.Option)
		}
		n := newRole("r", emailOff(string(info.Option))).Spec.EmailNotifications
		for _, other := range EmailOptions() {
			if got, want := EmailOptionOn(n, other.Option), other.Option != info.Option; got != want {
				t.Errorf("with only %s off, %s is on: %v", info.Option, other.Option, got)
			}
		}
		if !EmailOptionOn(nil, info.Option) || !EmailOptionOn(&v1alpha1.EmailNotifications{}, info.Option) {
			t.Errorf("%s left out is not on", info.Option)
		}
	}
	if EmailOptionOn(nil, "fileUpload") {
		t.Error("an unknown option is on")
	}
}

// Built-in roles' options are fixed, whatever their object says; a custom role's are
// its spec's.
func TestRoleEmailNotifications(t *testing.T) {
	a := recipientsAccount(t, newAccount())
	for _, name := range v1alpha1.BuiltInRoleNames {
		n, builtIn, ok := a.RoleEmailNotifications(name)
		if !builtIn || !ok {
			t.Errorf("%s: builtIn %v ok %v", name, builtIn, ok)
		}
		for _, o := range EmailOptions() {
			if !EmailOptionOn(n, o.Option) {
				t.Errorf("built-in %s has %s off", name, o.Option)
			}
		}
	}
	n, builtIn, ok := a.RoleEmailNotifications("quiet")
	if builtIn || !ok || EmailOptionOn(n, v1alpha1.EmailFileUploaded) || !EmailOptionOn(n, v1alpha1.EmailPostCreated) {
		t.Errorf("quiet: %v %v %v", n, builtIn, ok)
	}
	if _, _, ok := a.RoleEmailNotifications("missing"); ok {
		t.Error("a missing role is found")
	}
}

// Assignments by a selector or a template email like listed ones, the role their source
// gives deciding, and the answer says where the assignment comes from.
func TestRecipientsBySelectorAndTemplate(t *testing.T) {
	quiet := newRole("quiet", emailOff("postCreated"))
	quiet.Namespace = ns
	sel := selecting(newCollab("sel"), "contributor", map[string]string{"region": "north"})
	selQuiet := selecting(newCollab("sel-quiet"), "quiet", map[string]string{"region": "north"})
	tmplPerson := newCollab("tpl", assigned("tmpl=read-only"), prefer(v1alpha1.EmailDigest))
	listed := selecting(newCollab("listed", assigned("north-1=quiet")), "contributor", map[string]string{"region": "north"})
	m := sourcesWorld(t, quiet, sel, selQuiet, tmplPerson, listed)

	r, err := m.Recipients("postCreated", "north-1")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Recipient{}
	for _, p := range append(r.Emailed, r.NotEmailed...) {
		got[p.Collaborator.Name] = p
	}
	if p := got["sel"]; p.Reason != "" || p.Role != "contributor" || p.Assignment.Source != v1alpha1.SourceSelector {
		t.Errorf("sel: %+v", p)
	} else {
		mustContain(t, "sel's message", p.Message, `role "contributor" (by a WorkCenter selector) has postCreated on`)
	}
	if p := got["sel-quiet"]; p.Reason != RecipientOptionOffInRole {
		t.Errorf("sel-quiet: %+v", p)
	}
	// A listed assignment shadows the selector's: its role decides.
	if p := got["listed"]; p.Reason != RecipientOptionOffInRole || p.Role != "quiet" {
		t.Errorf("listed: %+v", p)
	}
	if _, ok := got["tpl"]; ok {
		t.Error("tpl is asked about in north-1, where nothing assigns it")
	}

	r, err = m.Recipients("postCreated", "pub")
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Emailed) != 1 || r.Emailed[0].Collaborator.Name != "tpl" || r.Emailed[0].Delivery != v1alpha1.EmailDigest ||
		r.Emailed[0].Assignment.Source != v1alpha1.SourceTemplate {
		t.Fatalf("pub emails %+v", r.Emailed)
	}
	mustContain(t, "tpl's message", r.Emailed[0].Message, `role "read-only" (published from template "tmpl") has postCreated on`)
}
