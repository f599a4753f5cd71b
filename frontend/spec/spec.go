// Package spec reads a Strata description: YAML in the file buildx names
// (the `# syntax=` line is a YAML comment) into typed settings that remember
// the line they were written on.
package spec

import (
	"fmt"
	"maps"
	"path"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Spec is the part of a description shared by every ecosystem. Each
// provider's own section (`go:`, `node:` …) stays raw until the provider
// decodes it with Section.Decode.
//
// Struct tags describe the keys for the description's JSON Schema: `yaml`
// the key, `doc` one line for editors, `schema` the rules the parser checks
// beyond the type (package frontend/schema lists them). Parse reads Spec's
// own keys itself.
type Spec struct {
	File     string
	App      Value[string] `yaml:"app" doc:"The ecosystem to build, also the key of its settings (default: detected from the build context)."`
	Args     []Arg         `yaml:"args" doc:"Build args with their defaults (empty for none), overridable by --build-arg; strings refer to them as ${NAME}." schema:"keys=name"`
	Build    Build         `yaml:"build" doc:"Build settings every ecosystem shares."`
	Run      Run           `yaml:"run" doc:"The runtime image."`
	Sections map[string]*Section
	root     *yaml.Node // the whole document, for Written
}

// Arg is a declared build arg with its default.
type Arg struct {
	Name    string
	Default string
	Pos     Pos
}

// Build holds the build settings every ecosystem shares.
type Build struct {
	Packages Value[[]string] `yaml:"packages" doc:"Debian packages installed in the builder only, e.g. [libpq-dev] or [libpq-dev=15.8-0+deb12u1]." schema:"pattern=debian-package"`
	Command  Value[string]   `yaml:"command" doc:"Replaces the ecosystem's build command (shell form)."`
	Secrets  Value[[]Secret] `yaml:"secrets" doc:"Secrets the build steps may read, given with --secret id=<id>; never written to a layer."`
	Caches   Value[[]string] `yaml:"caches" doc:"Extra directories (absolute paths) kept across builds as cache mounts."`
}

// Secret is a secret the build steps may read: as a file (target, by
// default /run/secrets/<id>) or as an environment variable (env).
type Secret struct {
	ID       Value[string] `yaml:"id" doc:"The id given to --secret id=<id>." schema:"required,pattern=secret-id"`
	Env      Value[string] `yaml:"env" doc:"Expose the secret as this environment variable instead of a file." schema:"pattern=name,excludes=target"`
	Target   Value[string] `yaml:"target" doc:"The file the secret appears as (default /run/secrets/<id>)."`
	Required Value[bool]   `yaml:"required" doc:"Fail the build when the secret is not given."`
}

// Run describes the runtime image.
type Run struct {
	Base     Value[string]            `yaml:"base" doc:"distroless (default for binaries), debian-slim, alpine, scratch, runtime (the language runtime image, default for Node and Python) or any image reference."`
	Cmd      Value[[]string]          `yaml:"cmd" doc:"Arguments after the entrypoint, which is the app's binary, e.g. [serve]."`
	Port     Value[int]               `yaml:"port" doc:"The port the app listens on, exposed in the image config." schema:"minimum=1,maximum=65535"`
	Env      Value[map[string]string] `yaml:"env" doc:"Environment variables of the runtime image." schema:"keys=name"`
	Copy     Value[[]string]          `yaml:"copy" doc:"Extra paths from the build context, each its own layer under /app."`
	User     Value[string]            `yaml:"user" doc:"The user the app runs as (default 65532:65532, not root)."`
	Packages Value[[]string]          `yaml:"packages" doc:"Debian packages installed in the runtime image." schema:"pattern=debian-package"`
}

// Section is a provider's part of the description, decoded by the provider.
type Section struct {
	Key string
	Pos Pos
	n   *yaml.Node
	d   *decoder
}

// Decode fills out (a pointer to a struct with `yaml` tags and Value
// fields) and returns every problem in the section as Errors.
func (s *Section) Decode(out any) error {
	if s == nil {
		return nil
	}
	dst := reflect.ValueOf(out)
	if dst.Kind() != reflect.Pointer || dst.IsNil() {
		return &Error{File: s.d.file, Pos: s.Pos, Key: s.Key, Msg: fmt.Sprintf("internal error: Decode needs a pointer, got %T", out)}
	}
	d := &decoder{file: s.d.file, args: s.d.args, anyArg: s.d.anyArg}
	d.into(s.Key, s.n, dst.Elem())
	if c, ok := out.(Checker); ok {
		c.Check(func(pos Pos, key, hint, msg string) {
			d.report(&Error{File: d.file, Pos: pos, Key: key, Msg: msg, Hint: hint})
		})
	}
	return d.err()
}

// Checker is a section type with rules about several of its values (keys
// that exclude each other, a list that must not be empty), checked once
// it has decoded, so Parse refuses what the JSON Schema refuses. It sees
// only the values that decoded.
type Checker interface {
	Check(report func(pos Pos, key, hint, msg string))
}

// Errorf reports a problem found by a provider at a position of its section.
func (s *Spec) Errorf(pos Pos, key, hint, msg string) *Error {
	return &Error{File: s.File, Pos: pos, Key: key, Msg: msg, Hint: hint}
}

// MaxDescription caps the description: it is parsed into a tree in memory,
// and the longest real ones are a few KiB.
const MaxDescription = 256 << 10

var dockerfileInstruction = regexp.MustCompile(`(?i)^(FROM|RUN|COPY|ADD|ARG|ENV|WORKDIR|CMD|ENTRYPOINT|EXPOSE|USER|LABEL)\s`)

// Parse reads a description. sections are the provider keys allowed at the
// top level (one per ecosystem). An empty description (comments only) gives
// an empty Spec: the app is then detected from the build context.
//
// The error is an *Error, or Errors with every problem found (errors.As
// gives the first). With Errors the Spec is returned too, holding what was
// read, so a caller can decode the sections and report their problems with
// the rest.
func Parse(file string, data []byte, sections []string) (*Spec, error) {
	s := &Spec{File: file, Sections: map[string]*Section{}}
	if len(data) > MaxDescription {
		return nil, &Error{File: file, Msg: fmt.Sprintf("the description is %d bytes, more than the %d KiB Strata reads", len(data), MaxDescription>>10),
			Hint: "a description is a few lines of YAML: is -f naming the file you meant?"}
	}
	if line, ok := firstInstruction(data); ok {
		return nil, &Error{File: file, Pos: Pos{Line: line, Column: 1},
			Msg:  "this line is a Dockerfile instruction, but a Strata description is YAML",
			Hint: "remove the `# syntax=` line to build this file with the Dockerfile frontend"}
	}
	if !utf8.Valid(data) {
		return nil, notUTF8(file, data)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, yamlError(file, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return s, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return s, nil
	}
	s.root = root
	d := &decoder{file: file, args: map[string]bool{}}
	for _, a := range BuiltinArgs {
		d.args[a] = true
	}
	if root.Kind != yaml.MappingNode {
		return nil, d.errorf(root, "", "start with `app: <name>` or settings such as `run:`", "the description must be a mapping of keys, got %s", describe(root))
	}

	top := append([]string{"app", "args", "build", "run"}, sections...)
	nodes := map[string][2]*yaml.Node{}
	for i := 0; i < len(root.Content); i += 2 {
		k := root.Content[i]
		if _, dup := nodes[k.Value]; dup {
			d.reportf(k, k.Value, "remove one of the two", "duplicate key")
		} else if !slices.Contains(top, k.Value) {
			d.reportf(k, k.Value, Suggest(k.Value, top), "unknown key")
		} else {
			nodes[k.Value] = [2]*yaml.Node{k, root.Content[i+1]}
		}
	}

	// args first: every other string may refer to them.
	if kv, ok := nodes["args"]; ok {
		s.Args = d.declareArgs(kv[1])
	}
	appKnown := true
	if kv, ok := nodes["app"]; ok {
		appKnown = s.App.decodeNode(d, "app", kv[1]) && slices.Contains(sections, s.App.V)
		if s.App.Set && !appKnown {
			d.reportf(kv[1], "app", Suggest(s.App.V, sections), "unknown app %q", s.App.V)
		}
	}
	// validate looks only at values that decoded, so it runs even when
	// others did not.
	if kv, ok := nodes["build"]; ok {
		d.into("build", kv[1], reflect.ValueOf(&s.Build).Elem())
		s.Build.validate(d)
	}
	if kv, ok := nodes["run"]; ok {
		d.into("run", kv[1], reflect.ValueOf(&s.Run).Elem())
		s.Run.validate(d)
	}
	for _, name := range sections {
		if kv, ok := nodes[name]; ok {
			s.Sections[name] = &Section{Key: name, Pos: posOf(kv[0]), n: kv[1], d: d}
		}
	}
	switch {
	case !appKnown:
		// the sections cannot be matched against an app that does not exist
	case !s.App.Set && len(s.Sections) > 1:
		d.report(&Error{File: file, Pos: posOf(root), Key: "app",
			Msg: "settings for several apps", Hint: "say which one to build with `app: <name>`"})
	case s.App.Set:
		for _, name := range sections {
			if sec := s.Sections[name]; sec != nil && name != s.App.V {
				d.report(&Error{File: file, Pos: sec.Pos, Key: name,
					Msg:  "settings for " + name + " but `app: " + s.App.V + "`",
					Hint: "remove the `" + name + ":` section or change `app:`"})
			}
		}
	}
	return s, d.err()
}

// declareArgs reads `args:`. An arg is declared even when its default is
// wrong, so its uses are not reported as well.
func (d *decoder) declareArgs(n *yaml.Node) []Arg {
	n = resolveAlias(n)
	if n.Kind != yaml.MappingNode {
		d.reportf(n, "args", "write args as a mapping, e.g. `args: {VERSION: dev}`", "expected a mapping, got %s", describe(n))
		d.anyArg = true
		return nil
	}
	var out []Arg
	for i := 0; i < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		v = resolveAlias(v)
		if !argName.MatchString(k.Value) {
			d.reportf(k, "args."+k.Value, "use letters, digits and _", "%q is not a valid arg name", k.Value)
			continue
		}
		if d.args[k.Value] {
			hint := "remove one of the two"
			if slices.Contains(BuiltinArgs, k.Value) {
				hint = "BuildKit sets it for every build; remove it"
			}
			d.reportf(k, "args."+k.Value, hint, "arg declared twice")
			continue
		}
		d.args[k.Value] = true
		def := ""
		if !(v.Kind == yaml.ScalarNode && v.Tag == "!!null") {
			if v.Kind != yaml.ScalarNode {
				d.reportf(v, "args."+k.Value, "an arg's default is a single value", "expected a string, got %s", describe(v))
				continue
			}
			if refs, _ := References(v.Value); len(refs) > 0 {
				d.reportf(v, "args."+k.Value, "write the default value itself", "an arg default cannot refer to other args")
				continue
			}
			def = v.Value
		}
		out = append(out, Arg{Name: k.Value, Default: def, Pos: posOf(k)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (r *Run) validate(d *decoder) {
	if r.Port.Set && (r.Port.V < 1 || r.Port.V > 65535) {
		d.report(&Error{File: d.file, Pos: r.Port.Pos, Key: "run.port", Msg: strconv.Itoa(r.Port.V) + " is not a port", Hint: "use a number from 1 to 65535"})
	}
	for _, k := range slices.Sorted(maps.Keys(r.Env.V)) {
		if !argName.MatchString(k) {
			d.report(&Error{File: d.file, Pos: r.Env.KeyPos(k), Key: "run.env." + k, Msg: "not a valid environment variable name", Hint: "use letters, digits and _"})
		}
	}
	for i, p := range r.Copy.V {
		if err := CheckContextPath(p); err != "" {
			d.report(&Error{File: d.file, Pos: r.Copy.Pos, Key: "run.copy[" + strconv.Itoa(i) + "]", Msg: err, Hint: "name a file or directory inside the build context, e.g. ./migrations"})
		}
	}
	if r.Base.Set && strings.TrimSpace(r.Base.V) == "" {
		d.report(&Error{File: d.file, Pos: r.Base.Pos, Key: "run.base", Msg: "empty base image", Hint: "use distroless, debian-slim, alpine, scratch, runtime or an image reference"})
	}
	checkPackages(d, "run.packages", r.Packages)
}

// debianPackage is a Debian package name, optionally with =version; nothing
// a shell would read as more than one word.
var debianPackage = regexp.MustCompile(`^[a-z0-9][a-z0-9+.-]+(=[A-Za-z0-9.+:~-]+)?$`)

var secretID = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

func checkPackages(d *decoder, key string, v Value[[]string]) {
	for i, p := range v.V {
		if !debianPackage.MatchString(p) {
			d.report(&Error{File: d.file, Pos: v.Pos, Key: key + "[" + strconv.Itoa(i) + "]", Msg: strconv.Quote(p) + " is not a Debian package name",
				Hint: "write a package such as libpq-dev or libpq-dev=15.8-0+deb12u1"})
		}
	}
}

func (b *Build) validate(d *decoder) {
	checkPackages(d, "build.packages", b.Packages)
	if b.Command.Set && strings.TrimSpace(b.Command.V) == "" {
		d.report(&Error{File: d.file, Pos: b.Command.Pos, Key: "build.command", Msg: "empty command", Hint: "write the shell command that builds the app, or remove the key"})
	}
	for i, c := range b.Caches.V {
		key := "build.caches[" + strconv.Itoa(i) + "]"
		if !path.IsAbs(c) || path.Clean(c) == "/" {
			d.report(&Error{File: d.file, Pos: b.Caches.Pos, Key: key, Msg: strconv.Quote(c) + " is not an absolute directory below /", Hint: "name the directory a tool caches into, e.g. /root/.cache/ccache"})
		}
	}
	ids := map[string]bool{}
	for i, s := range b.Secrets.V {
		key := "build.secrets[" + strconv.Itoa(i) + "]"
		switch {
		case !s.ID.Set:
			d.report(&Error{File: d.file, Pos: b.Secrets.Pos, Key: key + ".id", Msg: "a secret needs an id", Hint: "write the id given to --secret id=<id>, e.g. `- {id: npm_token, env: NPM_TOKEN}`"})
		case !secretID.MatchString(s.ID.V):
			d.report(&Error{File: d.file, Pos: s.ID.Pos, Key: key + ".id", Msg: strconv.Quote(s.ID.V) + " is not a secret id", Hint: "use letters, digits, _, . and -"})
		case ids[s.ID.V]:
			d.report(&Error{File: d.file, Pos: s.ID.Pos, Key: key + ".id", Msg: "secret " + s.ID.V + " listed twice", Hint: "remove one of the two"})
		}
		ids[s.ID.V] = true
		switch {
		case s.Env.Set && s.Target.Set:
			d.report(&Error{File: d.file, Pos: s.Env.Pos, Key: key, Msg: "a secret is either an environment variable or a file", Hint: "keep env or target, not both"})
		case s.Env.Set && !argName.MatchString(s.Env.V):
			d.report(&Error{File: d.file, Pos: s.Env.Pos, Key: key + ".env", Msg: "not a valid environment variable name", Hint: "use letters, digits and _"})
		case s.Target.Set && (!path.IsAbs(s.Target.V) || path.Clean(s.Target.V) == "/"):
			d.report(&Error{File: d.file, Pos: s.Target.Pos, Key: key + ".target", Msg: strconv.Quote(s.Target.V) + " is not an absolute file path", Hint: "write where the file appears, e.g. /root/.npmrc"})
		}
	}
}

// CheckContextPath says what is wrong with a path that must stay inside the
// build context, or "" when nothing is.
func CheckContextPath(p string) string {
	switch {
	case p == "":
		return "empty path"
	case path.IsAbs(p):
		return "absolute path " + p
	case path.Clean(p) == "." || path.Clean(p) == "..":
		return "path " + p + " names the whole context or above it"
	case strings.HasPrefix(path.Clean(p), "../"):
		return "path " + p + " leaves the build context"
	}
	return ""
}

// firstInstruction finds a Dockerfile instruction on the first non-comment
// line: the user put `# syntax=` on a Dockerfile by mistake.
func firstInstruction(data []byte) (int, bool) {
	for i, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		return i + 1, dockerfileInstruction.MatchString(t)
	}
	return 0, false
}

var (
	yamlLine      = regexp.MustCompile(`line (\d+)`)
	unknownAnchor = regexp.MustCompile(`unknown anchor '([^']*)' referenced`)
)

func yamlError(file string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file, Msg: msg, Hint: "the description is YAML: check indentation and quoting"}
	lines := strings.Split(string(data), "\n")
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		if strings.Contains(msg, "did not find expected") {
			line++ // the parser reports where the open flow started, 0-based
		}
		e.Pos = Pos{Line: line, Column: 1}
		e.Msg = strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
		if line >= 1 && line <= len(lines) && strings.Contains(lines[line-1][:len(lines[line-1])-len(strings.TrimLeft(lines[line-1], " \t"))], "\t") {
			e.Hint = "indent with spaces: YAML does not allow tabs there"
		}
	} else if m := unknownAnchor.FindStringSubmatch(msg); m != nil {
		// The parser does not say where the alias is: find it.
		for i, l := range lines {
			if c := strings.Index(l, "*"+m[1]); c >= 0 {
				e.Pos = Pos{Line: i + 1, Column: c + 1}
				break
			}
		}
		e.Hint = "define the anchor (&" + m[1] + ") before the alias that uses it"
	}
	return e
}

// notUTF8 points at the first byte that is not UTF-8 (the YAML parser
// says only that there is one).
func notUTF8(file string, data []byte) error {
	line, col := 1, 1
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		if r == utf8.RuneError && n <= 1 {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[n:]
	}
	return &Error{File: file, Pos: Pos{Line: line, Column: col}, Msg: fmt.Sprintf("byte 0x%02x is not UTF-8 text", data[0]),
		Hint: "save the description as UTF-8"}
}

// PosOrZero is the section's position, or the zero Pos for a missing section.
func (s *Section) PosOrZero() Pos {
	if s == nil {
		return Pos{}
	}
	return s.Pos
}
