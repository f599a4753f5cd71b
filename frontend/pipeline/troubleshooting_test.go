package pipeline

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/strata-build/strata/frontend/source"
	"github.com/strata-build/strata/frontend/spec"
)

const troubleshooting = "../../docs/troubleshooting.md"

// TestTroubleshootingCoversTheBadInputCorpus plans every case of the
// bad-input corpus and checks that each message it gives (without the
// file, line, key and hint around it) matches a message documented in
// docs/troubleshooting.md, so a new error cannot ship undocumented.
//
// A documented message is the code span opening a table row of that page
// (`| `<message>` | fix |`), where <words> in angle brackets stand for any
// text (a file name, a value).
func TestTroubleshootingCoversTheBadInputCorpus(t *testing.T) {
	documented := documentedMessages(t)
	cases, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			dir := prepare(t, filepath.Join("testdata/bad", c.Name()))
			err := planWithin(5*time.Second, func() error {
				data, err := os.ReadFile(filepath.Join(dir, "Dockerfile"))
				if err != nil && !os.IsNotExist(err) {
					return err
				}
				s, err := Parse("Dockerfile", data)
				if err != nil {
					return err
				}
				_, err = Plan(context.Background(), s, source.Dir(dir))
				return err
			})
			if err == nil {
				t.Fatal("planned without an error")
			}
			for _, msg := range messages(err) {
				if !covered(documented, msg) {
					t.Errorf("docs/troubleshooting.md documents no message matching %q: add a row for it (with <placeholders> for the parts that vary) and its fix", msg)
				}
			}
		})
	}
}

// The matcher itself: placeholders match what varies, literal text must
// be there.
func TestTroubleshootingMatcher(t *testing.T) {
	doc := []*regexp.Regexp{pattern(`"<value>" is not a Go version`), pattern("no lockfile")}
	for msg, want := range map[string]bool{
		`"1.24; rm" is not a Go version (write a Go release)`: true,
		`"1.24" is not a Node version`:                        false,
		`package.json: no lockfile (package-lock.json …)`:     true,
		`no lock file`: false,
	} {
		if got := covered(doc, msg); got != want {
			t.Errorf("covered(%q) = %v, want %v", msg, got, want)
		}
	}
}

// messages are the problems an error reports: each description problem's
// own message, or the whole text of any other error.
func messages(err error) []string {
	var es spec.Errors
	if errors.As(err, &es) {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.Msg
		}
		return out
	}
	var e *spec.Error
	if errors.As(err, &e) {
		return []string{e.Msg}
	}
	return []string{err.Error()}
}

// documentedMessages reads the page's table rows that open with a code
// span. A message with backticks is written in a double-backtick span.
func documentedMessages(t *testing.T) []*regexp.Regexp {
	t.Helper()
	dt, err := os.ReadFile(troubleshooting)
	if err != nil {
		t.Fatal(err)
	}
	var out []*regexp.Regexp
	for _, line := range strings.Split(string(dt), "\n") {
		msg, ok := rowMessage(line)
		if !ok {
			continue
		}
		literal := placeholder.ReplaceAllString(msg, "")
		if len(strings.TrimSpace(literal)) < 8 {
			t.Errorf("docs/troubleshooting.md: %q says too little to stand for a message (8 literal characters at least)", msg)
			continue
		}
		out = append(out, pattern(msg))
	}
	if len(out) < 100 {
		t.Errorf("docs/troubleshooting.md documents %d messages, fewer than the corpus alone gives", len(out))
	}
	return out
}

// rowMessage is the text of the code span that opens a table row.
func rowMessage(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "| ")
	if !ok || !strings.HasPrefix(rest, "`") {
		return "", false
	}
	n := len(rest) - len(strings.TrimLeft(rest, "`"))
	fence := rest[:n]
	body := rest[n:]
	end := strings.Index(body, fence+" |")
	if end < 0 {
		return "", false
	}
	// A span with backticks inside is written `` x ``: no message starts
	// or ends with a space.
	return strings.TrimSpace(body[:end]), true
}

var placeholder = regexp.MustCompile(`<[a-z][a-z .-]*>`)

// pattern turns a documented message into a regular expression: its
// literal text quoted, each <placeholder> any text.
func pattern(msg string) *regexp.Regexp {
	var b strings.Builder
	last := 0
	for _, m := range placeholder.FindAllStringIndex(msg, -1) {
		b.WriteString(regexp.QuoteMeta(msg[last:m[0]]))
		b.WriteString(`(?s:.+?)`)
		last = m[1]
	}
	b.WriteString(regexp.QuoteMeta(msg[last:]))
	return regexp.MustCompile(b.String())
}

func covered(documented []*regexp.Regexp, msg string) bool {
	for _, re := range documented {
		if re.MatchString(msg) {
			return true
		}
	}
	return false
}
