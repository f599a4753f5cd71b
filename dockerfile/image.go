package dockerfile

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// config writes a target's image config at the end of its stage. WORKDIR
// comes before USER: BuildKit makes a missing WORKDIR owned by the
// current USER, and the plan's image config creates nothing.
func (w *writer) config(t *plan.Target, afterSteps bool) {
	img := &t.Image
	if afterSteps {
		w.line("")
	}
	if t.Description != "" {
		w.comment("the " + t.Name + " target: " + t.Description)
	}
	if img.Entrypoint != nil {
		w.exec("ENTRYPOINT", img.Entrypoint)
	}
	if img.Cmd != nil {
		w.exec("CMD", img.Cmd)
	}
	for _, e := range img.Env {
		w.declare(e.Value)
		if e.IfSet {
			w.comment(e.Name + " is set even when empty: a Dockerfile has no conditional ENV.")
		}
		w.line("ENV %s=%s", e.Name, w.dfWord(e.Value))
	}
	// a WORKDIR the stage already has would be one more step (a mkdir)
	if img.WorkingDir != "" && img.WorkingDir != w.workdir {
		w.line("WORKDIR %s", w.dfWord(plan.Lit(img.WorkingDir)))
	}
	if !img.User.IsZero() {
		w.declare(img.User)
		w.line("USER %s", w.dfWord(img.User))
	}
	if len(img.Ports) > 0 {
		w.line("EXPOSE %s", strings.Join(img.Ports, " "))
	}
	if len(img.Labels) > 0 {
		var pairs []string
		for _, k := range slices.Sorted(maps.Keys(img.Labels)) {
			pairs = append(pairs, w.dfWord(plan.Lit(k))+"="+w.dfWord(plan.Lit(img.Labels[k])))
		}
		w.line("LABEL %s", strings.Join(pairs, " \\\n      "))
	}
}

// exec writes ENTRYPOINT or CMD in exec form, which a Dockerfile does not
// expand: a declared arg is inlined with its default, and the comment says
// that --build-arg no longer changes it. A platform arg has no default to
// inline and is left as written, with a comment.
func (w *writer) exec(instr string, words []plan.Str) {
	out := make([]string, len(words))
	var inlined, left []string
	for i, s := range words {
		var b strings.Builder
		for _, p := range pieces(s) {
			a, declared := w.args[p.ref]
			switch {
			case p.ref == "":
				b.WriteString(p.lit)
			case declared:
				inlined = appendNew(inlined, p.ref)
				b.WriteString(strings.TrimPrefix(a.Default, p.prefix))
			default:
				left = appendNew(left, p.ref)
				b.WriteString(asWritten(p))
			}
		}
		out[i] = b.String()
	}
	if len(inlined) > 0 {
		w.comment(instr + " has " + strings.Join(inlined, ", ") + " inlined with the default: the exec form expands no args, so --build-arg no longer changes it.")
	}
	if len(left) > 0 {
		w.comment(instr + " names " + strings.Join(left, ", ") + ", which the exec form does not expand and which has no default: set it by hand.")
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(out)
	w.line("%s %s", instr, strings.TrimSpace(b.String()))
}

func appendNew(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}

// asWritten is a reference as the description wrote it.
func asWritten(p piece) string {
	if p.prefix == "" {
		return "${" + p.ref + "}"
	}
	return "${" + p.ref + "#" + p.prefix + "}"
}
