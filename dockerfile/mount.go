package dockerfile

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// mount is a RUN --mount flag, and a note when the Dockerfile form is not
// exactly the plan's. Output mounts have no flag: the step writes into its
// stage (see prelude).
func (w *writer) mount(m plan.Mount) (flag, note string, err error) {
	f := []string{"type=" + string(m.Type)}
	add := func(k, v string) { f = append(f, k+"="+v) }
	owner := func() {
		if m.UID != 0 {
			add("uid", strconv.Itoa(m.UID))
		}
		if m.GID != 0 {
			add("gid", strconv.Itoa(m.GID))
		}
		if m.Mode != 0 {
			add("mode", fmt.Sprintf("%04o", m.Mode))
		}
	}
	switch m.Type {
	case plan.CacheMount:
		// The Dockerfile frontend prefixes the id with BUILDKIT_CACHE_MOUNT_NS.
		add("id", m.CacheID)
		add("target", m.Target)
		if m.Sharing != plan.SharingShared {
			add("sharing", string(m.Sharing))
		}
		owner()
	case plan.BindMount:
		var src string
		src, note = w.bindSource(m.From)
		if src != "" {
			f = append(f, src)
		}
		if m.From.Path != "" || m.From.Output != "" {
			add("source", w.bindPath(m.From))
		}
		add("target", m.Target)
		if m.ReadWrite {
			f = append(f, "rw")
		}
	case plan.SecretMount:
		add("id", m.ID)
		if m.Env != "" {
			add("env", m.Env)
		} else {
			add("target", m.Target)
		}
		if m.Required {
			add("required", "true")
		}
		owner()
	case plan.SSHMount:
		add("id", m.ID)
		add("target", m.Target)
		if m.Required {
			add("required", "true")
		}
	case plan.TmpfsMount:
		add("target", m.Target)
	case plan.OutputMount:
		return "", fmt.Sprintf("%s is the plan's output mount %q, which a Dockerfile does not have:\nthe step writes it into this stage, where later steps copy it from.", m.Target, m.Name), nil
	}
	for _, field := range f {
		if strings.ContainsAny(field, ",\"'$\\\n`") {
			return "", "", fmt.Errorf("mount %s: %q cannot be written in a --mount flag", m.Target, field)
		}
	}
	flag = "--mount=" + strings.Join(f, ",")
	if strings.ContainsAny(flag, " \t") {
		flag = `--mount="` + strings.Join(f, ",") + `"`
	}
	return flag, note, nil
}

// bindSource is the from= of a bind mount ("" for the whole context).
func (w *writer) bindSource(src *plan.Source) (from, note string) {
	switch {
	case src.Stage != "":
		return "from=" + w.l.names[src.Stage], ""
	case src.Output != "":
		return "from=" + w.l.outputs[src.Output].stage, ""
	case len(src.Context.Include) > 0:
		stage := w.l.files[filterKey(src.Context)]
		return "from=" + stage, "A bind of the context cannot pick paths: " + stage + " holds the ones this step may see, so only they key its cache."
	case len(src.Context.Exclude) > 0:
		return "", "The plan leaves " + strings.Join(src.Context.Exclude, " ") + " out of this bind, a Dockerfile binds the whole context:\nlist " + strings.Join(src.Context.Exclude, " ") + " in .dockerignore (which applies to both) to keep it out."
	}
	return "", ""
}

// bindPath is the source= of a bind: a path in the context or stage, or
// under the directory an output was written to.
func (w *writer) bindPath(src *plan.Source) string {
	if src.Output != "" {
		return path.Join(w.l.outputs[src.Output].path, src.Path)
	}
	return src.Path
}
