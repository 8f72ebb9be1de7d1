// Command manager runs the workcenter-operator: the four reconcilers of the
// access.workcenter.io group and their validating admission webhooks, with leader
// election, health and readiness probes, and metrics.
package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/client-go/tools/record"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/leaderelection"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/recorder"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/cmd/operator"
	"github.com/workcenter-io/workcenter-operator/internal/authorizer"
	"github.com/workcenter-io/workcenter-operator/internal/fencing"
	"github.com/workcenter-io/workcenter-operator/internal/metrics"
	"github.com/workcenter-io/workcenter-operator/internal/sharding"
	"github.com/workcenter-io/workcenter-operator/internal/webhook"
)

var scheme = runtime.NewScheme()

func init() {
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(v1alpha1.AddToScheme(scheme))
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == checkWebhooksCommand {
		os.Exit(checkWebhooks(os.Args[2:]))
	}
	var metricsAddr, probeAddr, pprofAddr, webhookCertPath string
	var webhookPort int
	var leaderElect, secureMetrics, enableHTTP2 bool
	enableWebhooks := envBool("ENABLE_WEBHOOKS", true)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "The address the metrics endpoint binds to; \"0\" disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "The address the health and readiness probes bind to.")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Enable leader election, so that only one manager is active at a time.")
	leaseDuration, renewDeadline, retryPeriod := 15*time.Second, 10*time.Second, 2*time.Second // controller-runtime's defaults
	flag.DurationVar(&leaseDuration, "leader-elect-lease-duration", leaseDuration, "How long the other replicas wait, after the leader last renewed its lease, before they may take it.")
	flag.DurationVar(&renewDeadline, "leader-elect-renew-deadline", renewDeadline, "How long the leader keeps retrying to renew its lease before it gives it up and exits.")
	flag.DurationVar(&retryPeriod, "leader-elect-retry-period", retryPeriod, "How often the replicas try to acquire or renew the lease.")
	var leaseNamespace string
	flag.StringVar(&leaseNamespace, "leader-elect-namespace", "", "The namespace of the leader election Lease; empty for the namespace the manager runs in (in a cluster).")
	flag.BoolVar(&secureMetrics, "metrics-secure", false, "Serve metrics over HTTPS with authentication and authorization.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false, "Serve the metrics and webhook servers over HTTP/2 as well (off by default: HTTP/2 rapid reset CVEs).")
	flag.BoolVar(&enableWebhooks, "enable-webhooks", enableWebhooks, "Serve the validating admission webhooks (env ENABLE_WEBHOOKS).")
	flag.IntVar(&webhookPort, "webhook-port", ctrlwebhook.DefaultPort, "The port the admission webhook server listens on.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "0", "The address Go's net/http/pprof profiles are served on; \"0\" (the default) disables them.")
	flag.StringVar(&webhookCertPath, "webhook-cert-path", "", "The directory holding the webhook server's tls.crt and tls.key (reloaded when they change); empty for controller-runtime's default, <tmp>/k8s-webhook-server/serving-certs.")
	var identityPrefix string
	flag.StringVar(&identityPrefix, "identity-username-prefix", "", "The prefix of the usernames that name Collaborators (like the API server's --oidc-username-prefix, e.g. \"oidc:\"): a request whose username, once it is removed, is a Collaborator's email is judged as that Collaborator (docs/administration.md); empty for none.")
	enableAuthorizer, authorizerDirect := false, true
	var authorizerClientCA string
	flag.BoolVar(&enableAuthorizer, "enable-authorizer", enableAuthorizer, "Serve the SubjectAccessReview authorizer of the procorem.workcenter.io permissions (docs/authorization.md) on the webhook server: the authorization webhook on /authorize (default: as --enable-webhooks; it needs the webhook server's certificate).")
	flag.BoolVar(&authorizerDirect, "authorizer-direct", authorizerDirect, "With --enable-authorizer, also serve the direct endpoint /subjectaccessreviews, for applications whose API server has no authorization webhook: callers are checked with a TokenReview and a SubjectAccessReview (create subjectaccessreviews.procorem.workcenter.io).")
	flag.StringVar(&authorizerClientCA, "authorizer-client-ca-file", "", "With --enable-authorizer, a PEM CA bundle: the authorization webhook (/authorize) then answers only callers presenting a client certificate it signed (the API server, with the client certificate of config/authorization's kubeconfig); empty to answer any caller that reaches it.")
	var metricsCertPath string
	flag.StringVar(&metricsCertPath, "metrics-cert-path", "", "With --metrics-secure, the directory holding the metrics server's tls.crt and tls.key (reloaded when they change; config/certmanager's metrics certificate, so that Prometheus verifies it); empty for a self-signed certificate made at start.")
	var shardAccounts bool
	var shardName string
	flag.BoolVar(&shardAccounts, "shard-accounts", false, "Spread the accounts over the replicas (docs/scaling.md): each replica holds a Lease of its own (workcenter-shard-<shard name>, in the leader election namespace) and reconciles, and writes into, only the account namespaces the leader assigns to it (the Namespace label shard.workcenter.io/owner), taking over those of a replica that dies once its Lease expires; every replica still answers admission and the authorizer for every account, from a cache of every account. Needs --leader-elect, and the Lease timings are its.")
	flag.StringVar(&shardName, "shard-name", "", "With --shard-accounts, this replica's shard: unique among the replicas, a DNS label; empty for the host name (in a cluster, the Pod's name).")
	var shutdownDelay time.Duration
	flag.DurationVar(&shutdownDelay, "shutdown-delay", 0, "On SIGTERM, how long the manager turns not ready but keeps serving the webhooks and the authorizer before it stops, while the webhook Service's endpoints drop it (like kube-apiserver's --shutdown-delay-duration): a node drain or a rollout then fails no request. Set below the Pod's terminationGracePeriodSeconds; config/ and the chart use 5s.")
	opts := zap.Options{Development: false}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	if !flagSet("enable-authorizer") {
		enableAuthorizer = enableWebhooks
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	// TLS 1.2 at least, for the webhook and metrics servers alike.
	tlsOpts := []func(*tls.Config){func(c *tls.Config) { c.MinVersion = tls.VersionTLS12 }}
	if !enableHTTP2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	if enableAuthorizer && authorizerClientCA != "" {
		verify, err := authorizer.ClientCATLS(authorizerClientCA)
		if err != nil {
			log.Error(err, "unable to read --authorizer-client-ca-file")
			os.Exit(1)
		}
		tlsOpts = append(tlsOpts, verify)
	}
	leaving := &drain{}
	cfg := ctrl.GetConfigOrDie()
	// With --shard-accounts, this replica's shard (internal/sharding): its client is
	// fenced by the shard's ownership instead of by leadership.
	var member *sharding.Member
	if shardAccounts {
		var err error
		if member, leaseNamespace, err = newShard(cfg, shardName, leaseNamespace, leaderElect, leaseDuration, renewDeadline, retryPeriod); err != nil {
			log.Error(err, "unable to set up --shard-accounts")
			os.Exit(1)
		}
	}
	metricsOpts := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics, TLSOpts: tlsOpts, CertDir: metricsCertPath}
	if secureMetrics {
		// Only callers the API server authenticates and authorizes for /metrics may scrape.
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	// With leader election, writes are fenced (internal/fencing): a leader resumed after
	// a freeze past its lease cannot write from its stale cache while another leads.
	var lock *fencing.Lock
	if leaderElect {
		inner, err := leaderelection.NewResourceLock(cfg, noEvents{}, leaderelection.Options{
			LeaderElection: true, LeaderElectionID: leaderElectionID, LeaderElectionNamespace: leaseNamespace,
			RenewDeadline: renewDeadline,
		})
		if err != nil {
			log.Error(err, "unable to create the leader election lock")
			os.Exit(1)
		}
		lock = fencing.NewLock(inner, renewDeadline)
	}
	options := ctrl.Options{
		NewClient: func(config *rest.Config, options client.Options) (client.Client, error) {
			c, err := client.NewWithWatch(config, options)
			if err != nil {
				return nil, err
			}
			if member != nil {
				return member.Fence(c), nil
			}
			return fencing.Client(c, lock), nil
		},
		Scheme:  scheme,
		Metrics: metricsOpts,
		// managedFields are most of a cached object's size and nothing here reads them.
		Cache: cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		WebhookServer: leaving.server(ctrlwebhook.NewServer(ctrlwebhook.Options{
			CertDir: webhookCertPath, Port: webhookPort, TLSOpts: tlsOpts,
		})),
		PprofBindAddress:        pprofAddr,
		HealthProbeBindAddress:  probeAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        leaderElectionID,
		LeaderElectionNamespace: leaseNamespace,
		LeaseDuration:           &leaseDuration,
		RenewDeadline:           &renewDeadline,
		RetryPeriod:             &retryPeriod,
	}
	if lock != nil {
		options.LeaderElectionResourceLockInterface = lock
	}
	mgr, err := ctrl.NewManager(cfg, options)
	if err != nil {
		log.Error(err, "unable to create manager")
		os.Exit(1)
	}
	ctx := leaving.context(shutdownDelay, log)
	op := operator.Options{Webhooks: enableWebhooks, IdentityPrefix: identityPrefix}
	if enableAuthorizer {
		op.Authorizer = &authorizer.Options{Direct: authorizerDirect, RequireClientCert: authorizerClientCA != ""}
	}
	if enableWebhooks {
		// Only the operator may write built-in roles: ask who we are.
		me, err := webhook.OwnIdentity(cfg)
		if err != nil {
			log.Error(err, "unable to determine the operator's own username")
			os.Exit(1)
		}
		op.OperatorUsernames = []string{me}
	}
	if member != nil {
		// The coordinator runs on the leader: its writes are fenced by the leader's Lease.
		coordinator, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
		if err != nil {
			log.Error(err, "unable to create the shard coordinator's client")
			os.Exit(1)
		}
		if err := sharding.Setup(mgr, member, fencing.Client(coordinator, lock)); err != nil {
			log.Error(err, "unable to set up account sharding")
			os.Exit(1)
		}
		op.Shard = member
		log.Info("sharding the accounts over the replicas", "shard", member.Name(), "leaseNamespace", leaseNamespace)
	}
	if enableWebhooks {
		// Admission's Events are written by the replica that admitted the change, in
		// whatever account, leader or not: not fenced by the leader's Lease nor by the
		// account's ownership (a follower's would otherwise be refused, retried and
		// dropped).
		var err error
		if op.Events, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
			log.Error(err, "unable to create the admission Events' client")
			os.Exit(1)
		}
	}
	if err := operator.Setup(ctx, mgr, op); err != nil {
		log.Error(err, "unable to set up the operator")
		os.Exit(1)
	}
	if enableWebhooks {
		log.Info("serving validating admission webhooks", "operatorUsername", op.OperatorUsernames[0])
	} else {
		log.Info("admission webhooks disabled; the controllers still enforce every rule in status")
	}
	// The workcenter_* gauges (internal/metrics), computed from the cache at each scrape.
	if err := metrics.Register(mgr.GetCache()); err != nil {
		log.Error(err, "unable to register the workcenter metrics")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "unable to set up ready check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("drain", leaving.check); err != nil {
		log.Error(err, "unable to set up the drain's ready check")
		os.Exit(1)
	}
	if enableAuthorizer {
		log.Info("serving the authorizer", "webhook", authorizer.WebhookPath, "direct", authorizerDirect, "clientCertificates", authorizerClientCA != "")
	}
	if enableWebhooks || enableAuthorizer {
		// Not ready, so not behind the webhook Service, until the webhook server serves.
		if err := mgr.AddReadyzCheck("webhook", mgr.GetWebhookServer().StartedChecker()); err != nil {
			log.Error(err, "unable to set up webhook ready check")
			os.Exit(1)
		}
	}
	log.Info("starting manager")
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "problem running manager")
		os.Exit(1)
	}
}

