// Package controllers holds one reconciler per kind of the access.workcenter.io group.
// Each computes its object's status from what it observes, calling the pure model in
// internal/access for every decision, and patches status only when it differs.
//
// Cross-object lookups go through the field indexes in indexes.go; watch map functions
// use the same indexes, so a change wakes only the objects it affects.
package controllers
