package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	"github.com/moby/patternmatcher/ignorefile"
	digest "github.com/opencontainers/go-digest"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/llb"
)

// llbCmd prints the LLB the frontend would solve, with no daemon: base
// images stay unresolved references (no config, no digest pin) and the
// build context is the local source "context", narrowed per step and by
// DIR's .dockerignore.
func llbCmd(args []string, out io.Writer) error {
	fl, file := planFlags("llb")
	platform := fl.String("platform", "", "target platform OS/ARCH (default: the build platform, linux on this machine's architecture)")
	target := fl.String("target", "", "target to build (default: the plan's default target)")
	buildPlatform := fl.String("build-platform", "", "the daemon's platform OS/ARCH, where builder stages run (default: linux on this machine's architecture)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	p, dir, err := planArg(fl, *file)
	if err != nil {
		return err
	}
	org, err := orgDefaults(fl)
	if err != nil {
		return err
	}
	build := platforms.DefaultSpec()
	build.OS = "linux"
	if *buildPlatform != "" {
		if build, err = platforms.Parse(*buildPlatform); err != nil {
			return err
		}
		build = platforms.Normalize(build)
	}
	tp := build
	if *platform != "" {
		if tp, err = platforms.Parse(*platform); err != nil {
			return err
		}
	}
	ignore, err := dockerignore(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	res, err := llb.Convert(ctx, p, llb.Options{
		Target:         *target,
		BuildPlatform:  build,
		TargetPlatform: platforms.Normalize(tp),
		Images:         unresolved{},
		CacheNS:        org.CacheNS(""),
		Context: func(f llb.ContextPaths) (bk.State, error) {
			opts := []bk.LocalOption{bk.ExcludePatterns(append(append([]string{}, source.Excludes(ignore, f.Include)...), f.Exclude...))}
			if len(f.Include) > 0 {
				opts = append(opts, bk.IncludePatterns(f.Include))
			}
			return bk.Local("context", opts...), nil
		},
	})
	if err != nil {
		return err
	}
	// A fixed id for the local source keeps the output the same run to run.
	def, err := res.State.Marshal(ctx, bk.Platform(tp), bk.LocalUniqueID("strata-llb"))
	if err != nil {
		return err
	}
	return dump(out, def)
}

// unresolved gives every base image as its reference alone.
type unresolved struct{}

func (unresolved) Resolve(_ context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	return bk.Image(ref, bk.Platform(p)), nil, nil
}

func dockerignore(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	return ignorefile.ReadAll(f)
}

// dump writes one JSON object per op, as `buildctl debug dump-llb` does.
func dump(out io.Writer, def *bk.Definition) error {
	enc := json.NewEncoder(out)
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			return err
		}
		d := digest.FromBytes(dt)
		err := enc.Encode(struct {
			Op         *pb.Op
			Digest     digest.Digest
			OpMetadata *pb.OpMetadata
		}{&op, d, def.Metadata[d].ToPB()})
		if err != nil {
			return err
		}
	}
	return nil
}
