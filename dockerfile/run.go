package dockerfile

import (
	"path"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// statement is one command of a RUN's script. Fallible ones (mkdir, cd)
// stop the script when they fail.
type statement struct {
	text     string
	fallible bool
}

// run writes a Run step. The Dockerfile's RUN is always shell form: an
// exec-form plan run becomes one shell command with every word quoted, so
// template words can expand from the ARG environment.
func (w *writer) run(step *plan.Step) error {
	r := step.Run
	w.comment(step.Name)
	strs := slices.Concat(r.Args, []plan.Str{r.Script})
	for _, e := range r.Env {
		strs = append(strs, e.Value)
	}
	w.declare(strs...)
	w.switchUser(r.User)
	var flags []string
	if r.Network == plan.NetworkNone {
		flags = append(flags, "--network=none")
	}
	var notes []string
	if r.CA && w.l.orgCA != "" {
		flags = append(flags, "--mount=type=bind,from="+w.l.orgCA+",target="+path.Dir(plan.OrgCAPath))
	}
	for _, m := range r.Mounts {
		flag, note, err := w.mount(m)
		if err != nil {
			return err
		}
		if flag != "" {
			flags = append(flags, flag)
		}
		if note != "" && !slices.Contains(notes, note) {
			notes = append(notes, note)
		}
	}
	prelude := w.prelude(r)
	var body string
	if rc := r.Recover; rc != nil {
		// The prelude exported the env: the repair reads it too.
		body = rc.Wrap(command(words(r.Args)))
		said := rc.Said()
		notes = append(notes, strings.ToUpper(said[:1])+said[1:]+".")
	} else if len(r.Args) > 0 {
		body = command(append(assignments(r, prelude.exported), words(r.Args)...))
	} else if s, ok := shScript(r.Script); ok {
		body = s
	} else {
		notes = append(notes, "The script names args inside single quotes: eval substitutes them first, as Strata does.")
		body = evalScript(r.Script)
	}
	for _, n := range notes {
		w.comment(n)
	}
	w.writeRun(flags, prelude.statements, body, len(r.Args) > 0)
	return nil
}

// prelude is what a RUN does before the plan's command: make output and
// working directories, enter the step's workdir, set its conditional env.
type prelude struct {
	statements []statement
	exported   map[string]bool // env the statements export (shell form)
}

func (w *writer) prelude(r *plan.Run) prelude {
	var p prelude
	p.exported = map[string]bool{}
	if r.CA {
		p.statements = append(p.statements, statement{w.p.Prelude(), false})
	}
	mounted := map[string]bool{}
	for _, m := range r.Mounts {
		mounted[m.Target] = true
		if m.Type == plan.OutputMount {
			p.statements = append(p.statements, statement{"mkdir -p " + shWord(plan.Lit(m.Target)), true})
		}
	}
	if r.Workdir != "" {
		// The plan's step runs in its workdir without changing the stage's;
		// BuildKit creates it when it is missing.
		dir := shWord(plan.Lit(r.Workdir))
		if !mounted[r.Workdir] {
			p.statements = append(p.statements, statement{"mkdir -p " + dir, true})
		}
		p.statements = append(p.statements, statement{"cd " + dir, true})
	}
	for _, e := range stepEnv(r) {
		switch {
		case e.IfSet && passThrough(e):
			// the bare ARG exports it only when set
		case e.IfSet:
			v := shWord(e.Value)
			p.statements = append(p.statements, statement{"if [ -n " + v + " ]; then export " + e.Name + "=" + v + "; fi", false})
		case len(r.Args) == 0 || r.Recover != nil:
			p.statements = append(p.statements, statement{"export " + e.Name + "=" + shWord(e.Value), false})
		default:
			continue
		}
		p.exported[e.Name] = true
	}
	return p
}

// stepEnv is the step's env plus the variables SSH mounts set, except the
// SSH_AUTH_SOCK BuildKit sets itself for the first socket.
func stepEnv(r *plan.Run) []plan.Env {
	env := slices.Clone(r.Env)
	first := true
	for _, m := range r.Mounts {
		if m.Type != plan.SSHMount {
			continue
		}
		if m.Env != "" && !(first && m.Env == "SSH_AUTH_SOCK") {
			env = append(env, plan.Env{Name: m.Env, Value: plan.Lit(m.Target)})
		}
		first = false
	}
	return env
}

// passThrough reports env that is exactly the arg of the same name.
func passThrough(e plan.Env) bool {
	return e.Value.Template && e.Value.Text == "${"+e.Name+"}"
}

// assignments are an exec-form command's env as NAME=value prefixes.
func assignments(r *plan.Run, exported map[string]bool) []string {
	var out []string
	for _, e := range stepEnv(r) {
		if !exported[e.Name] && !(e.IfSet && passThrough(e)) {
			out = append(out, e.Name+"="+shWord(e.Value))
		}
	}
	return out
}

// words quotes an argv for the shell; the command itself must not read as
// an assignment or, at the start of a RUN, as a flag.
func words(args []plan.Str) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = shWord(a)
	}
	if first := out[0]; !strings.HasPrefix(first, "'") && !strings.HasPrefix(first, `"`) &&
		(strings.Contains(first, "=") || strings.HasPrefix(first, "-")) {
		out[0] = singleQuoted(first)
	}
	return out
}

