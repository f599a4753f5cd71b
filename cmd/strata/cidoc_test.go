package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/strata-build/strata/internal/cacheprune"
)

// The inputs docker/build-push-action v7 documents (its action.yml).
var buildPushInputs = []string{
	"add-hosts", "allow", "annotations", "attests", "build-args", "build-contexts", "builder", "cache-from",
	"cache-to", "call", "cgroup-parent", "context", "file", "labels", "load", "network", "no-cache",
	"no-cache-filters", "outputs", "platforms", "provenance", "pull", "push", "sbom", "secrets",
	"secret-envs", "secret-files", "shm-size", "ssh", "tags", "target", "ulimit", "github-token",
}

// yamlBlocks are the ```yml blocks of a Markdown file: CI configurations
// (```yaml blocks in docs are Strata descriptions, which
// frontend/schema checks).
func yamlBlocks(t *testing.T, path string) []map[string]any {
	t.Helper()
	dt, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []map[string]any
	for i, part := range strings.Split(string(dt), "```yml\n")[1:] {
		src, _, ok := strings.Cut(part, "\n```")
		if !ok {
			t.Fatalf("%s: yaml block %d is not closed", path, i+1)
		}
		var doc map[string]any
		if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
			t.Fatalf("%s: yaml block %d: %v\n%s", path, i+1, err, src)
		}
		if len(doc) == 0 {
			t.Fatalf("%s: yaml block %d is empty", path, i+1)
		}
		blocks = append(blocks, doc)
	}
	return blocks
}

// buildFlag is one flag of a build command and its value ("" for --push).
type buildFlag struct{ name, value string }

// scriptFlags runs docs/ci/build.sh with DRY_RUN=1 and reads the flags it
// would pass.
func scriptFlags(t *testing.T, present []string, env ...string) []buildFlag {
	t.Helper()
	cmd := exec.Command("bash", "../../docs/ci/build.sh")
	cmd.Env = append(registryStub(t, present), append([]string{"DRY_RUN=1", "CONTEXT=."}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("build.sh %q: %v\n%s", env, err, stderr.String())
	}
	args := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if !slices.Equal(args[:3], []string{"docker", "buildx", "build"}) || args[len(args)-1] != "." {
		t.Fatalf("build.sh printed %q", args)
	}
	var flags []buildFlag
	for i := 3; i < len(args)-1; i++ {
		if args[i] == "--push" {
			flags = append(flags, buildFlag{name: args[i]})
			continue
		}
		flags = append(flags, buildFlag{args[i], args[i+1]})
		i++
	}
	return dedupe(flags)
}

func dedupe(flags []buildFlag) []buildFlag {
	slices.SortFunc(flags, func(a, b buildFlag) int { return strings.Compare(a.name+" "+a.value, b.name+" "+b.value) })
	return slices.Compact(flags)
}

// scriptVariables are the environment variables docs/ci/build.sh's
// header documents.
func scriptVariables(t *testing.T) []string {
	t.Helper()
	dt, err := os.ReadFile("../../docs/ci/build.sh")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^#   ([A-Z_]+) `).FindAllStringSubmatch(string(dt), -1) {
		names = append(names, m[1])
	}
	if len(names) < 5 {
		t.Fatalf("build.sh documents only %q", names)
	}
	return names
}

func lines(v any) []string {
	s, _ := v.(string)
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' && !strings.Contains(s, "type=") }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func list(v any) []map[string]any {
	items, _ := v.([]any)
	var out []map[string]any
	for _, it := range items {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// runSlugStep runs the workflow step that names the cache tags, as the
// runner would, and returns its outputs.
func runSlugStep(t *testing.T, step map[string]any, env map[string]any, present []string, branch, defaultBranch string) map[string]string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "output")
	cmd := exec.Command("bash", "-e", "-c", step["run"].(string))
	cmd.Env = append(registryStub(t, present), "BRANCH="+branch, "DEFAULT_BRANCH="+defaultBranch, "GITHUB_OUTPUT="+out)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v.(string))
	}
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the slug step: %v\n%s", err, msg)
	}
	dt, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(dt)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		outputs[k] = v
	}
	return outputs
}

