package main

import (
	"context"
	"maps"
	"runtime"
	"time"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/strata-build/strata/frontend/builder"
)

// frontendOwn runs Strata's frontend in this process on the same request
// the image received, and returns its own time (request received to result
// returned: the description and detection files read, image configs
// resolved, the LLB made and handed back) and the bytes it allocated. The
// build graph it returns is already cached by the timed build. The image
// runs the same code behind a container start and its stdio, which the
// frontend phase of the timed build includes.
func frontendOwn(ctx context.Context, c *client.Client, o solveOpt) (time.Duration, int64, *callTimes, error) {
	ctxFS, err := fsutil.NewFS(o.context)
	if err != nil {
		return 0, 0, nil, err
	}
	dfFS, err := fsutil.NewFS(o.dockerfile)
	if err != nil {
		return 0, 0, nil, err
	}
	var took time.Duration
	var alloc uint64
	calls := &callTimes{}
	ch := make(chan *client.SolveStatus)
	go func() {
		for range ch {
		}
	}()
	_, err = c.Build(ctx, client.SolveOpt{
		FrontendAttrs: maps.Clone(o.attrs),
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
	}, "strata-bench", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res, err := builder.Build(ctx, timedClient{gc, calls})
		took = time.Since(start)
		runtime.ReadMemStats(&after)
		alloc = after.TotalAlloc - before.TotalAlloc
		if err != nil {
			return nil, err
		}
		return untimed(res)
	}, ch)
	return took, int64(alloc), calls, err
}
