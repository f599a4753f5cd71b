// Package buildrun runs `strata build`: it turns the command's flags into a
// BuildKit solve (the same options buildx and buildctl send), runs it
// through the frontend image or Strata's frontend in this process, shows
// BuildKit's progress display and prints errors and warnings at the
// description's lines.
package buildrun

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/containerd/console"
	"github.com/containerd/platforms"
	"github.com/docker/cli/cli/config"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/auth/authprovider"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"
	"github.com/tonistiigi/go-csvvalue"

	"github.com/strata-build/strata/frontend/defaults"
)

// Config is one `strata build`, as its flags give it.
type Config struct {
	Addr   string // BuildKit's address; "" is DefaultAddr()
	TLSDir string // ca.pem, cert.pem and key.pem for a tcp:// daemon

	Dir       string // the build context
	File      string // the description's path
	InProcess bool   // run Strata's frontend here instead of the `# syntax=` image
	// Defaults are the organisation defaults the in-process frontend
	// starts from, as a published image's would (nil for none).
	Defaults *defaults.Defaults

	Platforms []string // each may be a comma list
	BuildArgs []string // K=V, or K to take the value from the environment
	Target    string
	NoCache   bool
	Secrets   []string // id=…,src=…|env=…
	SSH       []string // default | id=path[,path]
	Outputs   []string // type=…,… as buildx reads them, or a directory
	Tags      []string
	Push      bool
	CacheFrom []string
	CacheTo   []string

	Call         string // "", check, outline or targets
	Progress     string // auto, plain, tty, rawjson or quiet
	MetadataFile string // where to write the exporters' response as JSON
}

// frontendImage is the frontend BuildKit runs by default: the Dockerfile
// frontend, which follows the description's `# syntax=` line, as buildx
// and buildctl do.
const frontendImage = "dockerfile.v0"

// calls are the subrequests --call names, as buildx names them.
var calls = map[string]string{
	"check":   "frontend.lint",
	"outline": "frontend.outline",
	"targets": "frontend.targets",
}

// SolveOpt is the solve the build sends: the context and description
// directories, the frontend and its options, exports, caches and the
// session's secrets, SSH sockets and registry credentials.
func (c Config) SolveOpt() (client.SolveOpt, error) {
	var so client.SolveOpt
	attrs, err := c.frontendAttrs()
	if err != nil {
		return so, err
	}
	so.FrontendAttrs = attrs
	if !c.InProcess {
		so.Frontend = frontendImage
	}
	if so.LocalMounts, err = c.localMounts(); err != nil {
		return so, err
	}
	if so.CacheImports, err = parseCaches("--cache-from", c.CacheFrom, false); err != nil {
		return so, err
	}
	if c.Call == "" { // a call only answers: nothing to export
		if so.Exports, err = c.exports(); err != nil {
			return so, err
		}
		if so.CacheExports, err = parseCaches("--cache-to", c.CacheTo, true); err != nil {
			return so, err
		}
	}
	if so.Session, err = c.attachables(); err != nil {
		return so, err
	}
	return so, nil
}

func (c Config) frontendAttrs() (map[string]string, error) {
	attrs := map[string]string{"filename": filepath.Base(c.File)}
	if c.Target != "" {
		attrs["target"] = c.Target
	}
	if c.NoCache {
		attrs["no-cache"] = ""
	}
	var plats []string
	for _, list := range c.Platforms {
		for _, p := range strings.Split(list, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			spec, err := platforms.Parse(p)
			if err != nil {
				return nil, fmt.Errorf("--platform %s: %v (e.g. linux/amd64,linux/arm64)", p, err)
			}
			plats = append(plats, platforms.Format(platforms.Normalize(spec)))
		}
	}
	if len(plats) > 0 {
		attrs["platform"] = strings.Join(plats, ",")
	}
	for _, a := range c.BuildArgs {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, fmt.Errorf("--build-arg %q: want NAME=VALUE, or NAME to pass the environment's value", a)
		}
		if !ok { // as buildx: the environment's value, or nothing
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		attrs["build-arg:"+k] = v
	}
	// As buildx and buildctl: the client's SOURCE_DATE_EPOCH reaches the build.
	if v, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok {
		if _, set := attrs["build-arg:SOURCE_DATE_EPOCH"]; !set {
			attrs["build-arg:SOURCE_DATE_EPOCH"] = v
		}
	}
	if c.Call != "" {
		req, ok := calls[c.Call]
		if !ok {
			return nil, fmt.Errorf("--call %s: unknown (check, outline or targets)", c.Call)
		}
		attrs["requestid"] = req
		if !c.InProcess {
			// the Dockerfile frontend forwards the request to the syntax image
			attrs["frontend.caps"] = "moby.buildkit.frontend.subrequests+forward"
		}
	}
	return attrs, nil
}

