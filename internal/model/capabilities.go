package model

import (
	"fmt"
	"slices"
	"strings"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
)

// The account-level capability catalog of docs/administration.md: what each member type
// may administer in an account, taken line by line from the seeds' "Types of Members"
// (seed 001), next to the WorkCenter permission catalog of catalog.go. The WorkCenter
// permissions stay what a role grants inside one WorkCenter; a capability is what a
// person may change in the account's objects, through its member type anywhere or, for
// the capabilities about one WorkCenter, through a WorkCenter permission held there.

// MemberType is a person's type for delegated administration: a Guest, a Member without
// an admin role, or a Member with one of the three admin roles (seed 001, "Types of
// Members").
type MemberType string

// The member types, from the least to the most powerful.
const (
	MemberTypeGuest                   MemberType = "Guest"
	MemberTypeMember                  MemberType = "Member"
	MemberTypeWorkCenterAdministrator MemberType = "WorkCenterAdministrator"
	MemberTypeUserAdministrator       MemberType = "UserAdministrator"
	MemberTypeAccountAdministrator    MemberType = "AccountAdministrator"
)

// MemberTypes lists every member type, from the least to the most powerful.
var MemberTypes = []MemberType{
	MemberTypeGuest, MemberTypeMember, MemberTypeWorkCenterAdministrator,
	MemberTypeUserAdministrator, MemberTypeAccountAdministrator,
}

// MemberTypeOf is c's member type. An admin role counts only on a Member (R1): a Guest
// is a Guest whatever its adminRole says, and an empty adminRole is None.
func MemberTypeOf(c *v1alpha1.Collaborator) MemberType {
	if !IsMember(c) {
		return MemberTypeGuest
	}
	switch c.Spec.AdminRole {
	case v1alpha1.AdminRoleWorkCenterAdministrator:
		return MemberTypeWorkCenterAdministrator
	case v1alpha1.AdminRoleUserAdministrator:
		return MemberTypeUserAdministrator
	case v1alpha1.AdminRoleAccountAdministrator:
		return MemberTypeAccountAdministrator
	}
	return MemberTypeMember
}

// plural is how a message names the people of a member type.
func (t MemberType) plural() string {
	switch t {
	case MemberTypeGuest:
		return "Guests"
	case MemberTypeMember:
		return "Members"
	case MemberTypeWorkCenterAdministrator:
		return "WorkCenter Administrators"
	case MemberTypeUserAdministrator:
		return "User Administrators"
	case MemberTypeAccountAdministrator:
		return "Account Administrators"
	}
	return string(t)
}

// Capability is a capability ID: `<area>.<verb>` in camelCase, like the WorkCenter
// permissions. IDs are public API: kubectl procorem and admission messages name them.
type Capability string

// Scope says where a capability applies.
type Scope string

const (
	// ScopeAccount: the capability is about the account as a whole; a WorkCenter named
	// with it does not change the answer.
	ScopeAccount Scope = "Account"
	// ScopeWorkCenter: the capability is about one WorkCenter (or an assignment to it);
	// its holders have it in every WorkCenter, and a WorkCenter permission, when the
	// catalog names one, gives it in the WorkCenters where it is held.
	ScopeWorkCenter Scope = "WorkCenter"
)

