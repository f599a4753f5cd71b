package registry

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseRepo(t *testing.T) {
	for in, want := range map[string]Repo{
		"localhost:5000/strata-it/ci":   {Host: "localhost:5000", Path: "strata-it/ci", PlainHTTP: true},
		"127.0.0.1:5000/a":              {Host: "127.0.0.1:5000", Path: "a", PlainHTTP: true},
		"registry.example.com/team/api": {Host: "registry.example.com", Path: "team/api"},
		"acme/api":                      {Host: "registry-1.docker.io", Path: "acme/api"},
	} {
		got, err := ParseRepo(in)
		if err != nil || got != want {
			t.Errorf("ParseRepo(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"registry.example.com/team/api:cache-main": "without a tag",
		"Team/API": "repository \"Team/API\"",
	} {
		if _, err := ParseRepo(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRepo(%q): %v, want %q", in, err, want)
		}
	}
}

// A registry that challenges for basic auth gets the Docker CLI's stored
// credentials for its host.
func TestClientAnswersABasicChallenge(t *testing.T) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "ci" || p != "s3cret" {
			w.Header().Set("WWW-Authenticate", `Basic realm="registry"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"tags": []string{"cache-main"}})
	})
	srv := httptest.NewServer(handler)
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	cfg := `{"auths":{"` + host + `":{"auth":"` + auth + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	repo, _ := ParseRepo(host + "/team/api")
	tags, err := New(nil).Tags(context.Background(), repo)
	if err != nil || len(tags) != 1 || tags[0] != "cache-main" {
		t.Errorf("tags %q, %v", tags, err)
	}

	// the docker CLI reads DOCKER_CONFIG once: another host has no credentials
	other := httptest.NewServer(handler)
	defer other.Close()
	host = strings.TrimPrefix(other.URL, "http://")
	repo, _ = ParseRepo(host + "/team/api")
	if _, err := New(nil).Tags(context.Background(), repo); err == nil || !strings.Contains(err.Error(), "docker login "+host) {
		t.Errorf("without credentials: %v", err)
	}
}
