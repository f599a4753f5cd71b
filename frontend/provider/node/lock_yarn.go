package node

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// readYarnLock checks a yarn 1 lockfile against package.json: every
// dependency's name@range must be a key of an entry (yarn install
// --frozen-lockfile fails otherwise). A yarn 1 lockfile does not record
// install scripts, so installs run on the target platform to be safe.
func readYarnLock(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error) {
	dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
	if err != nil {
		return "", err
	}
	keys := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(dt))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == ' ' || line[0] == '#' || !strings.HasSuffix(line, ":") {
			continue
		}
		for _, k := range strings.Split(strings.TrimSuffix(line, ":"), ",") {
			keys[strings.Trim(strings.TrimSpace(k), `"`)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("%s: %v", name, err)
	}
	var missing []string
	for _, deps := range []map[string]string{m.Dependencies, m.DevDependencies, m.Optional} {
		for _, dep := range slices.Sorted(maps.Keys(deps)) {
			if !keys[dep+"@"+deps[dep]] {
				missing = append(missing, dep+"@"+deps[dep])
			}
		}
	}
	if len(missing) > 0 {
		return "", fileError(ruleLockfileOutOfSync, name, fmt.Sprintf("package.json and %s are out of sync: %s has no entry for %s", name, name, strings.Join(missing, ", ")), "run yarn install and commit "+name)
	}
	return "yarn 1 lockfiles do not record install scripts", nil
}
