package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/strata-build/strata/internal/cacheprune"
	"github.com/strata-build/strata/internal/registry"
)

const cacheUsage = "usage: strata cache prune [--keep N] [--keep-branch B]... [--prefix P] [--dry-run] [--plain-http] REPOSITORY\n" +
	"       strata cache exists [--plain-http] REPOSITORY:TAG"

// cacheCmd is `strata cache prune`, the retention policy for registry
// caches, and `strata cache exists`, which docs/ci/build.sh asks before
// it picks the cache to import (docs/ci.md).
func cacheCmd(args []string, out io.Writer) error {
	if len(args) > 0 && args[0] == "exists" {
		return cacheExists(args[1:], out)
	}
	if len(args) == 0 || args[0] != "prune" {
		return errors.New(cacheUsage)
	}
	p, repo, err := parsePruneFlags(args[1:])
	if errors.Is(err, flag.ErrHelp) {
		_, err = io.WriteString(out, strings.TrimPrefix(err.Error(), "cache prune: flag: help requested\n"))
		return err
	} else if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	outcomes, err := cacheprune.Prune(ctx, registry.New(nil), repo, p)
	cacheprune.Report(out, repo, outcomes)
	return err
}

func parsePruneFlags(args []string) (cacheprune.Policy, registry.Repo, error) {
	p := cacheprune.Policy{}
	fl := flag.NewFlagSet("cache prune", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	var branches listFlag
	var plainHTTP bool
	fl.IntVar(&p.Keep, "keep", 5, "how many of the newest caches to keep besides the kept branches'")
	fl.Var(&branches, "keep-branch", "a branch whose cache is always kept (repeat, or comma-separate; default main)")
	fl.StringVar(&p.Prefix, "prefix", "cache-", "the cache tags' prefix: <prefix><branch>; other tags are never touched")
	fl.BoolVar(&p.DryRun, "dry-run", false, "print what would be deleted, delete nothing")
	fl.BoolVar(&plainHTTP, "plain-http", false, "talk http:// to the registry (localhost and loopback always are)")
	var repos []string
	for {
		if err := fl.Parse(args); err != nil {
			return p, registry.Repo{}, fmt.Errorf("cache prune: %w\n%s", err, pruneHelp(fl))
		}
		if fl.NArg() == 0 {
			break
		}
		repos = append(repos, fl.Arg(0))
		args = fl.Args()[1:]
	}
	if len(repos) != 1 {
		return p, registry.Repo{}, fmt.Errorf("cache prune takes one repository (e.g. registry.example.com/team/api), not %q", repos)
	}
	if p.Keep < 0 {
		return p, registry.Repo{}, fmt.Errorf("--keep %d: keep zero or more caches", p.Keep)
	}
	if p.Prefix == "" {
		return p, registry.Repo{}, errors.New("--prefix \"\": every tag would be a cache; name the cache tags' prefix (default cache-)")
	}
	for _, b := range branches {
		for _, name := range strings.Split(b, ",") {
			if name = strings.TrimSpace(name); name != "" {
				p.Branches = append(p.Branches, name)
			}
		}
	}
	if len(branches) == 0 {
		p.Branches = []string{"main"}
	}
	repo, err := registry.ParseRepo(repos[0])
	if err != nil {
		return p, repo, err
	}
	repo.PlainHTTP = repo.PlainHTTP || plainHTTP
	return p, repo, nil
}

func pruneHelp(fl *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("usage: strata cache prune [flags] REPOSITORY\n")
	fl.SetOutput(&b)
	fl.PrintDefaults()
	fl.SetOutput(io.Discard)
	return b.String()
}

// errNoTag is `strata cache exists` answering no: the exit status says it.
var errNoTag = errors.New("no such tag")

// cacheExists answers whether the registry holds a tag: exit status 0 when
// it does, 1 (with the reason) when it does not or cannot say.
func cacheExists(args []string, out io.Writer) error {
	fl := flag.NewFlagSet("cache exists", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	plainHTTP := fl.Bool("plain-http", false, "talk http:// to the registry (localhost and loopback always are)")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		return errors.New("usage: strata cache exists [--plain-http] REPOSITORY:TAG")
	}
	ref := fl.Arg(0)
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") || i == len(ref)-1 {
		return fmt.Errorf("cache exists %q: name a tag (e.g. registry.example.com/team/api:cache-main)", ref)
	}
	repo, err := registry.ParseRepo(ref[:i])
	if err != nil {
		return fmt.Errorf("cache exists: %w", err)
	}
	repo.PlainHTTP = repo.PlainHTTP || *plainHTTP
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, _, _, err := registry.New(nil).Manifest(ctx, repo, ref[i+1:]); errors.Is(err, registry.ErrNotFound) {
		return fmt.Errorf("%s: %w", ref, errNoTag)
	} else if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, ref)
	return err
}
