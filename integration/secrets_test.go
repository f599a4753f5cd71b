//go:build integration

package integration

import (
	"archive/zip"
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/mod/sumdb/dirhash"
)

// Go's three ways to reach private modules in one build, each proven used
// and then searched for: a netrc secret with the password of a private
// module proxy on loopback, the CA its TLS certificate is signed by as
// --secret id=ca (Go sends netrc credentials over HTTPS only), and an SSH
// agent (--ssh default) that the build command asks for its keys. The
// password, the CA, the agent's private key and its socket path are in no
// layer (of the builder target), image config, history, provenance
// attestation, local or registry cache export, nor in what any step printed;
// a build that fails in the download step, with all three given, names
// none of them.
func TestGoSecretsSweep(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	pass := "s3cret-go-" + run
	// a module path of this run's own: the shared module cache of a warm
	// daemon never holds it, so the proxy must serve it
	mod := "example.invalid/private-" + run
	px := startGoProxy(t, "strata", pass, mod, "v1.0.0", map[string]string{
		"go.mod":     "module " + mod + "\n\ngo 1.26\n",
		"private.go": "package private\n\n// Msg is what the app prints.\nfunc Msg() string { return \"hello from a private module\" }\n",
	})
	ag := startAgent(t, "strata-sweep-"+run)

	dir := b.example(t, "go-minimal")
	files := map[string]string{
		"Dockerfile": `# syntax=localhost:5000/strata:dev
build:
  command: |
    test -s /root/.netrc
    go run ./agentcheck
    go build -o /out/hello .
`,
		"go.mod":  "module example.com/hello\n\ngo 1.26\n\nrequire " + mod + " v1.0.0\n",
		"go.sum":  px.sums,
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\n\tprivate \"" + mod + "\"\n)\n\nfunc main() { fmt.Println(private.Msg()) }\n",
		// Asks the agent at $SSH_AUTH_SOCK for its identities, with the
		// standard library only (SSH_AGENTC_REQUEST_IDENTITIES).
		"agentcheck/main.go": `package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	c, err := net.Dial("unix", os.Getenv("SSH_AUTH_SOCK"))
	if err != nil {
		panic(err)
	}
	c.Write([]byte{0, 0, 0, 1, 11})
	var n uint32
	binary.Read(c, binary.BigEndian, &n)
	msg := make([]byte, n)
	if _, err := io.ReadFull(c, msg); err != nil || msg[0] != 12 {
		panic(fmt.Sprint("no identities answer: ", err))
	}
	keys := binary.BigEndian.Uint32(msg[1:])
	blob := binary.BigEndian.Uint32(msg[5:])
	comment := msg[9+blob+4 : 9+blob+4+binary.BigEndian.Uint32(msg[9+blob:])]
	fmt.Printf("agent keys=%d comment=%s\n", keys, comment)
}
`,
	}
	for name, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secrets := func() []session.Attachable {
		ssh, err := sshprovider.NewSSHAgentProvider([]sshprovider.AgentConfig{{ID: "default", Paths: []string{ag.sock}}})
		if err != nil {
			t.Fatal(err)
		}
		return []session.Attachable{ssh, secretsprovider.FromMap(map[string][]byte{
			// Go matches a netrc machine against host:port
			"netrc": []byte("machine " + strings.TrimPrefix(px.url, "https://") + " login strata password " + pass + "\n"),
			"ca":    px.ca,
		})}
	}
	attrs := map[string]string{"build-arg:GOPROXY": px.url, "build-arg:GONOSUMDB": "example.invalid", "target": "build"}
	sweep := []string{pass, caMarker(t, px.ca), ag.keyMarker, ag.sock}

	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, attrs: attrs, session: secrets()})
	if got := px.served(); !slices.Contains(got, "/"+mod+"/@v/v1.0.0.zip") {
		t.Errorf("the private proxy served %q with the netrc credentials, not the module's zip", got)
	}
	if ag.lists() == 0 {
		t.Error("the build never asked the SSH agent for its keys")
	}
	if log, _ := os.ReadFile(filepath.Join(cache, "logs")); !strings.Contains(string(log), "agent keys=1 comment=strata-sweep-"+run) {
		t.Errorf("the build command did not list the agent's key:\n%s", log)
	}
	if !slices.Contains(layerPaths(t, img), "usr/local/bin/hello") {
		t.Error("the builder target holds no binary")
	}
	for _, s := range sweep {
		for _, p := range []string{tarPath, cache} {
			if found := secretIn(t, p, s); len(found) > 0 {
				t.Errorf("a secret (%.12s…) is in %s: %q", s, p, found)
			}
		}
	}
	for _, p := range []string{tarPath, cache} {
		if len(secretIn(t, p, "hello from a private module")) == 0 {
			t.Errorf("the search found not even the private module's code in %s", p)
		}
	}

	// A version the proxy does not have: go mod download fails, with the
	// netrc, the CA and the agent all given, and names none of them.
	edit(t, filepath.Join(dir, "go.mod"), "v1.0.0", "v1.0.1")
	v, err := b.solve(t, c, build{dir: dir, attrs: attrs, session: secrets()})
	failedWithout(t, v, err, "go mod download", sweep...)
	if got := px.served(); !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, "v1.0.1") }) {
		t.Errorf("the failing download asked the proxy for %q, not v1.0.1 with credentials", got)
	}
}

