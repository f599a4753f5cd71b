package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client/llb/sourceresolver"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/solver/result"
	digest "github.com/opencontainers/go-digest"
	fstypes "github.com/tonistiigi/fsutil/types"
)

// callTimes counts the frontend's calls to the daemon and the time it
// waited on each kind: what of its own time is round trips, not work.
type callTimes struct {
	mu     sync.Mutex
	n      map[string]int
	d      map[string]time.Duration
	t0     time.Time // the request's start, for the timeline
	events []string  // "+12ms stat 5ms", in the order calls ended
}

func (t *callTimes) add(kind string, start time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.n == nil {
		t.n, t.d = map[string]int{}, map[string]time.Duration{}
	}
	took := time.Since(start)
	t.n[kind]++
	t.d[kind] += took
	if !t.t0.IsZero() {
		t.events = append(t.events, fmt.Sprintf("+%.1fms %s %.1fms", float64(start.Sub(t.t0).Microseconds())/1000, kind, float64(took.Microseconds())/1000))
	}
}

// timeline is every call with its start and length: the critical path.
func (t *callTimes) timeline() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.events, ", ")
}

// total is the time spent waiting on calls of every kind (calls made at
// once each count in full).
func (t *callTimes) total() time.Duration {
	var sum time.Duration
	for _, d := range t.d {
		sum += d
	}
	return sum
}

// String lists the kinds by time spent: "4 solve 21ms, 6 read 3ms".
func (t *callTimes) String() string {
	kinds := make([]string, 0, len(t.n))
	for k := range t.n {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return t.d[kinds[i]] > t.d[kinds[j]] })
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%d %s %dms", t.n[k], k, t.d[k].Milliseconds()))
	}
	return strings.Join(parts, ", ")
}

// timedClient is the gateway client with each call to the daemon timed;
// the references it hands out time their reads.
type timedClient struct {
	gateway.Client
	t *callTimes
}

func (c timedClient) Solve(ctx context.Context, req gateway.SolveRequest) (*gateway.Result, error) {
	start := time.Now()
	res, err := c.Client.Solve(ctx, req)
	c.t.add("solve", start)
	if err != nil || res == nil {
		return res, err
	}
	return result.ConvertResult(res, func(r gateway.Reference) (gateway.Reference, error) {
		if r == nil {
			return nil, nil
		}
		return timedRef{r, c.t}, nil
	})
}

func (c timedClient) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	defer c.t.add("image config", time.Now())
	return c.Client.ResolveImageConfig(ctx, ref, opt)
}

func (c timedClient) ResolveSourceMetadata(ctx context.Context, op *pb.SourceOp, opt sourceresolver.Opt) (*sourceresolver.MetaResponse, error) {
	defer c.t.add("source metadata", time.Now())
	return c.Client.ResolveSourceMetadata(ctx, op, opt)
}

type timedRef struct {
	gateway.Reference
	t *callTimes
}

func (r timedRef) ReadFile(ctx context.Context, req gateway.ReadRequest) ([]byte, error) {
	defer r.t.add("read", time.Now())
	return r.Reference.ReadFile(ctx, req)
}

func (r timedRef) StatFile(ctx context.Context, req gateway.StatRequest) (*fstypes.Stat, error) {
	defer r.t.add("stat", time.Now())
	return r.Reference.StatFile(ctx, req)
}

func (r timedRef) ReadDir(ctx context.Context, req gateway.ReadDirRequest) ([]*fstypes.Stat, error) {
	defer r.t.add("readdir", time.Now())
	return r.Reference.ReadDir(ctx, req)
}

func (r timedRef) Evaluate(ctx context.Context) error {
	defer r.t.add("evaluate", time.Now())
	return r.Reference.Evaluate(ctx)
}

// untimed gives the gateway its own references back in a result.
func untimed(res *gateway.Result) (*gateway.Result, error) {
	if res == nil {
		return nil, nil
	}
	return result.ConvertResult(res, func(r gateway.Reference) (gateway.Reference, error) {
		if tr, ok := r.(timedRef); ok {
			return tr.Reference, nil
		}
		return r, nil
	})
}
