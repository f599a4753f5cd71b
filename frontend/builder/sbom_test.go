package builder

import (
	"strings"
	"testing"
)

func TestScanOptions(t *testing.T) {
	cases := []struct {
		args        map[string]string
		stages, ctx bool
		err         string
	}{
		{args: nil, stages: true},
		{args: map[string]string{argScanStage: "false"}},
		{args: map[string]string{argScanContext: "true"}, stages: true, ctx: true},
		{args: map[string]string{argScanStage: "", argScanContext: "0"}, stages: true},
		{args: map[string]string{argScanStage: "deps"}, err: "--build-arg BUILDKIT_SBOM_SCAN_STAGE=\"deps\": want true or false"},
	}
	for _, c := range cases {
		stages, ctx, err := scanOptions(c.args)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || stages != c.stages || ctx != c.ctx {
			t.Errorf("%v: stages %v context %v (%v), want %v %v", c.args, stages, ctx, err, c.stages, c.ctx)
		}
	}
}
