package plan

// A CA bundle for TLS-intercepting networks and registries with a private
// CA: the client gives it as a secret (--secret id=ca,src=corp-ca.pem) and
// every step that fetches trusts it besides the system's bundle. It is
// read from the secret mount and combined on a tmpfs, so it lands in no
// layer; without the secret the step runs as it would without it.
const (
	CASecretID   = "ca"
	CASecretPath = "/run/secrets/ca"
	// CABundleDir is a tmpfs the combined bundle is written to.
	CABundleDir = "/run/strata-ca"
	// OrgCAPath is where a CA step finds the organisation's bundle
	// (Plan.CA), mounted read-only from a state of its own: like the
	// secret, it lands in no layer.
	OrgCAPath = "/run/strata-org-ca/ca.pem"
)

// CAPrelude is the shell that runs before a CA step's command: when the
// secret is there, the system bundle (Debian's or Red Hat's path) plus the
// client's, pointed at by each tool's own setting: OpenSSL, Go, uv and
// httpx (SSL_CERT_FILE), requests (poetry), pip, curl, git, and Node with
// every package manager on it (NODE_EXTRA_CA_CERTS). apt reads none of
// these: its steps pass SSL_CERT_FILE as an option themselves.
const CAPrelude = `if [ -s ` + CASecretPath + ` ]; then b=` + CABundleDir + `/bundle.pem; ` +
	`cat /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt ` + CASecretPath + ` > $b 2>/dev/null; ` +
	caEnv + `; fi`

// OrgCAPrelude is CAPrelude for a plan with the organisation's bundle
// (Plan.CA): that one is always there, the secret may add to it.
const OrgCAPrelude = `b=` + CABundleDir + `/bundle.pem; ` +
	`cat /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt ` + OrgCAPath + ` ` + CASecretPath + ` > $b 2>/dev/null; ` +
	caEnv

// caEnv points each tool's own setting at the combined bundle $b.
const caEnv = `export SSL_CERT_FILE=$b REQUESTS_CA_BUNDLE=$b PIP_CERT=$b CURL_CA_BUNDLE=$b GIT_SSL_CAINFO=$b NODE_EXTRA_CA_CERTS=$b`

// Prelude is the CA prelude of the plan's CA steps.
func (p *Plan) Prelude() string {
	if p.CA != "" {
		return OrgCAPrelude
	}
	return CAPrelude
}

// TrustCA marks a step that fetches: it gets the optional `ca` secret and
// the tmpfs its bundle is combined on, and runs CAPrelude first.
func TrustCA(r *Run) *Run {
	if r.CA {
		return r
	}
	r.CA = true
	r.Mounts = append(r.Mounts,
		Mount{Type: SecretMount, ID: CASecretID, Target: CASecretPath},
		Mount{Type: TmpfsMount, Target: CABundleDir},
	)
	return r
}
