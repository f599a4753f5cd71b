// Command strata is the Strata CLI: `strata plan` shows what the frontend
// will build for a directory, `strata dockerfile` ejects it as a plain
// Dockerfile, `strata llb` prints its LLB, `strata build` builds through a
// BuildKit daemon without the docker CLI, `strata init` adopts Strata
// across a repository (a description per app and a docker-bake.hcl),
// `strata cache prune` deletes old registry cache tags,
// `strata schema` prints the description's JSON Schema for editors,
// `strata version` the release.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/schema"
	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/internal/version"
)

const usage = `usage:
  strata plan [-f FILE] [--json] [DIR]                            show the resolved build plan and its lint findings
  strata dockerfile [-f FILE] [DIR]                               print the plan as a plain Dockerfile (eject)
  strata llb [-f FILE] [--platform OS/ARCH] [--target T] [DIR]    print the LLB, one op per line, as buildctl debug dump-llb
  strata init [--frontend REF] [--force] [--one-image] [DIR]      write a description beside every app in the repository and a docker-bake.hcl
  strata build [-f FILE] [--platform P] [--build-arg K=V] [--target T] [--secret …] [--ssh …]
               [--output …|-t NAME [--push]] [--cache-from …] [--cache-to …] [--progress MODE]
               [--call check|outline|targets] [--in-process] [DIR]
                                                                  build through BuildKit ($BUILDKIT_HOST) as buildx does
  strata cache exists REPOSITORY:TAG                              exit status 0 when the registry holds the tag (docs/ci/build.sh picks its cache so)
  strata cache prune [--keep N] [--keep-branch B]... [--dry-run] REPOSITORY
                                                                  delete old registry cache tags (<repo>:cache-<branch>)
  strata defaults check FILE                                      check an organisation defaults file (hack/publish.sh bakes it into the image)
  strata schema                                                   print the description's JSON Schema
  strata version                                                  print the version

plan, dockerfile, llb, init and build --in-process take --defaults FILE ($STRATA_DEFAULTS):
an organisation's defaults, as the published frontend image carries them.
`

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "strata:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("no command\n" + usage)
	}
	switch args[0] {
	case "version":
		_, err := fmt.Fprintln(out, "strata", version.Version)
		return err
	case "plan":
		return planCmd(args[1:], out)
	case "dockerfile":
		return dockerfileCmd(args[1:], out)
	case "llb":
		return llbCmd(args[1:], out)
	case "init":
		return initCmd(args[1:], out)
	case "build":
		return buildCmd(args[1:], out)
	case "cache":
		return cacheCmd(args[1:], out)
	case "defaults":
		return defaultsCmd(args[1:], out)
	case "schema":
		if len(args) > 1 {
			return errors.New("schema takes no arguments")
		}
		b, err := schema.JSON()
		if err != nil {
			return err
		}
		_, err = out.Write(b)
		return err
	case "help", "-h", "--help":
		_, err := io.WriteString(out, usage)
		return err
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func planCmd(args []string, out io.Writer) error {
	fl, file := planFlags("plan")
	asJSON := fl.Bool("json", false, "print the plan as JSON")
	if err := fl.Parse(args); err != nil {
		return err
	}
	dir := "."
	if fl.NArg() > 1 {
		return errors.New("plan takes one directory")
	} else if fl.NArg() == 1 {
		dir = fl.Arg(0)
	}
	path := *file
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		data = nil // no description: detect everything
	} else if err != nil {
		return err
	}
	s, err := pipeline.Parse(*file, data)
	if err != nil {
		return err
	}
	org, err := orgDefaults(fl)
	if err != nil {
		return err
	}
	p, err := pipeline.PlanWith(context.Background(), s, source.Dir(dir), org)
	if err != nil {
		return err
	}
	if p.Findings, err = findings(context.Background(), s, data, p, dir, path, org.Enforced()); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	return p.WriteText(out)
}
