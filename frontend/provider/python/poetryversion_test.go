package python

import (
	"strings"
	"testing"
)

func TestPoetryToPEP440(t *testing.T) {
	cases := []struct{ in, want, line string }{
		{"^3.11", ">=3.11,<4.0", "3.13"},
		{"~3.11", ">=3.11,<3.12", "3.11"},
		{"~3.11.2", ">=3.11.2,<3.12", "3.11"},
		{"~=3.11", "~=3.11", "3.13"},
		{">=3.10, <3.13", ">=3.10,<3.13", "3.12"},
		{">= 3.10 <3.12", ">=3.10,<3.12", "3.11"},
		{"~3.10 || ~3.12", ">=3.10,<3.11|>=3.12,<3.13", "3.12"},
		{"*", "", "3.13"},
		{"3.11", "==3.11", "3.11"},
		{"3.12.*", "==3.12.*", "3.12"},
	}
	for _, c := range cases {
		sets, err := poetryToPEP440(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := strings.Join(sets, "|"); got != c.want {
			t.Errorf("%s → %q, want %q", c.in, got, c.want)
		}
		if line, _ := lineForAny(sets); line != c.line {
			t.Errorf("%s picks %s, want %s", c.in, line, c.line)
		}
	}
	for _, bad := range []string{"^three", "", ">=3.1x"} {
		if _, err := poetryToPEP440(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestPoetryPythonVersion(t *testing.T) {
	main := "print(1)\n"
	cases := []struct{ name, pyproject, version, errText string }{
		{"caret", "[tool.poetry.dependencies]\npython = \"~3.11\"\n", "3.11", ""},
		{"requires-python wins", "[project]\nrequires-python = \">=3.12,<3.13\"\n[tool.poetry.dependencies]\npython = \"~3.11\"\n", "3.12", ""},
		{"none allowed", "[tool.poetry.dependencies]\npython = \"~2.7\"\n", "", "[tool.poetry.dependencies] python \"~2.7\" allows none"},
		{"malformed", "[tool.poetry.dependencies]\npython = \"^x\"\n", "", "pyproject.toml: [tool.poetry.dependencies] python \"^x\""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := planFor(t, "", map[string]string{"pyproject.toml": c.pyproject, "requirements.txt": "", "main.py": main})
			if c.errText != "" {
				if err == nil || !strings.Contains(err.Error(), c.errText) {
					t.Fatalf("err = %v, want %q", err, c.errText)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := setting(p, "python version"); got != c.version {
				t.Errorf("version %q, want %q", got, c.version)
			}
		})
	}
}