func command(words []string) string { return strings.Join(words, " ") }

// writeRun writes RUN with its flags, then the script on one line (joined
// with &&) when it has no newline, else as a heredoc.
func (w *writer) writeRun(flags []string, prelude []statement, body string, generated bool) {
	head := "RUN"
	for i, f := range flags {
		if i == 0 {
			head += " " + f
		} else {
			head += " \\\n    " + f
		}
	}
	if oneLine(prelude, body, generated) {
		parts := make([]string, 0, len(prelude)+1)
		for _, s := range prelude {
			parts = append(parts, s.text)
		}
		parts = append(parts, body)
		sep := " "
		if len(flags) > 0 || len(prelude) > 0 {
			sep = " \\\n    "
		}
		w.line("%s%s%s", head, sep, strings.Join(parts, " && \\\n    "))
		return
	}
	var script strings.Builder
	for _, s := range prelude {
		script.WriteString(s.text)
		if s.fallible {
			script.WriteString(" || exit")
		}
		script.WriteByte('\n')
	}
	script.WriteString(body)
	text := script.String()
	if strings.HasPrefix(text, "#!") {
		// BuildKit runs a heredoc that starts with #! as its own program;
		// the plan runs it with /bin/sh -c, where the line is a comment.
		text = "\n" + text
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	eof := delimiter(text)
	w.line("%s <<'%s'", head, eof)
	w.b.WriteString(text)
	w.line("%s", eof)
}

// oneLine reports whether the script can follow RUN on one logical line:
// the Dockerfile reads "\" at the end of a line as a continuation, "<<" as
// a heredoc and leading "--" as a flag, so only generated commands and
// simple scripts without a prelude qualify.
func oneLine(prelude []statement, body string, generated bool) bool {
	for _, s := range prelude {
		if strings.Contains(s.text, "\n") {
			return false
		}
	}
	if strings.Contains(body, "\n") || strings.Contains(body, "<<") {
		return false
	}
	if generated {
		return true
	}
	return len(prelude) == 0 && body == strings.TrimSpace(body) && body != "" && !strings.HasSuffix(body, `\`) &&
		!strings.HasPrefix(body, "-") && !strings.HasPrefix(body, "[")
}

// delimiter picks a heredoc delimiter no line of text equals (the parser
// ignores a line's trailing "\r").
func delimiter(text string) string {
	lines := strings.Split(text, "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], "\r")
	}
	eof := "EOF"
	for slices.Contains(lines, eof) {
		eof += "_"
	}
	return eof
}
