//go:build integration

package integration

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// wheel is a pure-Python distribution the test makes itself, so the
// private index serves nothing it did not build.
type wheel struct {
	name, version string
	files         map[string]string // path in the wheel → content
}

// filename is the wheel's file name (PEP 427), for py3 on any platform.
func (w wheel) filename() string {
	return strings.ReplaceAll(w.name, "-", "_") + "-" + w.version + "-py3-none-any.whl"
}

// build zips the wheel with its dist-info: METADATA, WHEEL and a RECORD
// holding every file's digest, as installers expect.
func (w wheel) build(t testing.TB) []byte {
	t.Helper()
	info := strings.ReplaceAll(w.name, "-", "_") + "-" + w.version + ".dist-info/"
	files := map[string]string{
		info + "METADATA": fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", w.name, w.version),
		info + "WHEEL":    "Wheel-Version: 1.0\nGenerator: strata-integration-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	for p, c := range w.files {
		files[p] = c
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	var record strings.Builder
	add := func(name, content string) {
		f, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(f, content); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		sum := sha256.Sum256([]byte(files[p]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", p, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[p]))
		add(p, files[p])
	}
	record.WriteString(info + "RECORD,,\n")
	add(info+"RECORD", record.String())
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// privateIndex is a PEP 503 simple index on loopback that answers every
// request without the right basic-auth credentials with 401, and serves
// only the wheels it is given (no proxy, no redirect): builds use the host
// network, so they reach it.
type privateIndex struct {
	url        string // http://127.0.0.1:<port>/simple/, without credentials
	host       string // 127.0.0.1
	user, pass string

	mu         sync.Mutex
	authorised []string // paths served to authorised requests
	refused    []string // paths refused for want of credentials
}

func startPrivateIndex(t testing.TB, user, pass string, wheels ...wheel) *privateIndex {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ix := &privateIndex{url: "http://" + ln.Addr().String() + "/simple/", host: "127.0.0.1", user: user, pass: pass}
	mux := http.NewServeMux()
	for _, w := range wheels {
		dt := w.build(t)
		sum := sha256.Sum256(dt)
		file := w.filename()
		mux.HandleFunc("GET /simple/"+normalizeDist(w.name)+"/", func(rw http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(rw, "<!DOCTYPE html>\n<html><body>\n<a href=\"/files/%s#sha256=%s\">%s</a>\n</body></html>\n", file, hex.EncodeToString(sum[:]), file)
		})
		mux.HandleFunc("GET /files/"+file, func(rw http.ResponseWriter, _ *http.Request) {
			rw.Header().Set("Content-Type", "application/octet-stream")
			rw.Write(dt)
		})
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		ix.mu.Lock()
		if !ok || u != user || p != pass {
			ix.refused = append(ix.refused, r.URL.Path)
			ix.mu.Unlock()
			rw.Header().Set("WWW-Authenticate", `Basic realm="strata private index"`)
			http.Error(rw, "credentials required", http.StatusUnauthorized)
			return
		}
		ix.authorised = append(ix.authorised, r.URL.Path)
		ix.mu.Unlock()
		mux.ServeHTTP(rw, r)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ix
}

// withCredentials is the index URL with user:pass@ in it.
func (ix *privateIndex) withCredentials() string {
	return strings.Replace(ix.url, "http://", "http://"+ix.user+":"+ix.pass+"@", 1)
}

// seen returns and forgets the paths served and refused so far.
func (ix *privateIndex) seen() (authorised, refused []string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	authorised, refused = ix.authorised, ix.refused
	ix.authorised, ix.refused = nil, nil
	return authorised, refused
}

// normalizeDist is PEP 503's name normalization.
func normalizeDist(name string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(name))
}

// secretIn lists where secret occurs in an OCI layout tarball (manifests,
// configs with their history, every layer, each read compressed and
// uncompressed) or, for a directory, in any file under it (a local cache
// export: blobs and index).
func secretIn(t testing.TB, path, secret string) []string {
	t.Helper()
	var found []string
	check := func(name string, dt []byte) {
		if bytes.Contains(dt, []byte(secret)) {
			found = append(found, name)
		}
		if zr, err := gzip.NewReader(bytes.NewReader(dt)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil && bytes.Contains(plain, []byte(secret)) {
				found = append(found, name+" (uncompressed)")
			}
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.IsDir() {
		n := 0
		err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			dt, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n++
			check(p, dt)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			t.Fatalf("%s holds no file", path)
		}
		return found
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		check(h.Name, dt)
	}
	return found
}
