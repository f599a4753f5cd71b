package builder

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"github.com/containerd/platforms"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/attestations/sbom"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// Build args that widen or narrow what the SBOM scanner reads, named as
// the Dockerfile frontend names them.
const (
	argScanContext = "BUILDKIT_SBOM_SCAN_CONTEXT" // true: the build context too
	argScanStage   = "BUILDKIT_SBOM_SCAN_STAGE"   // false: the image only
)

// scanTargets are what one platform's SBOM scan reads: the image's state
// and the stages the plan marks (the dependencies as the builder
// installed them), collected while solving.
type scanTargets struct {
	mu sync.Mutex
	m  map[string]scanTarget // by export platform id
}

type scanTarget struct {
	core        bk.State
	extras      map[string]bk.State
	ignoreCache bool
}

func (s *scanTargets) store(p ocispecs.Platform, t scanTarget) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]scanTarget{}
	}
	s.m[platforms.FormatAll(platforms.Normalize(p))] = t
}

func (s *scanTargets) load(id string) (scanTarget, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.m[id]
	return t, ok
}

// scanOptions reads the scan args: the marked stages unless
// BUILDKIT_SBOM_SCAN_STAGE is false, the context when
// BUILDKIT_SBOM_SCAN_CONTEXT is true.
func scanOptions(args map[string]string) (stages, context bool, err error) {
	flag := func(name string, def bool) (bool, error) {
		v, ok := args[name]
		if !ok || v == "" {
			return def, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("--build-arg %s=%q: want true or false", name, v)
		}
		return b, nil
	}
	if stages, err = flag(argScanStage, true); err != nil {
		return false, false, err
	}
	context, err = flag(argScanContext, false)
	return stages, context, err
}

// newScanner resolves the SBOM generator image (--sbom generator=…), as
// the Dockerfile frontend does; nil when no SBOM was asked for.
func newScanner(ctx context.Context, bc *dockerui.Client, c client.Client) (sbom.Scanner, error) {
	if bc.SBOM == nil {
		return nil, nil
	}
	platform := platforms.DefaultSpec()
	if len(bc.BuildPlatforms) > 0 {
		platform = bc.BuildPlatforms[0]
	}
	return sbom.CreateSBOMScanner(ctx, c, bc.SBOM.Generator, platform, sourceresolver.Opt{
		ImageOpt: &sourceresolver.ResolveImageOpt{
			ResolveMode: bc.BuildOpts().Opts["image-resolve-mode"],
			Platform:    &platform,
		},
	}, bc.SBOM.Parameters)
}

// attachSBOMs runs the scanner for every platform's result and attaches
// its output as that platform's SBOM attestation.
func attachSBOMs(ctx context.Context, c client.Client, rb *dockerui.ResultBuilder, scanner sbom.Scanner, targets *scanTargets) error {
	return rb.EachPlatform(ctx, func(ctx context.Context, id string, _ ocispecs.Platform) error {
		t, ok := targets.load(id)
		if !ok {
			return fmt.Errorf("no SBOM scan targets for %s", id)
		}
		var opts []bk.ConstraintsOpt
		if t.ignoreCache {
			opts = append(opts, bk.IgnoreCache)
		}
		att, err := scanner(ctx, id, t.core, t.extras, opts...)
		if err != nil {
			return err
		}
		solved, err := result.ConvertAttestation(&att, func(st *bk.State) (client.Reference, error) {
			def, err := st.Marshal(ctx)
			if err != nil {
				return nil, err
			}
			r, err := c.Solve(ctx, client.SolveRequest{Definition: def.ToPB()})
			if err != nil {
				return nil, err
			}
			return r.Ref, nil
		})
		if err != nil {
			return err
		}
		rb.AddAttestation(id, *solved)
		return nil
	})
}
