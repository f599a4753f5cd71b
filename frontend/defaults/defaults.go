// Package defaults reads an organisation's defaults: a YAML file a platform
// team bakes into the frontend image it publishes (hack/publish.sh), which
// every build through that image starts from. It maps the base images
// Strata picks to pinned mirrors, gives the pass-through args (registries,
// mirrors) defaults, namespaces cache mounts, adds labels, enforces lint
// rules and says which description keys and images users may not choose.
// It knows no ecosystem: images and args are named as plans name them.
package defaults

import (
	"cmp"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/strata-build/strata/frontend/spec"
)

// Path is where a published frontend image carries the file.
const Path = "/etc/strata/defaults.yaml"

// MaxSize caps the file: a few dozen lines in practice, plus a CA bundle.
const MaxSize = 1 << 20

// Defaults is an organisation's defaults file. Struct tags work as in the
// description (package spec); docs/platform.md documents every key.
type Defaults struct {
	File           string
	Frontend       spec.Value[string]            `yaml:"frontend" doc:"The frontend image reference strata init writes in the syntax line, pinned by digest."`
	Images         spec.Value[map[string]string] `yaml:"images" doc:"Base images Strata picks (as plans name them, e.g. golang:1.26) mapped to the organisation's copies, each pinned by digest."`
	Args           spec.Value[map[string]string] `yaml:"args" doc:"Defaults of the pass-through args (GOPROXY, NPM_CONFIG_REGISTRY, PIP_INDEX_URL …); --build-arg overrides them unless policy.lockArgs names them."`
	CacheNamespace spec.Value[string]            `yaml:"cacheNamespace" doc:"Prefix of every cache mount id, before BUILDKIT_CACHE_MOUNT_NS."`
	Labels         spec.Value[map[string]string] `yaml:"labels" doc:"Labels every image carries; --label may add others but not change these."`
	Lint           Lint                          `yaml:"lint" doc:"Lint settings."`
	CA             spec.Value[string]            `yaml:"ca" doc:"PEM certificates every step that fetches trusts besides the system's, as the ca secret does."`
	Policy         Policy                        `yaml:"policy" doc:"What users may not choose."`
}

// Lint holds the lint settings of the organisation.
type Lint struct {
	Errors spec.Value[[]string] `yaml:"errors" doc:"Rules whose findings fail the build; a check directive cannot skip them."`
}

// Policy says what users may not choose.
type Policy struct {
	Deny       spec.Value[[]string] `yaml:"deny" doc:"Description keys users may not write: run.base, build.command, or a whole section such as go."`
	Images     spec.Value[[]string] `yaml:"images" doc:"Patterns (* matches anything) every image a build starts from must match, after the images mapping."`
	LockArgs   spec.Value[[]string] `yaml:"lockArgs" doc:"Args users may not set, with --build-arg or under args:."`
	LockImages spec.Value[bool]     `yaml:"lockImages" doc:"--build-context may not redirect an image the images mapping names."`
}

// Known is what a defaults file may name: the lint rules and the
// description's keys (dotted, as the JSON Schema has them).
type Known struct {
	Rules []string
	Keys  []string
}

var (
	argName   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	namespace = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
)