// envBool reads a boolean environment variable, with def when unset or unparsable.
func envBool(name string, def bool) bool {
	if v, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// flagSet reports whether the command line set the flag.
func flagSet(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// newShard makes this replica's shard (--shard-accounts): called name (the host name
// when empty), its Lease in leaseNamespace (the manager's own in a cluster when empty,
// which it returns), with the leader election Lease's timings.
func newShard(cfg *rest.Config, name, leaseNamespace string, leaderElect bool, leaseDuration, renewDeadline, retryPeriod time.Duration) (*sharding.Member, string, error) {
	if !leaderElect {
		return nil, "", errors.New("--shard-accounts needs --leader-elect: the leader assigns the accounts to the shards")
	}
	if name == "" {
		host, err := os.Hostname()
		if err != nil {
			return nil, "", fmt.Errorf("--shard-name is empty and the host name unknown: %w", err)
		}
		name = strings.ToLower(host)
	}
	if leaseNamespace == "" {
		data, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
		if err != nil {
			return nil, "", fmt.Errorf("--leader-elect-namespace is empty and the manager does not run in a cluster: %w", err)
		}
		leaseNamespace = strings.TrimSpace(string(data))
	}
	leases, err := kubernetes.NewForConfig(rest.AddUserAgent(rest.CopyConfig(cfg), "shard-lease"))
	if err != nil {
		return nil, "", err
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: leaseNamespace, Name: sharding.LeaseName(name)},
		Client:     leases.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: sharding.Identity(name)},
		Labels:     map[string]string{sharding.LabelLease: "true"},
	}
	live, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, "", err
	}
	m, err := sharding.NewMember(sharding.Options{Name: name, Namespace: leaseNamespace,
		LeaseDuration: leaseDuration, RenewDeadline: renewDeadline, RetryPeriod: retryPeriod}, lock, live)
	return m, leaseNamespace, err
}

// leaderElectionID names the Lease the managers of one cluster elect their leader with.
const leaderElectionID = "workcenter-operator.access.workcenter.io"

// noEvents is the leader election lock's event recorder: the manager logs its
// leadership; Events about it would land in the Lease's namespace, read by nobody.
type noEvents struct{}

func (noEvents) GetEventRecorderFor(string) record.EventRecorder { return &record.FakeRecorder{} }

func (noEvents) GetEventRecorder(string) recorder.EventRecorder { return &events.FakeRecorder{} }
