package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/strata-build/strata/frontend/builder"
	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
)

// planFlags starts the flag set of a command that renders a directory's
// plan, with -f as `strata plan` has it, and --defaults.
func planFlags(cmd string) (*flag.FlagSet, *string) {
	fl := flag.NewFlagSet(cmd, flag.ContinueOnError)
	defaultsFlag(fl)
	return fl, fl.String("f", "Dockerfile", "description file, relative to DIR unless absolute")
}

// defaultsFlag adds --defaults: the organisation defaults file a
// published frontend image carries, to see locally what it builds.
func defaultsFlag(fl *flag.FlagSet) *string {
	return fl.String("defaults", os.Getenv("STRATA_DEFAULTS"), "organisation defaults file, as baked into the frontend image (default: $STRATA_DEFAULTS)")
}

// orgDefaults reads the --defaults file the flag set holds; none is nil.
func orgDefaults(fl *flag.FlagSet) (*defaults.Defaults, error) {
	path := fl.Lookup("defaults").Value.String()
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return builder.LoadDefaults(path, data)
}

// planArg plans DIR, the command's one argument ("." by default), and
// returns the directory too.
func planArg(fl *flag.FlagSet, file string) (*plan.Plan, string, error) {
	dir, err := oneDir(fl)
	if err != nil {
		return nil, "", err
	}
	org, err := orgDefaults(fl)
	if err != nil {
		return nil, "", err
	}
	p, err := pipeline.PlanDirWith(context.Background(), dir, file, org)
	return p, dir, err
}

// oneDir is the command's one directory argument, "." by default.
func oneDir(fl *flag.FlagSet) (string, error) {
	if fl.NArg() > 1 {
		return "", fmt.Errorf("%s takes one directory", fl.Name())
	} else if fl.NArg() == 1 {
		return fl.Arg(0), nil
	}
	return ".", nil
}
