package llb

import (
	"maps"
	"slices"
	"strings"

	bk "github.com/moby/buildkit/client/llb"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// proxyArgs are BuildKit's predefined proxy args. They reach every step as
// environment without entering the cache key, as in a Dockerfile.
var proxyArgs = []string{"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"}

func proxyEnv(args map[string]string) *bk.ProxyEnv {
	var pe bk.ProxyEnv
	set := false
	for _, k := range slices.Sorted(maps.Keys(args)) {
		v := args[k]
		switch strings.ToLower(k) {
		case "http_proxy":
			pe.HTTPProxy = v
		case "https_proxy":
			pe.HTTPSProxy = v
		case "ftp_proxy":
			pe.FTPProxy = v
		case "no_proxy":
			pe.NoProxy = v
		case "all_proxy":
			pe.AllProxy = v
		default:
			continue
		}
		set = true
	}
	if !set {
		return nil
	}
	return &pe
}

// UnusedArgs lists the --build-arg names the plan never reads, so the
// frontend can say so instead of dropping them silently.
func UnusedArgs(p *plan.Plan, buildArgs map[string]string) []string {
	var unused []string
	for _, k := range slices.Sorted(maps.Keys(buildArgs)) {
		switch {
		case slices.ContainsFunc(p.Args, func(a plan.Arg) bool { return a.Name == k }),
			slices.Contains(spec.BuiltinArgs, k),
			slices.Contains(proxyArgs, strings.ToLower(k)),
			strings.HasPrefix(k, "BUILDKIT_"),
			k == "SOURCE_DATE_EPOCH":
			continue
		}
		unused = append(unused, k)
	}
	return unused
}
