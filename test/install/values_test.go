package install_test

// everythingValues turns on every optional part of the chart and sets every knob away
// from its default: the chart must lint and render with all of them at once.
func everythingValues() map[string]any {
	return map[string]any{
		"prometheus": map[string]any{"enable": true},
		"manager": map[string]any{
			"replicas":                      3,
			"shutdownDelaySeconds":          10,
			"terminationGracePeriodSeconds": 45,
			"podLabels":                     map[string]any{"team": "platform"},
			"podAnnotations":                map[string]any{"example.com/scrape": "false"},
			"strategy":                      map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{"maxSurge": "50%", "maxUnavailable": 0}},
			"priorityClassName":             "system-cluster-critical",
			"extraVolumes":                  []any{map[string]any{"name": "tmp", "emptyDir": map[string]any{}}},
			"extraVolumeMounts":             []any{map[string]any{"name": "tmp", "mountPath": "/tmp/work"}},
		},
		"podDisruptionBudget": map[string]any{"minAvailable": "50%"},
		"serviceAccount":      map[string]any{"name": "workcenter", "annotations": map[string]any{"iam.example.com/role": "workcenter"}},
		"networkPolicy": map[string]any{
			"enable":      true,
			"webhookFrom": []any{map[string]any{"ipBlock": map[string]any{"cidr": "10.0.0.0/24"}}},
			"metricsFrom": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": "monitoring"}}}},
		},
	}
}
