package main

import (
	"context"
	"flag"
	"fmt"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
)

// planFlags starts the flag set of a command that renders a directory's
// plan, with -f as `strata plan` has it.
func planFlags(cmd string) (*flag.FlagSet, *string) {
	fl := flag.NewFlagSet(cmd, flag.ContinueOnError)
	return fl, fl.String("f", "Dockerfile", "description file, relative to DIR unless absolute")
}

// planArg plans DIR, the command's one argument ("." by default), and
// returns the directory too.
func planArg(fl *flag.FlagSet, file string) (*plan.Plan, string, error) {
	dir, err := oneDir(fl)
	if err != nil {
		return nil, "", err
	}
	p, err := pipeline.PlanDir(context.Background(), dir, file)
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
