//go:build integration

package integration

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The converter built for arm64, run under emulation (qemu-user-static,
// which hack/install.sh installs), gives byte for byte the LLB the amd64
// build gives, for every example, both target platforms and daemons of
// either architecture: the same description and context give the same
// definition whatever machine the frontend runs on.
func TestArm64FrontendGivesTheSameLLB(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	qemu, err := exec.LookPath("qemu-aarch64-static")
	if err != nil {
		t.Fatal("qemu-aarch64-static is missing: hack/install.sh installs it (apt package qemu-user-static)")
	}
	bin := t.TempDir()
	for _, arch := range []string{"amd64", "arm64"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(bin, "strata-"+arch), "./cmd/strata")
		cmd.Dir = b.root
		cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+arch, "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("building strata for %s: %v\n%s", arch, err, out)
		}
	}
	llb := func(t *testing.T, name string, args ...string) []byte {
		t.Helper()
		argv := append([]string{filepath.Join(bin, name), "llb"}, args...)
		if name == "strata-arm64" {
			argv = append([]string{qemu}, argv...)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s llb %v: %v\n%s", name, args, err, stderr.String())
		}
		return out
	}
	// The emulated binary must really be arm64: it says so of itself.
	if got := llb(t, "strata-arm64", filepath.Join(b.root, "examples", "go-service")); bytes.Equal(got, llb(t, "strata-amd64", filepath.Join(b.root, "examples", "go-service"))) {
		t.Fatal("without --build-platform the two builds gave the same LLB: is the second one arm64?")
	}

	dirs, err := filepath.Glob(filepath.Join(b.root, "examples", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			for _, daemon := range []string{"linux/amd64", "linux/arm64"} {
				for _, target := range []string{"linux/amd64", "linux/arm64"} {
					args := []string{"--build-platform", daemon, "--platform", target, dir}
					amd, arm := llb(t, "strata-amd64", args...), llb(t, "strata-arm64", args...)
					if len(amd) == 0 || !bytes.Equal(amd, arm) {
						t.Errorf("daemon %s, target %s: amd64 gave %d bytes, arm64 %d, not the same", daemon, target, len(amd), len(arm))
					}
				}
			}
		})
	}
}
