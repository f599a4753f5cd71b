package buildrun

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

const desc = "# syntax=localhost:5000/strata:dev\napp: go\ngo:\n  mian: ./cmd/api\nrun:\n  prot: 80\n"

func at(line int) *pb.Range {
	p := &pb.Position{Line: int32(line), Character: 3}
	return &pb.Range{Start: p, End: p}
}

func testConfig(t *testing.T) Config {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n\nrequire example.com/y v1.0.0\n"), 0o644)
	return Config{Dir: dir, File: filepath.Join(dir, "Dockerfile")}
}

// Each place is printed as `file:line:col: message` with its lines, read
// from the local file (the daemon's copy is not needed).
func TestErrorSourcesPrintEachPlaceWithItsLine(t *testing.T) {
	cfg := testConfig(t)
	base := errors.New("failed to solve: Dockerfile:4:3: go.mian: unknown key (did you mean `main`?)\nDockerfile:6:3: run.prot: unknown key (did you mean `port`?)")
	err := errdefs.WithSource(base, &errdefs.Source{Info: &pb.SourceInfo{Filename: "Dockerfile"}, Ranges: []*pb.Range{at(4), at(6)}})
	err = fmt.Errorf("wrapped: %w", err)
	var out bytes.Buffer
	printErrorSources(&out, err, cfg.localFiles())
	want := "Dockerfile:4:3: go.mian: unknown key (did you mean `main`?)\n" +
		"--------------------\n" +
		"   2 |     app: go\n" +
		"   3 |     go:\n" +
		"   4 | >>>   mian: ./cmd/api\n" +
		"   5 |     run:\n" +
		"   6 |       prot: 80\n" +
		"--------------------\n" +
		"Dockerfile:6:3: run.prot: unknown key (did you mean `port`?)\n" +
		"--------------------\n" +
		"   4 |       mian: ./cmd/api\n" +
		"   5 |     run:\n" +
		"   6 | >>>   prot: 80\n" +
		"--------------------\n"
	if out.String() != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out.String(), want)
	}
}

// A message that names no place gets the place of its range; without a
// local file the daemon's copy gives the line.
func TestErrorSourcesFallBackToTheDaemonsCopy(t *testing.T) {
	cfg := testConfig(t)
	base := errors.New("failed to solve: run.base: image r/none:1 cannot be resolved")
	err := errdefs.WithSource(base, &errdefs.Source{Info: &pb.SourceInfo{Filename: "other.yaml", Data: []byte("a: 1\nrun:\n  base: r/none:1\n")}, Ranges: []*pb.Range{at(3)}})
	var out bytes.Buffer
	printErrorSources(&out, err, cfg.localFiles())
	for _, want := range []string{"other.yaml:3: run.base: image r/none:1 cannot be resolved\n", "   3 | >>>   base: r/none:1\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed:\n%s\nlacks %q", out.String(), want)
		}
	}
	out.Reset()
	printErrorSources(&out, errors.New("no place"), cfg.localFiles())
	if out.Len() != 0 {
		t.Errorf("an error with no source printed %q", out.String())
	}
}

func TestWarningsPrintWithTheirLines(t *testing.T) {
	cfg := testConfig(t)
	var out bytes.Buffer
	printWarnings(&out, []client.VertexWarning{
		{Short: []byte("UnusedArg: arg X is not used (line 6)"), Detail: [][]byte{[]byte("An arg nothing uses")}, URL: "https://example.com/unused-arg",
			SourceInfo: &pb.SourceInfo{Filename: "Dockerfile"}, Range: []*pb.Range{at(6)}},
		{Short: []byte("GoSumMissing: go.sum is missing (go.mod line 5)"), SourceInfo: &pb.SourceInfo{Filename: "go.mod"}, Range: []*pb.Range{at(5)}},
		{Short: []byte("build arg Y is not used by Dockerfile")},
	}, cfg.localFiles())
	for _, want := range []string{
		"3 warnings found:\n",
		"\nWARNING: UnusedArg: arg X is not used (line 6)\nAn arg nothing uses\nhttps://example.com/unused-arg\nDockerfile:6\n--------------------\n   4 |       mian: ./cmd/api\n   5 |     run:\n   6 | >>>   prot: 80\n--------------------\n",
		"go.mod:5\n--------------------\n   3 |     go 1.26\n   4 |     \n   5 | >>> require example.com/y v1.0.0\n--------------------\n",
		"\nWARNING: build arg Y is not used by Dockerfile\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed:\n%s\nlacks %q", out.String(), want)
		}
	}
}

// A check's findings print as buildx prints them and make the command
// fail; none is a success.
func TestCheckAnswer(t *testing.T) {
	cfg := testConfig(t)
	res := &lint.LintResults{}
	res.Sources = []*pb.SourceInfo{{Filename: "Dockerfile", Data: []byte(desc)}}
	p := parser.Position{Line: 6, Character: 3}
	res.AddWarning("UnusedArg", "An arg nothing uses", "https://example.com/unused-arg", "arg X is not used", 0, []parser.Range{{Start: p, End: p}})
	dt, _ := json.Marshal(res)
	var out bytes.Buffer
	err := printAnswer(&out, "check", map[string][]byte{"result.json": dt, "result.statuscode": []byte("1")}, cfg.localFiles())
	if err == nil || !strings.Contains(err.Error(), "1 finding") {
		t.Errorf("err = %v", err)
	}
	for _, want := range []string{"Check complete, 1 warning has been found!", "WARNING: UnusedArg - https://example.com/unused-arg", "arg X is not used", ">>>   prot: 80"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("printed:\n%s\nlacks %q", out.String(), want)
		}
	}
	dt, _ = json.Marshal(&lint.LintResults{})
	out.Reset()
	if err := printAnswer(&out, "check", map[string][]byte{"result.json": dt, "result.statuscode": []byte("0")}, cfg.localFiles()); err != nil || out.String() != "Check complete, no warnings found.\n" {
		t.Errorf("clean check: %v %q", err, out.String())
	}
}
