package builder

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/frontend/subrequests"
	lintpb "github.com/moby/buildkit/frontend/subrequests/lint"
	"github.com/moby/buildkit/frontend/subrequests/outline"
	"github.com/moby/buildkit/frontend/subrequests/targets"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/strata-build/strata/frontend/lint"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/plan"
)

// lint answers `--call=check` as DockerfileLint does: each finding a
// warning with its rule, docs URL and place, and a description Strata
// cannot plan the check's build error, never the request's.
func (j *job) lint(ctx context.Context) (*lintpb.LintResults, error) {
	if err := j.load(ctx); err != nil {
		return lintResults(j.src.SourceMap, nil, nil, err), nil
	}
	p, planErr := j.plan(ctx)
	findings, err := lint.Check(ctx, j.lintInput(p, planErr))
	if err != nil {
		return nil, err
	}
	return lintResults(j.src.SourceMap, pipeline.Rules(), findings, planErr), nil
}

// check runs during a build: every finding is a warning with its place,
// and with error=true in the check directive they fail the build.
func (j *job) check(ctx context.Context) error {
	p, err := j.plan(ctx)
	if err != nil {
		return err
	}
	findings, err := lint.Check(ctx, j.lintInput(p, nil))
	if err != nil {
		return err
	}
	warnFindings(ctx, j.src.Warn, pipeline.Rules(), findings, j.readFile(ctx))
	if err := lint.Fail(j.lintCfg, j.org.Enforced(), j.src.Filename, findings); err != nil {
		return withFindings(err, j.src.SourceMap, findings)
	}
	return nil
}

func (j *job) lintInput(p *plan.Plan, planErr error) lint.Input {
	return lint.Input{Spec: j.spec, Plan: p, PlanErr: planErr, Context: j.fsys, IgnoreFile: j.ignore, Config: j.lintCfg, Enforced: j.org.Enforced()}
}

// readFile reads a context file a finding is about (go.mod), to show its
// line; nil when it cannot be read.
func (j *job) readFile(ctx context.Context) func(string) []byte {
	return func(name string) []byte {
		dt, err := j.fsys.ReadFile(ctx, name, 0)
		if err != nil {
			return nil
		}
		return dt
	}
}

// lintResults is the `frontend.lint` answer, with the description as its
// only source. A finding in another file (go.mod) names its place in the
// message instead: buildx prints every lint source under the description's
// name, so a go.mod snippet would read "Dockerfile:5".
func lintResults(sm *bk.SourceMap, rules []lint.Rule, findings []plan.Finding, planErr error) *lintpb.LintResults {
	res := &lintpb.LintResults{}
	desc := addSource(res, sm)
	for _, f := range findings {
		rule := lint.Find(rules, f.Rule)
		idx, msg := -1, f.Message
		var at []parser.Range
		switch {
		case f.File != "" && !f.Pos.IsZero():
			msg = fmt.Sprintf("%s (%s line %d)", msg, f.File, f.Pos.Line)
		case f.File != "":
			msg = fmt.Sprintf("%s (%s)", msg, f.File)
		case !f.Pos.IsZero():
			idx = desc
			p := parser.Position{Line: f.Pos.Line, Character: f.Pos.Column}
			at = []parser.Range{{Start: p, End: p}}
		}
		res.AddWarning(rule.Name, rule.Description, rule.URL(), msg, idx, at)
	}
	if planErr != nil {
		res.Error = &lintpb.BuildError{Message: planErr.Error(),
			Location: pb.Location{SourceIndex: int32(desc), Ranges: errorRanges(planErr, sm.Filename)}}
	}
	return res
}

// addSource adds the description; a lint source needs a definition, which
// a description read outside a build (tests) lacks.
func addSource(res *lintpb.LintResults, sm *bk.SourceMap) int {
	if sm.Definition == nil {
		c := *sm
		c.Definition = &bk.Definition{}
		sm = &c
	}
	return res.AddSource(sm)
}

// warnFindings sends findings as build warnings, the way the Dockerfile
// frontend sends its lint warnings: "Rule: message (line N)", the rule's
// description as detail, its URL, and the range in the file it is about.
func warnFindings(ctx context.Context, warn func(context.Context, string, client.WarnOpts), rules []lint.Rule, findings []plan.Finding, read func(string) []byte) {
	for _, f := range findings {
		rule := lint.Find(rules, f.Rule)
		opts := client.WarnOpts{Level: 1, URL: rule.URL(), Detail: [][]byte{[]byte(rule.Description)}}
		msg := linter.LintFormatShort(rule.Name, f.Message, 0)
		switch {
		case f.File == "" && f.Pos.IsZero():
		case f.File == "":
			msg = linter.LintFormatShort(rule.Name, f.Message, f.Pos.Line)
			opts.Range = []*pb.Range{rangeAt(f.Pos)}
		case f.Pos.IsZero():
			msg = fmt.Sprintf("%s (%s)", msg, f.File)
		default:
			msg = fmt.Sprintf("%s (%s line %d)", msg, f.File, f.Pos.Line)
			// Without its own source the range would point into the description.
			if data := read(f.File); data != nil {
				opts.SourceInfo = &pb.SourceInfo{Filename: f.File, Data: data}
				opts.Range = []*pb.Range{rangeAt(f.Pos)}
			}
		}
		warn(ctx, msg, opts)
	}
}

// withFindings attaches the description lines of findings to the error
// error=true fails a build with, so buildx shows them.
func withFindings(err error, sm *bk.SourceMap, findings []plan.Finding) error {
	var ranges []*pb.Range
	for _, f := range findings {
		if f.File == "" && !f.Pos.IsZero() {
			ranges = append(ranges, rangeAt(f.Pos))
		}
	}
	if len(ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{Info: sourceInfo(sm), Ranges: ranges})
}

const keyRequestID = "requestid"

// describe answers `--call subrequests.describe` itself: dockerui's answer
// lists only outline and targets, and Strata answers lint too.
func describe() (*client.Result, error) {
	all := []subrequests.Request{outline.SubrequestsOutlineDefinition, targets.SubrequestsTargetsDefinition,
		lintpb.SubrequestLintDefinition, subrequests.SubrequestsDescribeDefinition}
	dt, err := json.MarshalIndent(all, "", "  ")
	if err != nil {
		return nil, err
	}
	var txt bytes.Buffer
	if err := subrequests.PrintDescribe(dt, &txt); err != nil {
		return nil, err
	}
	res := client.NewResult()
	res.AddMeta("result.json", dt)
	res.AddMeta("result.txt", txt.Bytes())
	res.AddMeta("version", []byte(subrequests.SubrequestsDescribeDefinition.Version))
	return res, nil
}
