package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// koVersion is the ko release built from the Go module proxy.
const koVersion = "v0.19.1"

// installKo builds ko once into the cache dir; the error says why ko cannot
// take part when it cannot be built here.
func installKo(ctx context.Context, e env) (string, error) {
	bin := filepath.Join(e.cache, "bench", "ko-"+koVersion)
	ko := filepath.Join(bin, "ko")
	if _, err := os.Stat(ko); err == nil {
		return ko, nil
	}
	cmd := exec.CommandContext(ctx, "go", "install", "github.com/google/ko@"+koVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+bin)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install github.com/google/ko@%s: %w\n%s", koVersion, err, tail(string(out), 2000))
	}
	return ko, nil
}

// koSubject builds the Go app with ko: `go build` on the host with Go caches
// of its own (empty for the cold scenario), the binary appended as one layer
// to the base image and pushed to the local registry.
type koSubject struct {
	bin   string
	cache string
	repo  string
	last  string // the image ko pushed last, by digest
}

func (s *koSubject) info() subjectInfo {
	return subjectInfo{ID: "ko", Title: "ko", Note: "ko " + koVersion + ": host `go build` + push; no migrations/ (ko ships only kodata/), no image env"}
}

func (s *koSubject) begin(ctx context.Context, rs *runState) error {
	s.cache = filepath.Join(rs.scratch, "gocache")
	s.repo = rs.env.registry + "/bench/" + rs.app.name + "-ko"
	cfg := rs.app.koConfig
	return os.WriteFile(filepath.Join(rs.dir, ".ko.yaml"), []byte(cfg), 0o644)
}

func (s *koSubject) build(ctx context.Context, rs *runState) (measure, error) {
	if rs.currentScenario == "arg-run" {
		return measure{}, errNA{"ko sets no image environment from build input"}
	}
	platforms := "linux/amd64"
	if rs.platforms != "" {
		platforms = rs.platforms
	}
	cmd := exec.CommandContext(ctx, s.bin, "build", "--bare", "--insecure-registry", "--platform="+platforms,
		"--sbom=none", "--image-user=65532:65532", rs.app.koMain)
	cmd.Dir = rs.dir
	cmd.Env = append(os.Environ(), rs.app.hostEnv(s.cache)...)
	cmd.Env = append(cmd.Env, "KO_DOCKER_REPO="+s.repo, "KO_DEFAULTBASEIMAGE="+rs.app.benchBase(rs.env))
	for k, v := range rs.app.defaultArgs {
		if rs.args[k] != "" {
			v = rs.args[k]
		}
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return measure{}, fmt.Errorf("ko build: %w\n%s", err, tail(stderr.String(), 3000))
	}
	sc := bufio.NewScanner(&stdout)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); strings.Contains(l, "@sha256:") {
			s.last = l
		}
	}
	if rs.verbose {
		fmt.Fprintf(os.Stderr, "    ko pushed %s\n%s", s.last, stderr.String())
	}
	return noFigures(wall), nil
}

func (s *koSubject) fromCache(context.Context, *runState) (measure, error) {
	return measure{}, errNA{"ko has no build cache to export: it uses the host's Go caches"}
}

// pushed is the image ko's last build pushed: ko builds by pushing.
func (s *koSubject) pushed(ctx context.Context, rs *runState) (string, string, error) {
	_, dgst, ok := strings.Cut(s.last, "@")
	if !ok {
		return "", "", fmt.Errorf("ko printed no image digest")
	}
	return strings.TrimPrefix(s.repo, rs.env.registry+"/"), dgst, nil
}

func (s *koSubject) end() {}
