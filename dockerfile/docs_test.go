package dockerfile

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// excerptMarker opens a quoted excerpt in docs/: the next fenced block is
// copied from that file (a path from the repository root).
var excerptMarker = regexp.MustCompile(`^<!-- excerpt: (\S+) -->$`)

// TestDocsExcerptsMatchGoldens checks that every ejected Dockerfile
// quoted in docs/ is still a run of whole lines of the golden it names, so
// a change to what Strata generates cannot leave a page quoting the old
// output. The ecosystem pages must quote one each.
func TestDocsExcerptsMatchGoldens(t *testing.T) {
	pages, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	quoted := map[string]int{}
	for _, page := range pages {
		dt, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, ex := range excerpts(t, page, string(dt)) {
			quoted[filepath.Base(page)]++
			golden, err := os.ReadFile(filepath.Join("..", ex.source))
			if err != nil {
				t.Errorf("%s:%d: %v", page, ex.line, err)
				continue
			}
			if !strings.Contains("\n"+string(golden), "\n"+ex.text) {
				t.Errorf("%s:%d: the excerpt is no longer in %s: copy it again from the golden (and check what the page says about it)", page, ex.line, ex.source)
			}
		}
	}
	for _, page := range []string{"go.md", "node.md", "python.md", "comparison.md"} {
		if quoted[page] == 0 {
			t.Errorf("docs/%s quotes no ejected Dockerfile under an excerpt marker", page)
		}
	}
}

type excerpt struct {
	source string
	line   int
	text   string // whole lines, each ending in \n
}

// excerpts finds each marker and the fenced block right after it.
func excerpts(t *testing.T, page, doc string) []excerpt {
	t.Helper()
	lines := strings.Split(doc, "\n")
	var out []excerpt
	for i := 0; i < len(lines); i++ {
		m := excerptMarker.FindStringSubmatch(lines[i])
		if m == nil {
			continue
		}
		if i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "```") {
			t.Errorf("%s:%d: an excerpt marker must be followed by a fenced block", page, i+1)
			continue
		}
		var b strings.Builder
		j := i + 2
		for ; j < len(lines) && lines[j] != "```"; j++ {
			b.WriteString(lines[j] + "\n")
		}
		if j == len(lines) || b.Len() == 0 {
			t.Errorf("%s:%d: an unclosed or empty excerpt", page, i+1)
		}
		out = append(out, excerpt{source: m[1], line: i + 1, text: b.String()})
		i = j
	}
	return out
}
