// Package cacheprune applies a retention policy to the BuildKit caches a
// repository holds as tags (`--cache-to type=registry,ref=<repo>:cache-<branch>`):
// it keeps the caches of named branches and the N newest others, and
// deletes the rest by manifest digest.
//
// The distribution API gives tags no dates, so a cache's age is read from
// its content: the newest creation time BuildKit recorded for a step
// result in the cache's config (`application/vnd.buildkit.cacheconfig.v0`).
// That is when the branch last built something new; a build that only hit
// the cache exports the same results and leaves the age as it was.
package cacheprune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/strata-build/strata/internal/registry"
)

// configType is the media type of a BuildKit cache's config blob.
const configType = "application/vnd.buildkit.cacheconfig.v0"

// Policy says which cache tags survive.
type Policy struct {
	Prefix   string   // cache tags are <Prefix><branch slug>; others are never touched
	Keep     int      // the newest caches kept besides the branches'
	Branches []string // branches whose caches are always kept (names or slugs)
	DryRun   bool     // decide and report, delete nothing
}

// Cache is one cache tag and what its content says.
type Cache struct {
	Tag    string
	Digest digest.Digest
	Newest time.Time // the newest step result it holds
}

// Outcome is what Prune did with one tag.
type Outcome struct {
	Cache
	Kept   bool
	Reason string // why kept, or how it was deleted
}

// Registry is the part of the registry API pruning uses.
type Registry interface {
	Tags(ctx context.Context, r registry.Repo) ([]string, error)
	Manifest(ctx context.Context, r registry.Repo, ref string) (digest.Digest, string, []byte, error)
	Blob(ctx context.Context, r registry.Repo, d digest.Digest, max int64) ([]byte, error)
	Delete(ctx context.Context, r registry.Repo, ref string) error
}

// Slug is a branch name as a tag suffix, as docs/ci/build.sh writes it:
// lower case, every character outside [a-z0-9._-] a dash, no leading dot
// or dash, at most 100 characters (a tag has 128).
func Slug(branch string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(branch) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), ".-")
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// Prune lists the repository's cache tags, decides with the policy and
// deletes what it does not keep. A tag whose manifest is not a BuildKit
// cache is kept and reported: the prefix may match something else.
func Prune(ctx context.Context, reg Registry, repo registry.Repo, p Policy) ([]Outcome, error) {
	if p.Keep < 0 {
		return nil, fmt.Errorf("--keep %d: keep zero or more caches", p.Keep)
	}
	tags, err := reg.Tags(ctx, repo)
	if err != nil {
		return nil, err
	}
	slices.Sort(tags)
	digests := map[string]digest.Digest{} // every tag's manifest, caches or not
	var caches []Cache
	var out []Outcome
	for _, tag := range tags {
		if !strings.HasPrefix(tag, p.Prefix) {
			continue
		}
		c, err := readCache(ctx, reg, repo, tag)
		var notCache notACacheError
		switch {
		case errors.As(err, &notCache):
			digests[tag] = c.Digest
			out = append(out, Outcome{Cache: c, Kept: true, Reason: string(notCache)})
			continue
		case errors.Is(err, registry.ErrNotFound):
			continue // deleted since it was listed
		case err != nil:
			return nil, err
		}
		digests[tag] = c.Digest
		caches = append(caches, c)
	}
	// Tags outside the prefix (the images themselves, when caches share
	// their repository) may point at a cache manifest too: a digest
	// delete would take them along, so learn their digests when needed.
	others := func() (map[string]digest.Digest, error) {
		m := map[string]digest.Digest{}
		for _, tag := range tags {
			if strings.HasPrefix(tag, p.Prefix) {
				continue
			}
			d, _, _, err := reg.Manifest(ctx, repo, tag)
			if errors.Is(err, registry.ErrNotFound) {
				continue
			} else if err != nil {
				return nil, err
			}
			m[tag] = d
		}
		return m, nil
	}

	keep, reasons := decide(caches, p)
	var drop []Cache
	for _, c := range caches {
		if keep[c.Tag] {
			out = append(out, Outcome{Cache: c, Kept: true, Reason: reasons[c.Tag]})
		} else {
			drop = append(drop, c)
		}
	}
	if len(drop) > 0 {
		other, err := others()
		if err != nil {
			return nil, err
		}
		for t, d := range other {
			digests[t] = d
		}
	}
	for _, c := range drop {
		o := Outcome{Cache: c}
		var sharedWith []string
		for t, d := range digests {
			if d == c.Digest && t != c.Tag && !slices.ContainsFunc(drop, func(x Cache) bool { return x.Tag == t }) {
				sharedWith = append(sharedWith, t)
			}
		}
		slices.Sort(sharedWith)
		switch {
		case len(sharedWith) == 0 && p.DryRun:
			o.Reason = "would delete the manifest " + c.Digest.String()
		case len(sharedWith) == 0:
			err := reg.Delete(ctx, repo, c.Digest.String())
			if err != nil && !errors.Is(err, registry.ErrNotFound) { // not found: another tag's delete took it
				return append(out, o), fmt.Errorf("%s:%s: %w", repo, c.Tag, err)
			}
			o.Reason = "deleted the manifest " + c.Digest.String()
		case p.DryRun:
			o.Reason = "would delete the tag only: its manifest is also " + strings.Join(sharedWith, ", ")
		default:
			// Deleting the digest would delete the kept tags too.
			err := reg.Delete(ctx, repo, c.Tag)
			if errors.Is(err, registry.ErrUnsupported) {
				o.Kept = true
				o.Reason = "left: its manifest is also " + strings.Join(sharedWith, ", ") + ", and the registry deletes no single tag"
				break
			} else if err != nil {
				return append(out, o), fmt.Errorf("%s:%s: %w", repo, c.Tag, err)
			}
			o.Reason = "deleted the tag only: its manifest is also " + strings.Join(sharedWith, ", ")
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Outcome) int { return strings.Compare(a.Tag, b.Tag) })
	return out, nil
}

