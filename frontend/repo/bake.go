package repo

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Target is one bake target: an app's image.
type Target struct {
	Name       string // target and image name
	Context    string // relative to the repository root
	Dockerfile string // relative to the context
}

// Bake writes docker-bake.hcl: a target per app and a default group of
// them all. Images are tagged ${REGISTRY}/<name>:${TAG}; each caches in
// the registry at <image>:cache-${BRANCH} (mode=max: every stage, so the
// dependency steps are found too), falling back to the default branch's,
// so a new branch starts warm.
func Bake(targets []Target) []byte {
	b := &strings.Builder{}
	b.WriteString(`# Written by ` + "`strata init`" + `: one target per app, each built through the
# Strata frontend its Dockerfile's syntax line names. Run at the repository root:
#   docker buildx bake                    # every app, for the builder's platform
#   docker buildx bake api --print        # what one target resolves to
#   REGISTRY=ghcr.io/acme TAG=$(git rev-parse --short HEAD) BRANCH=feature-x \
#     PLATFORMS=linux/amd64,linux/arm64 docker buildx bake --push
# Each app caches in the registry at <image>:cache-<BRANCH> and starts from
# <image>:cache-<DEFAULT_BRANCH> when its branch has none yet.

variable "REGISTRY" {
  default = "localhost:5000"
}

variable "TAG" {
  default = "dev"
}

variable "BRANCH" {
  default = "main"
}

variable "DEFAULT_BRANCH" {
  default = "main"
}

# Comma-separated; empty builds for the builder's own platform.
variable "PLATFORMS" {
  default = ""
}

`)
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = strconv.Quote(t.Name)
	}
	fmt.Fprintf(b, "group \"default\" {\n  targets = [%s]\n}\n", strings.Join(names, ", "))
	for _, t := range targets {
		image := "${REGISTRY}/" + t.Name
		fmt.Fprintf(b, `
target %q {
  context    = %q
  dockerfile = %q
  tags       = ["%s:${TAG}"]
  platforms  = compact(split(",", PLATFORMS))
  cache-from = [
    "type=registry,ref=%s:cache-${BRANCH}",
    "type=registry,ref=%s:cache-${DEFAULT_BRANCH}",
  ]
  cache-to   = ["type=registry,ref=%s:cache-${BRANCH},mode=max"]
}
`, t.Name, t.Context, t.Dockerfile, image, image, image, image)
	}
	return []byte(b.String())
}

var notName = regexp.MustCompile(`[^a-z0-9_-]+`)

// targetName makes a bake target and image name of a path or package
// name: lower case, anything else a dash.
func targetName(s string) string {
	s = strings.TrimPrefix(strings.ToLower(s), "@")
	return strings.Trim(notName.ReplaceAllString(s, "-"), "-_")
}

// names gives every app a target name: its own name, else its
// description's directory's; when two would share one, both take their
// description's path instead (backend-cmd-api).
func names(found []Found, rootName string) []string {
	want := make([]string, len(found))
	for i, f := range found {
		dir := path.Join(f.Context, f.App.Dir)
		switch {
		case f.App.Name != "":
			want[i] = targetName(path.Base(f.App.Name))
		case dir == ".":
			want[i] = targetName(rootName)
		default:
			want[i] = targetName(path.Base(dir))
		}
		if want[i] == "" {
			want[i] = "app"
		}
	}
	count := map[string]int{}
	for _, n := range want {
		count[n]++
	}
	for i, f := range found {
		if count[want[i]] > 1 {
			if dir := path.Join(f.Context, f.App.Dir); dir != "." {
				want[i] = targetName(dir)
			}
		}
	}
	return want
}
