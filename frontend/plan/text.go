package plan

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteText prints the plan for people: the resolved settings with where
// each came from, then every stage and step with its caches and mounts,
// then the targets with their image config.
func (p *Plan) WriteText(w io.Writer) error {
	b := &strings.Builder{}
	fmt.Fprintf(b, "app: %s\n\nsettings:\n", p.Provider)
	width := 0
	for _, s := range p.Settings {
		width = max(width, len(s.Key))
	}
	for _, s := range p.Settings {
		fmt.Fprintf(b, "  %-*s  %s  (%s)\n", width, s.Key, s.Value, s.Source)
	}
	if len(p.Args) > 0 {
		b.WriteString("\nargs:\n")
		for _, a := range p.Args {
			switch {
			case a.PassThrough && a.Source != "":
				fmt.Fprintf(b, "  %s=%s  (passed through; default from %s)\n", a.Name, a.Default, a.Source)
			case a.PassThrough:
				fmt.Fprintf(b, "  %s  (passed through when set)\n", a.Name)
			default:
				fmt.Fprintf(b, "  %s=%s\n", a.Name, a.Default)
			}
		}
	}
	for _, st := range p.WalkAll().Stages {
		from := st.From.Image
		if st.From.Stage != "" {
			from = "stage " + st.From.Stage
		}
		fmt.Fprintf(b, "\nstage %s  (from %s, %s platform)\n", st.Name, from, st.Platform)
		writeEnv(b, "  ", st.Env)
		if st.Workdir != "" {
			fmt.Fprintf(b, "  workdir %s\n", st.Workdir)
		}
		if st.Scan {
			b.WriteString("  scanned for the SBOM (--sbom) beside the image\n")
		}
		for i := range st.Steps {
			writeStep(b, i, &st.Steps[i])
		}
	}
	b.WriteString("\ntargets:\n")
	for _, t := range p.Targets {
		def := ""
		if t.Default {
			def = " (default)"
		}
		fmt.Fprintf(b, "  %s%s: %s\n", t.Name, def, t.Description)
		writeImage(b, &t.Image)
	}
	if len(p.Findings) > 0 {
		b.WriteString("\nfindings:\n")
		for _, f := range p.Findings {
			fmt.Fprintf(b, "  %s%s: %s\n", f.Rule, f.where(), f.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStep(b *strings.Builder, i int, step *Step) {
	fmt.Fprintf(b, "  %d. %s\n", i+1, step.Name)
	switch {
	case step.Run != nil:
		r := step.Run
		if len(r.Args) > 0 {
			fmt.Fprintf(b, "     run %s\n", shellWords(r.Args))
		} else {
			fmt.Fprintf(b, "     sh -c %s\n", quote(r.Script.Text))
		}
		if r.Workdir != "" {
			fmt.Fprintf(b, "     workdir %s\n", r.Workdir)
		}
		if r.User != "" {
			fmt.Fprintf(b, "     user %s\n", r.User)
		}
		if r.Network != NetworkDefault {
			fmt.Fprintf(b, "     network %s\n", r.Network)
		}
		writeEnv(b, "     ", r.Env)
		for _, m := range r.Mounts {
			if r.CA && (m.Target == CASecretPath || m.Target == CABundleDir) || r.Recover != nil && m.Target == RecoverDir {
				continue // said once below
			}
			fmt.Fprintf(b, "     mount %s\n", m.describe())
		}
		if r.CA {
			fmt.Fprintf(b, "     trusts a CA bundle given as --secret id=%s (with the system's)\n", CASecretID)
		}
		if rc := r.Recover; rc != nil {
			fmt.Fprintf(b, "     %s\n", rc.Said())
		}
	case step.Copy != nil:
		c := step.Copy
		var extra []string
		if c.Link {
			extra = append(extra, "own layer, --link")
		}
		if !c.Chown.IsZero() {
			extra = append(extra, "owner "+c.Chown.Text)
		}
		if c.Chmod != 0 {
			extra = append(extra, fmt.Sprintf("mode %04o", c.Chmod))
		}
		if len(c.Exclude) > 0 {
			extra = append(extra, "without "+strings.Join(c.Exclude, " "))
		}
		suffix := ""
		if len(extra) > 0 {
			suffix = " (" + strings.Join(extra, ", ") + ")"
		}
		fmt.Fprintf(b, "     copy %s %s -> %s%s\n", c.From.describe(), c.Src.Text, c.Dest.Text, suffix)
	case step.File != nil:
		link := ""
		if step.File.Link {
			link = ", own layer, --link"
		}
		fmt.Fprintf(b, "     write %s (%d bytes, mode %04o%s)\n", step.File.Path, len(step.File.Data), step.File.Mode, link)
	case step.Mkdir != nil:
		fmt.Fprintf(b, "     mkdir %s (mode %04o)\n", step.Mkdir.Path, step.Mkdir.Mode)
	case step.Symlink != nil:
		fmt.Fprintf(b, "     symlink %s -> %s\n", step.Symlink.Link, step.Symlink.Target)
	}
}

func writeEnv(b *strings.Builder, indent string, env []Env) {
	for _, e := range env {
		suffix := ""
		if e.IfSet {
			suffix = "  (when set)"
		}
		fmt.Fprintf(b, "%senv %s=%s%s\n", indent, e.Name, e.Value.Text, suffix)
	}
}

func writeImage(b *strings.Builder, img *Image) {
	switch {
	case img.Entrypoint == nil:
	case len(img.Entrypoint) == 0:
		b.WriteString("    entrypoint (none)\n")
	default:
		fmt.Fprintf(b, "    entrypoint %s\n", shellWords(img.Entrypoint))
	}
	if len(img.Cmd) > 0 {
		fmt.Fprintf(b, "    cmd %s\n", shellWords(img.Cmd))
	}
	writeEnv(b, "    ", img.Env)
	if img.WorkingDir != "" {
		fmt.Fprintf(b, "    workdir %s\n", img.WorkingDir)
	}
	if !img.User.IsZero() {
		fmt.Fprintf(b, "    user %s\n", img.User.Text)
	}
	for _, port := range img.Ports {
		fmt.Fprintf(b, "    expose %s\n", port)
	}
}

func (m Mount) describe() string {
	switch m.Type {
	case CacheMount:
		extra := ""
		if m.Sharing != SharingShared {
			extra += ", " + string(m.Sharing)
		}
		if m.UID != 0 || m.GID != 0 {
			extra += fmt.Sprintf(", owner %d:%d", m.UID, m.GID)
		}
		return fmt.Sprintf("cache %s (id %s%s)", m.Target, m.CacheID, extra)
	case BindMount:
		mode := "read-only"
		if m.ReadWrite {
			mode = "writes discarded"
		}
		return fmt.Sprintf("bind %s from %s (%s)", m.Target, m.From.describe(), mode)
	case SecretMount:
		req := "optional"
		if m.Required {
			req = "required"
		}
		if m.Env != "" {
			return fmt.Sprintf("secret as $%s (id %s, %s)", m.Env, m.ID, req)
		}
		return fmt.Sprintf("secret %s (id %s, %s)", m.Target, m.ID, req)
	case SSHMount:
		req := "optional"
		if m.Required {
			req = "required"
		}
		return fmt.Sprintf("ssh %s (id %s, %s)", m.Target, m.ID, req)
	case TmpfsMount:
		return fmt.Sprintf("tmpfs %s", m.Target)
	case OutputMount:
		return fmt.Sprintf("output %s as %q", m.Target, m.Name)
	}
	return string(m.Type)
}

func (s *Source) describe() string {
	var d string
	switch {
	case s == nil:
		return "nothing"
	case s.Context != nil && len(s.Context.Include) > 0:
		inc := make([]string, len(s.Context.Include))
		for i, v := range s.Context.Include {
			inc[i] = v.Text
		}
		d = "context[" + strings.Join(inc, " ") + "]"
	case s.Context != nil && len(s.Context.Exclude) > 0:
		d = "context (without " + strings.Join(s.Context.Exclude, " ") + ")"
	case s.Context != nil:
		d = "context"
	case s.Output != "":
		d = "output " + s.Output
	case s.Stage != "" && s.Own:
		d = "stage " + s.Stage + " (its own layers)"
	case s.Stage != "":
		d = "stage " + s.Stage
	default:
		return "nothing"
	}
	if s.Path != "" {
		d += ":" + s.Path
	}
	return d
}

// shellWords joins args as a shell would need them written.
func shellWords(args []Str) string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = quote(a.Text)
	}
	return strings.Join(out, " ")
}

func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n\"'\\$;&|<>()") {
		return strconv.Quote(s)
	}
	return s
}

// where is " (line 7)" for a finding in the description, " (go.mod line 3)"
// for one in another file, "" when it has no place.
func (f Finding) where() string {
	switch {
	case f.Pos.IsZero() && f.File == "":
		return ""
	case f.Pos.IsZero():
		return " (" + f.File + ")"
	case f.File == "":
		return fmt.Sprintf(" (line %d)", f.Pos.Line)
	}
	return fmt.Sprintf(" (%s line %d)", f.File, f.Pos.Line)
}
