package node_test

import (
	"testing"

	"github.com/strata-build/strata/internal/golden"
)

// Golden tests pin description → plan for every Node example app.
func TestExamplesGolden(t *testing.T) { golden.Plans(t, "../../../examples/node-*") }

// Hand-written app shapes too big to install on the test bed (Angular):
// the plan is pinned without an integration build.
func TestAppShapesGolden(t *testing.T) { golden.Plans(t, "testdata/apps/*") }
