//go:build integration

package integration

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"
)

// npmProxy is an npm registry on loopback in front of the one the host's
// npm uses, which records every tarball it serves: what an install in a
// build downloaded, seen from the network. The package documents it
// passes on name their tarballs at the proxy, so every download goes
// through it.
type npmProxy struct {
	url string // with a trailing slash, as NPM_CONFIG_REGISTRY takes it
	mu  sync.Mutex
	got []string // tarball file names, in order
}

func startNpmProxy(t testing.TB) *npmProxy {
	t.Helper()
	out, err := command(t, t.TempDir(), "npm", "config", "get", "registry")
	if err != nil {
		t.Fatalf("npm config get registry: %v\n%s", err, out)
	}
	upstream := strings.TrimSuffix(strings.TrimSpace(out), "/")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &npmProxy{url: "http://" + l.Addr().String() + "/"}
	self := strings.TrimSuffix(p.url, "/")
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "read-only", http.StatusMethodNotAllowed)
			return
		}
		req, err := http.NewRequestWithContext(r.Context(), r.Method, upstream+r.URL.EscapedPath(), nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		// The client's Accept picks the abbreviated document npm asks
		// for; no Accept-Encoding, so the body arrives plain to rewrite.
		if a := r.Header.Get("Accept"); a != "" {
			req.Header.Set("Accept", a)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		if strings.HasSuffix(r.URL.Path, ".tgz") && resp.StatusCode == http.StatusOK {
			p.mu.Lock()
			p.got = append(p.got, path.Base(r.URL.Path))
			p.mu.Unlock()
		} else {
			body = bytes.ReplaceAll(body, []byte(upstream+"/"), []byte(self+"/"))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = w.Write(body)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	// Downloads that bypassed the proxy would pass any check of it: the
	// documents it serves must name tarballs at the proxy.
	resp, err := http.Get(p.url + "ms")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	doc, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Contains(doc, []byte(`"`+self+`/ms/-/ms-2.1.3.tgz"`)) {
		t.Fatalf("the registry proxy's document for ms names no tarball at the proxy (%v): %.300s", err, doc)
	}
	return p
}

// tarballs are the tarballs served so far.
func (p *npmProxy) tarballs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.got)
}

// checkOnlyDownloaded fails the test when the proxy served a tarball
// other than those named (the packages a lockfile change added: a warm
// daemon may have them cached too, so none at all passes).
func checkOnlyDownloaded(t testing.TB, p *npmProxy, step string, allowed ...string) {
	t.Helper()
	for _, tb := range p.tarballs() {
		if !slices.Contains(allowed, tb) {
			t.Errorf("%s downloaded %s, which its cache mount had: every tarball served %q", step, tb, p.tarballs())
		}
	}
	t.Logf("tarballs downloaded through the registry proxy: %q", p.tarballs())
}
