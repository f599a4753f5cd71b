// Package plan is the build plan: stages of steps with their cache mounts,
// copies, args and the runtime image config. It is plain data, produced by a
// provider per ecosystem and turned into LLB (package llb) or shown to the
// user (`strata plan`). Nothing in it is specific to one ecosystem.
package plan

import "github.com/strata-build/strata/frontend/spec"

// Plan is everything needed to build one app for one target platform.
type Plan struct {
	Provider string    `json:"provider"`
	Settings []Setting `json:"settings"`
	Args     []Arg     `json:"args,omitempty"`
	Stages   []Stage   `json:"stages"`
	Targets  []Target  `json:"targets"`
	Image    Image     `json:"image"`
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
}

// Platform says which platform a stage runs on.
type Platform string

const (
	// BuildPlatform stages run natively on the builder and cross-compile.
	BuildPlatform Platform = "build"
	// TargetPlatform stages have the target's root filesystem.
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
}

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

// Env is an environment variable; Value may hold ${NAME} references.
type Env struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// IfSet drops the variable when its value expands to "" (a pass-through
	// arg that was not given must not override the base image's own value).
	IfSet bool `json:"ifSet,omitempty"`
}

// Step is one operation: exactly one of Run and Copy is set.
type Step struct {
	Name string `json:"name"`
	Run  *Run   `json:"run,omitempty"`
	Copy *Copy  `json:"copy,omitempty"`
	// Pos is the description line that asked for this step, if any.
	Pos spec.Pos `json:"pos,omitzero"`
}

// Run executes a command (exec form: no shell).
type Run struct {
	Args   []string `json:"args"`
	Env    []Env    `json:"env,omitempty"`
	Mounts []Mount  `json:"mounts,omitempty"`
}

// MountType is the kind of a mount.
type MountType string

const (
	CacheMount  MountType = "cache"
	BindMount   MountType = "bind"
	SecretMount MountType = "secret"
	SSHMount    MountType = "ssh"
	// OutputMount starts empty and becomes a small state of its own that
	// later steps copy from (Source.Output).
	OutputMount MountType = "output"
)

// Mount is a filesystem attached to a Run step.
type Mount struct {
	Type   MountType `json:"type"`
	Target string    `json:"target"`
	// Cache mounts: a namespaced id shared by every build that uses it.
	CacheID string `json:"cacheId,omitempty"`
	// Bind mounts: what is mounted (read-only).
	From *Source `json:"from,omitempty"`
	// Secret and SSH mounts: the id the client provides; never required.
	ID string `json:"id,omitempty"`
	// Env names a variable set to the mount's target (SSH_AUTH_SOCK).
	Env string `json:"env,omitempty"`
	// Output mounts: the name later steps use to copy from it.
	Name string `json:"name,omitempty"`
}

// Source is where a copy or bind mount reads from: the build context
// narrowed to some paths, or a named output of an earlier step.
type Source struct {
	Context *ContextFilter `json:"context,omitempty"`
	Output  string         `json:"output,omitempty"`
	// Stage is the root filesystem of another stage.
	Stage string `json:"stage,omitempty"`
}

// ContextFilter asks for part of the build context only, so a step sees (and
// BuildKit transfers) just what it needs. .dockerignore always applies too.
type ContextFilter struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

// Copy puts files into the stage. Link copies onto an empty layer and
// merges it (COPY --link), so the layer survives a change of base image.
type Copy struct {
	From Source `json:"from"`
	Src  string `json:"src"`
	Dest string `json:"dest"`
	Link bool   `json:"link"`
}

// Target is a stage that can be built with --target.
type Target struct {
	Name        string `json:"name"`
	Stage       string `json:"stage"`
	Default     bool   `json:"default,omitempty"`
	Description string `json:"description"`
}

// Image is the config of the runtime image (the default target).
type Image struct {
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Env        []Env             `json:"env,omitempty"`
	WorkingDir string            `json:"workingDir,omitempty"`
	User       string            `json:"user,omitempty"`
	Ports      []string          `json:"ports,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
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

// DefaultTarget is the target built when --target is not given.
func (p *Plan) DefaultTarget() Target {
	for _, t := range p.Targets {
		if t.Default {
			return t
		}
	}
	return p.Targets[len(p.Targets)-1]
}

// Target finds a target by name.
func (p *Plan) Target(name string) (Target, bool) {
	for _, t := range p.Targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}
