package python_test

import (
	"testing"

	"github.com/strata-build/strata/internal/golden"
)

// Golden tests pin description → plan for every Python example app.
func TestExamplesGolden(t *testing.T) { golden.Plans(t, "../../../examples/python-*") }
