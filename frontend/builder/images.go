package builder

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerui"
	"github.com/moby/buildkit/frontend/gateway/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/strata-build/strata/frontend/defaults"
)

// imageResolver loads base images, named contexts first so that
// --build-context golang:1.26=docker-image://mirror/golang:1.26 redirects
// any image Strata uses.
type imageResolver struct {
	bc *dockerui.Client
	c  client.Client
	// public names the image the provider picked for the organisation's
	// copy it was mapped to, so a named context for the public name
	// still redirects it (unless the policy locks images).
	public map[string]string

	mu    sync.Mutex
	cache map[string]*resolved
}

type resolved struct {
	once sync.Once
	st   bk.State
	img  *dockerspec.DockerOCIImage
	err  error
}

func newImageResolver(bc *dockerui.Client, c client.Client, org *defaults.Defaults) *imageResolver {
	r := &imageResolver{bc: bc, c: c, cache: map[string]*resolved{}, public: map[string]string{}}
	if org != nil && !org.Policy.LockImages.V {
		for from, to := range org.Images.V {
			r.public[to] = from
		}
	}
	return r
}

func (r *imageResolver) Resolve(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	key := ref + "@" + platforms.FormatAll(p)
	r.mu.Lock()
	e, ok := r.cache[key]
	if !ok {
		e = &resolved{}
		r.cache[key] = e
	}
	r.mu.Unlock()
	e.once.Do(func() { e.st, e.img, e.err = r.resolve(ctx, ref, p) })
	return e.st, e.img, e.err
}

func (r *imageResolver) resolve(ctx context.Context, ref string, p ocispecs.Platform) (bk.State, *dockerspec.DockerOCIImage, error) {
	mode := r.bc.ImageResolveMode.String()
	var nc *dockerui.NamedContext
	var err error
	if from, ok := r.public[ref]; ok {
		if nc, err = r.bc.NamedContext(from, dockerui.ContextOpt{Platform: &p, ResolveMode: mode}); err != nil {
			return bk.State{}, nil, err
		}
	}
	if nc == nil {
		if nc, err = r.bc.NamedContext(ref, dockerui.ContextOpt{Platform: &p, ResolveMode: mode}); err != nil {
			return bk.State{}, nil, err
		}
	}
	if nc != nil {
		st, img, err := nc.Load(ctx)
		if err != nil {
			return bk.State{}, nil, err
		}
		return *st, img, nil
	}
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return bk.State{}, nil, fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	named = reference.TagNameOnly(named)
	_, dgst, data, err := r.c.ResolveImageConfig(ctx, named.String(), sourceresolver.Opt{
		LogName:  "[internal] load metadata for " + named.String(),
		ImageOpt: &sourceresolver.ResolveImageOpt{Platform: &p, ResolveMode: mode},
	})
	if err != nil {
		return bk.State{}, nil, err
	}
	var img dockerspec.DockerOCIImage
	if err := json.Unmarshal(data, &img); err != nil {
		return bk.State{}, nil, fmt.Errorf("failed to parse the config of %s: %w", ref, err)
	}
	pinned := named.String()
	if dgst != "" {
		if d, err := reference.WithDigest(named, dgst); err == nil {
			pinned = d.String()
		}
	}
	st := bk.Image(pinned, bk.Platform(p), r.bc.ImageResolveMode, bk.WithCustomName("[base] "+ref))
	return st, &img, nil
}
