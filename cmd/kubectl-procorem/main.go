// Command kubectl-procorem is the kubectl plugin `kubectl procorem`: who has access to
// what in a workcenter-operator account (WorkCenter permissions and account-level
// capabilities), and why, from a live cluster or from manifests;
// offline validation of manifests; and access tests for CI. See internal/procorem and
// `kubectl procorem --help`.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/workcenter-io/workcenter-operator/internal/procorem"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := procorem.MainContext(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