func (c Config) localMounts() (map[string]fsutil.FS, error) {
	if fi, err := os.Stat(c.Dir); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("build context %s is not a directory", c.Dir)
	}
	if err := c.checkDescription(); err != nil {
		return nil, err
	}
	ctxFS, err := fsutil.NewFS(c.Dir)
	if err != nil {
		return nil, err
	}
	descFS, err := fsutil.NewFS(filepath.Dir(c.File))
	if err != nil {
		return nil, err
	}
	return map[string]fsutil.FS{"context": ctxFS, "dockerfile": descFS}, nil
}

// checkDescription refuses early what BuildKit would report obscurely: the
// file must exist (it may be empty), and the Dockerfile frontend needs its
// `# syntax=` line to find Strata.
func (c Config) checkDescription() error {
	data, err := os.ReadFile(c.File)
	if err != nil {
		return fmt.Errorf("description: %w (name it with -f; an empty file with a `# syntax=` line detects everything)", err)
	}
	if c.InProcess || slices.ContainsFunc(c.BuildArgs, func(a string) bool { return strings.HasPrefix(a, "BUILDKIT_SYNTAX=") }) {
		return nil
	}
	if _, _, _, ok := parser.DetectSyntax(data); !ok {
		return fmt.Errorf("%s has no `# syntax=` line naming the Strata frontend image: add one as its first line (e.g. `# syntax=localhost:5000/strata:dev`), or build with --in-process", c.File)
	}
	return nil
}

// exports are the --output entries, with -t naming images and --push
// pushing them, as buildx reads them.
func (c Config) exports() ([]client.ExportEntry, error) {
	var out []client.ExportEntry
	for _, s := range c.Outputs {
		e, err := parseOutput(s)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	names := strings.Join(c.Tags, ",")
	hasImage := false
	for i := range out {
		switch out[i].Type {
		case client.ExporterImage:
			hasImage = true
			if c.Push {
				out[i].Attrs["push"] = "true"
			}
			fallthrough
		case client.ExporterOCI, client.ExporterDocker:
			if out[i].Attrs["name"] == "" && names != "" {
				out[i].Attrs["name"] = names
			}
		}
	}
	if !hasImage && (c.Push || len(out) == 0 && names != "") {
		e := client.ExportEntry{Type: client.ExporterImage, Attrs: map[string]string{}}
		if names != "" {
			e.Attrs["name"] = names
		}
		if c.Push {
			e.Attrs["push"] = "true"
		}
		out = append(out, e)
	}
	for _, e := range out {
		if e.Type == client.ExporterImage && e.Attrs["push"] == "true" && e.Attrs["name"] == "" {
			return nil, fmt.Errorf("--push: no image name (give one with -t NAME or --output type=image,name=NAME)")
		}
	}
	return out, nil
}

// parseOutput reads one --output as buildx does: CSV key=value fields
// with a type, `type=registry` for a pushed image, a bare path for a
// local directory and `-` for a tarball on stdout. Files are created when
// BuildKit exports, not before.
func parseOutput(s string) (client.ExportEntry, error) {
	e := client.ExportEntry{Attrs: map[string]string{}}
	if !strings.Contains(s, "=") {
		if s == "-" {
			e.Type = client.ExporterTar
		} else {
			e.Type = client.ExporterLocal
		}
		e.Attrs["dest"] = s
	} else {
		var err error
		if e.Type, err = typedFields("--output", s, e.Attrs); err != nil {
			return e, err
		}
	}
	switch e.Type {
	case "registry":
		e.Type = client.ExporterImage
		e.Attrs["push"] = "true"
	case client.ExporterImage, client.ExporterOCI, client.ExporterDocker, client.ExporterLocal, client.ExporterTar, "cacheonly":
	case "":
		return e, fmt.Errorf("--output %s: no type= (image, registry, oci, docker, local or tar)", s)
	default:
		return e, fmt.Errorf("--output %s: unknown type %q (image, registry, oci, docker, local or tar)", s, e.Type)
	}
	dest, hasDest := e.Attrs["dest"]
	delete(e.Attrs, "dest")
	switch e.Type {
	case client.ExporterLocal:
		if dest == "" {
			return e, fmt.Errorf("--output %s: dest= names the directory to write", s)
		}
		e.OutputDir = dest
	case client.ExporterOCI, client.ExporterDocker, client.ExporterTar:
		if e.Type != client.ExporterTar && e.Attrs["tar"] == "false" {
			if dest == "" {
				return e, fmt.Errorf("--output %s: dest= names the layout directory to write", s)
			}
			e.OutputDir = dest
			break
		}
		if dest == "" {
			return e, fmt.Errorf("--output %s: dest= names the tarball to write (dest=- for stdout)", s)
		}
		if dest == "-" {
			if _, err := console.ConsoleFromFile(os.Stdout); err == nil {
				return e, fmt.Errorf("--output %s: refusing to write a tarball to a terminal", s)
			}
			e.Output = func(map[string]string) (io.WriteCloser, error) { return nopCloser{os.Stdout}, nil }
			break
		}
		if fi, err := os.Stat(dest); err == nil && fi.IsDir() {
			return e, fmt.Errorf("--output %s: %s is a directory", s, dest)
		}
		e.Output = func(map[string]string) (io.WriteCloser, error) { return os.Create(dest) }
	default:
		if hasDest {
			return e, fmt.Errorf("--output %s: the %s exporter takes no dest=", s, e.Type)
		}
	}
	return e, nil
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// typedFields reads a buildx-style CSV of key=value fields (keys are case
// blind): the type= field is returned, the others go into attrs.
func typedFields(flag, s string, attrs map[string]string) (string, error) {
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", flag, s, err)
	}
	typ := ""
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return "", fmt.Errorf("%s %s: %q is not key=value", flag, s, f)
		}
		if k = strings.ToLower(strings.TrimSpace(k)); k == "type" {
			typ = v
		} else {
			attrs[k] = v
		}
	}
	return typ, nil
}

