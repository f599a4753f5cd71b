package repo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultFrontend is the frontend image the syntax lines name unless told:
// the one this repository's test bed serves (README). Teams pass their own
// published image, pinned to a version or digest.
const DefaultFrontend = "localhost:5000/strata:dev"

// BakeFile is the file Init writes at the repository root.
const BakeFile = "docker-bake.hcl"

// Options are `strata init`'s flags.
type Options struct {
	Frontend string // image reference for the syntax lines
	Force    bool   // rewrite Strata descriptions and the bake file that exist
	// OneImage describes the apps of one context as one image where the
	// provider can: a Go module's main packages, with go.binaries.
	OneImage bool
	Report   io.Writer
	// Display is how the report names the repository root (the argument
	// as the user wrote it); paths are shown under it.
	Display string
}

// Init adopts Strata in the repository at root: a description beside
// every app Find lists, and docker-bake.hcl with a target per app. Nothing
// that exists is overwritten without Force, and a hand-written Dockerfile
// (no Strata syntax line) never is: it is reported with the command that
// shows what Strata would build instead. Apps that cannot be planned are
// reported and left out; Init then fails after writing the rest.
func Init(ctx context.Context, root string, o Options) error {
	if o.Frontend == "" {
		o.Frontend = DefaultFrontend
	}
	if o.Report == nil {
		o.Report = io.Discard
	}
	show := func(p string) string { return filepath.ToSlash(filepath.Join(o.Display, filepath.FromSlash(p))) }
	found, err := find(ctx, root, o.OneImage)
	if err != nil {
		return err
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	nameOf := names(found, filepath.Base(abs))
	var targets []Target
	failed := 0
	for i, f := range found {
		file := filepath.Join(root, filepath.FromSlash(f.Path()))
		old, err := os.ReadFile(file)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		exists := err == nil
		target := Target{Name: nameOf[i], Context: f.Context, Dockerfile: f.Description()}
		if exists && !IsStrata(old, o.Frontend) {
			fmt.Fprintf(o.Report, "%s: hand-written Dockerfile (no Strata syntax line): left alone and not in %s; compare with what Strata would build:\n    %s\n",
				show(f.Path()), BakeFile, compare(f, show))
			continue
		}
		if exists && !o.Force {
			fmt.Fprintf(o.Report, "%s: kept (a Strata description already; --force rewrites it)\n", show(f.Path()))
			targets = append(targets, target)
			if err := writeIgnore(root, f, o, show); err != nil {
				return err
			}
			continue
		}
		desc, _, err := Describe(ctx, root, o.Frontend, f)
		if err != nil {
			if f.Optional {
				fmt.Fprintf(o.Report, "%s: skipped, no app to build here (%s)\n", show(path.Join(f.Context, f.App.Dir)), firstLine(err))
				continue
			}
			fmt.Fprintf(o.Report, "%s: not written: %v\n", show(f.Path()), err)
			failed++
			continue
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(file, desc, 0o644); err != nil {
			return err
		}
		verb := "wrote"
		if exists {
			verb = "rewrote"
		}
		fmt.Fprintf(o.Report, "%s: %s (%s app, target %s)\n", show(f.Path()), verb, f.Provider.Name(), target.Name)
		targets = append(targets, target)
		if err := writeIgnore(root, f, o, show); err != nil {
			return err
		}
	}
	nested(found, o.Report, show)
	if len(targets) > 0 {
		if err := writeBake(root, targets, o, show); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(o.Report, "no app found: %s not written\n", BakeFile)
	}
	if failed > 0 {
		return fmt.Errorf("%d app(s) could not be planned (see above)", failed)
	}
	return nil
}

func writeBake(root string, targets []Target, o Options, show func(string) string) error {
	file := filepath.Join(root, BakeFile)
	old, err := os.ReadFile(file)
	if err == nil && !o.Force {
		var missing []string
		for _, t := range targets {
			if !bytes.Contains(old, []byte(fmt.Sprintf("target %q", t.Name))) {
				missing = append(missing, t.Name)
			}
		}
		note := ""
		if len(missing) > 0 {
			note = "; it has no target for " + strings.Join(missing, ", ")
		}
		fmt.Fprintf(o.Report, "%s: kept (it exists; --force rewrites it)%s\n", show(BakeFile), note)
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(file, Bake(targets), 0o644); err != nil {
		return err
	}
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name
	}
	plural := "s"
	if len(targets) == 1 {
		plural = ""
	}
	fmt.Fprintf(o.Report, "%s: wrote %d target%s (%s): docker buildx bake builds them all\n", show(BakeFile), len(targets), plural, strings.Join(names, ", "))
	return nil
}

// writeIgnore writes <description>.dockerignore for an app that leaves
// paths of its context out (another binary's main package). BuildKit reads
// it instead of the context's .dockerignore for that description, so it
// starts with that file's patterns.
func writeIgnore(root string, f Found, o Options, show func(string) string) error {
	if len(f.Exclude) == 0 {
		return nil
	}
	rel := f.Path() + ".dockerignore"
	file := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(file); err == nil && !o.Force {
		fmt.Fprintf(o.Report, "%s: kept (it exists; --force rewrites it)\n", show(rel))
		return nil
	}
	b := &bytes.Buffer{}
	fmt.Fprintf(b, "# Written by `strata init`. BuildKit reads this file instead of the context's\n"+
		"# .dockerignore for %s, so it repeats that file's patterns first.\n", f.Description())
	ctxIgnore := filepath.Join(root, filepath.FromSlash(f.Context), ".dockerignore")
	if dt, err := os.ReadFile(ctxIgnore); err == nil {
		b.Write(dt)
		if len(dt) > 0 && dt[len(dt)-1] != '\n' {
			b.WriteByte('\n')
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	b.WriteString("# What this build never reads, so an edit there does not re-run it\n" +
		"# (another binary's main package, which nothing can import):\n")
	for _, x := range f.Exclude {
		b.WriteString(x + "\n")
	}
	if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(o.Report, "%s: wrote (leaves out %s)\n", show(rel), strings.Join(f.Exclude, " "))
	return nil
}

// nested notes contexts that hold another app's context: their builds
// send it and their source steps depend on it (Go's compile binds the
// whole context), so an edit there would re-run them, unless their
// .dockerignore lists it.
func nested(found []Found, report io.Writer, show func(string) string) {
	seen := map[string]bool{}
	for _, outer := range found {
		for _, inner := range found {
			in := inner.Context
			if outer.Context == in || !(outer.Context == "." || strings.HasPrefix(in, outer.Context+"/")) {
				continue
			}
			rel := strings.TrimPrefix(in, outer.Context+"/")
			if key := outer.Context + "\x00" + rel; !seen[key] {
				seen[key] = true
				ignore := show(path.Join(outer.Context, ".dockerignore"))
				fmt.Fprintf(report, "note: %s, the build context of %s, holds %s (another app's): list %s in %s, or its builds send it and an edit there re-runs them\n",
					show(outer.Context), show(outer.Path()), show(in), rel, ignore)
			}
		}
	}
}

// compare is the command that prints, as a plain Dockerfile, what Strata
// would build for an app whose Dockerfile is hand-written: the keys that
// pick the app come in on stdin, since its own Dockerfile is not a
// description.
func compare(f Found, show func(string) string) string {
	var lines []string
	if f.Named {
		lines = append(lines, "app: "+f.Provider.Name())
	}
	sections := groups(f.Provider.Name())
	for _, k := range f.Keys {
		sec, _, _ := strings.Cut(k.Path, ".")
		sections[sec].live = append(sections[sec].live, liveKey(k))
	}
	for _, l := range strings.Split(render(sections, 0), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	src := "-f /dev/null"
	if len(lines) > 0 {
		quoted := make([]string, len(lines))
		for i, l := range lines {
			quoted[i] = "'" + strings.ReplaceAll(l, "'", `'\''`) + "'"
		}
		src = "-f /dev/stdin"
		return fmt.Sprintf("printf '%%s\\n' %s | strata dockerfile %s %s | diff %s -", strings.Join(quoted, " "), src, show(f.Context), show(f.Path()))
	}
	return fmt.Sprintf("strata dockerfile %s %s | diff %s -", src, show(f.Context), show(f.Path()))
}

// directive is a leading comment line BuildKit reads as a parser
// directive (# syntax=…, # check=…).
var directive = regexp.MustCompile(`^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$`)

// IsStrata reports whether a Dockerfile's syntax directive names a Strata
// frontend: the one given, another tag or digest of it, or any image
// whose repository is named strata.
func IsStrata(data []byte, frontend string) bool {
	for _, line := range bytes.Split(data, []byte("\n")) {
		m := directive.FindSubmatch(bytes.TrimSpace(line))
		if m == nil {
			return false
		}
		if !strings.EqualFold(string(m[1]), "syntax") {
			continue
		}
		ref := string(m[2])
		repo := repository(ref)
		return ref == frontend || repo == repository(frontend) || path.Base(repo) == "strata"
	}
	return false
}

// repository is an image reference without its tag and digest.
func repository(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}
