// Package registry is the few calls of the OCI distribution API that
// pruning a registry cache needs: list a repository's tags, read a
// manifest and a small blob, delete a manifest by digest or a tag. It
// authenticates with the Docker CLI's credentials, as buildx does.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	digest "github.com/opencontainers/go-digest"
)

// ErrUnsupported is a registry refusing an operation it does not offer
// (deletion disabled, or tags that cannot be deleted on their own).
var ErrUnsupported = errors.New("the registry does not support this operation")

// ErrNotFound is a tag, manifest or blob the registry does not hold.
var ErrNotFound = errors.New("not found")

// Repo is one repository of one registry.
type Repo struct {
	Host string // host[:port] the API is served on
	Path string // the repository, e.g. team/api
	// PlainHTTP talks http:// instead of https:// (a local registry).
	PlainHTTP bool
}

func (r Repo) String() string { return r.Host + "/" + r.Path }

// ParseRepo reads a repository reference as docker does (docker.io and
// library/ implied); a tag or digest is an error: pruning works on the
// whole repository. localhost and loopback registries are plain HTTP.
func ParseRepo(s string) (Repo, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Repo{}, fmt.Errorf("repository %q: %v (e.g. registry.example.com/team/api)", s, err)
	}
	if _, ok := named.(reference.Tagged); ok {
		return Repo{}, fmt.Errorf("repository %q: name the repository without a tag", s)
	}
	if _, ok := named.(reference.Digested); ok {
		return Repo{}, fmt.Errorf("repository %q: name the repository without a digest", s)
	}
	r := Repo{Host: reference.Domain(named), Path: reference.Path(named)}
	if r.Host == "docker.io" {
		r.Host = "registry-1.docker.io"
	}
	r.PlainHTTP = isLoopback(r.Host)
	return r, nil
}

func isLoopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// Client calls one registry's API, answering its auth challenges with
// the Docker CLI's stored credentials.
type Client struct {
	http *http.Client
	auth docker.Authorizer
}

// New is a client with the credentials of the Docker CLI's config
// ($DOCKER_CONFIG, else ~/.docker), credential helpers included.
func New(hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	cfg := config.LoadDefaultConfigFile(io.Discard)
	creds := func(host string) (string, string, error) {
		if host == "registry-1.docker.io" {
			host = "https://index.docker.io/v1/"
		}
		ac, err := cfg.GetAuthConfig(host)
		if err != nil {
			return "", "", err
		}
		if ac.IdentityToken != "" {
			return "", ac.IdentityToken, nil
		}
		return ac.Username, ac.Password, nil
	}
	return &Client{http: hc, auth: docker.NewDockerAuthorizer(docker.WithAuthClient(hc), docker.WithAuthCreds(creds))}
}

// do sends a request, answering one auth challenge; action is the token
// scope's action (pull, delete).
func (c *Client) do(ctx context.Context, r Repo, action, method, path string, hdr http.Header) (*http.Response, error) {
	scheme := "https"
	if r.PlainHTTP {
		scheme = "http"
	}
	u := path
	if !strings.HasPrefix(path, "http://") && !strings.HasPrefix(path, "https://") {
		u = scheme + "://" + r.Host + path
	}
	ctx = docker.WithScope(ctx, "repository:"+r.Path+":"+action)
	var prev []*http.Response
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, nil)
		if err != nil {
			return nil, err
		}
		for k, v := range hdr {
			req.Header[k] = v
		}
		if err := c.auth.Authorize(ctx, req); err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusUnauthorized || attempt == 1 {
			return resp, nil
		}
		resp.Body.Close()
		prev = append(prev, resp)
		if err := c.auth.AddResponses(ctx, prev); err != nil {
			return nil, fmt.Errorf("%s %s: unauthorized: %w (log in with docker login %s)", method, u, err, r.Host)
		}
	}
}

