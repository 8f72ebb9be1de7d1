package install_test

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sigsyaml "sigs.k8s.io/yaml"
)

// Admission that stays up (docs/operations.md, "Replicas and drains"), as both installs
// ship it: two replicas with leader election, a shutdown delay the grace period covers
// comfortably, a readiness probe on /readyz polled often, a rollout that adds a replica
// before it removes one, replicas spread over nodes and zones without ever refusing to
// schedule, and a PodDisruptionBudget that lets a drain evict one manager Pod at a time.
// The drift tests say the two installs agree; this says what they agree on is right.
func TestChartAndKustomizeKeepAdmissionUp(t *testing.T) {
	for name, objs := range map[string][]object{
		"kustomize build config/default": kustomizeBuild(t, filepath.Join(configDir, "default")),
		"the chart's defaults":           mustHelmTemplate(t, nil),
	} {
		t.Run(name, func(t *testing.T) {
			d := the(t, objs, "Deployment")
			podLabels := get(d, "spec", "template", "metadata", "labels").(map[string]any)
			selector := get(d, "spec", "selector", "matchLabels").(map[string]any)
			if n, _ := get(d, "spec", "replicas").(float64); n != 2 {
				t.Errorf("replicas %v, want 2", get(d, "spec", "replicas"))
			}
			args := strings.Fields(fmt.Sprint(get(d, "spec", "template", "spec", "containers", 0, "args")))
			if !slices.ContainsFunc(args, func(a string) bool { return strings.Trim(a, "[]") == "--leader-elect" }) {
				t.Errorf("args %v: no --leader-elect, yet two replicas", args)
			}
			var delay time.Duration
			for _, a := range args {
				if v, ok := strings.CutPrefix(strings.Trim(a, "[]"), "--shutdown-delay="); ok {
					delay, _ = time.ParseDuration(v)
				}
			}
			if delay != 5*time.Second {
				t.Errorf("args %v: --shutdown-delay %v, want 5s", args, delay)
			}
			// The delay, then the manager's own stop (reconciles in flight, the Lease
			// released): at least 15s more.
			grace, _ := get(d, "spec", "template", "spec", "terminationGracePeriodSeconds").(float64)
			if time.Duration(grace)*time.Second < delay+15*time.Second {
				t.Errorf("terminationGracePeriodSeconds %v, want at least the shutdown delay (%v) + 15s", grace, delay)
			}
			probe := get(d, "spec", "template", "spec", "containers", 0, "readinessProbe", "httpGet").(map[string]any)
			if probe["path"] != "/readyz" || probe["port"] != float64(8081) {
				t.Errorf("readinessProbe %v, want /readyz on 8081", probe)
			}
			if p, _ := get(d, "spec", "template", "spec", "containers", 0, "readinessProbe", "periodSeconds").(float64); p == 0 || p > 5 {
				t.Errorf("readinessProbe periodSeconds %v, want 5 at most", p)
			}
			if s := get(d, "spec", "strategy").(map[string]any); get(s, "type") != "RollingUpdate" ||
				get(s, "rollingUpdate", "maxUnavailable") != float64(0) || get(s, "rollingUpdate", "maxSurge") != float64(1) {
				t.Errorf("strategy %v, want RollingUpdate with maxSurge 1, maxUnavailable 0", s)
			}
			spread := map[string]bool{}
			for _, c := range get(d, "spec", "template", "spec", "topologySpreadConstraints").([]any) {
				c := c.(map[string]any)
				if c["whenUnsatisfiable"] != "ScheduleAnyway" || c["maxSkew"] != float64(1) {
					t.Errorf("topology spread %v: want maxSkew 1, ScheduleAnyway (a one-node cluster still schedules)", c)
				}
				if d := cmp.Diff(podLabels, get(c, "labelSelector", "matchLabels")); d != "" {
					t.Errorf("topology spread over %v does not select the manager Pods (-pod labels +selector):\n%s", c["topologyKey"], d)
				}
				spread[c["topologyKey"].(string)] = true
			}
			if !spread["kubernetes.io/hostname"] || !spread["topology.kubernetes.io/zone"] || len(spread) != 2 {
				t.Errorf("topology spread over %v, want kubernetes.io/hostname and topology.kubernetes.io/zone", slices.Sorted(maps.Keys(spread)))
			}
			pdb := the(t, objs, "PodDisruptionBudget")
			if d := cmp.Diff(selector, get(pdb, "spec", "selector", "matchLabels")); d != "" {
				t.Errorf("the PodDisruptionBudget does not select the Deployment's Pods (-Deployment +PDB):\n%s", d)
			}
			if get(pdb, "spec", "maxUnavailable") != float64(1) || get(pdb, "spec", "minAvailable") != nil {
				t.Errorf("PodDisruptionBudget spec %v, want maxUnavailable 1", pdb["spec"])
			}
			if get(pdb, "spec", "unhealthyPodEvictionPolicy") != "AlwaysAllow" {
				t.Errorf("PodDisruptionBudget spec %v: a Pod that is not ready must not block a drain (unhealthyPodEvictionPolicy: AlwaysAllow)", pdb["spec"])
			}
			if get(pdb, "metadata", "namespace") != get(d, "metadata", "namespace") {
				t.Errorf("the PodDisruptionBudget is in %v, the Deployment in %v", get(pdb, "metadata", "namespace"), get(d, "metadata", "namespace"))
			}
			if get(d, "spec", "template", "spec", "priorityClassName") != nil {
				t.Errorf("priorityClassName %v by default, want none (docs/operations.md: the choice)", get(d, "spec", "template", "spec", "priorityClassName"))
			}
		})
	}
}

