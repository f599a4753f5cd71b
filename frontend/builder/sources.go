package builder

import (
	"errors"

	bk "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"

	"github.com/strata-build/strata/frontend/spec"
)

// withSource attaches the offending description lines to spec errors, so
// buildx prints them as it does for Dockerfiles: one source, a range per
// problem.
func withSource(err error, sm *bk.SourceMap) error {
	ranges := errorRanges(err, sm.Filename)
	if len(ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{Info: sourceInfo(sm), Ranges: ranges})
}

// errorRanges are the description lines a spec error (or each of spec
// errors) points at.
func errorRanges(err error, file string) []*pb.Range {
	var es spec.Errors
	if err == nil || !errors.As(err, &es) {
		var se *spec.Error
		if !errors.As(err, &se) {
			return nil
		}
		es = spec.Errors{se}
	}
	var ranges []*pb.Range
	for _, se := range es {
		if !se.Pos.IsZero() && se.File == file {
			ranges = append(ranges, rangeAt(se.Pos))
		}
	}
	return ranges
}

// rangeAt is a one-position range, as BuildKit keeps lines.
func rangeAt(pos spec.Pos) *pb.Range {
	at := &pb.Position{Line: int32(pos.Line), Character: int32(pos.Column)}
	return &pb.Range{Start: at, End: at}
}

func sourceInfo(sm *bk.SourceMap) *pb.SourceInfo {
	var def *pb.Definition
	if sm.Definition != nil {
		def = sm.Definition.ToPB()
	}
	return &pb.SourceInfo{Data: sm.Data, Filename: sm.Filename, Language: sm.Language, Definition: def}
}
