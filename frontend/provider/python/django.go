package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"

	"github.com/strata-build/strata/frontend/plan"
)

// djangoSettings finds manage.py's default settings module.
var djangoSettings = regexp.MustCompile(`DJANGO_SETTINGS_MODULE["']\s*,\s*["']([A-Za-z_][A-Za-z0-9_.]*)\.settings["']`)

// django is a Django project: the package holding settings and wsgi.
type django struct {
	project       string
	collectstatic bool
}

// resolveDjango reads manage.py: a Django project is served by gunicorn
// from its wsgi module, and its static files are collected at build time
// (python.collectstatic: false turns that off).
func (r *resolver) resolveDjango(ctx context.Context) (bool, error) {
	dt, err := r.in.Context.ReadFile(ctx, "manage.py", maxFile)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	m := djangoSettings.FindSubmatch(dt)
	if m == nil {
		return false, nil
	}
	r.django = &django{project: string(m[1]), collectstatic: r.cfg.Collectstatic.Or(true)}
	wsgi := r.django.project + ".wsgi"
	if !slices.Contains(r.deps, "gunicorn") {
		return false, r.Spec.Errorf(r.Spec.Run.Cmd.Pos, "run.cmd", "add gunicorn to the requirements, or set `run: {cmd: [...]}`",
			fmt.Sprintf("manage.py is a Django project (%s), which Strata serves with gunicorn, but gunicorn is not a dependency", wsgi))
	}
	// gunicorn binds 0.0.0.0:$PORT when no --bind is given.
	r.start.Cmd = plan.Lits("gunicorn", wsgi)
	r.startEnv = []plan.Env{{Name: "PORT", Value: plan.Lit(fmt.Sprint(r.port))}, {Name: "DJANGO_SETTINGS_MODULE", Value: plan.Lit(r.django.project + ".settings")}}
	r.Set("start", "gunicorn "+wsgi, "manage.py names "+r.django.project+".settings and gunicorn is a dependency")
	if r.django.collectstatic {
		r.Set("collectstatic", "python manage.py collectstatic --noinput", r.At(r.cfg.Collectstatic.Pos))
	}
	return true, nil
}

// collectstaticStep gathers the static files into STATIC_ROOT at build time,
// so the runtime image serves them without a writable app directory.
func (r *resolver) collectstaticStep() plan.Step {
	return plan.Step{
		Name: "python manage.py collectstatic",
		Pos:  r.cfg.Collectstatic.Pos,
		Run: &plan.Run{
			Args: plan.Lits(venv+"/bin/python", "manage.py", "collectstatic", "--noinput"),
			Env:  []plan.Env{{Name: "DJANGO_SETTINGS_MODULE", Value: plan.Lit(r.django.project + ".settings")}},
		},
	}
}
