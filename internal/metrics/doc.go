// Package metrics exports the state of the accounts as Prometheus gauges named
// workcenter_*, on controller-runtime's registry (served on the manager's /metrics):
// licenses, collaborators by type, assignments by state and reason, objects by Ready
// and Stalled, deletions blocked by reason.
//
// The gauges are computed at scrape time from the objects the manager's cache holds,
// as the controllers last wrote their status: the numbers are the ones kubectl shows,
// and reconciles do no extra work for them. Labels are bounded: namespace and account
// (one pair per account), kind, and values from fixed sets (types, states, condition
// statuses, the reasons of api/v1alpha1); never the name of a collaborator, a
// WorkCenter or a role.
//
// The admission decisions are counted where they are made, in internal/webhook.
package metrics
