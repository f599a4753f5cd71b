package main

import (
	"context"
	"maps"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/session/auth"
	"github.com/moby/buildkit/session/secrets"
	"github.com/moby/buildkit/session/sshforward"
)

const goService = "../../examples/go-service"

// export is what a test can compare of a client.ExportEntry.
type export struct {
	Type   string
	Attrs  map[string]string
	ToFile bool   // a tarball written through Output
	Dir    string // a directory written through OutputDir
}

type solveView struct {
	Frontend string
	Attrs    map[string]string
	Exports  []export
	CacheTo  []client.CacheOptionsEntry
	CacheFrm []client.CacheOptionsEntry
	Locals   []string
}

func viewOf(so client.SolveOpt) solveView {
	v := solveView{Frontend: so.Frontend, Attrs: so.FrontendAttrs, CacheTo: so.CacheExports, CacheFrm: so.CacheImports}
	for _, e := range so.Exports {
		v.Exports = append(v.Exports, export{Type: e.Type, Attrs: e.Attrs, ToFile: e.Output != nil, Dir: e.OutputDir})
	}
	v.Locals = slices.Sorted(maps.Keys(so.LocalMounts))
	return v
}

func solveOptOf(t *testing.T, args ...string) (client.SolveOpt, error) {
	t.Helper()
	cfg, err := parseBuildFlags(args)
	if err != nil {
		return client.SolveOpt{}, err
	}
	return cfg.SolveOpt()
}

