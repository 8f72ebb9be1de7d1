package model

// Violation is a broken rule: which rule, its reason constant, and a message that names
// the objects and permissions involved. Admission denies with the message; the
// controllers put the reason and message into status.
type Violation struct {
	// Rule is the rule's number in SPEC section 3, e.g. "R2".
	Rule string
	// Reason is one of the v1alpha1 Reason constants.
	Reason string
	// Message explains the violation to a person.
	Message string
}

func (v *Violation) Error() string { return v.Message }
