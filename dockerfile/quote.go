package dockerfile

import (
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// piece is a run of literal text or one ${NAME} / ${NAME#prefix} reference
// of a plan string. A literal plan string is one literal piece; in a
// template "$$" has become "$".
type piece struct {
	lit    string
	ref    string
	prefix string
}

// pieces splits a plan string the way spec.Expand reads it.
func pieces(s plan.Str) []piece {
	if !s.Template {
		return []piece{{lit: s.Text}}
	}
	var out []piece
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	t := s.Text
	for i := 0; i < len(t); i++ {
		if t[i] == '$' && i+1 < len(t) {
			switch t[i+1] {
			case '$':
				lit.WriteByte('$')
				i++
				continue
			case '{':
				if end := strings.IndexByte(t[i:], '}'); end > 0 {
					flush()
					name, prefix, _ := strings.Cut(t[i+2:i+end], "#")
					out = append(out, piece{ref: name, prefix: prefix})
					i += end
					continue
				}
			}
		}
		lit.WriteByte(t[i])
	}
	flush()
	return out
}

func hasRef(ps []piece) bool {
	for _, p := range ps {
		if p.ref != "" {
			return true
		}
	}
	return false
}

func literal(ps []piece) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.lit)
	}
	return b.String()
}

// ref writes ${NAME} or ${NAME#prefix}; the prefix is a pattern to sh and
// to the Dockerfile, so everything but plain characters is escaped to
// keep spec.Expand's literal meaning.
func ref(p piece) string {
	if p.prefix == "" {
		return "${" + p.ref + "}"
	}
	var b strings.Builder
	for _, c := range []byte(p.prefix) {
		if !plain(c) {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return "${" + p.ref + "#" + b.String() + "}"
}

// plain characters need no quoting for /bin/sh nor in a Dockerfile word.
func plain(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_./:@%+,=-", c) >= 0
}

// dfPlain characters need no quoting in a Dockerfile word: its own
// expansion knows only quotes, backslashes and "$" (COPY reads "*?[" as
// patterns, as the plan's patterns mean them).
func dfPlain(c byte) bool { return plain(c) || strings.IndexByte("[]*?", c) >= 0 }

func allOf(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return s != ""
}

// singleQuoted quotes s so that both /bin/sh and the Dockerfile's word
// processing read it unchanged.
func singleQuoted(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// shWord is one argv word for /bin/sh: a literal exactly as written, a
// template double-quoted so its ${NAME} expands from the ARG's
// environment (a Dockerfile exports declared args to RUN).
func shWord(s plan.Str) string {
	ps := pieces(s)
	if !hasRef(ps) {
		v := literal(ps)
		if allOf(v, plain) {
			return v
		}
		return singleQuoted(v)
	}
	return doubleQuoted(ps, "\\\"$`")
}

// dfWord is a word for the Dockerfile's own expansion (ENV, LABEL, USER,
// COPY …): a literal as written, a template's ${NAME} expanded by
// BuildKit from a declared ARG.
func dfWord(s plan.Str) string {
	ps := pieces(s)
	if !hasRef(ps) {
		v := literal(ps)
		if allOf(v, dfPlain) {
			return v
		}
		return singleQuoted(v)
	}
	return doubleQuoted(ps, "\\\"$")
}

func doubleQuoted(ps []piece, special string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, p := range ps {
		if p.ref != "" {
			b.WriteString(ref(p))
			continue
		}
		for _, c := range []byte(p.lit) {
			if strings.IndexByte(special, c) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// shScript is a shell-form script as /bin/sh must see it: a literal
// unchanged, a template with "$$" as "$" and its references left for the
// shell to expand from the ARG's environment. ok is false when a reference
// sits inside single quotes, where the shell would not expand it.
func shScript(s plan.Str) (script string, ok bool) {
	var b strings.Builder
	q := quoteState{}
	for _, p := range pieces(s) {
		if p.ref != "" {
			if q.single {
				return "", false
			}
			b.WriteString(ref(p))
			continue
		}
		q.scan(p.lit)
		b.WriteString(p.lit)
	}
	return b.String(), true
}

// evalScript is the fallback for a template whose references sit in single
// quotes: the shell substitutes them into the text first, then evaluates
// it, which is what Strata's own textual expansion amounts to.
func evalScript(s plan.Str) string {
	return "eval " + doubleQuoted(pieces(s), "\\\"$`")
}

// quoteState follows /bin/sh quoting far enough to know whether the next
// character is inside single quotes.
type quoteState struct {
	single, double, escaped bool
}

func (q *quoteState) scan(s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q.escaped:
			q.escaped = false
		case q.single:
			q.single = c != '\''
		case c == '\\':
			q.escaped = true
		case c == '"':
			q.double = !q.double
		case c == '\'' && !q.double:
			q.single = true
		}
	}
}
