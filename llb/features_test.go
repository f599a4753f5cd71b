package llb_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"

	"github.com/strata-build/strata/llb"
)

// Every plan feature reaches the LLB as the plan says (fixture
// testdata/features.plan.json, no provider involved).
func TestPlanFeatures(t *testing.T) {
	p := loadPlan(t, "testdata/features.plan.json")
	_, def := convert(t, p, options(func(o *llb.Options) {
		o.Target = "tools"
		o.TargetPlatform = arm64
		o.CacheNS = "ns"
		o.BuildArgs = map[string]string{"VERSION": "1.0"}
	}))
	all := ops(t, def)

	_, apt := execWith(t, all, "apt-get install -y make")
	if got := apt.Meta.Args; len(got) != 3 || got[0] != "/bin/sh" || got[1] != "-c" || !strings.Contains(got[2], `"${HOME:-/root}" $$ literal`) {
		t.Errorf("a literal script must reach the shell unchanged: %q", got)
	}
	if apt.Meta.User != "0:0" {
		t.Errorf("apt runs as %q", apt.Meta.User)
	}
	mounts := byDest(apt.Mounts)
	if m := mounts["/var/lib/apt"]; m == nil || m.CacheOpt.Sharing != pb.CacheSharingOpt_LOCKED || m.CacheOpt.ID != "ns/strata/apt/lists" {
		t.Errorf("apt lists mount %v", m)
	}
	if m := mounts["/tmp"]; m == nil || m.MountType != pb.MountType_TMPFS {
		t.Errorf("tmpfs mount %v", m)
	}

	_, build := execWith(t, all, "make VERSION=1.0 ARCH=arm64 && echo $HOME")
	if build.Meta.Cwd != "/work/app" || build.Meta.User != "1000:1000" {
		t.Errorf("step workdir %q user %q", build.Meta.Cwd, build.Meta.User)
	}
	if !slices.Contains(build.Meta.Env, "LITERAL=${NOT_AN_ARG:-kept}") || slices.ContainsFunc(build.Meta.Env, func(e string) bool { return strings.HasPrefix(e, "REGISTRY=") }) {
		t.Errorf("env %q: literal kept, unset pass-through dropped", build.Meta.Env)
	}
	mounts = byDest(build.Mounts)
	if m := mounts["/work/app"]; m == nil || m.Readonly || m.Output != -1 || m.Selector != "/app" {
		t.Errorf("writable bind (writes discarded) of a sub-path: %v", m)
	}
	if m := mounts["/home/node/.npm"]; m == nil || m.Input < 0 || m.Selector != "/cache" {
		t.Errorf("a cache owned by 1000 starts from a directory made for it: %v", m)
	}
	if m := mounts["/home/node/.npmrc"]; m == nil || m.SecretOpt.Uid != 1000 || m.SecretOpt.Mode != 0o440 || !m.SecretOpt.Optional {
		t.Errorf("secret file %v", m)
	}
	if len(build.Secretenv) != 1 || build.Secretenv[0].Name != "NPM_TOKEN" || build.Secretenv[0].ID != "npm_token" || build.Secretenv[0].Optional {
		t.Errorf("required secret as env: %v", build.Secretenv)
	}
	if _, offline := execWith(t, all, "make check"); offline.Network != pb.NetMode_NONE {
		t.Errorf("network %v", offline.Network)
	}
	// Step-level user and workdir do not leak into the next step.
	if _, next := execWith(t, all, "make check"); next.Meta.User == "1000:1000" || next.Meta.Cwd != "/work" {
		t.Errorf("next step runs as %q in %q", next.Meta.User, next.Meta.Cwd)
	}

	res, def := convert(t, p, options(func(o *llb.Options) {
		o.TargetPlatform = arm64
		o.BuildArgs = map[string]string{"VERSION": "1.0"}
	}))
	var mkdir *pb.FileActionMkDir
	var symlink *pb.FileActionSymlink
	var mkfile *pb.FileActionMkFile
	var copies []*pb.FileActionCopy
	for _, op := range ops(t, def) {
		for _, a := range op.GetFile().GetActions() {
			switch {
			case a.GetMkdir() != nil && a.GetMkdir().Path == "/app/data":
				mkdir = a.GetMkdir()
			case a.GetMkfile() != nil:
				mkfile = a.GetMkfile()
			case a.GetSymlink() != nil:
				symlink = a.GetSymlink()
			case a.GetCopy() != nil:
				copies = append(copies, a.GetCopy())
			}
		}
	}
	if mkdir == nil || mkdir.Path != "/app/data" || mkdir.Mode != 0o750 || !mkdir.MakeParents || mkdir.Owner.User.GetByID() != 65532 {
		t.Errorf("mkdir %v", mkdir)
	}
	if mkfile == nil || mkfile.Path != "/etc/app/server.conf" || !strings.Contains(string(mkfile.Data), "# $literal ${NOT_EXPANDED}") || mkfile.Mode != 0o644 || mkfile.Owner.User.GetByID() != 65532 {
		t.Errorf("generated file %v", mkfile)
	}
	if symlink == nil || symlink.Oldpath != "/app/data" || symlink.Newpath != "/app/current" {
		t.Errorf("symlink %v", symlink)
	}
	var dist *pb.FileActionCopy
	for _, c := range copies {
		if c.Dest == "/app" {
			dist = c
		}
	}
	if dist == nil || dist.Mode != 0o644 || !slices.Equal(dist.ExcludePatterns, []string{"*.map"}) || dist.Owner.User.GetByID() != 65532 {
		t.Errorf("copy with owner, mode and excludes: %v", dist)
	}
	cfg := res.Image.Config
	if !slices.Equal(cfg.Cmd, []string{"--version=1.0", "$$literal"}) || !slices.Contains(cfg.Env, "ARCH=arm64") || cfg.User != "65532:65532" {
		t.Errorf("image config %+v", cfg)
	}
	toolsRes, _ := convert(t, p, options(func(o *llb.Options) { o.Target = "tools" }))
	if toolsRes.Image.Config.WorkingDir != "/work" || toolsRes.Image.Config.Labels["org.opencontainers.image.title"] != "" {
		t.Errorf("the tools target has its own config: %+v", toolsRes.Image.Config)
	}
}

// A malformed plan is a clear error, never a panic.
func TestInvalidPlanIsAnError(t *testing.T) {
	p := loadPlan(t, "testdata/features.plan.json")
	p.Targets = nil
	_, err := llb.Convert(t.Context(), p, options())
	if err == nil || !strings.Contains(err.Error(), "no targets") {
		t.Errorf("err = %v", err)
	}
}

func byDest(ms []*pb.Mount) map[string]*pb.Mount {
	out := map[string]*pb.Mount{}
	for _, m := range ms {
		out[m.Dest] = m
	}
	return out
}