// apiError turns an unexpected answer into an error, with the registry's
// own error codes when it sent them.
func apiError(what string, resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var e struct {
		Errors []struct{ Code, Message string }
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && len(e.Errors) > 0 {
		var parts []string
		for _, x := range e.Errors {
			parts = append(parts, x.Code+": "+x.Message)
		}
		msg = strings.Join(parts, "; ")
	}
	err := fmt.Errorf("%s: %s: %s", what, resp.Status, msg)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	case resp.StatusCode == http.StatusMethodNotAllowed, strings.Contains(msg, "UNSUPPORTED"):
		return fmt.Errorf("%w: %v", ErrUnsupported, err)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("%v (are the credentials for this registry allowed to do this?)", err)
	}
	return err
}

// Tags lists every tag of the repository, following the API's pages.
func (c *Client) Tags(ctx context.Context, r Repo) ([]string, error) {
	var all []string
	next := "/v2/" + r.Path + "/tags/list?n=1000"
	for next != "" {
		resp, err := c.do(ctx, r, "pull", http.MethodGet, next, nil)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusNotFound {
			resp.Body.Close()
			return nil, nil // no repository yet: no tags
		}
		if resp.StatusCode != http.StatusOK {
			defer resp.Body.Close()
			return nil, apiError("list the tags of "+r.String(), resp)
		}
		var page struct{ Tags []string }
		err = json.NewDecoder(io.LimitReader(resp.Body, 16<<20)).Decode(&page)
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("list the tags of %s: %v", r, err)
		}
		all = append(all, page.Tags...)
		next = nextPage(resp)
	}
	return all, nil
}

// nextPage is the Link header's next URL (RFC 5988), as a path or URL.
func nextPage(resp *http.Response) string {
	for _, l := range resp.Header.Values("Link") {
		target, params, ok := strings.Cut(l, ";")
		if !ok || !strings.Contains(params, `rel="next"`) {
			continue
		}
		target = strings.Trim(strings.TrimSpace(target), "<>")
		u, err := resp.Request.URL.Parse(target)
		if err != nil {
			return ""
		}
		if u.Host == resp.Request.URL.Host {
			return (&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String()
		}
		return u.String()
	}
	return ""
}

// manifestTypes are what Manifest accepts: indexes and image manifests,
// OCI and Docker's.
var manifestTypes = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

// Manifest fetches a manifest by tag or digest: its digest, media type
// and body.
func (c *Client) Manifest(ctx context.Context, r Repo, ref string) (digest.Digest, string, []byte, error) {
	resp, err := c.do(ctx, r, "pull", http.MethodGet, "/v2/"+r.Path+"/manifests/"+ref, http.Header{"Accept": {manifestTypes}})
	if err != nil {
		return "", "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", nil, apiError("manifest "+r.String()+":"+ref, resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return "", "", nil, err
	}
	dgst := digest.FromBytes(body) // what the bytes are, whatever the header says
	if h := resp.Header.Get("Docker-Content-Digest"); h != "" && h != dgst.String() {
		return "", "", nil, fmt.Errorf("manifest %s:%s: the registry says %s, the body is %s", r, ref, h, dgst)
	}
	return dgst, resp.Header.Get("Content-Type"), body, nil
}

// Blob fetches a blob of at most max bytes, checked against its digest.
func (c *Client) Blob(ctx context.Context, r Repo, d digest.Digest, max int64) ([]byte, error) {
	resp, err := c.do(ctx, r, "pull", http.MethodGet, "/v2/"+r.Path+"/blobs/"+d.String(), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError("blob "+d.String()+" of "+r.String(), resp)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > max {
		return nil, fmt.Errorf("blob %s of %s: larger than %d bytes", d, r, max)
	}
	if digest.FromBytes(body) != d {
		return nil, fmt.Errorf("blob %s of %s: the content does not match its digest", d, r)
	}
	return body, nil
}

// Delete deletes a manifest by digest (and with it every tag that points
// at it), or a single tag when ref is a tag (OCI distribution 1.1; many
// registries answer ErrUnsupported).
func (c *Client) Delete(ctx context.Context, r Repo, ref string) error {
	resp, err := c.do(ctx, r, "delete", http.MethodDelete, "/v2/"+r.Path+"/manifests/"+ref, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted && resp.StatusCode != http.StatusOK {
		return apiError("delete "+r.String()+":"+ref, resp)
	}
	return nil
}
