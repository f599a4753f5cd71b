package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/llb"
)

// contexts hands out the build context narrowed per step, with
// .dockerignore always applied.
type contexts struct {
	bc     *dockerui.Client
	ignore []string
	ctx    context.Context
}

func newContexts(ctx context.Context, bc *dockerui.Client) (*contexts, error) {
	ignore, err := bc.DockerIgnorePatterns(ctx)
	if err != nil {
		return nil, err
	}
	return &contexts{bc: bc, ignore: ignore, ctx: ctx}, nil
}

func (c *contexts) state(f llb.ContextPaths) (bk.State, error) {
	opts := []bk.LocalOption{
		// Only the .dockerignore patterns that can touch the paths: a step
		// narrowed to go.mod and go.sum is then one step for every
		// description of the module, whatever else each leaves out.
		bk.ExcludePatterns(append(append([]string{}, source.Excludes(c.ignore, f.Include)...), f.Exclude...)),
		// One shared key per filter, so each keeps its own incremental copy.
		bk.SharedKeyHint("strata-context-" + filterKey(f)),
	}
	if len(f.Include) > 0 {
		opts = append(opts, bk.IncludePatterns(f.Include))
	}
	name := "load build context"
	if len(f.Include) > 0 {
		name += " " + strings.Join(f.Include, " ")
	}
	opts = append(opts, dockerui.WithInternalName(name))
	st, err := c.bc.MainContext(c.ctx, opts...)
	if err != nil {
		return bk.State{}, err
	}
	return *st, nil
}

func filterKey(f llb.ContextPaths) string {
	h := sha256.Sum256([]byte(strings.Join(f.Include, "\x00") + "\x01" + strings.Join(f.Exclude, "\x00")))
	return hex.EncodeToString(h[:6])
}
