// Package procorem is the kubectl plugin `kubectl procorem` (cmd/kubectl-procorem): who
// has access to what in an account and why (can-i, who-can, matrix, access), for
// WorkCenter permissions and account-level capabilities alike, who is emailed when an
// action happens in a WorkCenter (recipients), offline
// validation of manifests (validate) and access tests for CI (test). It reads a live
// cluster the way kubectl does, or manifests with no cluster at all (-f, -k), builds the
// account model (internal/model) and answers with internal/query: the functions the
// operator's controllers decide with.
//
// Exit codes are public API: 0 yes / valid / all tests pass; 1 no / invalid / a test
// fails; 2 bad input or an unreachable cluster.
package procorem

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	v1alpha1 "github.com/workcenter-io/workcenter-operator/api/v1alpha1"
	"github.com/workcenter-io/workcenter-operator/internal/accounts"
	"github.com/workcenter-io/workcenter-operator/internal/manifests"
	"github.com/workcenter-io/workcenter-operator/internal/model"
	"github.com/workcenter-io/workcenter-operator/internal/query"
)

// Exit codes.
const (
	// ExitYes: yes, valid, every test passed.
	ExitYes = 0
	// ExitNo: no, invalid, a test failed.
	ExitNo = 1
	// ExitError: bad input, unreadable manifests, an unreachable cluster.
	ExitError = 2
)

// exit is a result that is not an error but exits with code (a "no").
type exit struct{ code int }

func (e exit) Error() string { return fmt.Sprintf("exit %d", e.code) }

// options are the flags every command shares.
type options struct {
	kubeconfig, context, namespace string
	// asUser and asGroups impersonate a user of the cluster in live mode (kubectl's --as
	// and --as-group).
	asUser                string
	asGroups              []string
	files, kustomizations []string
	recursive             bool
	output                string
	// ignoreInvalid: answer from the objects the API server would store when it would
	// refuse others, instead of refusing to answer.
	ignoreInvalid bool

	stdin          io.Reader
	stdout, stderr io.Writer
}

// Main runs the plugin with args (without the program name) and returns its exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainContext(context.Background(), args, stdin, stdout, stderr)
}