// The capabilities of docs/administration.md.
const (
	WorkCentersCreate       Capability = "workCenters.create"
	TemplatesCreate         Capability = "templates.create"
	WorkCentersView         Capability = "workCenters.view"
	WorkCentersEdit         Capability = "workCenters.edit"
	WorkCentersArchive      Capability = "workCenters.archive"
	WorkCentersUnarchive    Capability = "workCenters.unarchive"
	WorkCentersDelete       Capability = "workCenters.delete"
	TemplatesDesignate      Capability = "templates.designate"
	CollaboratorsAdd        Capability = "collaborators.add"
	CollaboratorsRemoveAny  Capability = "collaborators.remove"
	CollaboratorsChangeRole Capability = "collaborators.changeRole"
	UsersAdd                Capability = "users.add"
	UsersUpdate             Capability = "users.update"
	UsersRemove             Capability = "users.remove"
	UsersUpgrade            Capability = "users.upgrade"
	UsersDowngrade          Capability = "users.downgrade"
	AdministratorsManage    Capability = "administrators.manage"
	AccountLeave            Capability = "account.leave"
	AccountEdit             Capability = "account.edit"
	AccountDeactivate       Capability = "account.deactivate"
	AccountViewDeactivated  Capability = "account.viewDeactivated"
	AccountReactivate       Capability = "account.reactivate"
	LicensesManage          Capability = "licenses.manage"
	CategoriesCreate        Capability = "categories.create"
	CategoriesDelete        Capability = "categories.delete"
	FileTypesCreate         Capability = "fileTypes.create"
	FileTypesDelete         Capability = "fileTypes.delete"
	FileStatusesCreate      Capability = "fileStatuses.create"
	FileStatusesDelete      Capability = "fileStatuses.delete"
	RolesCreate             Capability = "roles.create"
	RolesUpdate             Capability = "roles.update"
	RolesDelete             Capability = "roles.delete"
)

// Source is a line of a seed a capability comes from: the seed's number, the line's
// number in it, and its text (the whole line, or the part that says it), quoted exactly
// but for its non-breaking spaces, written as spaces.
type Source struct {
	Seed string
	Line int
	Text string
}

func (s Source) String() string { return fmt.Sprintf("seed %s:%d %q", s.Seed, s.Line, s.Text) }

// CapabilityInfo describes one capability of the catalog.
type CapabilityInfo struct {
	Capability Capability
	// What is what the capability lets a person change, in this operator's objects.
	What  string
	Scope Scope
	// Holders are the member types holding the capability everywhere in the account, in
	// MemberTypes order.
	Holders []MemberType
	// Permission, for a capability of ScopeWorkCenter, is the WorkCenter permission that
	// gives it in a WorkCenter to whoever holds the permission there (effective access,
	// docs/rules.md); "" when only the holders have it.
	Permission Permission
	// Sources are the seed lines it comes from.
	Sources []Source
	// Note says what was chosen where the seeds are silent, and why; "" when they say it
	// all.
	Note string
}

// Holds reports whether member type t holds the capability everywhere in the account.
func (c CapabilityInfo) Holds(t MemberType) bool { return slices.Contains(c.Holders, t) }

var (
	everyone   = []MemberType{MemberTypeGuest, MemberTypeMember, MemberTypeWorkCenterAdministrator, MemberTypeUserAdministrator, MemberTypeAccountAdministrator}
	allMembers = []MemberType{MemberTypeMember, MemberTypeWorkCenterAdministrator, MemberTypeUserAdministrator, MemberTypeAccountAdministrator}
	wcAdmins   = []MemberType{MemberTypeWorkCenterAdministrator, MemberTypeAccountAdministrator}
	userAdmins = []MemberType{MemberTypeUserAdministrator, MemberTypeAccountAdministrator}
	allAdmins  = []MemberType{MemberTypeWorkCenterAdministrator, MemberTypeUserAdministrator, MemberTypeAccountAdministrator}
	accAdmins  = []MemberType{MemberTypeAccountAdministrator}
)

func seed001(line int, text string) Source { return Source{Seed: "001", Line: line, Text: text} }

// The seed lines several capabilities cite.
var (
	srcAccountAdministrators = seed001(135, "Account Administrators are the top tier user in Procorem. They can do everything that is possible in Procorem.")
	srcUserAdministratorsOn  = seed001(133, "User Administrators can perform the above tasks on every type of user except an Account Administrator.")
	srcWorkCenterSettings    = seed001(109, "Use the following WorkCenter Settings functionality: Import from Template, Archive, Edit Name, Edit Category, Edit Description, Require Incoming Email Approvals.")
	srcNotDelete             = seed001(111, "Note that these users will not be able to delete any WorkCenter regardless of their WorkCenter membership or use the following WorkCenter Settings functionality: Add Category, WorkCenter is a Template.")
)