// parseCaches reads --cache-from and --cache-to as buildx does: CSV with a
// type, or a bare registry reference.
func parseCaches(flag string, in []string, export bool) ([]client.CacheOptionsEntry, error) {
	var out []client.CacheOptionsEntry
	for _, s := range in {
		e := client.CacheOptionsEntry{Attrs: map[string]string{}}
		if !strings.Contains(s, "=") {
			e.Type = "registry"
			e.Attrs["ref"] = s
		} else {
			var err error
			if e.Type, err = typedFields(flag, s, e.Attrs); err != nil {
				return nil, err
			}
		}
		switch e.Type {
		case "":
			return nil, fmt.Errorf("%s %s: no type= (registry, local, inline, gha, s3 or azblob)", flag, s)
		case "registry":
			if e.Attrs["ref"] == "" {
				return nil, fmt.Errorf("%s %s: ref= names the cache image", flag, s)
			}
		case "local":
			key := "src"
			if export {
				key = "dest"
			}
			if e.Attrs[key] == "" {
				return nil, fmt.Errorf("%s %s: %s= names the cache directory", flag, s, key)
			}
		case "gha":
			githubEnv(e.Attrs)
		}
		out = append(out, e)
	}
	return out, nil
}

// githubEnv fills a gha cache's URL and token from the runner's
// environment, as buildx does inside GitHub Actions.
func githubEnv(attrs map[string]string) {
	set := func(key string, envs ...string) {
		if attrs[key] != "" {
			return
		}
		for _, env := range envs {
			if v := os.Getenv(env); v != "" {
				attrs[key] = v
				return
			}
		}
	}
	set("url", "ACTIONS_CACHE_URL", "ACTIONS_RESULTS_URL")
	set("token", "ACTIONS_RUNTIME_TOKEN")
}

// attachables are what the session serves the daemon: registry
// credentials from the Docker config (DOCKER_CONFIG, ~/.docker), the
// secrets and the SSH sockets.
func (c Config) attachables() ([]session.Attachable, error) {
	out := []session.Attachable{authprovider.NewDockerAuthProvider(authprovider.DockerAuthProviderConfig{
		AuthConfigProvider: authprovider.LoadAuthConfig(config.LoadDefaultConfigFile(os.Stderr)),
	})}
	var srcs []secretsprovider.Source
	for _, s := range c.Secrets {
		src, err := parseSecret(s)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, src)
	}
	store, err := secretsprovider.NewStore(srcs)
	if err != nil {
		return nil, fmt.Errorf("--secret: %v", err)
	}
	out = append(out, secretsprovider.NewSecretProvider(store))
	if len(c.SSH) > 0 {
		var confs []sshprovider.AgentConfig
		for _, s := range c.SSH {
			id, paths, _ := strings.Cut(s, "=")
			conf := sshprovider.AgentConfig{ID: id}
			if paths != "" {
				conf.Paths = strings.Split(paths, ",")
			}
			confs = append(confs, conf)
		}
		p, err := sshprovider.NewSSHAgentProvider(confs)
		if err != nil {
			return nil, fmt.Errorf("--ssh: %v (with no path, the agent is $SSH_AUTH_SOCK)", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseSecret reads one --secret as buildx does: id=…, with src= (a file)
// or env= (a variable); with neither, the variable named like the id if
// it is set, else the file named like it.
func parseSecret(s string) (secretsprovider.Source, error) {
	var src secretsprovider.Source
	fields, err := csvvalue.Fields(s, nil)
	if err != nil {
		return src, fmt.Errorf("--secret %s: %v", s, err)
	}
	typ := ""
	for _, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return src, fmt.Errorf("--secret %s: %q is not key=value (id=NAME,src=FILE or id=NAME,env=VAR)", s, f)
		}
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "type":
			if v != "file" && v != "env" {
				return src, fmt.Errorf("--secret %s: type %q is neither file nor env", s, v)
			}
			typ = v
		case "id":
			src.ID = v
		case "src", "source":
			src.FilePath = v
		case "env":
			src.Env = v
		default:
			return src, fmt.Errorf("--secret %s: unknown key %q (id, src, env or type)", s, k)
		}
	}
	if typ == "env" && src.Env == "" {
		src.Env, src.FilePath = src.FilePath, ""
	}
	if src.ID == "" {
		return src, fmt.Errorf("--secret %s: no id= (the id the description's build.secrets names)", s)
	}
	return src, nil
}