// Parse reads and checks a defaults file. Every problem is reported with
// its line and key, as in a description.
func Parse(file string, data []byte, known Known) (*Defaults, error) {
	d := &Defaults{File: file}
	if err := spec.DecodeFile(file, data, MaxSize, d); err != nil {
		return nil, err
	}
	var errs []error
	bad := func(pos spec.Pos, key, hint, format string, a ...any) {
		errs = append(errs, &spec.Error{File: file, Pos: pos, Key: key, Msg: fmt.Sprintf(format, a...), Hint: hint})
	}
	if d.Frontend.Set {
		if msg := pinned(d.Frontend.V); msg != "" {
			bad(d.Frontend.Pos, "frontend", "write name:tag@sha256:<digest> (docker buildx imagetools inspect name:tag prints the digest)", "%s", msg)
		}
	}
	for _, from := range sortedKeys(d.Images.V) {
		pos := d.Images.KeyPos(from)
		if _, err := reference.ParseNormalizedNamed(from); err != nil {
			bad(pos, "images."+from, "name the image as Strata's plans do, e.g. golang:1.26 (strata plan lists them)", "%q is not an image reference", from)
		}
		if msg := pinned(d.Images.V[from]); msg != "" {
			bad(pos, "images."+from, "write name:tag@sha256:<digest> (docker buildx imagetools inspect name:tag prints the digest)", "%s", msg)
		}
	}
	for _, name := range sortedKeys(d.Args.V) {
		if !argName.MatchString(name) {
			bad(d.Args.KeyPos(name), "args."+name, "use letters, digits and _", "%q is not a valid arg name", name)
		}
	}
	if d.CacheNamespace.Set && !namespace.MatchString(d.CacheNamespace.V) {
		bad(d.CacheNamespace.Pos, "cacheNamespace", "use lower-case letters, digits, '.', '_' and '-'", "%q is not a cache namespace", d.CacheNamespace.V)
	}
	for _, k := range sortedKeys(d.Labels.V) {
		if strings.TrimSpace(k) == "" {
			bad(d.Labels.KeyPos(k), "labels", "name the label, e.g. org.opencontainers.image.vendor", "a label needs a name")
		}
	}
	for _, r := range d.Lint.Errors.V {
		if !slices.Contains(known.Rules, r) {
			bad(d.Lint.Errors.Pos, "lint.errors", spec.Suggest(r, known.Rules), "unknown rule %q", r)
		}
	}
	if d.CA.Set {
		if err := checkPEM(d.CA.V); err != nil {
			bad(d.CA.Pos, "ca", "paste the certificates as PEM (-----BEGIN CERTIFICATE----- …) under `ca: |`", "%v", err)
		}
	}
	for _, k := range d.Policy.Deny.V {
		if !slices.Contains(known.Keys, k) {
			bad(d.Policy.Deny.Pos, "policy.deny", spec.Suggest(k, known.Keys), "%q is not a description key", k)
		}
	}
	for _, p := range d.Policy.Images.V {
		if _, err := path.Match(strings.ReplaceAll(p, "*", "x"), ""); err != nil || p == "" {
			bad(d.Policy.Images.Pos, "policy.images", "write an image name with * for any part, e.g. registry.example.com/*", "%q is not an image pattern", p)
		}
	}
	for _, name := range d.Policy.LockArgs.V {
		if !argName.MatchString(name) {
			bad(d.Policy.LockArgs.Pos, "policy.lockArgs", "use letters, digits and _", "%q is not a valid arg name", name)
		}
	}
	if err := spec.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// pinned explains why ref is not an image reference pinned by digest, or
// returns "".
func pinned(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return fmt.Sprintf("%q is not an image reference", ref)
	}
	if _, ok := named.(reference.Canonical); !ok {
		return fmt.Sprintf("%s is not pinned by digest, so builds could start from different images", ref)
	}
	return ""
}

func checkPEM(data string) error {
	rest := []byte(data)
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("a %s block is not a certificate", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", n+1, err)
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("no PEM certificate found")
	}
	if strings.TrimSpace(string(rest)) != "" {
		return fmt.Errorf("text after the last certificate is not PEM")
	}
	return nil
}

// Source is how plans and outlines name where a setting came from.
func (d *Defaults) Source(pos spec.Pos) string {
	if pos.IsZero() {
		return "organisation defaults " + d.File
	}
	return fmt.Sprintf("organisation defaults %s line %d", d.File, pos.Line)
}

// Image maps a base image reference to the organisation's copy, if any.
func (d *Defaults) Image(ref string) (string, spec.Pos, bool) {
	if d == nil {
		return "", spec.Pos{}, false
	}
	want := normal(ref)
	for _, from := range sortedKeys(d.Images.V) {
		if normal(from) == want {
			return d.Images.V[from], d.Images.KeyPos(from), true
		}
	}
	return "", spec.Pos{}, false
}

// normal is the full form of an image reference (docker.io/library/…:latest),
// so golang:1.26 and docker.io/library/golang:1.26 are one image.
func normal(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.TagNameOnly(named).String()
}

// ImageAllowed reports whether policy.images lets a build start from ref
// (as written or in full form).
func (d *Defaults) ImageAllowed(ref string) bool {
	if d == nil || !d.Policy.Images.Set {
		return true
	}
	for _, p := range d.Policy.Images.V {
		if glob(p, ref) || glob(p, normal(ref)) {
			return true
		}
	}
	return false
}

// glob matches * against any run of characters, '/' included.
func glob(pattern, s string) bool {
	re := "^" + strings.ReplaceAll(regexp.QuoteMeta(pattern), `\*`, ".*") + "$"
	ok, _ := regexp.MatchString(re, s)
	return ok
}

// Denied reports whether policy.deny forbids writing key (itself or a
// section or mapping it is under).
func (d *Defaults) Denied(key string) (string, bool) {
	if d == nil {
		return "", false
	}
	for _, k := range d.Policy.Deny.V {
		if key == k || strings.HasPrefix(key, k+".") {
			return k, true
		}
	}
	return "", false
}

// ArgLocked reports whether users may not set the arg.
func (d *Defaults) ArgLocked(name string) bool {
	return d != nil && slices.Contains(d.Policy.LockArgs.V, name)
}

// CacheNS prefixes the client's cache namespace with the organisation's.
func (d *Defaults) CacheNS(client string) string {
	if d == nil || !d.CacheNamespace.Set {
		return client
	}
	return path.Join(d.CacheNamespace.V, client)
}

// Enforced are the lint rules whose findings fail every build.
func (d *Defaults) Enforced() []string {
	if d == nil {
		return nil
	}
	return d.Lint.Errors.V
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}
