// Command strata-frontend is the BuildKit gateway frontend that `# syntax=`
// points at.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/moby/buildkit/frontend/gateway/grpcclient"
	"github.com/moby/buildkit/util/appcontext"
	"github.com/moby/buildkit/util/bklog"
	_ "github.com/moby/buildkit/util/grpcutil/encoding/proto"

	"github.com/strata-build/strata/frontend/builder"
	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/internal/version"
)

func main() {
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println("strata-frontend", version.Version)
		os.Exit(0)
	}
	// A published image may carry its organisation's defaults.
	org, orgErr := builder.ReadDefaults(defaults.Path)
	if err := grpcclient.RunFromEnvironment(appcontext.Context(), builder.WithDefaults(org, orgErr)); err != nil {
		bklog.L.Errorf("fatal error: %+v", err)
		os.Exit(1)
	}
}
