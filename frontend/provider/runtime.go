package provider

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// NonRootUser is the runtime user unless `run.user` or the runtime family
// says otherwise: the distroless "nonroot" ids, which need no passwd entry
// on any base.
const NonRootUser = "65532:65532"

// AppDir is where the app lives in runtime images.
const AppDir = "/app"

// Family is what an app needs from its runtime base image.
type Family string

const (
	// Static binaries run on anything, scratch included.
	Static Family = "static"
	// Glibc binaries need a C library matching the builder's (Debian 12).
	Glibc Family = "glibc"
	// Language apps need their runtime (node, python) in the image.
	Language Family = "runtime"
)

// Needs is what an app asks of its runtime image.
type Needs struct {
	Family Family
	// Runtime is the language runtime image (node:22-slim …) of a Language
	// app, the default base and the `runtime` alias.
	Runtime string
	// User is the default user when it is not NonRootUser.
	User string
}

// Base is the chosen runtime base image.
type Base struct {
	Image string
	// Key and Pos name the description line that chose it, if one did.
	Key string
	Pos spec.Pos
	// User is the user the image runs as unless `run.user` says.
	User string
}

// From is where the runtime stage starts.
func (b Base) From() plan.From { return plan.FromImage(b.Image, b.Key, b.Pos) }

// aliases map `run.base` names to images per family ("" = not allowed).
var aliases = map[string]map[Family]string{
	"distroless":  {Static: "gcr.io/distroless/static-debian12", Glibc: "gcr.io/distroless/base-debian12"},
	"debian-slim": {Static: "debian:bookworm-slim", Glibc: "debian:bookworm-slim"},
	"alpine":      {Static: "alpine:3.22"},
	"scratch":     {Static: plan.Scratch},
	"runtime":     {},
}

// withApt are the aliases whose images can install `run.packages`.
var withApt = []string{"debian-slim", "runtime"}

// Aliases lists the `run.base` names, for docs and hints.
func Aliases() []string {
	return []string{"distroless", "debian-slim", "alpine", "scratch", "runtime"}
}

// ResolveBase picks the runtime base from `run.base`, the app's needs and
// whether `run.packages` needs apt. It records the choice as a setting.
func ResolveBase(s *spec.Spec, n Needs, set func(key, value, from string)) (Base, error) {
	b := s.Run.Base
	base := Base{User: NonRootUser, Key: "run.base", Pos: b.Pos}
	if n.User != "" {
		base.User = n.User
	}
	needApt := len(s.Run.Packages.V) > 0
	name, from := b.V, From(s, b.Pos)
	if !b.Set {
		name = defaultAlias(n.Family, needApt)
		from = "default for a " + familyText(n.Family) + " app"
		if needApt {
			from = "run.packages needs apt (" + From(s, s.Run.Packages.Pos) + ")"
		}
	}
	table, isAlias := aliases[name]
	switch {
	case !isAlias:
		base.Image = name // any image reference: the user knows what it holds
	case name == "runtime" && n.Family == Language:
		base.Image = n.Runtime
	case table[n.Family] == "":
		return Base{}, s.Errorf(b.Pos, "run.base", aliasHint(n.Family), fmt.Sprintf("%s cannot run a %s app", name, familyText(n.Family)))
	default:
		base.Image = table[n.Family]
	}
	if needApt && isAlias && !slices.Contains(withApt, name) {
		return Base{}, s.Errorf(b.Pos, "run.base", "use debian-slim (or the runtime image) or remove run.packages",
			fmt.Sprintf("run.packages needs apt, which %s does not have", name))
	}
	set("runtime base", base.Image, from)
	return base, nil
}

func defaultAlias(f Family, needApt bool) string {
	switch {
	case f == Language:
		return "runtime"
	case needApt:
		return "debian-slim"
	}
	return "distroless"
}

func familyText(f Family) string {
	switch f {
	case Glibc:
		return "glibc (cgo)"
	case Language:
		return "language runtime"
	}
	return "static"
}

func aliasHint(f Family) string {
	var ok []string
	for _, name := range Aliases() {
		if aliases[name][f] != "" || (name == "runtime" && f == Language) {
			ok = append(ok, name)
		}
	}
	return fmt.Sprintf("use %s or an image reference", joinOr(ok))
}

func joinOr(words []string) string {
	switch len(words) {
	case 0:
		return "an image reference"
	case 1:
		return words[0]
	}
	out := ""
	for i, w := range words {
		switch {
		case i == 0:
		case i == len(words)-1:
			out += " or "
		default:
			out += ", "
		}
		out += w
	}
	return out
}

// From says where a setting came from, for `strata plan`.
func From(s *spec.Spec, pos spec.Pos) string {
	if pos.IsZero() {
		return "default"
	}
	return fmt.Sprintf("%s line %d", s.File, pos.Line)
}

// Args turns the declared args into plan args.
func Args(s *spec.Spec) []plan.Arg {
	out := make([]plan.Arg, 0, len(s.Args))
	for _, a := range s.Args {
		out = append(out, plan.Arg{Name: a.Name, Default: a.Default, Pos: a.Pos})
	}
	return out
}

// CopySteps are the `run.copy` paths, each its own linked layer under AppDir.
func CopySteps(s *spec.Spec, chown plan.Str) []plan.Step {
	var steps []plan.Step
	for _, p := range s.Run.Copy.V {
		clean := path.Clean(p)
		steps = append(steps, plan.Step{
			Name: "copy " + clean,
			Copy: &plan.Copy{
				From:  plan.Source{Context: &plan.ContextFilter{Include: []plan.Str{plan.Tmpl(clean)}}},
				Src:   plan.Tmpl(clean),
				Dest:  plan.Tmpl(path.Join(AppDir, clean)),
				Link:  true,
				Chown: chown,
			},
			Pos: s.Run.Copy.Pos,
		})
	}
	return steps
}

// Start is how the app starts: its entrypoint (a program that takes
// arguments) or, for apps started by a command line, a Cmd.
type Start struct {
	Entrypoint []plan.Str
	Cmd        []plan.Str
}

// RuntimeImage is the runtime target's config from the app's start and
// `run:`. `run.cmd` gives the entrypoint's arguments, or replaces the start
// command of an app that has no entrypoint.
func RuntimeImage(s *spec.Spec, start Start, base Base) plan.Image {
	img := plan.Image{
		Entrypoint: start.Entrypoint,
		Cmd:        start.Cmd,
		WorkingDir: AppDir,
		User:       RuntimeUser(s, base),
		Labels:     map[string]string{},
	}
	if s.Run.Cmd.Set {
		img.Cmd = plan.Tmpls(s.Run.Cmd.V)
	}
	if base.Image != plan.Scratch {
		img.Labels["org.opencontainers.image.base.name"] = base.Image
	}
	for _, k := range slices.Sorted(maps.Keys(s.Run.Env.V)) {
		img.Env = append(img.Env, plan.Env{Name: k, Value: plan.Tmpl(s.Run.Env.V[k])})
	}
	if s.Run.Port.Set {
		img.Ports = []string{strconv.Itoa(s.Run.Port.V) + "/tcp"}
	}
	return img
}

// RuntimeUser is `run.user`, else the base family's default user.
func RuntimeUser(s *spec.Spec, base Base) plan.Str {
	if s.Run.User.Set {
		return plan.Tmpl(s.Run.User.V)
	}
	return plan.Lit(base.User)
}