func TestBuildFlagsToSolveOpt(t *testing.T) {
	t.Setenv("FROM_ENV", "env-value")
	t.Setenv("SOURCE_DATE_EPOCH", "")
	os.Unsetenv("SOURCE_DATE_EPOCH")
	os.Unsetenv("UNSET_ARG")
	out := t.TempDir()
	locals := []string{"context", "dockerfile"}
	df := map[string]string{"filename": "Dockerfile"}
	with := func(kv ...string) map[string]string {
		m := maps.Clone(df)
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	for _, tc := range []struct {
		name string
		args []string
		want solveView
	}{
		{"defaults: the syntax image through the Dockerfile frontend, nothing exported",
			[]string{goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals}},
		{"build args, target and platforms; flags after the directory",
			[]string{"--build-arg", "VERSION=1.2.3", "--build-arg", "FROM_ENV", "--build-arg", "UNSET_ARG", "--build-arg", "EMPTY=",
				goService, "--target", "build", "--platform", "linux/amd64, linux/arm64", "--platform=linux/arm/v7", "--no-cache"},
			solveView{Frontend: "dockerfile.v0", Locals: locals, Attrs: with("build-arg:VERSION", "1.2.3", "build-arg:FROM_ENV", "env-value",
				"build-arg:EMPTY", "", "target", "build", "platform", "linux/amd64,linux/arm64,linux/arm/v7", "no-cache", "")}},
		{"an OCI tarball, a local directory and a layout directory",
			[]string{"--output", "type=oci,dest=" + filepath.Join(out, "img.tar"), "-o", filepath.Join(out, "files"),
				"--output=type=docker,dest=" + filepath.Join(out, "layout") + ",tar=false", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals, Exports: []export{
				{Type: "oci", Attrs: map[string]string{}, ToFile: true},
				{Type: "local", Attrs: map[string]string{}, Dir: filepath.Join(out, "files")},
				{Type: "docker", Attrs: map[string]string{"tar": "false"}, Dir: filepath.Join(out, "layout")}}}},
		{"-t and --push give a pushed image output",
			[]string{"-t", "reg.example/app:1", "--tag", "reg.example/app:latest", "--push", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals, Exports: []export{
				{Type: "image", Attrs: map[string]string{"name": "reg.example/app:1,reg.example/app:latest", "push": "true"}}}}},
		{"-t names an oci tarball's image; type=registry pushes",
			[]string{"-t", "app:1", "-o", "type=oci,dest=" + filepath.Join(out, "a.tar"), "-o", "type=registry,name=reg.example/x,registry.insecure=true", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals, Exports: []export{
				{Type: "oci", Attrs: map[string]string{"name": "app:1"}, ToFile: true},
				{Type: "image", Attrs: map[string]string{"name": "reg.example/x", "push": "true", "registry.insecure": "true"}}}}},
		{"--push marks an image output pushed",
			[]string{"--push", "-o", "type=image,name=reg.example/y,oci-mediatypes=true", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals, Exports: []export{
				{Type: "image", Attrs: map[string]string{"name": "reg.example/y", "push": "true", "oci-mediatypes": "true"}}}}},
		{"-t alone keeps the image in the daemon",
			[]string{"-t", "app:dev", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals, Exports: []export{
				{Type: "image", Attrs: map[string]string{"name": "app:dev"}}}}},
		{"caches: registry (also a bare ref) and local",
			[]string{"--cache-from", "type=registry,ref=reg.example/cache:main", "--cache-from", "reg.example/cache:branch",
				"--cache-from", "type=local,src=/tmp/c", "--cache-to", "type=registry,ref=reg.example/cache:branch,mode=max",
				"--cache-to", "type=local,dest=/tmp/c2", goService},
			solveView{Frontend: "dockerfile.v0", Attrs: df, Locals: locals,
				CacheFrm: []client.CacheOptionsEntry{
					{Type: "registry", Attrs: map[string]string{"ref": "reg.example/cache:main"}},
					{Type: "registry", Attrs: map[string]string{"ref": "reg.example/cache:branch"}},
					{Type: "local", Attrs: map[string]string{"src": "/tmp/c"}}},
				CacheTo: []client.CacheOptionsEntry{
					{Type: "registry", Attrs: map[string]string{"ref": "reg.example/cache:branch", "mode": "max"}},
					{Type: "local", Attrs: map[string]string{"dest": "/tmp/c2"}}}}},
		{"--call outline asks the syntax image through the Dockerfile frontend; nothing is exported",
			[]string{"--call", "outline", "-o", "type=oci,dest=" + filepath.Join(out, "never.tar"), "--cache-to", "type=local,dest=/tmp/c3", goService},
			solveView{Frontend: "dockerfile.v0", Locals: locals,
				Attrs: with("requestid", "frontend.outline", "frontend.caps", "moby.buildkit.frontend.subrequests+forward")}},
		{"--check in process: Strata answers the lint request itself",
			[]string{"--check", "--in-process", goService},
			solveView{Frontend: "", Locals: locals, Attrs: with("requestid", "frontend.lint")}},
		{"--in-process builds with no frontend image",
			[]string{"--in-process", "--target", "test", goService},
			solveView{Frontend: "", Locals: locals, Attrs: with("target", "test")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			so, err := solveOptOf(t, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			if got := viewOf(so); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("args %q\n got %+v\nwant %+v", tc.args, got, tc.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(out, "img.tar")); !os.IsNotExist(err) {
		t.Errorf("parsing --output created the tarball (%v): it is for BuildKit's export", err)
	}
}

func TestBuildSourceDateEpochFromEnvironment(t *testing.T) {
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	so, err := solveOptOf(t, goService)
	if err != nil {
		t.Fatal(err)
	}
	if so.FrontendAttrs["build-arg:SOURCE_DATE_EPOCH"] != "1700000000" {
		t.Errorf("attrs %v", so.FrontendAttrs)
	}
	so, err = solveOptOf(t, "--build-arg", "SOURCE_DATE_EPOCH=5", goService)
	if err != nil || so.FrontendAttrs["build-arg:SOURCE_DATE_EPOCH"] != "5" {
		t.Errorf("an explicit --build-arg loses to the environment: %v %v", so.FrontendAttrs, err)
	}
}

func TestBuildDescriptionFile(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n\ngo 1.26\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "ci"), 0o755)
	os.WriteFile(filepath.Join(dir, "ci", "strata.yaml"), []byte("# syntax=localhost:5000/strata:dev\napp: go\n"), 0o644)
	// -f is relative to the current directory, as with buildx
	t.Chdir(dir)
	so, err := solveOptOf(t, "-f", "ci/strata.yaml", ".")
	if err != nil {
		t.Fatal(err)
	}
	if so.FrontendAttrs["filename"] != "strata.yaml" {
		t.Errorf("filename %q", so.FrontendAttrs["filename"])
	}
	// the dockerfile local is the description's directory, the context the directory
	if _, err := so.LocalMounts["dockerfile"].Open("strata.yaml"); err != nil {
		t.Errorf("dockerfile local: %v", err)
	}
	if _, err := so.LocalMounts["context"].Open("go.mod"); err != nil {
		t.Errorf("context local: %v", err)
	}
}

func TestBuildFlagErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("app: go\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "syntax.yaml"), []byte("# syntax=localhost:5000/strata:dev\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--platform", "linux/amd64,windoze!/x", goService}, "--platform windoze!/x"},
		{[]string{"-o", "type=tarball,dest=x", goService}, `unknown type "tarball"`},
		{[]string{"-o", "type=oci", goService}, "dest= names the tarball"},
		{[]string{"-o", "type=local", goService}, "dest= names the directory"},
		{[]string{"-o", "dest=x", goService}, "no type="},
		{[]string{"-o", "type=image,dest=x", goService}, "takes no dest="},
		{[]string{"-o", "type=oci,dest=" + dir, goService}, "is a directory"},
		{[]string{"--push", goService}, "--push: no image name"},
		{[]string{"--cache-to", "type=local", goService}, "dest= names the cache directory"},
		{[]string{"--cache-from", "type=local,dest=x", goService}, "src= names the cache directory"},
		{[]string{"--cache-from", "type=registry", goService}, "ref= names the cache image"},
		{[]string{"--secret", "src=/etc/hostname", goService}, "no id="},
		{[]string{"--secret", "id=a,file=/x", goService}, `unknown key "file"`},
		{[]string{"--secret", "id=a,src=" + filepath.Join(dir, "none"), goService}, "failed to stat"},
		{[]string{"--ssh", "default=" + filepath.Join(dir, "none"), goService}, "--ssh"},
		{[]string{"--call", "lint", goService}, "--call lint: unknown"},
		{[]string{"--check", "--call", "outline", goService}, "ask for two things"},
		{[]string{"--build-arg", "=x", goService}, "want NAME=VALUE"},
		{[]string{goService, dir}, "one directory"},
		{[]string{filepath.Join(dir, "nowhere")}, "build context"},
		{[]string{"-f", filepath.Join(dir, "none.yaml"), dir}, "description: open"},
		{[]string{dir}, "has no `# syntax=` line"},
		{[]string{"--bogus", dir}, "flag provided but not defined: -bogus"},
	} {
		_, err := solveOptOf(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	// in process, or with BUILDKIT_SYNTAX, a description needs no syntax line
	for _, args := range [][]string{{"--in-process", dir}, {"--build-arg", "BUILDKIT_SYNTAX=localhost:5000/strata:dev", dir}, {"-f", filepath.Join(dir, "syntax.yaml"), dir}} {
		if _, err := solveOptOf(t, args...); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
}

// The session serves registry credentials, the secrets as given and the
// SSH sockets by id.
func TestBuildSessionAttachables(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "netrc")
	os.WriteFile(file, []byte("machine x login y"), 0o600)
	t.Setenv("GH_TOKEN_FOR_TEST", "tok-123")
	t.Setenv("npmrc", "from-env-by-id")
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	so, err := solveOptOf(t, "--secret", "id=netrc,src="+file, "--secret", "id=gh_token,env=GH_TOKEN_FOR_TEST",
		"--secret", "id=npmrc", "--secret", "type=env,id=tok2,src=GH_TOKEN_FOR_TEST", "--ssh", "default", "--ssh", "deploy="+sock, goService)
	if err == nil {
		t.Fatal("--ssh default with no agent socket was accepted")
	}
	t.Setenv("SSH_AUTH_SOCK", sock)
	so, err = solveOptOf(t, "--secret", "id=netrc,src="+file, "--secret", "id=gh_token,env=GH_TOKEN_FOR_TEST",
		"--secret", "id=npmrc", "--secret", "type=env,id=tok2,src=GH_TOKEN_FOR_TEST", "--ssh", "default", "--ssh", "deploy="+sock, goService)
	if err != nil {
		t.Fatal(err)
	}
	var sec secrets.SecretsServer
	var ssh sshforward.SSHServer
	var creds bool
	for _, a := range so.Session {
		switch a := a.(type) {
		case secrets.SecretsServer:
			sec = a
		case sshforward.SSHServer:
			ssh = a
		case auth.AuthServer:
			creds = true
		}
	}
	if sec == nil || ssh == nil || !creds {
		t.Fatalf("session %T: secrets %v ssh %v credentials %v", so.Session, sec != nil, ssh != nil, creds)
	}
	ctx := context.Background()
	for id, want := range map[string]string{"netrc": "machine x login y", "gh_token": "tok-123", "npmrc": "from-env-by-id", "tok2": "tok-123"} {
		got, err := sec.GetSecret(ctx, &secrets.GetSecretRequest{ID: id})
		if err != nil || string(got.Data) != want {
			t.Errorf("secret %s = %q, %v; want %q", id, got.GetData(), err, want)
		}
	}
	if _, err := sec.GetSecret(ctx, &secrets.GetSecretRequest{ID: "other"}); err == nil {
		t.Error("a secret never given was served")
	}
	for _, id := range []string{"default", "deploy"} {
		if _, err := ssh.CheckAgent(ctx, &sshforward.CheckAgentRequest{ID: id}); err != nil {
			t.Errorf("ssh %s: %v", id, err)
		}
	}
	if _, err := ssh.CheckAgent(ctx, &sshforward.CheckAgentRequest{ID: "other"}); err == nil {
		t.Error("an ssh id never given was served")
	}
}
