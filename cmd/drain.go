package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"
)

// drain is how a replica leaves without failing a request (a node drain, a rollout): on
// SIGTERM it turns not ready at once, so that the webhook Service drops it, and keeps
// serving admission and the authorizer for --shutdown-delay, the time the Service's
// endpoints take to follow; its answers meanwhile close their connections, so that the
// API server opens its next one to another replica. Only then does the manager stop.
type drain struct {
	started atomic.Bool
}

var errDraining = errors.New("shutting down: this replica is leaving the webhook Service")

// check is the readiness check "drain": not ready once the replica is leaving.
func (d *drain) check(*http.Request) error {
	if d.started.Load() {
		return errDraining
	}
	return nil
}

// wrap makes h's answers close their connection while the replica is leaving.
func (d *drain) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.started.Load() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// server is the manager's webhook server with every handler wrapped.
func (d *drain) server(s ctrlwebhook.Server) ctrlwebhook.Server {
	return drainingServer{Server: s, d: d}
}

type drainingServer struct {
	ctrlwebhook.Server
	d *drain
}

func (s drainingServer) Register(path string, hook http.Handler) {
	s.Server.Register(path, s.d.wrap(hook))
}

// context is the manager's context: cancelled delay after the first SIGTERM or SIGINT
// (drain started at once); a second signal exits at once.
func (d *drain) context(delay time.Duration, log logr.Logger) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, os.Interrupt)
	go func() {
		<-signals
		d.started.Store(true)
		log.Info("shutting down: not ready, still serving the webhooks while the Service drops this replica", "shutdownDelay", delay)
		select {
		case <-time.After(delay):
		case <-signals:
			os.Exit(1)
		}
		cancel()
		<-signals
		os.Exit(1)
	}()
	return ctx
}
