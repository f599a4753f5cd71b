package redact

import "testing"

func TestValue(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"VERSION", "1.2.3", "1.2.3"},
		{"NPM_TOKEN", "npm_abc", Mask},
		{"DB_PASSWORD", "hunter2", Mask},
		{"AWS_SECRET_ACCESS_KEY", "abc", Mask},
		{"SIGNING_KEY", "abc", Mask},
		{"NPM_CONFIG_//npm.example.com/:_authToken", "abc", Mask},
		{"PIP_INDEX_URL", "https://user:pa55@pkgs.example.com/simple", "https://xxxxx@pkgs.example.com/simple"},
		{"PIP_INDEX_URL", "https://pkgs.example.com/simple", "https://pkgs.example.com/simple"},
		{"PIP_EXTRA_INDEX_URL", "https://a:b@one.example/simple https://two.example/simple", "https://xxxxx@one.example/simple https://two.example/simple"},
		{"GOPROXY", "https://u:p@proxy.example,direct", "https://xxxxx@proxy.example,direct"},
		{"GOPROXY", "https://tok@proxy.example|off", "https://xxxxx@proxy.example|off"},
		{"NPM_CONFIG_REGISTRY", "http://localhost:4873/", "http://localhost:4873/"},
		{"API_TOKEN", "", ""},
	}
	for _, c := range cases {
		if got := Value(c.name, c.value); got != c.want {
			t.Errorf("Value(%s, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}

func TestHasCredentials(t *testing.T) {
	for v, want := range map[string]bool{
		"https://user:pass@host/simple": true,
		"https://token@host":            true,
		"https://host/simple":           false,
		"user@example.com":              false,
		"git@github.com:org/repo":       false,
	} {
		if got := HasCredentials(v); got != want {
			t.Errorf("HasCredentials(%q) = %v", v, got)
		}
	}
}
