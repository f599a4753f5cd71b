package node

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/source"
)

// bunLock is what Strata reads of bun.lock (JSON with trailing commas).
type bunLock struct {
	LockfileVersion int `json:"lockfileVersion"`
	Workspaces      map[string]struct {
		Dependencies         map[string]string `json:"dependencies"`
		DevDependencies      map[string]string `json:"devDependencies"`
		OptionalDependencies map[string]string `json:"optionalDependencies"`
	} `json:"workspaces"`
	// Packages are [resolution, registry, metadata, integrity].
	Packages map[string][]json.RawMessage `json:"packages"`
}

// readBunLock checks bun.lock against package.json (bun install
// --frozen-lockfile refuses one out of sync). bun.lock does not record
// install scripts (bun runs those of trustedDependencies and of packages it
// trusts by default), so installs run on the target platform.
func readBunLock(ctx context.Context, fsys source.FS, name string, m *manifest) (string, error) {
	if name == "bun.lockb" {
		return "", fmt.Errorf("bun.lockb: bun's binary lockfile, which Strata cannot check against package.json (run `bun install --save-text-lockfile`, commit bun.lock and delete bun.lockb)")
	}
	dt, err := source.ReadAll(ctx, fsys, name, maxManifest)
	if err != nil {
		return "", err
	}
	clean := withoutTrailingCommas(dt)
	var l bunLock
	if err := json.Unmarshal(clean, &l); err != nil {
		return "", fmt.Errorf("%s: %v (regenerate it with bun install)", name, jsonError(clean, err))
	}
	root := l.Workspaces[""]
	for _, d := range []struct {
		kind       string
		want, have map[string]string
	}{
		{"dependencies", m.Dependencies, root.Dependencies},
		{"devDependencies", m.DevDependencies, root.DevDependencies},
		{"optionalDependencies", m.Optional, root.OptionalDependencies},
	} {
		if diff := mapDiff(d.want, d.have); diff != "" {
			return "", fileError(ruleLockfileOutOfSync, name, fmt.Sprintf("package.json and %s are out of sync: %s %s", name, d.kind, diff), "run bun install and commit "+name)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(l.Packages)) {
		entry := l.Packages[p]
		if len(entry) < 3 {
			continue
		}
		var meta struct {
			OS  any `json:"os"`
			CPU any `json:"cpu"`
		}
		if json.Unmarshal(entry[2], &meta) == nil && (meta.OS != nil || meta.CPU != nil) {
			return p + " is platform-specific", nil
		}
	}
	return "bun.lock does not record install scripts", nil
}

// withoutTrailingCommas drops the commas before a closing bracket that
// bun.lock writes (outside strings), which encoding/json refuses.
func withoutTrailingCommas(dt []byte) []byte {
	out := make([]byte, 0, len(dt))
	inString, escaped := false, false
	for i := 0; i < len(dt); i++ {
		c := dt[i]
		if inString {
			out = append(out, c)
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		if c == '"' {
			inString = true
		}
		if c == ',' {
			j := i + 1
			for j < len(dt) && strings.IndexByte(" \t\r\n", dt[j]) >= 0 {
				j++
			}
			if j < len(dt) && (dt[j] == '}' || dt[j] == ']') {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}
