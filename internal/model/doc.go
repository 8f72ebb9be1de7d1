// Package model is the account model: a pure-Go view of one account's objects (its
// Account, WorkCenters, WorkCenterRoles and Collaborators, with their creation times and
// deletion marks), kept up to date object by object, from which what the rules derive is
// computed once per change instead of once per reader: the owning Account, each role's
// effective permissions, license allocation (R4), who shares an email (R5), who is
// assigned where and who holds which role, and each assignment's state.
//
// The controllers write status from it; it has no Kubernetes client and no clock of its
// own, so tests, the admission webhooks and offline tools can build one from manifests.
package model