// decide picks the caches to keep: the branches' and the Keep newest of
// the others (ties broken by tag, so a run is repeatable).
func decide(caches []Cache, p Policy) (map[string]bool, map[string]string) {
	keep, reasons := map[string]bool{}, map[string]string{}
	for _, b := range p.Branches {
		tag := p.Prefix + Slug(b)
		for _, c := range caches {
			if c.Tag == tag {
				keep[tag] = true
				reasons[tag] = "branch " + b
			}
		}
	}
	rest := slices.DeleteFunc(slices.Clone(caches), func(c Cache) bool { return keep[c.Tag] })
	slices.SortFunc(rest, func(a, b Cache) int {
		if c := b.Newest.Compare(a.Newest); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	for i, c := range rest {
		if i >= p.Keep {
			break
		}
		keep[c.Tag] = true
		reasons[c.Tag] = fmt.Sprintf("among the %d newest", p.Keep)
	}
	return keep, reasons
}

type notACacheError string

func (e notACacheError) Error() string { return string(e) }

// readCache reads a cache tag's manifest and config: its digest and the
// newest result time. BuildKit writes an index whose entries are the
// layers and the config (the default), or with image-manifest=true an
// image manifest whose config is the cache config.
func readCache(ctx context.Context, reg Registry, repo registry.Repo, tag string) (Cache, error) {
	c := Cache{Tag: tag}
	d, _, body, err := reg.Manifest(ctx, repo, tag)
	if err != nil {
		return c, err
	}
	c.Digest = d
	var m struct {
		Config    *descriptor  `json:"config"`
		Manifests []descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return c, fmt.Errorf("%s:%s: manifest: %v", repo, tag, err)
	}
	var cfg *descriptor
	if m.Config != nil && m.Config.MediaType == configType {
		cfg = m.Config
	}
	for i := range m.Manifests {
		if m.Manifests[i].MediaType == configType {
			cfg = &m.Manifests[i]
		}
	}
	if cfg == nil {
		return c, notACacheError("left: not a BuildKit cache (no " + configType + ")")
	}
	if cfg.Size > 64<<20 {
		return c, fmt.Errorf("%s:%s: cache config of %d bytes", repo, tag, cfg.Size)
	}
	blob, err := reg.Blob(ctx, repo, cfg.Digest, max(cfg.Size, 1))
	if err != nil {
		return c, fmt.Errorf("%s:%s: cache config: %w", repo, tag, err)
	}
	if c.Newest, err = newestResult(blob); err != nil {
		return c, fmt.Errorf("%s:%s: cache config: %v", repo, tag, err)
	}
	return c, nil
}

type descriptor struct {
	MediaType string        `json:"mediaType"`
	Digest    digest.Digest `json:"digest"`
	Size      int64         `json:"size"`
}

// newestResult is the latest createdAt of the config's results and
// layers (the format BuildKit's cache/remotecache/v1 documents).
func newestResult(config []byte) (time.Time, error) {
	var cfg struct {
		Layers []struct {
			Annotations *struct {
				CreatedAt time.Time `json:"createdAt"`
			} `json:"annotations"`
		} `json:"layers"`
		Records []struct {
			Results []struct {
				CreatedAt time.Time `json:"createdAt"`
			} `json:"layers"`
			Chains []struct {
				CreatedAt time.Time `json:"createdAt"`
			} `json:"chains"`
		} `json:"records"`
	}
	if err := json.Unmarshal(config, &cfg); err != nil {
		return time.Time{}, err
	}
	var newest time.Time
	later := func(t time.Time) {
		if t.After(newest) {
			newest = t
		}
	}
	for _, l := range cfg.Layers {
		if l.Annotations != nil {
			later(l.Annotations.CreatedAt)
		}
	}
	for _, r := range cfg.Records {
		for _, x := range r.Results {
			later(x.CreatedAt)
		}
		for _, x := range r.Chains {
			later(x.CreatedAt)
		}
	}
	return newest, nil
}

// Report prints one line per tag: kept or deleted, and why.
func Report(w io.Writer, repo registry.Repo, out []Outcome) {
	for _, o := range out {
		verb := "deleted"
		if o.Kept {
			verb = "kept"
		} else if strings.HasPrefix(o.Reason, "would") {
			verb = "to delete"
		}
		age := ""
		if !o.Newest.IsZero() {
			age = ", newest result " + o.Newest.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s:%s: %s (%s%s)\n", repo, o.Tag, verb, o.Reason, age)
	}
}