// networkPolicy.enable is config/default with its ../network-policy line uncommented:
// ingress to the webhook server and the metrics endpoint only.
func TestChartWithNetworkPolicyMatchesKustomize(t *testing.T) {
	cfg := configCopy(t)
	uncomment(t, filepath.Join(cfg, "default", "kustomization.yaml"), "- ../network-policy")
	kust := kustomizeBuild(t, filepath.Join(cfg, "default"))
	np := the(t, kust, "NetworkPolicy")
	if d := cmp.Diff(get(the(t, kust, "Deployment"), "spec", "selector", "matchLabels"), get(np, "spec", "podSelector", "matchLabels")); d != "" {
		t.Errorf("the NetworkPolicy does not select the manager Pods:\n%s", d)
	}
	var ports []string
	for _, rule := range get(np, "spec", "ingress").([]any) {
		if rule.(map[string]any)["from"] != nil {
			t.Errorf("ingress rule %v: want it from any source (the API server is not a Pod)", rule)
		}
		for _, p := range get(rule, "ports").([]any) {
			ports = append(ports, fmt.Sprint(get(p, "port"), "/", get(p, "protocol")))
		}
	}
	if want := []string{"9443/TCP", "8443/TCP"}; !slices.Equal(ports, want) {
		t.Errorf("NetworkPolicy lets in %v, want %v", ports, want)
	}
	if fmt.Sprint(get(np, "spec", "policyTypes")) != "[Ingress]" {
		t.Errorf("policyTypes %v, want [Ingress]: egress stays open", get(np, "spec", "policyTypes"))
	}
	assertNoDrift(t, mustHelmTemplate(t, map[string]any{"networkPolicy": map[string]any{"enable": true}}), kust)
}

// manager.priorityClassName is config/default with its manager_priority_patch.yaml line
// uncommented.
func TestChartWithPriorityClassMatchesKustomize(t *testing.T) {
	cfg := configCopy(t)
	uncomment(t, filepath.Join(cfg, "default", "kustomization.yaml"), "- path: manager_priority_patch.yaml")
	kust := kustomizeBuild(t, filepath.Join(cfg, "default"))
	if got := get(the(t, kust, "Deployment"), "spec", "template", "spec", "priorityClassName"); got != "system-cluster-critical" {
		t.Fatalf("config/default with manager_priority_patch.yaml: priorityClassName %v", got)
	}
	assertNoDrift(t, mustHelmTemplate(t, map[string]any{"manager": map[string]any{"priorityClassName": "system-cluster-critical"}}), kust)
}

