package buildrun

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"

	"github.com/moby/buildkit/client"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/pb"
	"github.com/moby/buildkit/util/grpcerrors"
	"github.com/moby/buildkit/util/progress/progressui"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc/codes"

	"github.com/strata-build/strata/frontend/builder"
)

// DefaultAddr is the BuildKit daemon a build goes to: $BUILDKIT_HOST,
// else the local test bed's socket when it exists (hack/up.sh starts it
// at ${XDG_CACHE_HOME:-~/.cache}/strata/run/buildkitd.sock), else
// buildkitd's own default socket.
func DefaultAddr() string {
	if v := os.Getenv("BUILDKIT_HOST"); v != "" {
		return v
	}
	if dir, err := os.UserCacheDir(); err == nil {
		sock := filepath.Join(dir, "strata", "run", "buildkitd.sock")
		if fi, err := os.Stat(sock); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return "unix://" + sock
		}
	}
	return "unix:///run/buildkit/buildkitd.sock"
}

// Run builds: progress and warnings on stderr, a --call's answer on
// stdout. A located error is printed at its lines before it is returned.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) error {
	so, err := cfg.SolveOpt()
	if err != nil {
		return err
	}
	addr := cfg.Addr
	if addr == "" {
		addr = DefaultAddr()
	}
	var opts []client.ClientOpt
	if cfg.TLSDir != "" {
		opts = append(opts,
			client.WithServerConfig("", filepath.Join(cfg.TLSDir, "ca.pem")),
			client.WithCredentials(filepath.Join(cfg.TLSDir, "cert.pem"), filepath.Join(cfg.TLSDir, "key.pem")))
	}
	c, err := client.New(ctx, addr, opts...)
	if err != nil {
		return fmt.Errorf("BuildKit at %s: %w", addr, err)
	}
	defer c.Close()

	mode := cfg.Progress
	if mode == "" {
		mode = os.Getenv("BUILDKIT_PROGRESS")
	}
	if cfg.Call != "" && mode == "" {
		mode = string(progressui.QuietMode) // a call answers; its steps are a detail
	}
	disp, err := progressui.NewDisplay(stderr, progressui.DisplayMode(mode), progressui.WithDesc("", addr))
	if err != nil {
		return fmt.Errorf("--progress %s: %v (auto, plain, tty, rawjson or quiet)", mode, err)
	}

	var answer map[string][]byte // a call's result
	build := func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		var res *gateway.Result
		var err error
		if cfg.InProcess {
			res, err = builder.WithDefaults(cfg.Defaults, nil)(ctx, gc)
		} else {
			// the frontend's options are ours plus what the client added (cache imports)
			res, err = gc.Solve(ctx, gateway.SolveRequest{Frontend: so.Frontend, FrontendOpt: maps.Clone(gc.BuildOpts().Opts)})
		}
		if err != nil {
			return nil, err
		}
		answer = res.Metadata
		return res, nil
	}

	ch := make(chan *client.SolveStatus)
	var warnings []client.VertexWarning
	var resp *client.SolveResponse
	var eg errgroup.Group
	eg.Go(func() error {
		var err error
		warnings, err = disp.UpdateFrom(context.WithoutCancel(ctx), ch)
		return err
	})
	eg.Go(func() error {
		var err error
		resp, err = c.Build(ctx, so, "strata", build, ch)
		return err
	})
	err = eg.Wait()
	read := cfg.localFiles()
	printWarnings(stderr, warnings, read)
	if err != nil {
		if ctx.Err() == nil && !isUnavailable(err) {
			fmt.Fprintln(stderr)
			printErrorSources(stderr, err, read)
		}
		if isUnavailable(err) {
			return fmt.Errorf("cannot reach BuildKit at %s (set BUILDKIT_HOST or --addr): %w", addr, err)
		}
		return err
	}
	if cfg.Call != "" {
		return printAnswer(stdout, cfg.Call, answer, read)
	}
	if len(so.Exports) == 0 {
		fmt.Fprintln(stderr, "no output: the result stays in BuildKit's cache (--output, -t or --push keep it)")
	}
	if d := resp.ExporterResponse["containerimage.digest"]; d != "" {
		fmt.Fprintln(stderr, "image digest", d)
	}
	if cfg.MetadataFile != "" {
		dt, err := json.MarshalIndent(resp.ExporterResponse, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(cfg.MetadataFile, append(dt, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// isUnavailable reports a daemon that does not answer.
func isUnavailable(err error) bool {
	return grpcerrors.Code(err) == codes.Unavailable
}

// printAnswer prints a --call's answer as buildx does; a check with
// findings, or a description the check could not plan, is an error.
func printAnswer(w io.Writer, call string, res map[string][]byte, read func(string) []byte) error {
	dt := res["result.json"]
	switch call {
	case "outline":
		return outline.PrintOutline(dt, w)
	case "targets":
		return targets.PrintTargets(dt, w)
	}
	var lr lint.LintResults
	if err := json.Unmarshal(dt, &lr); err != nil {
		return fmt.Errorf("check: the frontend's answer: %v", err)
	}
	local := func(si *pb.SourceInfo) *pb.SourceInfo {
		if si == nil {
			return si
		}
		if data := read(si.Filename); data != nil {
			si = &pb.SourceInfo{Filename: si.Filename, Language: si.Language, Data: data, Definition: si.Definition}
		}
		return si
	}
	n := len(lr.Warnings)
	switch n {
	case 0:
	case 1:
		fmt.Fprintln(w, "Check complete, 1 warning has been found!")
	default:
		fmt.Fprintf(w, "Check complete, %d warnings have been found!\n", n)
	}
	if err := lr.PrintTo(w, local); err != nil {
		return err
	}
	if lr.Error != nil {
		if n > 0 {
			fmt.Fprintln(w)
		}
		lr.PrintErrorTo(w, local)
		return errors.New("check: the description cannot be planned")
	}
	if n == 0 {
		fmt.Fprintln(w, "Check complete, no warnings found.")
		return nil
	}
	if code, _ := strconv.Atoi(string(res["result.statuscode"])); code != 0 || n > 0 {
		return fmt.Errorf("check: %d finding(s)", n)
	}
	return nil
}
