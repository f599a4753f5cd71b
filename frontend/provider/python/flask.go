package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
)

// flaskFiles are where a Flask app's WSGI callable is looked for, in order:
// wsgi.py is the conventional entry point, app.py and main.py the usual
// single-file apps.
var flaskFiles = []string{"wsgi.py", "app.py", "main.py"}

var (
	// flaskVar is a module-level variable holding the app, made directly or
	// by a factory: `app = Flask(__name__)`, `application = create_app()`.
	flaskVar = regexp.MustCompile(`(?m)^([A-Za-z_][A-Za-z0-9_]*)\s*(?::[^=\n]*)?=\s*(?:flask\.)?(?:Flask|create_app)\(`)
	// flaskFactory is the application factory pattern: gunicorn calls it.
	flaskFactory = regexp.MustCompile(`(?m)^def create_app\(`)
	// runsItself is a script that starts Flask's own server.
	runsItself = regexp.MustCompile(`(?m)^\s*[A-Za-z_][A-Za-z0-9_]*\.run\(`)
)

// resolveFlask: a Flask dependency and a file that makes the app. gunicorn
// serves it when it is a dependency (`<module>:<variable>`, or
// `<module>:create_app()` for a factory); without gunicorn, a script that
// starts Flask's development server itself runs as written, and anything
// else is an error, since Flask's own server is not for production.
func (r *resolver) resolveFlask(ctx context.Context) (bool, error) {
	if !slices.Contains(r.deps, "flask") {
		return false, nil
	}
	for _, f := range flaskFiles {
		dt, err := r.in.Context.ReadFile(ctx, f, maxFile)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return false, err
		}
		module := strings.TrimSuffix(f, ".py")
		target := ""
		if m := flaskVar.FindSubmatch(dt); m != nil {
			target = module + ":" + string(m[1])
		} else if flaskFactory.Match(dt) {
			target = module + ":create_app()"
		} else {
			continue
		}
		if !slices.Contains(r.deps, "gunicorn") {
			if runsItself.Match(dt) {
				return false, nil // the script's own server: python <file>
			}
			return false, r.Spec.Errorf(r.Spec.Run.Cmd.Pos, "run.cmd", "add gunicorn to the requirements, or set `run: {cmd: [...]}`",
				fmt.Sprintf("%s makes a Flask app (%s), which Strata serves with gunicorn, but gunicorn is not a dependency", f, target))
		}
		r.startGunicorn("", f+" creates a Flask app and gunicorn is a dependency", target)
		return true, nil
	}
	return false, nil
}
