package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// bigDirs is what the big-context scenarios put beside the app: a .git
// and a node_modules of bigFiles files of bigFileBytes each (1 GiB in
// all), as a checkout with history and a host install leave them. The
// .git is a repository with one commit (a Dockerfile that copies it and
// runs go build has Go stamp the binary from it), its bulk in files git
// does not read.
var bigDirs = []string{".git/objects/pack", "node_modules/.cache/blobs"}

const (
	bigFiles     = 256
	bigFileBytes = 4 << 20
)

// bigSource writes the big directories once per benchmark run, under the
// run's scratch; each subject's context gets them as hard links, so a
// scenario costs no gigabyte of writes (and the client still sends every
// byte: fsutil reads the files).
func bigSource(e env) (string, error) {
	src := filepath.Join(e.scratch, "big-context")
	if _, err := os.Stat(src); err == nil {
		return src, nil
	}
	tmp := src + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	for _, args := range [][]string{{"init", "-q"}, {"-c", "user.name=bench", "-c", "user.email=bench@strata.invalid", "commit", "-q", "--allow-empty", "-m", "bench"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("git %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	buf := make([]byte, bigFileBytes)
	for i := 0; i < bigFiles; i++ {
		dir := filepath.Join(tmp, bigDirs[i%len(bigDirs)])
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		// random bytes: a pack or a cache does not compress
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("blob-%03d", i)), buf, 0o644); err != nil {
			return "", err
		}
	}
	return src, os.Rename(tmp, src)
}

// addBigDirs links the big directories into the build context.
func addBigDirs(e env, dir string) error {
	src, err := bigSource(e)
	if err != nil {
		return err
	}
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dir, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		return os.Link(p, target)
	})
}

// ignoreBigDirs writes the .dockerignore most such repositories have.
func ignoreBigDirs(dir string) error {
	f, err := os.OpenFile(filepath.Join(dir, ".dockerignore"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(".git\nnode_modules\n")
	return err
}
