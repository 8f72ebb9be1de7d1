package install_test

// everythingValues turns on every optional part of the chart and sets every knob, for
// the lint.
func everythingValues() map[string]any {
	return map[string]any{
		"prometheus":    map[string]any{"enable": true},
		"networkPolicy": map[string]any{"enable": true},
	}
}
