package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/strata-build/strata/internal/buildrun"
)

// buildCmd is `strata build [flags] [DIR]`: a build straight through a
// BuildKit daemon, with buildx's flags.
func buildCmd(args []string, out io.Writer) error {
	cfg, err := parseBuildFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		_, err = io.WriteString(out, strings.TrimPrefix(err.Error(), "build: flag: help requested\n"))
		return err
	} else if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return buildrun.Run(ctx, cfg, out, os.Stderr)
}

// listFlag is a flag given any number of times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func parseBuildFlags(args []string) (buildrun.Config, error) {
	var c buildrun.Config
	fl := flag.NewFlagSet("build", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	var file string
	var platforms, buildArgs, secrets, ssh, outputs, tags, cacheFrom, cacheTo listFlag
	var check bool
	for _, name := range []string{"f", "file"} {
		fl.StringVar(&file, name, "", "description file, relative to the current directory as with buildx (default: DIR/Dockerfile)")
	}
	for _, name := range []string{"o", "output"} {
		fl.Var(&outputs, name, "type=image,name=…[,push=true] | type=registry,name=… | type=oci,dest=… | type=docker,dest=… | type=local,dest=… | DIR | -")
	}
	for _, name := range []string{"t", "tag"} {
		fl.Var(&tags, name, "image name (an image output, or the name in an oci/docker tarball)")
	}
	fl.Var(&platforms, "platform", "target platforms, comma-separated (linux/amd64,linux/arm64)")
	fl.Var(&buildArgs, "build-arg", "NAME=VALUE, or NAME for the environment's value")
	fl.StringVar(&c.Target, "target", "", "target: runtime (default), build or test")
	fl.Var(&secrets, "secret", "id=ID,src=FILE | id=ID,env=VAR")
	fl.Var(&ssh, "ssh", "default | ID=SOCKET_OR_KEY[,…] (default: $SSH_AUTH_SOCK)")
	fl.BoolVar(&c.Push, "push", false, "push the image (-t names it)")
	fl.Var(&cacheFrom, "cache-from", "type=registry,ref=… | type=local,src=… | REF")
	fl.Var(&cacheTo, "cache-to", "type=registry,ref=…[,mode=max] | type=local,dest=…[,mode=max] | type=inline")
	fl.BoolVar(&c.NoCache, "no-cache", false, "build every step again")
	fl.StringVar(&c.Progress, "progress", "", "auto, plain, tty, rawjson or quiet (default $BUILDKIT_PROGRESS, else auto)")
	fl.StringVar(&c.Call, "call", "", "check, outline or targets: ask the frontend instead of building")
	fl.BoolVar(&check, "check", false, "shorthand for --call check")
	fl.BoolVar(&c.InProcess, "in-process", false, "run Strata's frontend in this process instead of the image the syntax line names")
	defaultsFlag(fl)
	fl.StringVar(&c.Addr, "addr", "", "BuildKit's address (default $BUILDKIT_HOST, else the test bed's socket, else unix:///run/buildkit/buildkitd.sock)")
	fl.StringVar(&c.TLSDir, "tlsdir", "", "directory with ca.pem, cert.pem and key.pem for a tcp:// daemon")
	fl.StringVar(&c.MetadataFile, "metadata-file", "", "write the exporters' response (image digest …) as JSON")

	// Flags may follow the directory, as with buildx.
	var dirs []string
	for {
		if err := fl.Parse(args); err != nil {
			return c, fmt.Errorf("build: %w\n%s", err, buildFlagsHelp(fl))
		}
		if fl.NArg() == 0 {
			break
		}
		dirs = append(dirs, fl.Arg(0))
		args = fl.Args()[1:]
	}
	switch len(dirs) {
	case 0:
		c.Dir = "."
	case 1:
		c.Dir = dirs[0]
	default:
		return c, fmt.Errorf("build takes one directory, not %q", dirs)
	}
	// As buildx: -f is relative to where the command runs, not to DIR.
	c.File = file
	if file == "" {
		c.File = filepath.Join(c.Dir, "Dockerfile")
	}
	if check {
		if c.Call != "" && c.Call != "check" {
			return c, fmt.Errorf("--check and --call %s ask for two things", c.Call)
		}
		c.Call = "check"
	}
	if c.Call == "build" {
		c.Call = ""
	}
	if c.InProcess {
		org, err := orgDefaults(fl)
		if err != nil {
			return c, err
		}
		c.Defaults = org
	} else if flagSet(fl, "defaults") {
		return c, fmt.Errorf("--defaults applies to --in-process only: the frontend image the syntax line names carries its own")
	}
	c.Platforms, c.BuildArgs, c.Secrets, c.SSH = platforms, buildArgs, secrets, ssh
	c.Outputs, c.Tags, c.CacheFrom, c.CacheTo = outputs, tags, cacheFrom, cacheTo
	return c, nil
}

func buildFlagsHelp(fl *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: strata build [flags] [DIR]\n")
	fl.SetOutput(&b)
	fl.PrintDefaults()
	fl.SetOutput(io.Discard)
	return b.String()
}
