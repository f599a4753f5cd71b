package defaults

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/spec"
)

// Apply lays the defaults over the plan a provider made for the
// description s, and refuses what the policy forbids. Every setting it
// changes is recorded with this file as its source, so `strata plan` and
// the outline show what came from the organisation.
func (d *Defaults) Apply(s *spec.Spec, p *plan.Plan) error {
	if d == nil {
		return nil
	}
	var errs []error
	errs = append(errs, d.checkWritten(s)...)
	errs = append(errs, d.images(s, p)...)
	d.args(p)
	d.labels(p)
	if d.CA.Set {
		p.CA = d.CA.V
		p.Settings = append(p.Settings, plan.Setting{Key: "ca", Value: "organisation CA bundle", Source: d.Source(d.CA.Pos)})
	}
	return spec.Join(errs...)
}

// checkWritten refuses description keys policy.deny names, and args
// policy.lockArgs names declared under args:.
func (d *Defaults) checkWritten(s *spec.Spec) []error {
	written, err := s.Written()
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, k := range written {
		if denied, ok := d.Denied(k.Key); ok {
			errs = append(errs, &spec.Error{File: s.File, Pos: k.Pos, Key: k.Key,
				Msg:  "your organisation's defaults do not let descriptions set " + denied,
				Hint: fmt.Sprintf("remove it; policy.deny in %s lists it", d.Source(d.Policy.Deny.Pos))})
		}
	}
	for _, a := range s.Args {
		if d.ArgLocked(a.Name) {
			errs = append(errs, &spec.Error{File: s.File, Pos: a.Pos, Key: "args." + a.Name,
				Msg:  "your organisation's defaults fix " + a.Name,
				Hint: fmt.Sprintf("remove it; policy.lockArgs in %s lists it", d.Source(d.Policy.LockArgs.Pos))})
		}
	}
	return errs
}

// images maps every stage's base image to the organisation's copy and
// checks it against policy.images.
func (d *Defaults) images(s *spec.Spec, p *plan.Plan) []error {
	var errs []error
	recorded, refused := map[string]bool{}, map[string]bool{}
	for i := range p.Stages {
		from := &p.Stages[i].From
		if from.Image == "" || from.Image == plan.Scratch {
			continue
		}
		if to, pos, ok := d.Image(from.Image); ok {
			if !recorded[from.Image] {
				recorded[from.Image] = true
				p.Settings = append(p.Settings, plan.Setting{Key: "image " + from.Image, Value: to, Source: d.Source(pos)})
			}
			from.Image = to
		}
		if d.ImageAllowed(from.Image) || refused[from.Image] {
			continue
		}
		refused[from.Image] = true
		e := &spec.Error{File: s.File, Pos: from.Pos, Key: from.Key,
			Msg: fmt.Sprintf("stage %s starts from %s, which your organisation's policy.images does not allow", p.Stages[i].Name, from.Image),
			Hint: fmt.Sprintf("pick an image the policy allows, or ask for %s to be mapped under images: in %s",
				from.Image, d.Source(d.Policy.Images.Pos))}
		errs = append(errs, e)
	}
	return errs
}

// args gives pass-through args the organisation's defaults. An arg the
// description declares keeps its own default: it is the app's choice.
func (d *Defaults) args(p *plan.Plan) {
	for i := range p.Args {
		a := &p.Args[i]
		v, ok := d.Args.V[a.Name]
		if !ok || !a.PassThrough {
			continue
		}
		a.Default, a.Source = v, d.Source(d.Args.KeyPos(a.Name))
	}
}

// labels puts the organisation's labels on every target's image; they win
// over a provider's.
func (d *Defaults) labels(p *plan.Plan) {
	if len(d.Labels.V) == 0 {
		return
	}
	for i := range p.Targets {
		img := &p.Targets[i].Image
		if img.Labels == nil {
			img.Labels = map[string]string{}
		}
		maps.Copy(img.Labels, d.Labels.V)
	}
	for _, k := range sortedKeys(d.Labels.V) {
		p.Settings = append(p.Settings, plan.Setting{Key: "label " + k, Value: d.Labels.V[k], Source: d.Source(d.Labels.KeyPos(k))})
	}
}

// CheckBuild refuses what a build request asks that the policy forbids:
// a locked arg given with --build-arg, a --label that changes one of the
// organisation's, a named context redirecting to an image policy.images
// does not allow, and (with lockImages) one redirecting an image the
// mapping names. contexts are the request's named contexts (name → value,
// as --build-context gives them); redirected reports whether the request
// has a named context for an image reference.
func (d *Defaults) CheckBuild(buildArgs, labels, contexts map[string]string, redirected func(ref string) bool) error {
	if d == nil {
		return nil
	}
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(buildArgs)) {
		if d.ArgLocked(name) {
			errs = append(errs, &spec.Error{File: d.File, Pos: d.Policy.LockArgs.Pos, Key: "policy.lockArgs",
				Msg:  "--build-arg " + name + " is not allowed: your organisation's defaults fix it",
				Hint: "remove --build-arg " + name})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if v, ok := d.Labels.V[k]; ok && v != labels[k] {
			errs = append(errs, &spec.Error{File: d.File, Pos: d.Labels.KeyPos(k), Key: "labels." + k,
				Msg:  fmt.Sprintf("--label %s=%s would change a label your organisation's defaults set to %q", k, labels[k], v),
				Hint: "remove --label " + k})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(contexts)) {
		if ref, ok := strings.CutPrefix(contexts[name], "docker-image://"); ok && !d.ImageAllowed(ref) {
			errs = append(errs, &spec.Error{File: d.File, Pos: d.Policy.Images.Pos, Key: "policy.images",
				Msg:  "--build-context " + name + "=docker-image://" + ref + " is not allowed: your organisation's policy.images does not allow that image",
				Hint: "redirect to an image the policy allows, or remove --build-context " + name})
		}
	}
	if d.Policy.LockImages.V && redirected != nil {
		for _, from := range sortedKeys(d.Images.V) {
			if redirected(from) || redirected(d.Images.V[from]) {
				errs = append(errs, &spec.Error{File: d.File, Pos: d.Images.KeyPos(from), Key: "images." + from,
					Msg:  "--build-context " + from + " is not allowed: your organisation's defaults pin that image (policy.lockImages)",
					Hint: "remove --build-context " + from})
			}
		}
	}
	return spec.Join(errs...)
}