// capabilities is the capability table of docs/administration.md, in its order.
var capabilities = []CapabilityInfo{
	{
		Capability: WorkCentersCreate, Scope: ScopeAccount, Holders: allMembers,
		What: "create a WorkCenter",
		Sources: []Source{
			seed001(81, "Create WorkCenters"),
			seed001(91, "On top of the increased WorkCenter capabilities, Standard Members can also create WorkCenters."),
		},
	},
	{
		Capability: TemplatesCreate, Scope: ScopeAccount, Holders: allMembers,
		What:    "create a WorkCenter with `spec.template: true`",
		Sources: []Source{seed001(83, "Create WorkCenter Templates")},
	},
	{
		Capability: WorkCentersView, Scope: ScopeWorkCenter, Holders: wcAdmins, Permission: WorkCenterView,
		What: "read a WorkCenter and who is assigned to it",
		Sources: []Source{
			seed001(95, "View and edit any WorkCenter in the account, regardless of their WorkCenter membership."),
			seed001(135, "Regardless of whether they are on a WorkCenter or not, they can access the information within that WorkCenter."),
		},
		Note: "a read: admission never sees it; RBAC and kubectl procorem answer it from here",
	},
	{
		Capability: WorkCentersEdit, Scope: ScopeWorkCenter, Holders: wcAdmins, Permission: WorkCenterEditSettings,
		What: "change a WorkCenter's `displayName`, `description`, `category` and `requireIncomingEmailApprovals`",
		Sources: []Source{
			seed001(95, "View and edit any WorkCenter in the account, regardless of their WorkCenter membership."),
			srcWorkCenterSettings,
			seed001(79, "Edit WorkCenter Settings"),
		},
		Note: "`workCenter.editSettings` in the WorkCenter edits these fields only; archiving and the template flag are capabilities of their own",
	},
	{
		Capability: WorkCentersArchive, Scope: ScopeWorkCenter, Holders: wcAdmins,
		What: "set a WorkCenter's `spec.archived` to true, or create one archived",
		Sources: []Source{
			seed001(97, "Archive any WorkCenter in the account."),
			seed001(173, "Archive a WorkCenter"),
		},
		Note: "the seeds name Archive among the WorkCenter Settings only for WorkCenter Administrators: `workCenter.editSettings` in the WorkCenter does not archive it",
	},
	{
		Capability: WorkCentersUnarchive, Scope: ScopeWorkCenter, Holders: wcAdmins,
		What: "set a WorkCenter's `spec.archived` back to false",
		Sources: []Source{
			seed001(99, "Un-archive (re-activate) any WorkCenter in the account."),
			seed001(175, "Reactivate (unarchive) an WorkCenter"),
		},
		Note: "an archived WorkCenter grants nobody more than view and download (step 5), so no WorkCenter permission un-archives it",
	},
	{
		Capability: WorkCentersDelete, Scope: ScopeWorkCenter, Holders: accAdmins,
		What:    "delete a WorkCenter",
		Sources: []Source{seed001(171, "Delete a WorkCenter"), srcNotDelete},
	},
	{
		Capability: TemplatesDesignate, Scope: ScopeWorkCenter, Holders: accAdmins,
		What:    "change an existing WorkCenter's `spec.template`",
		Sources: []Source{seed001(189, "Designate WorkCenters as templates"), srcNotDelete},
		Note:    "turning a template back into a WorkCenter is the same setting (\"WorkCenter is a Template\"), so it needs the same capability",
	},
	{
		Capability: CollaboratorsAdd, Scope: ScopeWorkCenter, Holders: allAdmins, Permission: CollaboratorsAddGuests,
		What: "add an assignment to a WorkCenter to a Collaborator's `spec.workCenters` (a new Collaborator included)",
		Sources: []Source{
			seed001(103, "Add and remove collaborators on any WorkCenter in the account."),
			seed001(127, "Add users in bulk to WorkCenters"),
			seed001(73, "Add Guest Collaborators"),
		},
		Note: "no escalation: the role given must not grant anything the giver lacks in that WorkCenter (a User Administrator holds only what its own role there grants); a User Administrator never acts on an Account Administrator",
	},
	{
		Capability: CollaboratorsRemoveAny, Scope: ScopeWorkCenter, Holders: wcAdmins, Permission: CollaboratorsRemove,
		What: "remove an assignment to a WorkCenter from a Collaborator's `spec.workCenters`",
		Sources: []Source{
			seed001(103, "Add and remove collaborators on any WorkCenter in the account."),
			seed001(75, "Remove Collaborators"),
		},
		Note: "User Administrators are not holders: their lines name adding users to WorkCenters and changing their roles, not removing them from one (seed 003 names only WorkCenter and Account Admins too); they hold it where their role grants `collaborators.remove`, and users.remove takes a person out of every WorkCenter at once",
	},
	{
		Capability: CollaboratorsChangeRole, Scope: ScopeWorkCenter, Holders: allAdmins, Permission: CollaboratorsChange,
		What: "change the role of an assignment in a Collaborator's `spec.workCenters`",
		Sources: []Source{
			seed001(105, "Change the role of existing collaborators on any WorkCenter in the account."),
			seed001(129, "Change WorkCenter roles of a user"),
			seed001(77, "Change Collaborator Role"),
		},
		Note: "no escalation, as for collaborators.add; a User Administrator never acts on an Account Administrator",
	},
	{
		Capability: UsersAdd, Scope: ScopeAccount, Holders: accAdmins,
		What:    "create a Collaborator with no WorkCenter assignment",
		Sources: []Source{srcAccountAdministrators},
		Note:    "no seed line adds a person to an account outside a WorkCenter (seed 003 adds people through a WorkCenter): only Account Administrators, who can do everything; anyone else creates a Collaborator with an assignment they may add",
	},
	{
		Capability: UsersUpdate, Scope: ScopeAccount, Holders: userAdmins,
		What:    "change a Collaborator's `email` or `displayName`",
		Sources: []Source{seed001(119, "Update users"), srcUserAdministratorsOn},
		Note:    "one's own Collaborator too: the seeds give no one the right to edit their own profile",
	},
	{
		Capability: UsersRemove, Scope: ScopeAccount, Holders: userAdmins,
		What:    "delete another person's Collaborator",
		Sources: []Source{seed001(121, "Remove users from an account"), srcUserAdministratorsOn},
	},
	{
		Capability: UsersUpgrade, Scope: ScopeAccount, Holders: userAdmins,
		What:    "make a Guest a Member (`spec.type`), or create a Collaborator as a Member",
		Sources: []Source{seed001(123, "Upgrade guests to members"), srcUserAdministratorsOn},
		Note:    "a person joins as a Guest (seed 003), so creating a Member is an upgrade",
	},
	{
		Capability: UsersDowngrade, Scope: ScopeAccount, Holders: userAdmins,
		What:    "make a Member a Guest (`spec.type`)",
		Sources: []Source{seed001(125, "Downgrade members to guests"), srcUserAdministratorsOn},
		Note:    "one's own Collaborator too",
	},
	{
		Capability: AdministratorsManage, Scope: ScopeAccount, Holders: accAdmins,
		What: "change a Collaborator's `adminRole`, or create one with an admin role",
		Sources: []Source{
			seed001(165, "Make another user an Account Administrator"),
			seed001(167, "Remove another user as Account Administrator"),
		},
		Note: "the seeds name only the Account Administrator role; WorkCenter and User Administrators are made and removed the same way, by Account Administrators only. An Account Administrator may step down (R7 keeps the last one), as it may leave the account",
	},
	{
		Capability: AccountLeave, Scope: ScopeAccount, Holders: everyone,
		What: "delete one's own Collaborator",
		Sources: []Source{
			{Seed: "000", Line: 67, Text: "As a member or guest of an account, you have the power to leave the account at any time."},
			{Seed: "000", Line: 70, Text: "If you are the only Account Administrator on an Account, you will not be able to leave the account without disabling the account."},
		},
		Note: "the last Account Administrator of an active Account stays (R7); in a Deactivated Account only Account Administrators change anything, leaving included",
	},
	{
		Capability: AccountEdit, Scope: ScopeAccount, Holders: accAdmins,
		What:    "change the Account's `displayName` and `logoURL`",
		Sources: []Source{seed001(137, "Update account name, logo")},
	},
	{
		Capability: AccountDeactivate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "set the Account's `state` to `Deactivated`",
		Sources: []Source{seed001(139, "De-activate (cancel) and account")},
	},
	{
		Capability: AccountViewDeactivated, Scope: ScopeAccount, Holders: accAdmins,
		What:    "read a Deactivated Account's objects",
		Sources: []Source{seed001(141, "View de-activated accounts")},
		Note:    "a read: admission never sees it; RBAC and kubectl procorem answer it from here",
	},
	{
		Capability: AccountReactivate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "set the Account's `state` back to `Active`",
		Sources: []Source{seed001(143, "Reactivate accounts")},
	},
	{
		Capability: LicensesManage, Scope: ScopeAccount, Holders: accAdmins,
		What: "change the Account's `licenses`",
		Sources: []Source{
			seed001(187, "Manage user licenses"),
			seed001(145, "Upgrade an account subscription"),
		},
		Note: "the only part of a subscription the Account holds is its number of licenses; an Account Administrator holding no license (R4) still has this one, so that it can give itself one",
	},
	{
		Capability: CategoriesCreate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "add an item to the Account's `picklists.workCenterCategories`",
		Sources: []Source{seed001(147, "Create WorkCenter categories"), srcNotDelete},
		Note:    "a change of a picklist that neither adds nor removes an item (a new order) needs its create capability",
	},
	{
		Capability: CategoriesDelete, Scope: ScopeAccount, Holders: accAdmins,
		What:    "remove an item from the Account's `picklists.workCenterCategories`",
		Sources: []Source{seed001(149, "Delete WorkCenter categories")},
	},
	{
		Capability: FileTypesCreate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "add an item to the Account's `picklists.fileTypes`",
		Sources: []Source{seed001(151, "Create file types")},
	},
	{
		Capability: FileTypesDelete, Scope: ScopeAccount, Holders: accAdmins,
		What:    "remove an item from the Account's `picklists.fileTypes`",
		Sources: []Source{seed001(153, "Delete file types")},
	},
	{
		Capability: FileStatusesCreate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "add an item to the Account's `picklists.fileStatuses`",
		Sources: []Source{seed001(155, "Create file statuses")},
	},
	{
		Capability: FileStatusesDelete, Scope: ScopeAccount, Holders: accAdmins,
		What:    "remove an item from the Account's `picklists.fileStatuses`",
		Sources: []Source{seed001(157, "Delete file statuses")},
	},
	{
		Capability: RolesCreate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "create a WorkCenterRole",
		Sources: []Source{seed001(177, "Create a custom WorkCenter role")},
		Note:    "the built-in roles stay the operator's (R9)",
	},
	{
		Capability: RolesUpdate, Scope: ScopeAccount, Holders: accAdmins,
		What:    "change a WorkCenterRole's spec",
		Sources: []Source{seed001(179, "Update a custom WorkCenter role")},
		Note:    "the built-in roles stay the operator's (R9)",
	},
	{
		Capability: RolesDelete, Scope: ScopeAccount, Holders: accAdmins,
		What:    "delete a WorkCenterRole",
		Sources: []Source{seed001(181, "Delete a custom WorkCenter role")},
		Note:    "R6 still holds the deletion while the role is in use",
	},
}