// Every knob of the chart does what its row in README.md says, and nothing else changes
// where it should not.
func TestChartKnobs(t *testing.T) {
	podSpec := func(objs []object) map[string]any {
		return get(the(t, objs, "Deployment"), "spec", "template", "spec").(map[string]any)
	}
	selector := map[string]any{"app.kubernetes.io/name": "workcenter-operator", "control-plane": "controller-manager"}
	m := func(kv ...any) map[string]any {
		out := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i].(string)] = kv[i+1]
		}
		return out
	}
	for name, tc := range map[string]struct {
		values map[string]any
		check  func(t *testing.T, objs []object)
	}{
		"manager.replicas": {m("manager", m("replicas", 3)), func(t *testing.T, objs []object) {
			if got := get(the(t, objs, "Deployment"), "spec", "replicas"); got != float64(3) {
				t.Errorf("replicas %v", got)
			}
		}},
		"manager.podLabels": {m("manager", m("podLabels", m("team", "platform"))), func(t *testing.T, objs []object) {
			d := the(t, objs, "Deployment")
			want := maps.Clone(selector)
			want["team"] = "platform"
			if diff := cmp.Diff(want, get(d, "spec", "template", "metadata", "labels")); diff != "" {
				t.Errorf("Pod labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(selector, get(d, "spec", "selector", "matchLabels")); diff != "" {
				t.Errorf("a Pod label changed the Deployment's selector:\n%s", diff)
			}
		}},
		"manager.podLabels cannot change the selected ones": {m("manager", m("podLabels", m("control-plane", "other"))), func(t *testing.T, objs []object) {
			if got := get(the(t, objs, "Deployment"), "spec", "template", "metadata", "labels", "control-plane"); got != "controller-manager" {
				t.Errorf("podLabels overrode the selected label control-plane: %v", got)
			}
		}},
		"manager.podAnnotations": {m("manager", m("podAnnotations", m("example.com/a", "b"))), func(t *testing.T, objs []object) {
			want := m("kubectl.kubernetes.io/default-container", "manager", "example.com/a", "b")
			if diff := cmp.Diff(want, get(the(t, objs, "Deployment"), "spec", "template", "metadata", "annotations")); diff != "" {
				t.Errorf("Pod annotations (-want +got):\n%s", diff)
			}
		}},
		"manager.strategy": {m("manager", m("strategy", m("type", "Recreate", "rollingUpdate", nil))), func(t *testing.T, objs []object) {
			if diff := cmp.Diff(m("type", "Recreate"), get(the(t, objs, "Deployment"), "spec", "strategy")); diff != "" {
				t.Errorf("strategy (-want +got):\n%s", diff)
			}
		}},
		"manager.priorityClassName": {m("manager", m("priorityClassName", "platform-critical")), func(t *testing.T, objs []object) {
			if got := podSpec(objs)["priorityClassName"]; got != "platform-critical" {
				t.Errorf("priorityClassName %v", got)
			}
		}},
		"manager.topologySpreadConstraints": {m("manager", m("topologySpreadConstraints", []any{
			m("maxSkew", 2, "topologyKey", "rack", "whenUnsatisfiable", "DoNotSchedule"),
			m("maxSkew", 1, "topologyKey", "kubernetes.io/hostname", "whenUnsatisfiable", "ScheduleAnyway", "labelSelector", m("matchLabels", m("x", "y"))),
		})), func(t *testing.T, objs []object) {
			want := []any{
				m("maxSkew", float64(2), "topologyKey", "rack", "whenUnsatisfiable", "DoNotSchedule", "labelSelector", m("matchLabels", selector)),
				m("maxSkew", float64(1), "topologyKey", "kubernetes.io/hostname", "whenUnsatisfiable", "ScheduleAnyway", "labelSelector", m("matchLabels", m("x", "y"))),
			}
			if diff := cmp.Diff(want, podSpec(objs)["topologySpreadConstraints"]); diff != "" {
				t.Errorf("topologySpreadConstraints: an entry without labelSelector gets the Pods' labels, one with keeps its own (-want +got):\n%s", diff)
			}
		}},
		"manager.topologySpreadConstraints empty": {m("manager", m("topologySpreadConstraints", []any{})), func(t *testing.T, objs []object) {
			if got, ok := podSpec(objs)["topologySpreadConstraints"]; ok {
				t.Errorf("topologySpreadConstraints %v, want none", got)
			}
		}},
		"manager.extraVolumes and extraVolumeMounts": {m("manager", m(
			"extraVolumes", []any{m("name", "ca", "configMap", m("name", "corp-ca"))},
			"extraVolumeMounts", []any{m("name", "ca", "mountPath", "/etc/ssl/corp", "readOnly", true)},
		)), func(t *testing.T, objs []object) {
			spec := podSpec(objs)
			if got := fmt.Sprint(get(spec, "volumes")); got != "[map[name:metrics-certs secret:map[secretName:metrics-server-cert]] map[name:webhook-certs secret:map[secretName:webhook-server-cert]] map[configMap:map[name:corp-ca] name:ca]]" {
				t.Errorf("volumes %s", got)
			}
			if got := fmt.Sprint(get(spec, "containers", 0, "volumeMounts")); got != "[map[mountPath:/tmp/k8s-metrics-server/metrics-certs name:metrics-certs readOnly:true] map[mountPath:/tmp/k8s-webhook-server/serving-certs name:webhook-certs readOnly:true] map[mountPath:/etc/ssl/corp name:ca readOnly:true]]" {
				t.Errorf("volumeMounts %s", got)
			}
		}},
		"manager.extraVolumes without webhooks": {m("webhook", m("enable", false), "manager", m(
			"extraVolumes", []any{m("name", "tmp", "emptyDir", m())},
			"extraVolumeMounts", []any{m("name", "tmp", "mountPath", "/tmp")},
		)), func(t *testing.T, objs []object) {
			spec := podSpec(objs)
			if got := fmt.Sprint(get(spec, "volumes"), get(spec, "containers", 0, "volumeMounts")); got != "[map[name:metrics-certs secret:map[secretName:metrics-server-cert]] map[emptyDir:map[] name:tmp]] [map[mountPath:/tmp/k8s-metrics-server/metrics-certs name:metrics-certs readOnly:true] map[mountPath:/tmp name:tmp]]" {
				t.Errorf("volumes and mounts %s", got)
			}
		}},
		"manager.shutdownDelaySeconds": {m("manager", m("shutdownDelaySeconds", 12, "terminationGracePeriodSeconds", 40)), func(t *testing.T, objs []object) {
			spec := podSpec(objs)
			if args := fmt.Sprint(get(spec, "containers", 0, "args")); !strings.Contains(args, " --shutdown-delay=12s ") {
				t.Errorf("args %s, want --shutdown-delay=12s", args)
			}
			if got := spec["terminationGracePeriodSeconds"]; got != float64(40) {
				t.Errorf("terminationGracePeriodSeconds %v", got)
			}
		}},
		"manager.shutdownDelaySeconds 0": {m("manager", m("shutdownDelaySeconds", 0)), func(t *testing.T, objs []object) {
			if args := fmt.Sprint(get(podSpec(objs), "containers", 0, "args")); strings.Contains(args, "--shutdown-delay") {
				t.Errorf("args %s, want no --shutdown-delay", args)
			}
		}},
		"podDisruptionBudget.enable false": {m("podDisruptionBudget", m("enable", false)), func(t *testing.T, objs []object) {
			if slices.ContainsFunc(objs, func(o object) bool { return o.kind() == "PodDisruptionBudget" }) {
				t.Error("podDisruptionBudget.enable=false still renders one")
			}
		}},
		"podDisruptionBudget.maxUnavailable": {m("podDisruptionBudget", m("maxUnavailable", "50%")), func(t *testing.T, objs []object) {
			spec := get(the(t, objs, "PodDisruptionBudget"), "spec").(map[string]any)
			if spec["maxUnavailable"] != "50%" || spec["minAvailable"] != nil {
				t.Errorf("PDB spec %v", spec)
			}
		}},
		"podDisruptionBudget.minAvailable": {m("podDisruptionBudget", m("minAvailable", 1)), func(t *testing.T, objs []object) {
			spec := get(the(t, objs, "PodDisruptionBudget"), "spec").(map[string]any)
			if spec["minAvailable"] != float64(1) || spec["maxUnavailable"] != nil {
				t.Errorf("PDB spec %v, want minAvailable 1 and no maxUnavailable", spec)
			}
		}},
		"serviceAccount.name and annotations": {m("serviceAccount", m("name", "workcenter", "annotations", m("iam.example.com/role", "wc"))), func(t *testing.T, objs []object) {
			sa := the(t, objs, "ServiceAccount")
			if sa.key() != "/ServiceAccount "+namespace+"/workcenter" || fmt.Sprint(get(sa, "metadata", "annotations")) != "map[iam.example.com/role:wc]" {
				t.Errorf("ServiceAccount %s, annotations %v", sa.key(), get(sa, "metadata", "annotations"))
			}
			assertServiceAccountUsed(t, objs, "workcenter")
		}},
		"serviceAccount.create false": {m("serviceAccount", m("create", false, "name", "existing")), func(t *testing.T, objs []object) {
			if slices.ContainsFunc(objs, func(o object) bool { return o.kind() == "ServiceAccount" }) {
				t.Error("serviceAccount.create=false still renders a ServiceAccount")
			}
			assertServiceAccountUsed(t, objs, "existing")
		}},
		"serviceAccount.create false, no name": {m("serviceAccount", m("create", false)), func(t *testing.T, objs []object) {
			assertServiceAccountUsed(t, objs, "workcenter-operator-controller-manager")
		}},
		"networkPolicy peers": {m("networkPolicy", m("enable", true,
			"webhookFrom", []any{m("ipBlock", m("cidr", "10.0.0.0/24"))},
			"metricsFrom", []any{m("namespaceSelector", m("matchLabels", m("kubernetes.io/metadata.name", "monitoring")))},
		), "metrics", m("port", 9000)), func(t *testing.T, objs []object) {
			got := fmt.Sprint(get(the(t, objs, "NetworkPolicy"), "spec", "ingress"))
			want := "[map[from:[map[ipBlock:map[cidr:10.0.0.0/24]]] ports:[map[port:9443 protocol:TCP]]] " +
				"map[from:[map[namespaceSelector:map[matchLabels:map[kubernetes.io/metadata.name:monitoring]]]] ports:[map[port:9000 protocol:TCP]]]]"
			if got != want {
				t.Errorf("ingress\n got %s\nwant %s", got, want)
			}
		}},
		"networkPolicy without webhooks and metrics": {m("networkPolicy", m("enable", true), "webhook", m("enable", false), "metrics", m("enable", false)), func(t *testing.T, objs []object) {
			if got := get(the(t, objs, "NetworkPolicy"), "spec", "ingress"); got != nil {
				t.Errorf("ingress %v, want none: nothing to let in", got)
			}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			objs, err := helmTemplate(t, tc.values, namespace)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, objs)
		})
	}
}