// registryStub is the environment of a recipe's shell with a docker CLI
// that stands for `docker buildx imagetools inspect` of a registry holding
// just the refs present.
func registryStub(t *testing.T, present []string) []string {
	t.Helper()
	dir := t.TempDir()
	stub := "#!/bin/sh\n[ \"$1 $2 $3\" = \"buildx imagetools inspect\" ] || { echo \"stub docker: $*\" >&2; exit 2; }\n" +
		"case \" $STUB_PRESENT \" in *\" $4 \"*) exit 0 ;; esac\nexit 1\n"
	if err := os.WriteFile(filepath.Join(dir, "docker"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + dir + string(os.PathListSeparator) + os.Getenv("PATH"), "STUB_PRESENT=" + strings.Join(present, " ")}
}

var expression = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// pruneCommands checks each `strata … cache prune` line parses as the
// command does.
func checkPruneLines(t *testing.T, where string, cmds []string) int {
	t.Helper()
	n := 0
	for _, c := range cmds {
		_, rest, ok := strings.Cut(c, " cache prune ")
		if !ok {
			continue
		}
		n++
		var args []string
		for _, f := range strings.Fields(rest) {
			f = strings.Trim(f, `"`)
			f = regexp.MustCompile(`\$[A-Z_]+`).ReplaceAllString(f, "x")
			args = append(args, f)
		}
		if _, _, err := parsePruneFlags(args); err != nil {
			t.Errorf("%s: %q: %v", where, c, err)
		}
	}
	return n
}

// docs/ci.md's CI files are written against the tools' documented inputs
// and must pass the flags docs/ci/build.sh passes (the script is what the
// integration test runs).
func TestCIDocRecipes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil || !strings.Contains(string(readme), "(docs/ci.md)") {
		t.Errorf("README.md does not link docs/ci.md")
	}
	doc, err := os.ReadFile("../../docs/ci.md")
	if err != nil || !strings.Contains(string(doc), "(ci/build.sh)") {
		t.Errorf("docs/ci.md does not link docs/ci/build.sh")
	}
	vars := scriptVariables(t)
	var registryJobs, ghaJobs, gitlabJobs, prunes int
	for _, block := range yamlBlocks(t, "../../docs/ci.md") {
		if jobs, ok := block["jobs"].(map[string]any); ok { // GitHub Actions
			env, _ := block["env"].(map[string]any)
			for name, j := range jobs {
				job, _ := j.(map[string]any)
				steps := list(job["steps"])
				if len(steps) == 0 {
					t.Fatalf("job %s has no steps", name)
				}
				var slugStep map[string]any
				for _, s := range steps {
					if s["id"] == "cache" {
						slugStep = s
					}
					if run, ok := s["run"].(string); ok {
						prunes += checkPruneLines(t, "job "+name, strings.Split(run, "\n"))
					}
					uses, _ := s["uses"].(string)
					if !strings.HasPrefix(uses, "docker/build-push-action@") {
						continue
					}
					with, _ := s["with"].(map[string]any)
					for k := range with {
						if !slices.Contains(buildPushInputs, k) {
							t.Errorf("job %s: build-push-action has no input %q", name, k)
						}
					}
					if with["context"] != "." {
						t.Errorf("job %s: context %v: the action would build the Git context, not the checkout", name, with["context"])
					}
					if strings.Contains(with["cache-from"].(string), "type=gha") {
						ghaJobs++
						from, to := lines(with["cache-from"]), lines(with["cache-to"])
						if len(from) != 1 || len(to) != 1 || !strings.HasSuffix(to[0], ",mode=max") || strings.TrimSuffix(to[0], ",mode=max") != from[0] {
							t.Errorf("job %s: gha cache-from %q, cache-to %q: one scope, exported with mode=max", name, from, to)
						}
						continue
					}
					registryJobs++
					if slugStep == nil {
						t.Fatalf("job %s: no step with id cache names the cache tags", name)
					}
					for _, c := range []struct {
						branch  string
						present []string // the cache tags the registry holds
					}{
						{"main", nil}, {"main", []string{"cache-main"}},
						{"feature/Login", []string{"cache-main"}}, {"feature/Login", []string{"cache-main", "cache-feature-login"}},
						{"release/2.1", nil}, {"dependabot/go_modules/x", []string{"cache-dependabot-go_modules-x"}},
					} {
						branch := c.branch
						var present []string
						for _, tag := range c.present {
							present = append(present, env["IMAGE"].(string)+":"+tag)
						}
						outputs := runSlugStep(t, slugStep, env, present, branch, "main")
						if want := "cache-" + cacheprune.Slug(branch); outputs["branch"] != want {
							t.Errorf("the slug step names %q %q, strata cache prune %q", branch, outputs["branch"], want)
						}
						subst := func(s string) string {
							return expression.ReplaceAllStringFunc(s, func(e string) string {
								x := expression.FindStringSubmatch(e)[1]
								switch {
								case strings.HasPrefix(x, "env."):
									return env[strings.TrimPrefix(x, "env.")].(string)
								case x == "github.sha":
									return "0123abc"
								case strings.HasPrefix(x, "steps.cache.outputs."):
									return outputs[strings.TrimPrefix(x, "steps.cache.outputs.")]
								}
								t.Fatalf("job %s: no value for the expression %s", name, e)
								return ""
							})
						}
						var got []buildFlag
						for _, v := range lines(with["cache-from"]) {
							got = append(got, buildFlag{"--cache-from", subst(v)})
						}
						for _, v := range lines(with["cache-to"]) {
							got = append(got, buildFlag{"--cache-to", subst(v)})
						}
						for _, v := range lines(with["tags"]) {
							got = append(got, buildFlag{"--tag", subst(v)})
						}
						if with["push"] == true {
							got = append(got, buildFlag{name: "--push"})
						}
						want := scriptFlags(t, present, "IMAGE="+env["IMAGE"].(string), "TAG=0123abc", "BRANCH="+branch, "DEFAULT_BRANCH=main")
						if got = dedupe(got); !slices.Equal(got, want) {
							t.Errorf("job %s on branch %s with %q in the registry passes\n%q\nbuild.sh passes\n%q", name, branch, c.present, got, want)
						}
						// one cache, the branch's once the registry holds it
						own := slices.Contains(c.present, "cache-"+cacheprune.Slug(branch))
						wantFrom := "type=registry,ref=" + env["IMAGE"].(string) + ":cache-" + cacheprune.Slug(branch)
						if !own {
							wantFrom = "type=registry,ref=" + env["IMAGE"].(string) + ":cache-main"
						}
						if from := slices.DeleteFunc(slices.Clone(want), func(f buildFlag) bool { return f.name != "--cache-from" }); len(from) != 1 || from[0].value != wantFrom {
							t.Errorf("branch %s with %q in the registry imports %q, want %s alone", branch, c.present, from, wantFrom)
						}
					}
				}
			}
			continue
		}
		for name, j := range block { // GitLab CI
			job, ok := j.(map[string]any)
			if !ok {
				continue
			}
			script, _ := job["script"].([]any)
			var cmds []string
			for _, l := range script {
				cmds = append(cmds, l.(string))
			}
			before, _ := job["before_script"].([]any)
			prunes += checkPruneLines(t, "gitlab job "+name, cmds)
			if !slices.ContainsFunc(cmds, func(c string) bool { return strings.Contains(c, "docs/ci/build.sh") }) {
				continue
			}
			gitlabJobs++
			variables, _ := job["variables"].(map[string]any)
			env := []string{"CI_COMMIT_REF_NAME=feature/x", "CI_DEFAULT_BRANCH=main"}
			for k, v := range variables {
				if strings.HasPrefix(k, "DOCKER_") {
					continue // the docker CLI's, for the dind service
				}
				if !slices.Contains(vars, k) {
					t.Errorf("gitlab job %s sets %s, which build.sh does not read (it reads %q)", name, k, vars)
				}
				env = append(env, k+"="+strings.NewReplacer("$CI_REGISTRY_IMAGE", "registry.example.com/group/project", "$CI_COMMIT_SHORT_SHA", "0123abc").Replace(v.(string)))
			}
			got := scriptFlags(t, []string{"registry.example.com/group/project/api:cache-feature-x"}, env...)
			for _, want := range []buildFlag{
				{"--cache-from", "type=registry,ref=registry.example.com/group/project/api:cache-feature-x"},
				{"--cache-to", "type=registry,ref=registry.example.com/group/project/api:cache-feature-x,mode=max"},
				{"--tag", "registry.example.com/group/project/api:0123abc"},
			} {
				if !slices.Contains(got, want) {
					t.Errorf("gitlab job %s: build.sh with GitLab's variables passes %q, not %q", name, got, want)
				}
			}
			if !slices.ContainsFunc(before, func(c any) bool { return strings.Contains(c.(string), "buildx create --driver docker-container --use") }) {
				t.Errorf("gitlab job %s: no docker-container builder: the docker driver exports no cache", name)
			}
		}
	}
	if registryJobs != 1 || ghaJobs != 1 || gitlabJobs != 1 || prunes != 2 {
		t.Errorf("found %d registry-cache and %d gha workflows, %d gitlab build jobs and %d prune commands; the page shows 1, 1, 1 and 2", registryJobs, ghaJobs, gitlabJobs, prunes)
	}
}
