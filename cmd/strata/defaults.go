package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/strata-build/strata/frontend/builder"
)

// defaultsCmd checks an organisation defaults file before it is baked
// into a frontend image, with the errors a build would give.
func defaultsCmd(args []string, out io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		return errors.New("usage: strata defaults check FILE")
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	d, err := builder.LoadDefaults(args[1], data)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s: organisation defaults are valid (%d images, %d args, %d labels)\n",
		args[1], len(d.Images.V), len(d.Args.V), len(d.Labels.V))
	return err
}

// flagSet reports whether the command line set the flag (not its default).
func flagSet(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
