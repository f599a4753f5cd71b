package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client"
)

// dockerfileFrontend builds BuildKit's Dockerfile frontend (the program
// docker/dockerfile images ship) at the BuildKit version this module pins,
// from the Go module proxy, and pushes it as an image to the local
// registry: what an expert Dockerfile's `# syntax=docker/dockerfile:1`
// pulls, so the expert pays a frontend image's start as Strata does. It
// returns the image reference.
func dockerfileFrontend(ctx context.Context, e env) (string, error) {
	ver, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/moby/buildkit").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m github.com/moby/buildkit: %w%s", err, stderrOf(err))
	}
	v := strings.TrimSpace(string(ver))
	dir := filepath.Join(e.cache, "bench", "dockerfile-frontend-"+v)
	bin := filepath.Join(dir, "dockerfile-frontend")
	if _, err := os.Stat(bin); err != nil {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		// a module of its own: ours does not require everything the
		// frontend's command imports
		steps := [][]string{
			{"go", "mod", "init", "strata.invalid/bench-dockerfile-frontend"},
			{"go", "get", "github.com/moby/buildkit@" + v},
			{"go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/moby/buildkit/frontend/dockerfile/cmd/dockerfile-frontend"},
		}
		os.Remove(filepath.Join(dir, "go.mod"))
		for _, s := range steps {
			cmd := exec.CommandContext(ctx, s[0], s[1:]...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
			if out, err := cmd.CombinedOutput(); err != nil {
				return "", fmt.Errorf("%s: %w\n%s", strings.Join(s, " "), err, tail(string(out), 2000))
			}
		}
	}
	ref := e.registry + "/bench/dockerfile:" + v
	// the labels of BuildKit's own image of this frontend
	df := `FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts"
ENTRYPOINT ["/bin/dockerfile-frontend"]
`
	dfDir, err := os.MkdirTemp(e.scratch, "dockerfile-frontend-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dfDir)
	if err := os.WriteFile(filepath.Join(dfDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		return "", err
	}
	c, err := client.New(ctx, e.bedAddr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_, _, err = solve(ctx, c, solveOpt{
		context: dir, dockerfile: dfDir,
		attrs: map[string]string{"cmdline": "strata-bench"},
		exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
			"name": ref, "push": "true", "registry.insecure": "true",
		}}},
	}, nil)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return ref, nil
}

// syntaxDockerfile is one of the benchmark's Dockerfiles under a syntax
// line naming the Dockerfile frontend image.
func syntaxDockerfile(name, image string) func(*runState, string) error {
	return func(rs *runState, dir string) error {
		dt, err := os.ReadFile(filepath.Join(rs.env.root, "hack", "bench", "testdata", rs.app.name, name))
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "Dockerfile"), append([]byte("# syntax="+image+"\n"), dt...), 0o644)
	}
}
