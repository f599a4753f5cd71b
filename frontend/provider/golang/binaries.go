package golang

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

// bin is one binary the build makes.
type bin struct {
	main string // the package as the go command takes it: "." or "./cmd/api"
	name string // its file name in the image
	// out is the file the compile writes under /out: name when the step
	// names it (-o /out/<name>), else the go command's own name for the
	// package, since one go build writes several binaries into /out/.
	out string
}

// resolveBinaries picks what to build: go.binaries, else go.main (and
// go.binary), else the only main package.
func (r *resolver) resolveBinaries(ctx context.Context) error {
	if r.cfg.Binaries.Set {
		return r.resolveList(ctx)
	}
	b, err := r.resolveMain(ctx)
	if err != nil {
		return err
	}
	r.bins = []bin{b}
	return nil
}

func (r *resolver) resolveMain(ctx context.Context) (bin, error) {
	var b bin
	if r.cfg.Main.Set {
		m, err := cleanMain(r.Spec, r.cfg.Main, "go.main")
		if err != nil {
			return b, err
		}
		// A main that names an arg is known only when the build runs.
		if refs, _ := spec.References(m); len(refs) == 0 {
			if errs := r.checkMains(ctx, []written{{main: m, key: "go.main", pos: r.cfg.Main.Pos}}); len(errs) > 0 {
				return b, errs[0]
			}
		}
		b.main = m
		r.Set("main package", m, r.At(r.cfg.Main.Pos))
	} else {
		mains, err := mainPackages(ctx, r.in.Context)
		if err != nil {
			return b, err
		}
		switch {
		case len(mains) == 1:
			b.main = mains[0]
			r.Set("main package", b.main, "detected: the only main package")
		case len(mains) > 1 && mains[0] == ".":
			b.main = "."
			r.Set("main package", ".", "detected: main package at the root (also "+strings.Join(mains[1:], ", ")+")")
		case len(mains) > 1:
			return b, r.errorf(r.Spec.Sections["go"].PosOrZero(), "go.main", "set `go: {main: "+mains[0]+"}` to one of "+strings.Join(mains, ", ")+
				", or build several into one image with `go: {binaries: [{main: "+mains[0]+"}, {main: "+mains[1]+"}]}`",
				"several main packages and none at the root")
		default:
			return b, r.errorf(r.Spec.Sections["go"].PosOrZero(), "go.main", "set `go: {main: ./path/to/cmd}`",
				"no main package at the root or under cmd/")
		}
	}
	if r.cfg.Binary.Set {
		if err := checkBinaryName(r.Spec, r.cfg.Binary, "go.binary"); err != nil {
			return b, err
		}
		b.name = r.cfg.Binary.V
		r.Set("binary", b.name, r.At(r.cfg.Binary.Pos))
	} else {
		b.name = r.mod.execName(b.main)
		r.Set("binary", b.name, "from the main package")
	}
	b.out = b.name
	return b, nil
}

// resolveList reads go.binaries: every problem with it at once.
func (r *resolver) resolveList(ctx context.Context) error {
	list := r.cfg.Binaries
	var errs []error
	var bins []bin
	var mains []written
	seenMain, seenName, seenOut := map[string]int{}, map[string]int{}, map[string]int{}
	for i, entry := range list.V {
		e, key := entry.V, fmt.Sprintf("go.binaries[%d]", i)
		m, err := cleanMain(r.Spec, e.Main, key+".main")
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if refs, _ := spec.References(m); len(refs) > 0 {
			errs = append(errs, r.errorf(e.Main.Pos, key+".main", "write the package path itself; an arg may change ldflags or tags",
				"${%s} in a package path: the binaries of one image are known when it is planned", refs[0]))
			continue
		}
		if j, dup := seenMain[path.Clean(m)]; dup {
			errs = append(errs, r.errorf(e.Main.Pos, key+".main", "remove one of the two", "%s is listed twice (also go.binaries[%d])", m, j))
			continue
		}
		seenMain[path.Clean(m)] = i
		mains = append(mains, written{main: m, key: key + ".main", pos: e.Main.Pos})
		b := bin{main: m, name: r.mod.execName(m), out: r.mod.execName(m)}
		namePos, nameKey := e.Main.Pos, key+".main"
		if e.Binary.Set {
			if err := checkBinaryName(r.Spec, e.Binary, key+".binary"); err != nil {
				errs = append(errs, err)
				continue
			}
			b.name, namePos, nameKey = e.Binary.V, e.Binary.Pos, key+".binary"
		}
		if j, dup := seenName[b.name]; dup {
			errs = append(errs, r.errorf(namePos, nameKey, "give one of them another name with `binary:`",
				"two binaries named %s (also go.binaries[%d])", b.name, j))
			continue
		}
		seenName[b.name] = i
		if j, dup := seenOut[b.out]; dup {
			// go build -o dir/ writes each package to dir/<its name>, the
			// second over the first, without a word.
			errs = append(errs, r.errorf(e.Main.Pos, key+".main", "build one of them from a description of its own, or move it to a directory of another name",
				"go build names both %s and %s %s, so one would overwrite the other", list.V[j].V.Main.V, m, b.out))
			continue
		}
		seenOut[b.out] = i
		bins = append(bins, b)
	}
	errs = append(errs, r.checkMains(ctx, mains)...)
	if len(errs) > 0 {
		return spec.Join(errs...)
	}
	if len(bins) == 1 {
		bins[0].out = bins[0].name // built alone: -o names the file
	}
	r.bins = bins
	var names []string
	for _, b := range bins {
		names = append(names, b.name+" ("+b.main+")")
	}
	r.Set("binaries", strings.Join(names, ", "), r.At(list.Pos))
	r.Set("entrypoint", "/app/"+bins[0].name, "the first of go.binaries; the others run with --entrypoint /app/<binary>")
	return nil
}

