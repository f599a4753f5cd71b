package python

import (
	"testing"
)

// Each rule fires on a bad input with its file and line, and stays quiet
// on a good one.
func TestRules(t *testing.T) {
	main := "print(1)\n"
	proj := "[project]\nname = \"x\"\nrequires-python = \">=3.12\"\ndependencies = [\"flask\"]\n"
	cases := []struct {
		name, desc string
		files      map[string]string
		rule, file string
		line       int
	}{
		{"version: description", "python:\n  version: \"3.11\"\n", map[string]string{"pyproject.toml": proj, "requirements.txt": "flask==3.1\n", "main.py": main}, "PythonVersionNotAllowed", "", 2},
		{"version: .python-version", "", map[string]string{"pyproject.toml": proj, "requirements.txt": "flask==3.1\n", ".python-version": "3.11\n", "main.py": main}, "PythonVersionNotAllowed", ".python-version", 1},
		{"unpinned", "", map[string]string{"requirements.txt": "# pins\nflask==3.1\n-r base.txt\nrequests>=2 ; python_version > '3'\n", "main.py": main}, "RequirementsNotPinned", "requirements.txt", 4},
		{"no lockfile", "", map[string]string{"pyproject.toml": proj, "main.py": main}, "PythonLockfileMissing", "pyproject.toml", 1},
		{"quiet", "python:\n  version: \"3.13\"\n", map[string]string{"pyproject.toml": proj, "requirements.txt": "flask==3.1 --hash=sha256:abc\npkg @ https://example.invalid/pkg.whl\n", "main.py": main}, "", "", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, c.desc, c.files)
			if err != nil {
				t.Fatal(err)
			}
			if c.rule == "" {
				if len(p.Findings) != 0 {
					t.Errorf("findings on a good input: %+v", p.Findings)
				}
				return
			}
			if len(p.Findings) != 1 || p.Findings[0].Rule != c.rule || p.Findings[0].File != c.file || p.Findings[0].Pos.Line != c.line {
				t.Errorf("findings %+v, want %s in %q line %d", p.Findings, c.rule, c.file, c.line)
			}
		})
	}
}
