package builder

import (
	"errors"
	"os"

	"github.com/strata-build/strata/frontend/defaults"
	"github.com/strata-build/strata/frontend/pipeline"
	"github.com/strata-build/strata/frontend/schema"
)

// LoadDefaults reads an organisation's defaults file, checking the rules
// and description keys it names against the ones this Strata has.
func LoadDefaults(file string, data []byte) (*defaults.Defaults, error) {
	keys, err := schema.Keys()
	if err != nil {
		return nil, err
	}
	var rules []string
	for _, r := range pipeline.Rules() {
		rules = append(rules, r.Name)
	}
	return defaults.Parse(file, data, defaults.Known{Rules: rules, Keys: keys})
}

// ReadDefaults loads the defaults file at path; a missing file is no
// defaults at all.
func ReadDefaults(path string) (*defaults.Defaults, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return LoadDefaults(path, data)
}
