package dockerfile

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// copy writes COPY.
func (w *writer) copy(c *plan.Copy) error {
	w.declare(c.Src, c.Dest, c.Chown)
	var flags []string
	if c.Link {
		flags = append(flags, "--link")
	}
	srcs, dest := []plan.Str{c.Src}, c.Dest
	switch from := c.From; {
	case from.Stage != "":
		// a stage's own layers (Own) have no Dockerfile form: the copy
		// reads the whole stage, the same files (plan.Source.Own).
		flags = append(flags, "--from="+w.l.names[from.Stage])
	case from.Output != "":
		out := w.l.outputs[from.Output]
		flags = append(flags, "--from="+out.stage)
		dir := out.path
		if c.Src.Template {
			dir = strings.ReplaceAll(dir, "$", "$$")
		}
		srcs[0] = plan.Str{Text: path.Join(dir, c.Src.Text), Template: c.Src.Template}
	case from.Context != nil:
		var more []string
		srcs, more = w.contextSources(c.Src, from.Context)
		flags = append(flags, more...)
		if slices.Contains(more, "--parents") {
			dest = asDir(dest)
		}
	}
	if !c.Chown.IsZero() {
		flags = append(flags, "--chown="+w.dfWord(c.Chown))
	}
	if c.Chmod != 0 {
		flags = append(flags, fmt.Sprintf("--chmod=%04o", c.Chmod))
		if c.Link {
			w.comment("With --chmod BuildKit copies in place, not as a linked layer: a new base rebuilds it.")
		}
	}
	for _, e := range c.Exclude {
		flags = append(flags, "--exclude="+w.dfWord(plan.Lit(e)))
	}
	var paths []string
	for _, s := range srcs {
		paths = append(paths, w.dfWord(s))
	}
	w.writeCopy(flags, append(paths, w.dfWord(dest)))
	return nil
}

// contextSources are the COPY sources of a copy from a narrowed context.
// COPY reads only the paths it names, so a copy of the context root names
// the included paths (patterns that skip a missing one, --parents to keep
// each at its path) or excludes the excluded ones; a copy of a path copies
// that path.
func (w *writer) contextSources(src plan.Str, f *plan.ContextFilter) ([]plan.Str, []string) {
	root := strings.Trim(src.Text, "./") == ""
	switch {
	case root && len(f.Include) > 0:
		w.declare(f.Include...)
		w.comment("\"x[y]\" matches the path itself and lets a missing one be skipped.")
		srcs := make([]plan.Str, len(f.Include))
		for i, inc := range f.Include {
			srcs[i] = optional(inc)
		}
		return srcs, w.excludes(f.Exclude, "--parents")
	case root:
		return []plan.Str{plan.Lit(".")}, w.excludes(f.Exclude)
	}
	if len(f.Exclude) > 0 {
		w.comment("The plan's context leaves out " + strings.Join(f.Exclude, " ") + "; list them in .dockerignore to keep them out of this copy.")
	}
	return []plan.Str{src}, nil
}

func (w *writer) excludes(patterns []string, flags ...string) []string {
	for _, e := range patterns {
		flags = append(flags, "--exclude="+w.dfWord(plan.Lit(e)))
	}
	return flags
}

// asDir ends a destination with "/", which COPY needs for several sources.
func asDir(dest plan.Str) plan.Str {
	if strings.HasSuffix(dest.Text, "/") {
		return dest
	}
	return plan.Str{Text: dest.Text + "/", Template: dest.Template}
}

// writeCopy uses the JSON form when a path has blanks, which the plain form
// would split on.
func (w *writer) writeCopy(flags, paths []string) {
	args := strings.Join(paths, " ")
	for _, p := range paths {
		if strings.ContainsAny(p, " \t") {
			js, _ := json.Marshal(paths)
			args = string(js)
			break
		}
	}
	w.line("%s", strings.Join(append(append([]string{"COPY"}, flags...), args), " "))
}

