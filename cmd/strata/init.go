package main

import (
	"context"
	"flag"
	"io"
	"os"

	"github.com/strata-build/strata/frontend/repo"
)

// initCmd adopts Strata across a repository: a description beside every
// app and a docker-bake.hcl that builds them all.
func initCmd(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("init", flag.ContinueOnError)
	def := os.Getenv("STRATA_FRONTEND")
	if def == "" {
		def = repo.DefaultFrontend
	}
	frontend := fl.String("frontend", def, "frontend image the syntax lines name (default: $STRATA_FRONTEND, else the --defaults file's frontend, else "+repo.DefaultFrontend+")")
	defaultsFlag(fl)
	force := fl.Bool("force", false, "rewrite Strata descriptions and docker-bake.hcl that exist (never a hand-written Dockerfile)")
	oneImage := fl.Bool("one-image", false, "build the main packages of a Go module into one image (go.binaries) instead of an image each")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir, err := oneDir(fl)
	if err != nil {
		return err
	}
	org, err := orgDefaults(fl)
	if err != nil {
		return err
	}
	// The organisation's pinned frontend, unless the user named one.
	if org != nil && org.Frontend.Set && !flagSet(fl, "frontend") && os.Getenv("STRATA_FRONTEND") == "" {
		*frontend = org.Frontend.V
	}
	return repo.Init(context.Background(), dir, repo.Options{Frontend: *frontend, Force: *force, OneImage: *oneImage, Report: out, Display: dir})
}
