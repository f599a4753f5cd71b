package lint

import (
	"context"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// SecretInArgOrEnv: an arg's value ends up in the build's LLB, provenance
// and cache keys, and run.env is in the image config for anyone who pulls
// the image.
var SecretInArgOrEnv = Rule{
	Name:        "SecretInArgOrEnv",
	Description: "Sensitive data should not be passed in args or run.env",
}

// The words BuildKit's SecretsUsedInArgOrEnv looks for, as a whole name or
// its first or last _-separated word (GITHUB_TOKEN, api_key, AUTH), unless
// the name also says it is public, a file or a version.
var (
	secretWords = []string{"apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"}
	allowWords  = []string{"public", "file", "version"}
	secretName  = regexp.MustCompile(`(?i)(?:_|^)(?:` + strings.Join(secretWords, "|") + `)(?:_|$)`)
	allowedName = regexp.MustCompile(`(?i)(?:_|^)(?:` + strings.Join(allowWords, "|") + `)(?:_|$)`)
)

func looksSecret(name string) bool {
	return secretName.MatchString(name) && !allowedName.MatchString(name)
}

func secretsInArgOrEnv(_ context.Context, in *Input) ([]plan.Finding, error) {
	var out []plan.Finding
	for _, a := range in.Spec.Args {
		if looksSecret(a.Name) {
			out = append(out, plan.Finding{Rule: SecretInArgOrEnv.Name, Pos: a.Pos,
				Message: "arg " + a.Name + " looks like a secret: its value is written into the build's definition and provenance " +
					"(pass it with --secret and list it under build.secrets, e.g. `- {id: " + strings.ToLower(a.Name) + ", env: " + a.Name + "}`)"})
		}
	}
	env := in.Spec.Run.Env
	for _, k := range slices.Sorted(maps.Keys(env.V)) {
		if looksSecret(k) {
			out = append(out, plan.Finding{Rule: SecretInArgOrEnv.Name, Pos: env.KeyPos(k),
				Message: "run.env." + k + " looks like a secret: it is written into the image config for anyone who can pull the image " +
					"(give it to the container when it runs instead)"})
		}
	}
	return out, nil
}