// files writes a helper stage holding the context paths a bind mount may
// see. Each path becomes a pattern (its last character in brackets) so a
// missing one is skipped, as the plan's include filter skips it; --parents
// keeps each at its path.
func (w *writer) files(b *block) {
	w.comment("Only these paths of the context, for the steps that bind " + b.name + ":\n" +
		"\"x[y]\" matches the path itself and lets a missing one be skipped.")
	w.line("FROM %sscratch AS %s", platformFlag(b.platform), b.name)
	w.declare(b.files.Include...)
	paths := make([]string, 0, len(b.files.Include)+1)
	for _, inc := range b.files.Include {
		paths = append(paths, w.dfWord(optional(inc)))
	}
	paths = append(paths, "/")
	w.writeCopy(w.excludes(b.files.Exclude, "--parents"), paths)
}

// optional turns a path into a pattern that matches only that path, by
// bracketing its last character; a path that is already a pattern, or ends
// in something that cannot be bracketed, is left as it is.
func optional(s plan.Str) plan.Str {
	t := s.Text
	if t == "" || strings.ContainsAny(t, "*?[") {
		return s
	}
	last := t[len(t)-1]
	if !('a' <= last && last <= 'z' || 'A' <= last && last <= 'Z' || '0' <= last && last <= '9' || last == '_' || last == '.' || last == '-') {
		return s
	}
	return plan.Str{Text: t[:len(t)-1] + "[" + string(last) + "]", Template: s.Template}
}

// orgCA writes the stage holding the organisation's CA bundle, which the
// steps that fetch bind (a mount, so it is in no layer of theirs).
func (w *writer) orgCA() {
	w.line("")
	w.comment("The organisation's CA bundle, trusted by the steps that fetch besides the system's.")
	w.line("FROM scratch AS %s", w.l.orgCA)
	w.file(&plan.File{Path: "/" + path.Base(plan.OrgCAPath), Data: w.p.CA, Mode: 0o444})
}

// file writes a generated file as a COPY of a heredoc, whose quoted
// delimiter keeps its text as it is. A heredoc ends its last line, so data
// without a final newline gains one.
func (w *writer) file(f *plan.File) {
	w.declare(f.Chown)
	flags := []string{}
	if f.Link {
		flags = append(flags, "--link")
	}
	if !f.Chown.IsZero() {
		flags = append(flags, "--chown="+w.dfWord(f.Chown))
	}
	if f.Mode != 0o644 {
		flags = append(flags, fmt.Sprintf("--chmod=%04o", f.Mode))
	}
	delim := "STRATA_EOF"
	for slices.Contains(strings.Split(f.Data, "\n"), delim) {
		delim += "_"
	}
	data := strings.TrimSuffix(f.Data, "\n")
	w.line("%s", strings.Join(append(append([]string{"COPY"}, flags...), "<<'"+delim+"'", w.dfWord(plan.Lit(f.Path))), " ")+"\n"+data+"\n"+delim)
}

// mkdir has no Dockerfile instruction that sets a mode and an owner: a RUN
// does it, which needs a shell in the image (Strata uses a file operation).
func (w *writer) mkdir(s *plan.Stage, m *plan.Mkdir) {
	w.declare(m.Chown)
	w.comment(fmt.Sprintf("make %s: Strata needs no shell for this; a Dockerfile runs mkdir in the image's.", m.Path))
	w.warnNoShell(s)
	dir := shWord(plan.Lit(m.Path))
	cmd := fmt.Sprintf("mkdir -p -m %04o %s", m.Mode, dir)
	if !m.Chown.IsZero() {
		cmd += " && chown " + shWord(m.Chown) + " " + dir
	}
	w.line("RUN %s", cmd)
}

// symlink, like mkdir, needs a shell in a Dockerfile.
func (w *writer) symlink(s *plan.Stage, l *plan.Symlink) {
	w.comment(fmt.Sprintf("link %s: Strata needs no shell for this; a Dockerfile runs ln in the image's.", l.Link))
	w.warnNoShell(s)
	w.line("RUN ln -s %s %s", shWord(plan.Lit(l.Target)), shWord(plan.Lit(l.Link)))
}

// warnNoShell says so when the stage starts from scratch, where a RUN
// cannot work.
func (w *writer) warnNoShell(s *plan.Stage) {
	for s.From.Stage != "" {
		s, _ = w.p.Stage(s.From.Stage)
	}
	if s.From.Image == plan.Scratch {
		w.comment("This stage starts from scratch, which has no shell: do it in a stage that has one and COPY the result.")
	}
}
