// Package model is the account model and its rules, as pure Go with no API server in
// sight: a view of one account's objects (its Account, WorkCenters, WorkCenterRoles and
// Collaborators) kept up to date one object at a time, everything derived from it
// computed once per change, and each rule of docs/rules.md written once. The controllers,
// the admission webhooks, the metrics and the kubectl plugin are adapters over it: they
// read a snapshot and call these functions, so admission, reconciliation and offline
// answers never disagree.
//
// A file per rule or concept:
//
//	account.go         the snapshot: objects, indexes, seniority (Older)
//	findings.go        Finding: a broken rule (rule, reason, field, message, severity)
//	messages.go        bounded names and lists in messages
//	catalog.go         permissions, areas, levels, permission sets
//	roles.go           a role's effective permissions, includes, InclusionCycle
//	builtin.go         the built-in roles (R9)
//	owner.go           the Account that owns a namespace, DuplicateAccount
//	guests.go          R1-R3: member-only permissions need a Member
//	licenses.go        R4: licenses by seniority
//	emails.go          R5: unique emails
//	inuse.go           R6 and R11: roles and Accounts in use
//	administrators.go  R7: an active Account keeps an AccountAdministrator
//	categories.go      R8: WorkCenter categories from the picklist
//	assignments.go     each assignment's state, R10: no new assignment to a role being deleted
//	access.go          effective access and the step that decided it
//	readiness.go       each kind's Ready, Reconciling and Stalled
//	converged.go       the converged status of every object (the test oracle)
//	validate.go        per kind, every finding admission reports
//	capabilities.go    the account-level capabilities of each member type (docs/administration.md)
//	administration.go  delegated administration: who asks (Identify), may they (Decide), no escalation
//	rbac.go            the Kubernetes RBAC rules of each Collaborator, from Decide and effective access
//
// It has no Kubernetes client and no clock of its own, so tests and offline tools build
// one from manifests.
package model