// Omitted is a seed line about member types that gives no capability, and why.
type Omitted struct {
	Source Source
	Why    string
}

// omitted are the account-level lines of seed 001 the catalog leaves out, each with its
// reason; docs/administration.md lists them too.
var omitted = []Omitted{
	{seed001(101, "Create, edit, and delete files, tasks, and posts on any WorkCenter in the account."),
		"files, tasks and posts are not objects of this operator; in WorkCenters, administrators hold every WorkCenter permission already (effective access, step 3)"},
	{seed001(107, "Add a template to a new or existing WorkCenter, regardless of their WorkCenter membership."),
		"a WorkCenter holds no content to import from a template; nothing in a WorkCenter's spec records it"},
	{seed001(115, "When a WorkCenter Administrator interacts with a WorkCenter they do not belong to, the system adds the WorkCenter Administrator to the WorkCenter as an inactive Collaborator."),
		"an audit trail, not a capability: the operator records it as an Event on the WorkCenter (`AdministratorNotAssigned`, [Admission](#admission)) instead of adding an assignment"},
	{seed001(159, "Create a person connection"), "no object of this operator is a person connection"},
	{seed001(161, "Delete a person connection"), "no object of this operator is a person connection"},
	{seed001(163, "Enable/disable Procorem apps"), "no object of this operator is an app"},
	{seed001(169, "View all activity for a person on an account (Edit Person - Activity tab)"),
		"an activity feed, not an object: the Kubernetes audit log and Events hold it"},
	{seed001(183, "Update credit card information"), "no payment data is kept in the Account"},
	{seed001(185, "View transaction history"), "no payment data is kept in the Account"},
}

