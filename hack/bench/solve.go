package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
	"github.com/tonistiigi/fsutil"
)

// solveOpt is one build through the dockerfile.v0 frontend: it follows a
// `# syntax=` line to the Strata image, or builds a plain Dockerfile itself.
type solveOpt struct {
	context    string // build context dir
	dockerfile string // dir holding the Dockerfile
	attrs      map[string]string
	exports    []client.ExportEntry
	cacheTo    []client.CacheOptionsEntry
	cacheFrom  []client.CacheOptionsEntry
}

// vertex is what the status stream said about one vertex.
type vertex struct {
	name             string
	source           bool // no inputs: an image, the local context
	started          *time.Time
	completed        bool
	took             time.Duration // the first completion's, for -v
	ran              bool          // one uncached completion: it ran (it is reported cached again on export)
	errorText        string
	transferredBytes map[string]int64 // per status id, the highest count seen
}

// solve runs one build and returns its figures; verbose prints every vertex.
func solve(ctx context.Context, c *client.Client, o solveOpt, verbose io.Writer) (measure, map[string]string, error) {
	ctxFS, err := fsutil.NewFS(o.context)
	if err != nil {
		return measure{}, nil, err
	}
	dfFS, err := fsutil.NewFS(o.dockerfile)
	if err != nil {
		return measure{}, nil, err
	}
	ch := make(chan *client.SolveStatus)
	vertices := map[digest.Digest]*vertex{}
	var order []digest.Digest
	logs := map[digest.Digest]*strings.Builder{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for st := range ch {
			for _, v := range st.Vertexes {
				x := vertices[v.Digest]
				if x == nil {
					x = &vertex{transferredBytes: map[string]int64{}}
					vertices[v.Digest] = x
					order = append(order, v.Digest)
				}
				x.name = v.Name
				x.source = len(v.Inputs) == 0
				if v.Started != nil && (x.started == nil || v.Started.Before(*x.started)) {
					t := *v.Started
					x.started = &t
				}
				if v.Completed != nil {
					if !x.completed && v.Started != nil {
						x.took = v.Completed.Sub(*v.Started)
					}
					x.completed = true
					x.ran = x.ran || !v.Cached
				}
				if v.Error != "" {
					x.errorText = v.Error
				}
			}
			for _, s := range st.Statuses {
				if x := vertices[s.Vertex]; x != nil && strings.HasPrefix(s.ID, "transferring") {
					x.transferredBytes[s.ID] = max(x.transferredBytes[s.ID], s.Current)
				}
			}
			for _, l := range st.Logs {
				if logs[l.Vertex] == nil {
					logs[l.Vertex] = &strings.Builder{}
				}
				logs[l.Vertex].Write(l.Data)
			}
		}
	}()
	attrs := map[string]string{} // BuildKit adds to this map
	for k, v := range o.attrs {
		attrs[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	start := time.Now()
	resp, err := c.Solve(ctx, nil, client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: attrs,
		LocalMounts:   map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS},
		Exports:       o.exports,
		CacheExports:  o.cacheTo,
		CacheImports:  o.cacheFrom,
	}, ch)
	wall := time.Since(start)
	wg.Wait()
	if err != nil {
		var failed strings.Builder
		for _, d := range order {
			if x := vertices[d]; x.errorText != "" {
				fmt.Fprintf(&failed, "\n%s: %s\n", x.name, x.errorText)
				if l := logs[d]; l != nil {
					failed.WriteString(tail(l.String(), 3000))
				}
			}
		}
		return measure{}, nil, fmt.Errorf("%w%s", err, failed.String())
	}
	m := measure{Wall: wall}
	var firstGraph *time.Time
	for _, d := range order {
		x := vertices[d]
		for _, n := range x.transferredBytes {
			m.SentBytes += n
		}
		own := frontendsOwn(x.name)
		step := !own && !x.source
		if verbose != nil {
			fmt.Fprintf(verbose, "    %s +%5.2fs ran=%-5v own=%-5v step=%-5v %s\n", when(x.started, start), x.took.Seconds(), x.ran, own, step, x.name)
		}
		if own {
			continue
		}
		if x.started != nil && (firstGraph == nil || x.started.Before(*firstGraph)) {
			firstGraph = x.started
		}
		if !step || !x.completed {
			continue
		}
		if x.ran {
			m.StepsRun++
		} else {
			m.StepsCached++
		}
	}
	if firstGraph != nil {
		m.Frontend = firstGraph.Sub(start)
	}
	var exp map[string]string
	if resp != nil {
		exp = resp.ExporterResponse
	}
	return m, exp, nil
}

// frontendsOwn tells the frontends' own work — reading the Dockerfile and
// the files detection looks at, resolving image configs, pulling the
// frontend image — from the vertices of the build graph they return.
// Steps are the graph's vertices that have inputs: sources (base images,
// the context) are pulled or read, not built, and BuildKit reports them
// as run on every build.
func frontendsOwn(name string) bool {
	for _, p := range []string{"[internal] load build definition", "[internal] load .dockerignore", "[internal] load files for detection", "resolve image config", "[auth]"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return strings.Contains(name, "load metadata for") || strings.Contains(name, "/strata:")
}

func when(t *time.Time, start time.Time) string {
	if t == nil {
		return "   -   "
	}
	return fmt.Sprintf("%6.2fs", t.Sub(start).Seconds())
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// sortedKeys is for stable output of maps.
func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
