package controllers

import (
	"slices"
	"sync"
)

// StatusCoalescing is statusCoalescing, for the suites outside the package.
const StatusCoalescing = statusCoalescing

// backlogs are the backlogs SetupAll made (the suite's manager's).
var backlogs struct {
	sync.Mutex
	made []*statusBacklog
}

func init() {
	makeBacklog = func() *statusBacklog {
		b := newStatusBacklog()
		backlogs.Lock()
		backlogs.made = append(backlogs.made, b)
		backlogs.Unlock()
		return b
	}
}

// HoldStatuses makes namespace ns look to the suite's RBAC controller as if its status
// controllers still had a request of it queued (a burst's backlog), until release is
// called.
func HoldStatuses(ns string) (release func()) {
	backlogs.Lock()
	made := slices.Clone(backlogs.made)
	backlogs.Unlock()
	for _, b := range made {
		b.queued(ns)
	}
	return func() {
		for _, b := range made {
			b.taken(ns)
		}
	}
}
