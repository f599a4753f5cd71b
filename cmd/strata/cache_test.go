package main

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// strata cache exists answers from the registry's manifest endpoint: a
// tag it holds, one it does not (errNoTag, which build.sh reads as "import
// the default branch's cache"), and a registry that fails.
func TestCacheExists(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/team/api/manifests/cache-main":
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
			w.Write([]byte(`{"schemaVersion":2,"manifests":[]}`))
		case "/v2/team/broken/manifests/cache-main":
			w.WriteHeader(http.StatusInternalServerError)
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`))
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	t.Setenv("DOCKER_CONFIG", t.TempDir())

	var out strings.Builder
	if err := run([]string{"cache", "exists", host + "/team/api:cache-main"}, &out); err != nil || !strings.Contains(out.String(), "cache-main") {
		t.Errorf("a tag the registry holds: %v, printed %q", err, out.String())
	}
	if err := run([]string{"cache", "exists", host + "/team/api:cache-feature-x"}, &out); !errors.Is(err, errNoTag) {
		t.Errorf("a tag the registry lacks: %v", err)
	}
	if err := run([]string{"cache", "exists", host + "/team/broken:cache-main"}, &out); err == nil || errors.Is(err, errNoTag) {
		t.Errorf("a failing registry must not read as a missing tag: %v", err)
	}
	for _, bad := range []string{host + "/team/api", host + "/team/api:", ""} {
		if err := run([]string{"cache", "exists", bad}, &out); err == nil || !strings.Contains(err.Error(), "tag") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