// An npm token as NPM_TOKEN (for the context's .npmrc, which names
// ${NPM_TOKEN}) and a whole .npmrc as --secret id=npmrc: neither token is
// in a layer, image config, history, provenance attestation, local or
// registry cache export, or any step's output; installs that fail against
// a registry refusing each token (which shows npm sent it) name neither.
func TestNodeSecretsSweep(t *testing.T) {
	t.Parallel()
	b := testBed(t)
	c := b.client(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	envToken, fileToken := "npm-env-"+run, "npm-file-"+run
	dir := b.example(t, "node-express")
	markRun(t, dir)
	npmrcFile := filepath.Join(dir, ".npmrc")
	writeNpmrc := func(content string) {
		t.Helper()
		if err := os.WriteFile(npmrcFile, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secrets := func(npmrc string) []session.Attachable {
		return []session.Attachable{secretsprovider.FromMap(map[string][]byte{"NPM_TOKEN": []byte(envToken), "npmrc": []byte(npmrc)})}
	}

	// The build: the tokens are for a registry it does not use; the npmrc
	// secret's log level shows npm read it.
	writeNpmrc("//127.0.0.1:9/:_authToken=${NPM_TOKEN}\n")
	img, tarPath, cache := b.exportedBuild(t, c, build{dir: dir, session: secrets("loglevel=http\n//127.0.0.2:9/:_authToken=" + fileToken + "\n")})
	checkNodeExpress(t, img, "hello from node-express")
	if log, _ := os.ReadFile(filepath.Join(cache, "logs")); !strings.Contains(string(log), "npm http fetch") {
		t.Error("npm ci did not log at the level the npmrc secret sets: the secret was not read")
	}
	for _, s := range []string{envToken, fileToken} {
		for _, p := range []string{tarPath, cache} {
			if found := secretIn(t, p, s); len(found) > 0 {
				t.Errorf("the token %s is in %s: %q", s, p, found)
			}
		}
	}
	for _, p := range []string{tarPath, cache} {
		if len(secretIn(t, p, "hello from node-express")) == 0 {
			t.Errorf("the search found not even the app's code in %s", p)
		}
	}

	// A registry that refuses every request, sent each token in turn: by
	// the context's .npmrc (${NPM_TOKEN}), then by the npmrc secret.
	var mu sync.Mutex
	var auth []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "token refused", http.StatusForbidden)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	host := ln.Addr().String()
	attrs := map[string]string{"build-arg:NPM_CONFIG_REGISTRY": "http://" + host + "/"}
	const offline = "prefer-online=true\nfetch-retries=0\n" // no packument from npm's cache
	for _, tc := range []struct {
		name, project, secret, want string
	}{
		{"NPM_TOKEN", "//" + host + "/:_authToken=${NPM_TOKEN}\n" + offline, "", envToken},
		{"npmrc", offline, "//" + host + "/:_authToken=" + fileToken + "\n", fileToken},
	} {
		writeNpmrc(tc.project)
		v, err := b.solve(t, c, build{dir: dir, attrs: attrs, session: secrets(tc.secret)})
		failedWithout(t, v, err, "npm ci", envToken, fileToken)
		mu.Lock()
		if !slices.Contains(auth, "Bearer "+tc.want) {
			t.Errorf("%s: the refusing registry was sent %q, not the token", tc.name, auth)
		}
		auth = nil
		mu.Unlock()
	}
}

// goProxy is a Go module proxy on loopback over TLS with a certificate of
// its own CA, serving one module to requests with the right basic-auth
// credentials only.
type goProxy struct {
	url  string // https://127.0.0.1:<port>
	ca   []byte // PEM
	sums string // go.sum lines for the module

	mu     sync.Mutex
	paths  []string // served to authorised requests
	denied int
}

func startGoProxy(t *testing.T, user, pass, mod, version string, files map[string]string) *goProxy {
	t.Helper()
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		f, err := zw.Create(mod + "@" + version + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, files[name])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(t.TempDir(), "mod.zip")
	if err := os.WriteFile(zipPath, zbuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	zipSum, err := dirhash.HashZip(zipPath, dirhash.Hash1)
	if err != nil {
		t.Fatal(err)
	}
	modSum, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(files["go.mod"])), nil
	})
	if err != nil {
		t.Fatal(err)
	}

	cert, caPEM := selfSigned(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	px := &goProxy{url: "https://" + ln.Addr().String(), ca: caPEM,
		sums: mod + " " + version + " " + zipSum + "\n" + mod + " " + version + "/go.mod " + modSum + "\n"}
	prefix := "/" + mod + "/@v/"
	srv := &http.Server{TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		px.mu.Lock()
		if !ok || u != user || p != pass {
			px.denied++
			px.mu.Unlock()
			http.Error(w, "credentials required", http.StatusUnauthorized)
			return
		}
		px.paths = append(px.paths, r.URL.Path)
		px.mu.Unlock()
		switch r.URL.Path {
		case prefix + "list":
			io.WriteString(w, version+"\n")
		case prefix + version + ".info":
			io.WriteString(w, `{"Version":"`+version+`","Time":"2026-01-01T00:00:00Z"}`)
		case prefix + version + ".mod":
			io.WriteString(w, files["go.mod"])
		case prefix + version + ".zip":
			w.Write(zbuf.Bytes())
		default:
			http.NotFound(w, r)
		}
	})}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
	return px
}

