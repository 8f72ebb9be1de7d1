package model

import (
	"testing"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// Who may change a person's spec.emailPreferences (delegated administration,
// administration.go; docs/email.md): the person themselves, and whoever holds
// users.update (User and Account Administrators), as for displayName. Nobody else, not
// even one who manages the person's assignments.
func TestMayChangeEmailPreferences(t *testing.T) {
	a := adminAccount(t, newAccount(), adminPeople())
	c := a.Collaborator
	digest := func(s *v1alpha1.CollaboratorSpec) {
		s.EmailPreferences = &v1alpha1.EmailPreferences{Delivery: v1alpha1.EmailDigest}
	}
	quiet := func(s *v1alpha1.CollaboratorSpec) {
		s.EmailPreferences = &v1alpha1.EmailPreferences{Disabled: []v1alpha1.EmailOption{v1alpha1.EmailFileUploaded}}
	}
	withDigest := withSpec(c("jane"), digest)
	cases := map[string]struct {
		who      string
		old, obj *v1alpha1.Collaborator
		want     []wantFinding
	}{
		"a guest turns an option off for herself":     {"jane", c("jane"), withSpec(c("jane"), quiet), nil},
		"a guest chooses a digest for herself":        {"jane", c("jane"), withDigest, nil},
		"a guest clears her own preferences":          {"jane", withDigest, c("jane"), nil},
		"an Account Administrator changes her own":    {"maria", c("maria"), withSpec(c("maria"), quiet), nil},
		"a User Administrator changes a guest's":      {"uma", c("jane"), withSpec(c("jane"), quiet), nil},
		"an Account Administrator changes a Member's": {"maria", c("tom"), withSpec(c("tom"), digest), nil},
		"a User Administrator changes a WCA's":        {"uma", c("daniel"), withSpec(c("daniel"), digest), nil},
		"a Member changes another's": {"tom", c("jane"), withSpec(c("jane"), quiet), []wantFinding{
			forbidden("spec.emailPreferences", "tom (Member) may not users.update", "User Administrators (uma)"),
		}},
		// priya manages jane's assignment in tower-a, not her profile.
		"an owner changes the preferences of someone in its WorkCenter": {"priya", c("jane"), withSpec(c("jane"), digest), []wantFinding{
			forbidden("spec.emailPreferences", "users.update"),
		}},
		"a WorkCenter Administrator changes a guest's": {"daniel", c("jane"), withSpec(c("jane"), quiet), []wantFinding{
			forbidden("spec.emailPreferences", "users.update"),
		}},
		"a User Administrator changes an Account Administrator's": {"uma", c("maria"), withSpec(c("maria"), quiet), []wantFinding{
			forbidden("spec.emailPreferences", "except Account Administrators"),
		}},
		// One's own preferences do not carry anything else with them.
		"a guest changes her preferences and her display name": {"jane", c("jane"), withSpec(c("jane"), func(s *v1alpha1.CollaboratorSpec) {
			quiet(s)
			s.DisplayName = "J"
		}), []wantFinding{forbidden("spec.displayName", "users.update")}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			expectFindings(t, a.MayChangeCollaborator(c(tc.who), tc.old, tc.obj), tc.want, "")
		})
	}
}
