package python

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"maps"

	"github.com/pelletier/go-toml/v2"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/source"
)

// What poetry's content-hash covers (poetry 2.5, Locker._get_content_hash):
// these keys of [project] and of [tool.poetry], and [dependency-groups].
var (
	poetryProjectKeys = []string{"requires-python", "dependencies", "optional-dependencies"}
	poetryLegacyKeys  = []string{"dependencies", "source", "extras", "dev-dependencies"}
	poetryToolKeys    = append(slices.Clone(poetryLegacyKeys), "group")
)

// contentHashLine is the lockfile's record of the hash.
var contentHashLine = regexp.MustCompile(`(?m)^content-hash\s*=\s*"([0-9a-f]{64})"`)

// checkPoetryLock: poetry.lock records the content-hash of the
// pyproject.toml it was written from; when today's pyproject.toml hashes
// otherwise, `poetry install` refuses the lockfile. A lockfile without a
// hash, or a pyproject.toml poetry itself could not hash, is left to poetry.
func (r *resolver) checkPoetryLock(ctx context.Context, header string) error {
	lock, err := checkLockTOML(ctx, r.in.Context, "poetry.lock", "regenerate it with `poetry lock` and commit poetry.lock")
	if err != nil {
		return err
	}
	m := contentHashLine.FindSubmatchIndex(lock)
	if m == nil {
		return nil
	}
	recorded := string(lock[m[2]:m[3]])
	dt, err := source.ReadAll(ctx, r.in.Context, "pyproject.toml", maxFile)
	if err != nil {
		return err
	}
	var data map[string]any
	if err := toml.Unmarshal(dt, &data); err != nil {
		return nil // readProject reported it already
	}
	hash, err := poetryContentHash(data, true)
	if err != nil || hash == recorded {
		return nil
	}
	// Poetry before 2.3 left [dependency-groups] out of the hash.
	if older(header, "2.3.0") {
		if old, err := poetryContentHash(data, false); err == nil && old == recorded {
			return nil
		}
	}
	line := 1 + bytes.Count(lock[:m[0]], []byte("\n"))
	r.Find(rulePoetryLockStale.Name, plan.Finding{File: "poetry.lock", Pos: spec0(line),
		Message: fmt.Sprintf("poetry.lock is stale: its content-hash (%s…) is not that of pyproject.toml's dependencies today (%s…), and poetry install refuses it (run `poetry lock` and commit poetry.lock)", recorded[:12], hash[:12])})
	return nil
}

// older reports whether version a.b.c is below b.
func older(a, b string) bool {
	var x, y [3]int
	if _, err := fmt.Sscanf(a, "%d.%d.%d", &x[0], &x[1], &x[2]); err != nil {
		return false
	}
	fmt.Sscanf(b, "%d.%d.%d", &y[0], &y[1], &y[2])
	return slices.Compare(x[:], y[:]) < 0
}

// poetryContentHash is poetry's content-hash of pyproject.toml's data: the
// sha256 of the relevant tables as Python's json.dumps(sort_keys=True)
// writes them.
func poetryContentHash(data map[string]any, withGroups bool) (string, error) {
	project, _ := data["project"].(map[string]any)
	groups, _ := data["dependency-groups"].(map[string]any)
	if !withGroups {
		groups = nil
	}
	tool, _ := data["tool"].(map[string]any)
	poetry, _ := tool["poetry"].(map[string]any)

	relevantProject := map[string]any{}
	for _, k := range poetryProjectKeys {
		if v, ok := project[k]; ok {
			relevantProject[k] = v
		}
	}
	relevantPoetry := map[string]any{}
	for _, k := range poetryToolKeys {
		v, ok := poetry[k]
		// A missing legacy key counts (as null) only when neither [project]
		// nor [dependency-groups] has content, for old lockfiles' sake.
		if !ok && (!slices.Contains(poetryLegacyKeys, k) || len(relevantProject) > 0 || len(groups) > 0) {
			continue
		}
		relevantPoetry[k] = v
	}
	content := map[string]any{}
	if len(relevantProject) > 0 {
		content["project"] = relevantProject
	}
	if len(groups) > 0 {
		content["dependency-groups"] = groups
	}
	var out any = relevantPoetry
	if len(content) > 0 {
		content["tool"] = map[string]any{"poetry": relevantPoetry}
		out = content
	}
	var b strings.Builder
	if err := pyJSON(&b, out); err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:]), nil
}

// pyJSON writes v as Python's json.dumps(v, sort_keys=True) does: ", " and
// ": " separators, keys sorted, non-ASCII escaped.
func pyJSON(b *strings.Builder, v any) error {
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case int64:
		b.WriteString(strconv.FormatInt(v, 10))
	case float64:
		b.WriteString(pyFloat(v))
	case string:
		pyString(b, v)
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := pyJSON(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		b.WriteByte('{')
		for i, k := range slices.Sorted(maps.Keys(v)) {
			if i > 0 {
				b.WriteString(", ")
			}
			pyString(b, k)
			b.WriteString(": ")
			if err := pyJSON(b, v[k]); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		// Dates and times: json.dumps cannot write them, nor can poetry.
		return fmt.Errorf("no JSON form for %T", v)
	}
	return nil
}

// pyFloat is Python's repr of a float, as json.dumps writes it.
func pyFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	if a := math.Abs(f); a != 0 && (a < 1e-4 || a >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// pyString is a JSON string with ensure_ascii: only printable ASCII as is.
func pyString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r >= ' ' && r <= '~':
			b.WriteRune(r)
		case r > 0xffff:
			r -= 0x10000
			fmt.Fprintf(b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		default:
			fmt.Fprintf(b, `\u%04x`, r)
		}
	}
	b.WriteByte('"')
}
