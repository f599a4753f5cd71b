// Package plan is the build plan: stages of steps with their cache mounts,
// copies, args and per-target image config. It is plain data, produced once
// per build by a provider and rendered per target platform to LLB (package
// llb), to a Dockerfile, to lint findings, or shown to the user
// (`strata plan`). Nothing in it is specific to one ecosystem.
package plan

import "github.com/strata-build/strata/frontend/spec"

// Plan is everything needed to build one app, for any target platform.
type Plan struct {
	Provider string    `json:"provider"`
	Settings []Setting `json:"settings"`
	Args     []Arg     `json:"args,omitempty"`
	Stages   []Stage   `json:"stages"`
	Targets  []Target  `json:"targets"`
	// Findings are what the provider noticed while planning (lint).
	Findings []Finding `json:"findings,omitempty"`
	// CA is PEM certificates every CA step trusts besides the system's
	// and the client's secret (the organisation's bundle).
	CA string `json:"ca,omitempty"`
	// Unread are build args a user may pass expecting a tool to read them
	// that no step of this plan reads (another installer's settings), each
	// with what to pass instead: the unused-arg warning gives it.
	Unread map[string]string `json:"unread,omitempty"`
}

// Setting is one resolved choice and where it came from, so users can see
// why Strata did what it did ("go.mod line 3", "Dockerfile line 4", "default").
type Setting struct {
	Key    string `json:"key"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

// Arg is a build arg the plan may refer to as ${NAME}.
type Arg struct {
	Name    string `json:"name"`
	Default string `json:"default,omitempty"`
	// PassThrough args are not declared by the user: they reach a step only
	// when set with --build-arg (GOPROXY and friends).
	PassThrough bool `json:"passThrough,omitempty"`
	// Source says where a default that the description did not write
	// came from (the organisation defaults).
	Source string `json:"source,omitempty"`
	// Pos is where the description declared it.
	Pos spec.Pos `json:"pos,omitzero"`
}

// Finding is a lint finding: a rule, what is wrong and where.
type Finding struct {
	Rule    string   `json:"rule"`
	Message string   `json:"message"`
	Pos     spec.Pos `json:"pos,omitzero"`
	// File is the context file the finding is about when it is not the
	// description (go.mod, .dockerignore …).
	File string `json:"file,omitempty"`
}

// Platform says which platform a stage runs on.
type Platform string

const (
	// BuildPlatform stages run natively on the builder and cross-compile.
	BuildPlatform Platform = "build"
	// TargetPlatform stages have the target's root filesystem (emulated when
	// it differs from the build platform).
	TargetPlatform Platform = "target"
)

// Stage is a root filesystem and the steps that change it.
type Stage struct {
	Name     string   `json:"name"`
	From     From     `json:"from"`
	Platform Platform `json:"platform"`
	Env      []Env    `json:"env,omitempty"`
	Workdir  string   `json:"workdir,omitempty"`
	Steps    []Step   `json:"steps"`
	// Scan marks the stage that holds the app's dependencies as installed
	// (or the files that pin them): an SBOM scan reads it beside the
	// image, so what only the builder saw is listed too.
	Scan bool `json:"scan,omitempty"`
}

// Scratch is the empty image.
const Scratch = "scratch"

// From is what a stage starts from: an image reference, "scratch" or
// another stage.
type From struct {
	Image string `json:"image,omitempty"`
	Stage string `json:"stage,omitempty"`
	// Key and Pos name the description setting that chose the image, so
	// an image that cannot be resolved is reported at that line.
	Key string   `json:"key,omitempty"`
	Pos spec.Pos `json:"pos,omitzero"`
}

// FromImage starts a stage from an image; key and pos name the description
// setting that chose it, when the user wrote one.
func FromImage(ref, key string, pos spec.Pos) From {
	if pos.IsZero() {
		return From{Image: ref}
	}
	return From{Image: ref, Key: key, Pos: pos}
}

// Env is an environment variable.
type Env struct {
	Name  string `json:"name"`
	Value Str    `json:"value"`
	// IfSet drops the variable when its value expands to "" (a pass-through
	// arg that was not given must not override the base image's own value).
	IfSet bool `json:"ifSet,omitempty"`
}

// Step is one operation: exactly one of Run, Copy, File, Mkdir and Symlink
// is set.
type Step struct {
	Name    string   `json:"name"`
	Run     *Run     `json:"run,omitempty"`
	Copy    *Copy    `json:"copy,omitempty"`
	File    *File    `json:"file,omitempty"`
	Mkdir   *Mkdir   `json:"mkdir,omitempty"`
	Symlink *Symlink `json:"symlink,omitempty"`
	// Pos is the description line that asked for this step, if any.
	Pos spec.Pos `json:"pos,omitzero"`
}

// Network is what a Run step may reach.
type Network string

const (
	// NetworkDefault is BuildKit's sandboxed network (what the daemon allows).
	NetworkDefault Network = ""
	// NetworkNone is for steps that must not fetch anything.
	NetworkNone Network = "none"
)

// Run executes a command: in exec form (Args, no shell) or in shell form
// (Script, run by /bin/sh -c), exactly one of the two.
type Run struct {
	Args   []Str `json:"args,omitempty"`
	Script Str   `json:"script,omitzero"`
	// Workdir and User default to the stage's.
	Workdir string  `json:"workdir,omitempty"`
	User    string  `json:"user,omitempty"`
	Network Network `json:"network,omitempty"`
	// Env is seen by this step only.
	Env    []Env   `json:"env,omitempty"`
	Mounts []Mount `json:"mounts,omitempty"`
	// CA: the step fetches over TLS, so a CA bundle the client gives as
	// the `ca` secret is trusted besides the system's (see TrustCA).
	CA bool `json:"ca,omitempty"`
	// Recover repairs a damaged cache the step's tool reports, then runs
	// the step once more (see Recoverable).
	Recover *Recover `json:"recover,omitempty"`
}

// MountType is the kind of a mount.
type MountType string

const (
	CacheMount  MountType = "cache"
	BindMount   MountType = "bind"
	SecretMount MountType = "secret"
	SSHMount    MountType = "ssh"
	TmpfsMount  MountType = "tmpfs"
	// OutputMount starts empty and becomes a small state of its own that
	// later steps copy from (Source.Output).
	OutputMount MountType = "output"
)

// Sharing says how concurrent builds share a cache mount.
type Sharing string

const (
	SharingShared  Sharing = "" // the default: concurrent writers allowed
	SharingPrivate Sharing = "private"
	SharingLocked  Sharing = "locked" // one writer at a time (apt)
)

// Mount is a filesystem attached to a Run step.
type Mount struct {
	Type   MountType `json:"type"`
	Target string    `json:"target,omitempty"`
	// Cache mounts: an id shared by every build that uses it, and how.
	CacheID string  `json:"cacheId,omitempty"`
	Sharing Sharing `json:"sharing,omitempty"`
	// Owner and mode of a cache directory or of a secret file.
	UID  int    `json:"uid,omitempty"`
	GID  int    `json:"gid,omitempty"`
	Mode uint32 `json:"mode,omitempty"`
	// Bind mounts: what is mounted, read-only unless ReadWrite (then the
	// step's writes to it are discarded).
	From      *Source `json:"from,omitempty"`
	ReadWrite bool    `json:"readWrite,omitempty"`
	// Secret and SSH mounts: the id the client provides.
	ID       string `json:"id,omitempty"`
	Required bool   `json:"required,omitempty"`
	// Env: for a secret, the variable that holds it (then Target is empty);
	// for SSH, a variable set to the socket's path.
	Env string `json:"env,omitempty"`
	// Output mounts: the name later steps use to copy from it.
	Name string `json:"name,omitempty"`
}

// Source is where a copy or bind mount reads from: the build context
// narrowed to some paths, a named output of an earlier step, or a stage.
type Source struct {
	Context *ContextFilter `json:"context,omitempty"`
	Output  string         `json:"output,omitempty"`
	// Stage is the root filesystem of another stage.
	Stage string `json:"stage,omitempty"`
	// Own, with Stage, is only what that stage's own steps wrote over
	// the stage it starts from (BuildKit's diff: the layers between the
	// two), so BuildKit mounts and checksums those layers alone. A file
	// a step rewrote with the bytes it had may be left out: what the
	// base copied in, the copy takes from where the base took it.
	Own bool `json:"own,omitempty"`
	// Path is a sub-directory of the source (bind mounts).
	Path string `json:"path,omitempty"`
}

// ContextFilter asks for part of the build context only, so a step sees (and
// BuildKit transfers) just what it needs. .dockerignore always applies too.
type ContextFilter struct {
	Include []Str    `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// Copy puts files into the stage. Link copies onto an empty layer and
// merges it (COPY --link), so the layer survives a change of base image.
type Copy struct {
	From Source `json:"from"`
	Src  Str    `json:"src"`
	Dest Str    `json:"dest"`
	Link bool   `json:"link"`
	// Chown is "uid:gid" (or a user name the stage knows).
	Chown Str `json:"chown,omitzero"`
	// Chmod is the mode of every copied file, 0 to keep them.
	Chmod   uint32   `json:"chmod,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// File writes a file a provider generates (a server's config), with its
// parent directories. Link writes it on an empty layer and merges it, as a
// linked copy.
type File struct {
	Path  string `json:"path"`
	Data  string `json:"data"`
	Mode  uint32 `json:"mode"`
	Chown Str    `json:"chown,omitzero"`
	Link  bool   `json:"link,omitempty"`
}

// Mkdir creates a directory (and its parents).
type Mkdir struct {
	Path  string `json:"path"`
	Mode  uint32 `json:"mode"`
	Chown Str    `json:"chown,omitzero"`
}

// Symlink creates Link pointing at Target.
type Symlink struct {
	Target string `json:"target"`
	Link   string `json:"link"`
}

// Target is a stage that can be built with --target, with its image config.
type Target struct {
	Name        string `json:"name"`
	Stage       string `json:"stage"`
	Default     bool   `json:"default,omitempty"`
	Description string `json:"description"`
	Image       Image  `json:"image"`
}

// Image is the config a target's image gets on top of its base image's.
// A set Entrypoint drops the base image's Cmd, as in a Dockerfile; an empty
// (not nil) one clears the base image's entrypoint, for apps whose Cmd is
// the whole start command.
type Image struct {
	Entrypoint []Str             `json:"entrypoint,omitzero"`
	Cmd        []Str             `json:"cmd,omitempty"`
	Env        []Env             `json:"env,omitempty"`
	WorkingDir string            `json:"workingDir,omitempty"`
	User       Str               `json:"user,omitzero"`
	Ports      []string          `json:"ports,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// UnpackDir is the directory a stage makes on its base image before its
// steps, or "" for none: the working directory of an image target built
// from a stage of an image whose first step is linked. Such a stage would
// otherwise never pull its base (a merge of linked layers needs only the
// base's digests), and BuildKit leaves a base it never pulled out of a
// local cache export made beside a push, or after a push to the base's
// registry: on import, the merge and what made its layers re-run. Making a
// directory unpacks the base, as a Dockerfile's WORKDIR does.
func (p *Plan) UnpackDir(s *Stage) string {
	if s.From.Stage != "" || s.From.Image == Scratch || len(s.Steps) == 0 || !linked(&s.Steps[0]) {
		return ""
	}
	for _, t := range p.Targets {
		if t.Stage == s.Name && t.Image.WorkingDir != "" && t.Image.WorkingDir != "/" {
			return t.Image.WorkingDir
		}
	}
	return ""
}

func linked(step *Step) bool {
	return (step.Copy != nil && step.Copy.Link) || (step.File != nil && step.File.Link)
}

// Stage returns the stage with the given name.
func (p *Plan) Stage(name string) (*Stage, bool) {
	for i := range p.Stages {
		if p.Stages[i].Name == name {
			return &p.Stages[i], true
		}
	}
	return nil, false
}

// DefaultTarget is the target built when --target is not given. Validate
// guarantees there is one.
func (p *Plan) DefaultTarget() Target {
	for _, t := range p.Targets {
		if t.Default {
			return t
		}
	}
	return p.Targets[len(p.Targets)-1]
}

// Target finds a target by name; "" is the default target.
func (p *Plan) Target(name string) (Target, bool) {
	if name == "" && len(p.Targets) > 0 {
		return p.DefaultTarget(), true
	}
	for _, t := range p.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// TargetNames lists the targets, for hints.
func (p *Plan) TargetNames() []string {
	names := make([]string, 0, len(p.Targets))
	for _, t := range p.Targets {
		names = append(names, t.Name)
	}
	return names
}

// Setting finds a resolved setting by key (the first, when a key repeats).
func (p *Plan) Setting(key string) (Setting, bool) {
	for _, s := range p.Settings {
		if s.Key == key {
			return s, true
		}
	}
	return Setting{}, false
}