// served returns and forgets the paths served to authorised requests.
func (px *goProxy) served() []string {
	px.mu.Lock()
	defer px.mu.Unlock()
	out := px.paths
	px.paths = nil
	return out
}

// selfSigned is a fresh CA certificate for 127.0.0.1, which the server
// presents itself, and its PEM.
func selfSigned(t testing.TB) (tls.Certificate, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "strata test CA " + strconv.FormatInt(time.Now().UnixNano(), 36)},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// testAgent is an SSH agent on a unix socket with one fresh key, which
// counts the requests for its identities.
type testAgent struct {
	sock      string
	keyMarker string // a line of the private key's PEM
	mu        sync.Mutex
	listed    int
}

func startAgent(t *testing.T, comment string) *testAgent {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: priv, Comment: comment}); err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(pem.EncodeToMemory(block))), "\n")
	// the socket outside t.TempDir: a unix socket path has a length limit
	dir, err := os.MkdirTemp("", "strata-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	a := &testAgent{sock: filepath.Join(dir, "agent.sock"), keyMarker: lines[2]}
	ln, err := net.Listen("unix", a.sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go agent.ServeAgent(countingAgent{keyring, a}, conn)
		}
	}()
	return a
}

func (a *testAgent) lists() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.listed
}

type countingAgent struct {
	agent.Agent
	a *testAgent
}

func (c countingAgent) List() ([]*agent.Key, error) {
	c.a.mu.Lock()
	c.a.listed++
	c.a.mu.Unlock()
	return c.Agent.List()
}