// Check refuses at parse time what the JSON Schema refuses: go.binaries
// beside go.main or go.binary, an empty list, an entry without main.
func (s *settings) Check(report func(pos spec.Pos, key, hint, msg string)) {
	if !s.Binaries.Set {
		return
	}
	for _, k := range []struct {
		v   spec.Value[string]
		key string
	}{{s.Main, "go.main"}, {s.Binary, "go.binary"}} {
		if k.v.Set {
			report(k.v.Pos, k.key, "name every package under go.binaries, e.g. `- {main: ./cmd/api, binary: api}`, and remove "+k.key,
				"set together with go.binaries")
		}
	}
	if len(s.Binaries.V) == 0 {
		report(s.Binaries.Pos, "go.binaries", "list the main packages, e.g. `binaries: [{main: ./cmd/api}, {main: ./cmd/worker}]`", "lists no binary")
	}
	for i, e := range s.Binaries.V {
		if !e.V.Main.Set {
			report(e.Pos, fmt.Sprintf("go.binaries[%d].main", i), "name the main package, e.g. `- {main: ./cmd/worker}`", "an entry needs a main package")
		}
	}
}

// cleanMain checks a written main package path and writes it as the go
// command takes it (./cmd/api).
func cleanMain(s *spec.Spec, v spec.Value[string], key string) (string, error) {
	m := v.V
	if msg := spec.CheckContextPath(m); msg != "" && path.Clean(m) != "." {
		return "", s.Errorf(v.Pos, key, "name a package directory such as ./cmd/api", msg)
	}
	if path.Clean(m) != "." && !strings.HasPrefix(m, "./") {
		m = "./" + path.Clean(m)
	}
	return m, nil
}

func checkBinaryName(s *spec.Spec, v spec.Value[string], key string) error {
	if n := v.V; strings.ContainsAny(n, "/\\") || n == "" || n == "." || n == ".." {
		return s.Errorf(v.Pos, key, "use a plain file name such as api", fmt.Sprintf("%q is not a file name", n))
	}
	return nil
}

// written is a main package the description names, and where.
type written struct {
	main, key string
	pos       spec.Pos
}

// checkMains makes sure each written package is a main package: the go
// command builds any other without a word and writes no binary (an
// archive, with -o), so the image would not start. Directories detection
// did not transfer (outside cmd/*) are fetched first, their .go files only.
func (r *resolver) checkMains(ctx context.Context, mains []written) []error {
	var fetch []string
	for _, m := range mains {
		if d := dirOf(m.main); d != "." && !source.Match("cmd/*", d) {
			fetch = append(fetch, d+"/*.go")
		}
	}
	if err := source.Fetch(ctx, r.in.Context, fetch); err != nil {
		return []error{err}
	}
	var errs []error
	var detected []string
	for _, m := range mains {
		name, err := packageIn(ctx, r.in.Context, dirOf(m.main))
		if err != nil {
			// A link leading out of the context, an unreadable file.
			errs = append(errs, r.Spec.Errorf(m.pos, m.key, "name a package directory inside the build context", err.Error()))
			continue
		}
		if name == "main" {
			continue
		}
		if detected == nil {
			if detected, err = mainPackages(ctx, r.in.Context); err != nil {
				return append(errs, err)
			}
		}
		hint := "name a directory whose .go files say `package main`"
		if near, ok := spec.Closest(m.main, detected); ok {
			hint = "did you mean `" + near + "`?"
		} else if len(detected) > 0 {
			hint = "the main packages at the root and in cmd/* are " + strings.Join(detected, ", ")
		}
		msg := "no Go files in " + m.main
		if name != "" {
			msg = fmt.Sprintf("%s is package %s, not a main package: go build would make no binary of it", m.main, name)
		}
		errs = append(errs, r.Spec.Errorf(m.pos, m.key, hint, msg))
	}
	return errs
}

// dirOf is the context directory of a package path ("./cmd/api" → "cmd/api").
func dirOf(main string) string { return path.Clean(main) }

// execName is the name go build and go install give the binary of the main
// package in dir: the last element of its import path, or the one before
// a major version suffix (example.com/tool/v2 → tool).
func (m *module) execName(main string) string {
	dir := dirOf(main)
	imp := m.importPath(dir)
	if imp == "" {
		if dir == "." {
			return "app"
		}
		imp = dir
	}
	elem := path.Base(imp)
	if elem != imp && isVersionElement(elem) {
		elem = path.Base(path.Dir(imp))
	}
	return elem
}

// importPath is the import path of the package in dir, through the module
// (or the innermost go.work member) that holds it; "" when unknown.
func (m *module) importPath(dir string) string {
	if m.Workspace == nil {
		return joinImport(m.Path, dir)
	}
	best, rank := "", -1
	for _, member := range m.Workspace {
		r := -1
		switch {
		case member == ".":
			r = 0
		case dir == member || strings.HasPrefix(dir, member+"/"):
			r = len(member)
		}
		if r > rank {
			best, rank = member, r
		}
	}
	switch {
	case rank < 0:
		return ""
	case best == ".":
		return joinImport(m.Path, dir)
	}
	return joinImport(m.MemberPaths[best], strings.TrimPrefix(strings.TrimPrefix(dir, best), "/"))
}

func joinImport(module, rel string) string {
	switch {
	case module == "":
		return ""
	case rel == "" || rel == ".":
		return module
	}
	return module + "/" + rel
}

// isVersionElement reports whether a path element is a major version
// suffix (v2, v3 …), as the go command reads it.
func isVersionElement(s string) bool {
	if len(s) < 2 || s[0] != 'v' || s[1] == '0' || (s[1] == '1' && len(s) == 2) {
		return false
	}
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
