// Package access is the access model of SPEC sections 2 and 3 as pure Go: the permission
// catalog, levels and built-in roles, a role's effective permissions, the effective access
// of a collaborator in a WorkCenter, and the rules R2-R5, R8 and R10 as checks that
// return a reason and a message.
//
// Nothing here talks to a Kubernetes API server. The controllers and the admission
// webhooks both call these functions, so admission and reconciliation never disagree.
package access