// assertServiceAccountUsed checks that the Deployment runs as the ServiceAccount name
// and that every binding of the manager's roles names it.
func assertServiceAccountUsed(t *testing.T, objs []object, name string) {
	t.Helper()
	if got := get(the(t, objs, "Deployment"), "spec", "template", "spec", "serviceAccountName"); got != name {
		t.Errorf("the Deployment runs as %v, want %s", got, name)
	}
	bindings := 0
	for _, o := range objs {
		if o.kind() != "ClusterRoleBinding" && o.kind() != "RoleBinding" {
			continue
		}
		bindings++
		for _, s := range get(o, "subjects").([]any) {
			if get(s, "kind") == "ServiceAccount" && (get(s, "name") != name || get(s, "namespace") != namespace) {
				t.Errorf("%s binds %v/%v, want %s/%s", o.key(), get(s, "namespace"), get(s, "name"), namespace, name)
			}
		}
	}
	if bindings == 0 {
		t.Error("no role bindings rendered")
	}
}

// A wrong value is refused when the chart is installed (helm install, upgrade, template
// and lint check values against values.schema.json), naming the value; the defaults and
// every knob set at once pass.
func TestChartSchemaRefusesWrongValues(t *testing.T) {
	for name, values := range map[string]map[string]any{
		"the defaults":      nil,
		"every knob set":    everythingValues(),
		"provided cert":     providedCertValues(t, testCA(t)),
		"a percentage PDB":  {"podDisruptionBudget": map[string]any{"maxUnavailable": "25%"}},
		"a peer's selector": {"networkPolicy": map[string]any{"webhookFrom": []any{map[string]any{"podSelector": map[string]any{}}}}},
	} {
		if _, err := helmTemplate(t, values, namespace); err != nil {
			t.Errorf("%s: refused: %v", name, err)
		}
	}
	for name, tc := range map[string]struct {
		values map[string]any
		want   string // in the error: the value's path
	}{
		"replicas not a number":        {map[string]any{"manager": map[string]any{"replicas": "two"}}, "/manager/replicas"},
		"negative replicas":            {map[string]any{"manager": map[string]any{"replicas": -1}}, "/manager/replicas"},
		"a misspelt value":             {map[string]any{"manager": map[string]any{"replica": 2}}, "replica"},
		"an unknown top-level value":   {map[string]any{"replicaCount": 2}, "replicaCount"},
		"the removed argocd values":    {map[string]any{"argocd": map[string]any{"enable": true}}, "argocd"},
		"a pull policy":                {map[string]any{"manager": map[string]any{"image": map[string]any{"pullPolicy": "Sometimes"}}}, "/manager/image/pullPolicy"},
		"a metrics port out of range":  {map[string]any{"metrics": map[string]any{"port": 70000}}, "/metrics/port"},
		"the metrics port on webhooks": {map[string]any{"metrics": map[string]any{"port": 9443}}, "/metrics/port"},
		"a boolean as a string":        {map[string]any{"webhook": map[string]any{"enable": "yes"}}, "/webhook/enable"},
		"a shutdown delay as duration": {map[string]any{"manager": map[string]any{"shutdownDelaySeconds": "5s"}}, "/manager/shutdownDelaySeconds"},
		"a strategy type":              {map[string]any{"manager": map[string]any{"strategy": map[string]any{"type": "BlueGreen"}}}, "/manager/strategy/type"},
		"a topology spread without key": {map[string]any{"manager": map[string]any{"topologySpreadConstraints": []any{
			map[string]any{"maxSkew": 1, "whenUnsatisfiable": "ScheduleAnyway"}}}}, "/manager/topologySpreadConstraints/0"},
		"a topology spread policy": {map[string]any{"manager": map[string]any{"topologySpreadConstraints": []any{
			map[string]any{"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "Maybe"}}}}, "/manager/topologySpreadConstraints/0/whenUnsatisfiable"},
		"a PDB as a word":              {map[string]any{"podDisruptionBudget": map[string]any{"maxUnavailable": "one"}}, "/podDisruptionBudget/maxUnavailable"},
		"a PDB minAvailable":           {map[string]any{"podDisruptionBudget": map[string]any{"minAvailable": -1}}, "/podDisruptionBudget/minAvailable"},
		"a volume without a name":      {map[string]any{"manager": map[string]any{"extraVolumes": []any{map[string]any{"emptyDir": map[string]any{}}}}}, "/manager/extraVolumes/0"},
		"the webhook volume's name":    {map[string]any{"manager": map[string]any{"extraVolumes": []any{map[string]any{"name": "webhook-certs"}}}}, "/manager/extraVolumes/0/name"},
		"a mount without a path":       {map[string]any{"manager": map[string]any{"extraVolumeMounts": []any{map[string]any{"name": "x"}}}}, "/manager/extraVolumeMounts/0"},
		"a label that is not a string": {map[string]any{"manager": map[string]any{"podLabels": map[string]any{"tier": 1}}}, "/manager/podLabels/tier"},
		"a service account name":       {map[string]any{"serviceAccount": map[string]any{"name": "Not_A_Name"}}, "/serviceAccount/name"},
		"a network policy peer":        {map[string]any{"networkPolicy": map[string]any{"metricsFrom": []any{map[string]any{"namespace": "monitoring"}}}}, "/networkPolicy/metricsFrom/0"},
		"a nameOverride":               {map[string]any{"nameOverride": "Workcenter"}, "/nameOverride"},
		"resources misplaced":          {map[string]any{"manager": map[string]any{"resources": map[string]any{"cpu": "1"}}}, "/manager/resources"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := helmTemplate(t, tc.values, namespace)
			if err == nil {
				t.Fatalf("values %v accepted", tc.values)
			}
			if !strings.Contains(err.Error(), "values don't meet the specifications of the schema") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant the schema's refusal naming %s", err, tc.want)
			}
		})
	}
}

// A grace period that does not cover the shutdown delay is refused by the chart itself.
func TestChartRefusesAGraceBelowTheShutdownDelay(t *testing.T) {
	_, err := helmTemplate(t, map[string]any{"manager": map[string]any{"shutdownDelaySeconds": 10, "terminationGracePeriodSeconds": 10}}, namespace)
	if err == nil || !strings.Contains(err.Error(), "manager.terminationGracePeriodSeconds (10) must be above manager.shutdownDelaySeconds (10)") {
		t.Fatalf("err = %v", err)
	}
}

// `helm test`: a Pod of the manager's image runs `/manager check-webhooks` in the
// release's namespace, as a ServiceAccount that may only create WorkCenterRoles there;
// everything is a test hook (not part of the release, not in the drift comparison).
func TestChartHelmTestHook(t *testing.T) {
	hooks := helmHooks(t, nil)
	if got, want := keys(hooks), []string{
		"/Pod " + namespace + "/workcenter-operator-check-webhooks",
		"/ServiceAccount " + namespace + "/workcenter-operator-check-webhooks",
		"rbac.authorization.k8s.io/Role " + namespace + "/workcenter-operator-check-webhooks",
		"rbac.authorization.k8s.io/RoleBinding " + namespace + "/workcenter-operator-check-webhooks",
	}; !slices.Equal(got, want) {
		t.Fatalf("hooks %v, want %v", got, want)
	}
	for _, h := range hooks {
		ann := get(h, "metadata", "annotations").(map[string]any)
		if ann["helm.sh/hook"] != "test" || ann["helm.sh/hook-delete-policy"] != "before-hook-creation,hook-succeeded" {
			t.Errorf("%s: annotations %v", h.key(), ann)
		}
	}
	pod := the(t, hooks, "Pod")
	c := get(pod, "spec", "containers", 0)
	if got := fmt.Sprintf("%v %v %v", get(c, "image"), get(c, "command"), get(c, "args")); got != "workcenter-operator:latest [/manager] [check-webhooks --namespace="+namespace+" --timeout=60s]" {
		t.Errorf("the test Pod runs %s", got)
	}
	if get(pod, "spec", "restartPolicy") != "Never" || get(pod, "spec", "serviceAccountName") != "workcenter-operator-check-webhooks" {
		t.Errorf("the test Pod's spec %v", pod["spec"])
	}
	manager := get(the(t, mustHelmTemplate(t, nil), "Deployment"), "spec", "template", "spec")
	if d := cmp.Diff(get(manager, "securityContext"), get(pod, "spec", "securityContext")); d != "" {
		t.Errorf("the test Pod's securityContext differs from the manager's:\n%s", d)
	}
	if d := cmp.Diff(get(manager, "containers", 0, "securityContext"), get(c, "securityContext")); d != "" {
		t.Errorf("the test container's securityContext differs from the manager's:\n%s", d)
	}
	if got := fmt.Sprint(get(the(t, hooks, "Role"), "rules")); got != "[map[apiGroups:[access.workcenter.io] resources:[workcenterroles] verbs:[create]]]" {
		t.Errorf("the test's Role grants %s, want create workcenterroles only", got)
	}
	if got := fmt.Sprint(get(the(t, hooks, "RoleBinding"), "subjects")); got != "[map[kind:ServiceAccount name:workcenter-operator-check-webhooks namespace:"+namespace+"]]" {
		t.Errorf("the test's RoleBinding binds %s", got)
	}
	for name, values := range map[string]map[string]any{
		"helmTest.enable=false": {"helmTest": map[string]any{"enable": false}},
		"webhook.enable=false":  {"webhook": map[string]any{"enable": false}},
	} {
		if hooks := helmHooks(t, values); len(hooks) != 0 {
			t.Errorf("%s still renders the test hooks %v", name, keys(hooks))
		}
	}
}

// The chart's icon is an https URL of a file in this repository.
func TestChartIcon(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		Icon string `json:"icon"`
	}
	if err := sigsyaml.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	const raw = "https://raw.githubusercontent.com/workcenter-io/workcenter-operator/main/"
	path, ok := strings.CutPrefix(meta.Icon, raw)
	if !ok {
		t.Fatalf("icon %q is not a file of the repository (%s...)", meta.Icon, raw)
	}
	icon, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatalf("icon %s: %v", meta.Icon, err)
	}
	if !strings.Contains(string(icon), "<svg") {
		t.Errorf("%s is not an SVG image", path)
	}
}

// the returns the one object of kind in objs.
func the(t *testing.T, objs []object, kind string) object {
	t.Helper()
	var found []object
	for _, o := range objs {
		if o.kind() == kind {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d objects of kind %s, want one: %v", len(found), kind, keys(objs))
	}
	return found[0]
}