var capabilityIndex = func() map[Capability]CapabilityInfo {
	m := make(map[Capability]CapabilityInfo, len(capabilities))
	for _, c := range capabilities {
		m[c.Capability] = c
	}
	return m
}()

// Capabilities returns every capability of docs/administration.md, in the table's order.
func Capabilities() []CapabilityInfo { return slices.Clone(capabilities) }

// OmittedLines returns the seed lines that give no capability, with the reason of each.
func OmittedLines() []Omitted { return slices.Clone(omitted) }

// LookupCapability returns the catalog entry of id, and false when id is no capability.
func LookupCapability(id string) (CapabilityInfo, bool) {
	info, ok := capabilityIndex[Capability(id)]
	return info, ok
}

// UnknownCapabilityError says that a name is neither a capability nor a WorkCenter
// permission, with the nearest names of both catalogs.
type UnknownCapabilityError struct {
	Name    string
	Nearest []string
}

func (e *UnknownCapabilityError) Error() string {
	msg := fmt.Sprintf("%q is neither a capability nor a WorkCenter permission", Short(e.Name))
	if len(e.Nearest) > 0 {
		msg += "; nearest: " + strings.Join(e.Nearest, ", ")
	}
	return msg
}

// FindCapability returns the catalog entry of id, or an *UnknownCapabilityError naming
// the nearest capabilities and WorkCenter permissions (Nearest).
func FindCapability(id string) (CapabilityInfo, error) {
	if info, ok := LookupCapability(id); ok {
		return info, nil
	}
	return CapabilityInfo{}, &UnknownCapabilityError{Name: id, Nearest: Nearest(id, capabilityAndPermissionNames())}
}

// capabilityAndPermissionNames are every name a question may ask about: the
// capabilities, then the WorkCenter permissions that are not also capabilities.
func capabilityAndPermissionNames() []string {
	names := make([]string, 0, len(capabilities)+len(catalog))
	for _, c := range capabilities {
		names = append(names, string(c.Capability))
	}
	for _, p := range catalog {
		if _, ok := capabilityIndex[Capability(p.Permission)]; !ok {
			names = append(names, string(p.Permission))
		}
	}
	return names
}
