// Package deps holds modules the open work is adding until their users land (removed at the end of the session).
package deps

import (
	_ "github.com/fluxcd/cli-utils/pkg/kstatus/status"
	_ "github.com/google/go-containerregistry/pkg/v1/mutate"
	_ "github.com/google/go-containerregistry/pkg/v1/tarball"
	_ "github.com/prometheus/prometheus/promql/promqltest"
	_ "github.com/prometheus/prometheus/model/rulefmt"
	_ "github.com/yuin/gopher-lua"
	_ "helm.sh/helm/v4/pkg/action"
	_ "helm.sh/helm/v4/pkg/chart/v2/loader"
	_ "helm.sh/helm/v4/pkg/chart/v2/lint"
)

