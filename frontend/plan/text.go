package plan

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteText prints the plan for people: the resolved settings with where
// each came from, then every stage and step with its caches and mounts.
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
			case a.PassThrough:
				fmt.Fprintf(b, "  %s  (passed through when set)\n", a.Name)
			default:
				fmt.Fprintf(b, "  %s=%s\n", a.Name, a.Default)
			}
		}
	}
	for _, st := range p.Stages {
		from := st.From.Image
		if st.From.Stage != "" {
			from = "stage " + st.From.Stage
		}
		fmt.Fprintf(b, "\nstage %s  (from %s, %s platform)\n", st.Name, from, st.Platform)
		for _, e := range st.Env {
			fmt.Fprintf(b, "  env %s=%s\n", e.Name, e.Value)
		}
		if st.Workdir != "" {
			fmt.Fprintf(b, "  workdir %s\n", st.Workdir)
		}
		for i, step := range st.Steps {
			fmt.Fprintf(b, "  %d. %s\n", i+1, step.Name)
			switch {
			case step.Run != nil:
				fmt.Fprintf(b, "     run %s\n", shellWords(step.Run.Args))
				for _, e := range step.Run.Env {
					suffix := ""
					if e.IfSet {
						suffix = "  (when set)"
					}
					fmt.Fprintf(b, "     env %s=%s%s\n", e.Name, e.Value, suffix)
				}
				for _, m := range step.Run.Mounts {
					fmt.Fprintf(b, "     mount %s\n", m.describe())
				}
			case step.Copy != nil:
				link := ""
				if step.Copy.Link {
					link = " (own layer, --link)"
				}
				fmt.Fprintf(b, "     copy %s %s -> %s%s\n", step.Copy.From.describe(), step.Copy.Src, step.Copy.Dest, link)
			}
		}
	}
	b.WriteString("\ntargets:\n")
	for _, t := range p.Targets {
		def := ""
		if t.Default {
			def = " (default)"
		}
		fmt.Fprintf(b, "  %s%s: %s\n", t.Name, def, t.Description)
	}
	img := p.Image
	b.WriteString("\nimage:\n")
	fmt.Fprintf(b, "  entrypoint %q\n", img.Entrypoint)
	if len(img.Cmd) > 0 {
		fmt.Fprintf(b, "  cmd %q\n", img.Cmd)
	}
	for _, e := range img.Env {
		fmt.Fprintf(b, "  env %s=%s\n", e.Name, e.Value)
	}
	fmt.Fprintf(b, "  workdir %s\n  user %s\n", img.WorkingDir, img.User)
	for _, port := range img.Ports {
		fmt.Fprintf(b, "  expose %s\n", port)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (m Mount) describe() string {
	switch m.Type {
	case CacheMount:
		return fmt.Sprintf("cache %s (id %s)", m.Target, m.CacheID)
	case BindMount:
		return fmt.Sprintf("bind %s from %s (read-only)", m.Target, m.From.describe())
	case SecretMount:
		return fmt.Sprintf("secret %s (id %s, optional)", m.Target, m.ID)
	case SSHMount:
		return fmt.Sprintf("ssh %s (id %s, optional)", m.Target, m.ID)
	case OutputMount:
		return fmt.Sprintf("output %s as %q", m.Target, m.Name)
	}
	return string(m.Type)
}

func (s *Source) describe() string {
	switch {
	case s == nil:
		return "nothing"
	case s.Context != nil && len(s.Context.Include) > 0:
		return "context[" + strings.Join(s.Context.Include, " ") + "]"
	case s.Context != nil && len(s.Context.Exclude) > 0:
		return "context (without " + strings.Join(s.Context.Exclude, " ") + ")"
	case s.Context != nil:
		return "context"
	case s.Output != "":
		return "output " + s.Output
	case s.Stage != "":
		return "stage " + s.Stage
	}
	return "nothing"
}

// shellWords joins args as a shell would need them written.
func shellWords(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\$") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}
