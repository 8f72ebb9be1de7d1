// Package sharding spreads the accounts over the manager's replicas (--shard-accounts,
// docs/scaling.md): each replica reconciles, and writes into, only the account
// namespaces assigned to its shard, while every replica still answers admission and the
// authorizer for every account from its own cache.
//
//   - Membership (Member): each replica holds a Lease of its own,
//     workcenter-shard-<name> in the leader election namespace, renewed like the leader
//     election Lease. A replica is a live shard while its Lease is.
//   - Assignment (Coordinator, on the leader only): every namespace holding an object of
//     the four kinds goes to a live shard by rendezvous hashing (Assign) of its name over
//     the live shards, recorded as the Namespace label shard.workcenter.io/owner. A
//     shard joining or leaving moves only the namespaces it wins or held.
//   - Handover (Next): from a live shard A to B, the namespace is first labelled
//     shard.workcenter.io/drain=A; A stops starting reconciles of it, waits until
//     nothing of it is in flight (reconciles, writes, queued Events), then acknowledges
//     with the annotation shard.workcenter.io/drained=A; only then is it labelled
//     owner=B. From a dead A, the Coordinator first takes A's Lease over (so that A can
//     never renew it again), then labels owner=B at once.
//   - Fencing (Member.Fence): a replica's client refuses every write into a namespace
//     its shard does not own at that moment, and every write at all once its Lease was
//     not renewed within the renew deadline. That, and the handover above, are what
//     keep two replicas from ever writing into one account at the same time.
package sharding

import (
	"encoding/binary"
	"hash/fnv"
)

const (
	// LabelOwner, on a Namespace, names the shard that reconciles its objects.
	LabelOwner = "shard.workcenter.io/owner"
	// LabelDrain, on a Namespace, names the shard that is handing it over: it starts no
	// reconcile of it any more.
	LabelDrain = "shard.workcenter.io/drain"
	// AnnotationDrained, on a Namespace, names the shard that finished handing it over:
	// nothing of it is in flight there, and it writes into it no more.
	AnnotationDrained = "shard.workcenter.io/drained"
	// LabelLease marks the shards' Leases (value "true").
	LabelLease = "shard.workcenter.io/lease"
	// LeasePrefix begins the name of each shard's Lease: LeasePrefix + the shard's name.
	LeasePrefix = "workcenter-shard-"
	// TakenOver is the holder the Coordinator writes into the Lease of a shard it found
	// expired or released: the shard's process, should it come back, can never renew
	// the Lease, so its accounts can go to others at once. A new process of the same
	// name acquires it once it expires, as any Lease.
	TakenOver = "shard.workcenter.io/taken-over"
)

// LeaseName is the name of the Lease of the shard called shard.
func LeaseName(shard string) string { return LeasePrefix + shard }

// Assign returns the shard namespace goes to among shards: the one with the highest
// rendezvous score (score). When a shard joins, only the namespaces it scores highest
// on move (to it); when one leaves, only its own move. "" when shards is empty.
func Assign(namespace string, shards []string) string {
	best, bestScore := "", uint64(0)
	for _, s := range shards {
		sc := score(s, namespace)
		if best == "" || sc > bestScore || (sc == bestScore && s < best) {
			best, bestScore = s, sc
		}
	}
	return best
}

// score is the rendezvous (highest random weight) score of shard for namespace: FNV-1a
// of both names, mixed by SplitMix64's finalizer so that every bit counts.
func score(shard, namespace string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write(binary.AppendUvarint(nil, uint64(len(shard))))
	_, _ = h.Write([]byte(shard))
	_, _ = h.Write([]byte(namespace))
	x := h.Sum64()
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Assignment is what a Namespace's labels and annotation say of its shard.
type Assignment struct {
	// Owner is LabelOwner: the shard that reconciles the namespace.
	Owner string
	// Drain is LabelDrain: the shard handing it over.
	Drain string
	// Drained is AnnotationDrained: the shard that finished handing it over.
	Drained string
}

// AssignmentOf reads a Namespace's assignment from its labels and annotations.
func AssignmentOf(labels, annotations map[string]string) Assignment {
	return Assignment{Owner: labels[LabelOwner], Drain: labels[LabelDrain], Drained: annotations[AnnotationDrained]}
}

// ShardState is what the Coordinator knows of a shard from its Lease.
type ShardState int

const (
	// Unknown: no Lease of that name (never created, or deleted). A namespace it owns
	// waits until the Coordinator has created the Lease as TakenOver.
	Unknown ShardState = iota
	// Live: held and renewed within its lease duration.
	Live
	// Expired: held, but not renewed within its lease duration, or released; not yet
	// taken over, so its process might still renew it: its namespaces wait.
	Expired
	// Gone: taken over by the Coordinator (TakenOver): its process can never write
	// again, its namespaces go to live shards without a drain.
	Gone
)

func (s ShardState) String() string {
	return [...]string{"unknown", "live", "expired", "gone"}[s]
}

// Next is the Coordinator's step for the namespace called namespace: its assignment
// cur, the live shards, and the state of each shard cur names. It returns the assignment
// to write (cur itself when there is nothing to do now):
//
//   - no live shard: nothing changes;
//   - no owner, or a Gone one: the shard Assign picks, at once;
//   - the owner is the one Assign picks: it stays, and a drain started is called off;
//   - the owner is Live but another is picked: drain it first (Drain=owner), and once
//     it acknowledged (Drained=owner), give the namespace to the one picked;
//   - the owner is Expired or Unknown: wait until it is taken over (Gone).
func Next(namespace string, cur Assignment, live []string, state func(shard string) ShardState) Assignment {
	want := Assign(namespace, live)
	if want == "" {
		return cur
	}
	owner := cur.Owner
	switch {
	case owner == "" || state(owner) == Gone:
		return Assignment{Owner: want}
	case owner == want:
		return Assignment{Owner: want}
	case state(owner) != Live:
		return cur
	case cur.Drain != owner:
		return Assignment{Owner: owner, Drain: owner}
	case cur.Drained == owner:
		return Assignment{Owner: want}
	}
	return cur
}