// MainContext is Main with a context that cancels reading the cluster.
func MainContext(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{stdin: stdin, stdout: stdout, stderr: stderr}
	root := o.root()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	var e exit
	var d detailedError
	var located *manifests.LocatedError
	switch {
	case err == nil:
		return ExitYes
	case errors.As(err, &e):
		return e.code
	case errors.As(err, &d):
		fmt.Fprintln(stderr, "error: "+oneLine(d.msg))
		fmt.Fprint(stderr, d.detail)
		return ExitError
	case errors.As(err, &located):
		first, detail := located.Lines()
		fmt.Fprintln(stderr, "error: "+oneLine(first))
		fmt.Fprint(stderr, detail)
		return ExitError
	default:
		fmt.Fprintln(stderr, "error: "+oneLine(err.Error()))
		return ExitError
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// detailedError is bad input with lines that show where it is: the error is printed on
// its first line, as every error, and the detail (whole lines) under it as it is.
type detailedError struct {
	msg, detail string
}

func (e detailedError) Error() string { return e.msg + "\n" + e.detail }

func (o *options) root() *cobra.Command {
	root := &cobra.Command{
		Use:   "kubectl-procorem",
		Short: "Who has access to what in a workcenter-operator account, and why",
		Long: `kubectl procorem answers access questions about an account (a namespace of the
access.workcenter.io kinds) the way the operator decides them, explained step by step,
from the live cluster or, with -f/-k, from manifests with no cluster at all: WorkCenter
permissions (docs/rules.md) and the account-level capabilities of delegated
administration (docs/administration.md: workCenters.delete, users.upgrade, ...), and
who is emailed when an action happens in a WorkCenter (recipients, docs/email.md).

Exit codes: 0 yes / valid / all tests pass; 1 no / invalid / a test failed; 2 bad input.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return err })
	f := root.PersistentFlags()
	f.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
	f.StringVar(&o.context, "context", "", "The kubeconfig context to use")
	f.StringVarP(&o.namespace, "namespace", "n", "", "The account's namespace (default: the context's namespace; offline, the manifests' only namespace)")
	f.StringArrayVarP(&o.files, "filename", "f", nil, "Manifests to read instead of the cluster: files or directories (repeatable; - for stdin)")
	f.BoolVarP(&o.recursive, "recursive", "R", false, "Read the directories of -f recursively")
	f.StringArrayVarP(&o.kustomizations, "kustomize", "k", nil, "A kustomization directory to render and read instead of the cluster (repeatable)")
	f.StringVarP(&o.output, "output", "o", "text", outputUsage)
	f.StringVar(&o.asUser, "as", "", "Live: the user to impersonate when reading the cluster, as kubectl --as (can-i's --as is the Collaborator asked about)")
	f.StringArrayVar(&o.asGroups, "as-group", nil, "Live: a group to impersonate when reading the cluster, as kubectl --as-group (repeatable; needs --as)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		impersonating := o.asUser != "" || len(o.asGroups) > 0
		switch {
		case impersonating && cmd.Name() == "can-i":
			return errors.New("can-i's --as names the Collaborator asked about; --as-group has no meaning there (read the cluster as another user with a kubeconfig context of theirs)")
		case impersonating && (o.offline() || cmd.Name() == "validate" || cmd.Name() == "test"):
			return errors.New("--as and --as-group impersonate a user of the cluster; reading manifests (-f, -k, validate, test) there is no cluster to ask")
		}
		return nil
	}
	root.AddCommand(o.canI(), o.whoCan(), o.matrix(), o.access(), o.recipients(), o.validate(), o.test())
	root.SetHelpFunc(helpWithFormats(root.HelpFunc()))
	for _, cmd := range root.Commands() {
		if cmd.Name() != "validate" {
			o.addIgnoreInvalid(cmd)
		}
	}
	return root
}

func (o *options) offline() bool { return len(o.files) > 0 || len(o.kustomizations) > 0 }

// checkOutput fails unless -o is one of formats.
func (o *options) checkOutput(formats ...string) error {
	for _, f := range formats {
		if o.output == f {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q; use %s", o.output, strings.Join(formats, ", "))
}

// load reads the manifests of -f and -k.
func (o *options) load() (*manifests.Set, error) {
	return manifests.Load(manifests.Options{Files: o.files, Recursive: o.recursive, Kustomizations: o.kustomizations,
		Namespace: o.namespace, Stdin: o.stdin})
}

// engine builds the query engine of the account asked about: from the manifests, or
// from the cluster.
func (o *options) engine(ctx context.Context) (*query.Engine, error) {
	now := metav1.NewTime(time.Now())
	if o.offline() {
		set, err := o.load()
		if err != nil {
			return nil, err
		}
		ns, err := pickNamespace(set, o.namespace)
		if err != nil {
			return nil, err
		}
		if nss := set.AccountNamespaces(); !slices.Contains(nss, ns) {
			return nil, noAccount(ns, "the manifests hold no object of the access.workcenter.io kinds there", nss)
		}
		m, err := stored(ctx, set, ns, o.ignoreInvalid, o.stderr)
		if err != nil {
			return nil, err
		}
		return query.New(m, now), nil
	}
	m, err := o.live(ctx)
	if err != nil {
		return nil, err
	}
	return query.New(m, now), nil
}

// stored is the account model of namespace as the cluster would hold it once the
// manifests are applied with kubectl's defaults: each object as the API server would
// store it, after admission. When the API server would refuse any object of the
// manifests, that is bad input listing why, unless ignoreInvalid: then the answer is
// from the objects it would store, and a warning on w names each one left out.
func stored(ctx context.Context, set *manifests.Set, namespace string, ignoreInvalid bool, w io.Writer) (*model.Account, error) {
	report, models, err := admit(ctx, set)
	if err != nil {
		return nil, err
	}
	if refused := report.refused(); len(refused) > 0 {
		if !ignoreInvalid {
			return nil, invalidManifests(report)
		}
		for _, p := range refused {
			fmt.Fprintln(w, "warning: left out (--ignore-invalid): "+p.String())
		}
	}
	if m := models[namespace]; m != nil {
		return m, nil
	}
	return model.New(namespace), nil
}

// invalidManifests is the error of manifests the API server would refuse objects of:
// every problem that refuses one, each with the line at fault.
func invalidManifests(r Report) error {
	var detail strings.Builder
	for _, p := range r.refused() {
		detail.WriteString(p.snippet())
	}
	n := r.refusedObjects()
	return detailedError{
		msg: fmt.Sprintf("the manifests are invalid: the API server would refuse %d of their %d objects (%s); "+
			"fix them, or give --ignore-invalid to answer from the objects it would store", n, r.Objects, plural(len(r.refused()), "problem")),
		detail: detail.String(),
	}
}

// plural is "1 problem", "2 problems".
func plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// addIgnoreInvalid adds --ignore-invalid to a command that answers from manifests.
func (o *options) addIgnoreInvalid(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&o.ignoreInvalid, "ignore-invalid", false,
		"Offline, when the API server would refuse objects of the manifests, answer from those it would store instead of refusing to answer (each left out is a warning)")
}

// pickNamespace is -n, or the manifests' only namespace.
func pickNamespace(set *manifests.Set, namespace string) (string, error) {
	if namespace != "" {
		return namespace, nil
	}
	nss := set.AccountNamespaces()
	switch len(nss) {
	case 0:
		return "", errors.New("the manifests hold no object of the access.workcenter.io kinds")
	case 1:
		return nss[0], nil
	}
	return "", fmt.Errorf("the manifests hold accounts in namespaces %s; choose one with -n", strings.Join(nss, ", "))
}

var scheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(s)
	_ = v1alpha1.AddToScheme(s)
	return s
}()

// noAccount is the error of a question about a namespace that holds no account: why,
// and the namespaces that hold one, when they are known.
func noAccount(ns, why string, elsewhere []string) error {
	msg := fmt.Sprintf("there is no account in namespace %s: %s", ns, why)
	switch len(elsewhere) {
	case 0:
	case 1:
		msg += fmt.Sprintf("; there is one in namespace %s (-n %s)", elsewhere[0], elsewhere[0])
	default:
		query.SortNames(elsewhere)
		msg += "; there are accounts in namespaces " + strings.Join(elsewhere, ", ") + " (choose one with -n)"
	}
	return errors.New(msg)
}

// clientConfig is the kubeconfig as kubectl reads it: --kubeconfig, else $KUBECONFIG,
// else ~/.kube/config; --context; -n; --as and --as-group.
func (o *options) clientConfig() clientcmd.ClientConfig {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if o.kubeconfig != "" {
		rules.ExplicitPath = o.kubeconfig
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.context}
	if o.namespace != "" {
		overrides.Context.Namespace = o.namespace
	}
	overrides.AuthInfo.Impersonate = o.asUser
	overrides.AuthInfo.ImpersonateGroups = o.asGroups
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides)
}

// restConfig is the namespace asked about and how to reach the cluster; a missing
// kubeconfig says what to do about it.
func (o *options) restConfig() (string, *rest.Config, error) {
	if len(o.asGroups) > 0 && o.asUser == "" {
		return "", nil, errors.New("--as-group needs --as: the API server impersonates groups of a user")
	}
	cc := o.clientConfig()
	cfg, err := cc.ClientConfig()
	if clientcmd.IsEmptyConfig(err) {
		where := "$KUBECONFIG and ~/.kube/config"
		if o.kubeconfig != "" {
			where = o.kubeconfig
		}
		return "", nil, fmt.Errorf("no cluster to ask: no kubeconfig found (looked in %s); give one with --kubeconfig FILE or "+
			"the KUBECONFIG environment variable, or answer offline from manifests with -f PATH or -k DIR", where)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading the kubeconfig: %w (give manifests with -f or -k to work without a cluster)", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return "", nil, fmt.Errorf("reading the kubeconfig: %w", err)
	}
	return ns, cfg, nil
}

// live reads the namespace's account from the cluster, with kubectl's kubeconfig rules.
func (o *options) live(ctx context.Context) (*model.Account, error) {
	ns, cfg, err := o.restConfig()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, fmt.Errorf("connecting to the cluster: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	objs, err := accounts.Objects(ctx, c, ns)
	if err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", ns, err)
	}
	if len(objs) == 0 {
		// Which namespaces hold one, if who asks may list Accounts in every namespace.
		var elsewhere []string
		var all v1alpha1.AccountList
		if err := c.List(ctx, &all); err == nil {
			for _, a := range all.Items {
				if !slices.Contains(elsewhere, a.Namespace) {
					elsewhere = append(elsewhere, a.Namespace)
				}
			}
		}
		return nil, noAccount(ns, "it holds no object of the access.workcenter.io kinds", elsewhere)
	}
	return model.Build(ns, objs...)
}

// outputUsage is -o's help on the root and on every command but matrix.
const outputUsage = "Output format: text or json (matrix: text, json, markdown or csv)"

// outputFormats are the formats of -o of the commands that take more than text and json.
var outputFormats = map[string]string{"matrix": "text, json, markdown or csv"}

// helpWithFormats is cobra's help, with -o's usage naming the formats of the command
// asked about.
func helpWithFormats(help func(*cobra.Command, []string)) func(*cobra.Command, []string) {
	return func(cmd *cobra.Command, args []string) {
		if f := cmd.Root().PersistentFlags().Lookup("output"); f != nil {
			f.Usage = outputUsage
			if formats, ok := outputFormats[cmd.Name()]; ok {
				f.Usage = "Output format: " + formats
			} else if cmd != cmd.Root() {
				f.Usage = "Output format: text or json"
			}
		}
		help(cmd, args)
	}
}
