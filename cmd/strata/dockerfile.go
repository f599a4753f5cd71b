package main

import (
	"io"

	"github.com/strata-build/strata/dockerfile"
)

// dockerfileCmd prints the plan as a plain Dockerfile: the way out of
// Strata, for BuildKit's own frontend.
func dockerfileCmd(args []string, out io.Writer) error {
	fl, file := planFlags("dockerfile")
	if err := fl.Parse(args); err != nil {
		return err
	}
	p, _, err := planArg(fl, *file)
	if err != nil {
		return err
	}
	dt, err := dockerfile.Render(p, dockerfile.Options{File: *file})
	if err != nil {
		return err
	}
	_, err = out.Write(dt)
	return err
}
