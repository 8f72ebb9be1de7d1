// Package controllers holds one reconciler per kind of the access.workcenter.io group.
// Each reads its account from the manager's account Book (internal/accounts), asks the
// model (internal/model) for every decision, and writes its object's status once, only
// when it differs (statusStep). A protection finalizer (R6, R7, R11) is released only
// after a live read. The RBAC controller keeps each Collaborator's Role and RoleBinding
// in its account's namespace (model.Account.RBACRules), one namespace per reconcile.
//
//	<kind>_controller.go  the reconciler: its steps and its status
//	<kind>_wakeups.go     what wakes the kind, and why (SetupWithManager, map functions)
//	wakeups.go            the predicates and handlers the wake-ups are built from
//	status.go             the status step, and the record of our own status writes
//	conditions.go         writes the conditions, Ready from the model's readiness
//	protection.go         protection finalizers and DeletionBlocked
//	live.go               live reads for the decisions the cache cannot make
//	events.go             Events on transitions
//	rbac_controller.go    the RBAC controller: each Collaborator's Role and RoleBinding
//	rbac_wakeups.go       what wakes an account's RBAC, and its cache of the operator's own
//	setup.go              SetupAll: the reconcilers of one manager, and their Options
//	sharding.go           with the accounts sharded over replicas (Options.Shard): only
//	                      the namespaces this replica's shard owns, on every replica
package controllers
