package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/tonistiigi/fsutil"

	"github.com/strata-build/strata/frontend/builder"
)

// ownChildEnv makes the benchmark's binary the child that runs Strata's
// frontend once (runOwnChild) instead of the benchmark.
const ownChildEnv = "STRATA_BENCH_OWN_CHILD"

// ownRequest is what the child is asked: one request, as the image got it.
type ownRequest struct {
	Addr       string            `json:"addr"`
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile"`
	Attrs      map[string]string `json:"attrs"`
}

// ownFigures are the frontend's own figures for one request.
type ownFigures struct {
	Took    time.Duration `json:"took"`
	Alloc   int64         `json:"alloc"`   // bytes allocated while it ran
	PeakRSS int64         `json:"peakRSS"` // the child's peak resident set, bytes
	Wait    time.Duration `json:"wait"`    // of Took, waiting on calls to the daemon
	Calls   string        `json:"calls"`
	// Timeline is every call to the daemon with its start and length.
	Timeline string `json:"timeline"`
}

// frontendOwn runs Strata's frontend in a child process on the same
// request the image received, and returns its own time (request received
// to result returned: the description and detection files read, image
// configs resolved, the LLB made and handed back), the bytes it allocated
// and the child's peak resident set, which also holds the client's side
// of the session (the file transfer): an upper bound of the image's. The
// build graph it returns is already cached by the timed build. The image
// runs the same code behind a container start and its stdio, which the
// frontend phase of the timed build includes.
func frontendOwn(ctx context.Context, d *daemon, o solveOpt) (ownFigures, error) {
	self, err := os.Executable()
	if err != nil {
		return ownFigures{}, err
	}
	req, err := json.Marshal(ownRequest{Addr: d.addr, Context: o.context, Dockerfile: o.dockerfile, Attrs: o.attrs})
	if err != nil {
		return ownFigures{}, err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, self)
	cmd.Env = append(os.Environ(), ownChildEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(req), &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return ownFigures{}, fmt.Errorf("the frontend in a child process: %w: %s", err, stderr.Bytes())
	}
	var f ownFigures
	if err := json.Unmarshal(stdout.Bytes(), &f); err != nil {
		return ownFigures{}, fmt.Errorf("the frontend in a child process said %q: %w", stdout.Bytes(), err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		f.PeakRSS = ru.Maxrss << 10 // Linux gives KiB
	}
	return f, nil
}

// runOwnChild is the child's side of frontendOwn: the request from stdin,
// the figures as JSON on stdout.
func runOwnChild() error {
	var req ownRequest
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return err
	}
	ctx := context.Background()
	c, err := client.New(ctx, req.Addr)
	if err != nil {
		return err
	}
	defer c.Close()
	ctxFS, err := fsutil.NewFS(req.Context)
	if err != nil {
		return err
	}
	dfFS, err := fsutil.NewFS(req.Dockerfile)
	if err != nil {
		return err
	}
	var f ownFigures
	calls := &callTimes{}
	ch := make(chan *client.SolveStatus)
	go func() {
		for range ch {
		}
	}()
	_, err = c.Build(ctx, client.SolveOpt{
		FrontendAttrs: maps.Clone(req.Attrs),
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
	}, "strata-bench", func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		// Through `# syntax=`, BuildKit's Dockerfile frontend has loaded
		// the Dockerfile before the image starts, in the same build step
		// Strata's own load then finds done: load it here first too,
		// untimed, so the figure is of the request the image receives.
		pre, err := dockerui.NewClient(gc)
		if err != nil {
			return nil, err
		}
		if _, err := pre.ReadEntrypoint(ctx, "Dockerfile"); err != nil {
			return nil, err
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		calls.t0 = start
		res, err := builder.Build(ctx, timedClient{gc, calls})
		f.Took = time.Since(start)
		runtime.ReadMemStats(&after)
		f.Alloc = int64(after.TotalAlloc - before.TotalAlloc)
		if err != nil {
			return nil, err
		}
		return untimed(res)
	}, ch)
	if err != nil {
		return err
	}
	f.Wait, f.Calls, f.Timeline = calls.total(), calls.String(), calls.timeline()
	return json.NewEncoder(os.Stdout).Encode(f)
}
