package python

import (
	"github.com/strata-build/strata/frontend/plan"
)

// tool is an installer Strata installs from the package index into a
// virtualenv of its own, in a stage of its own: that stage starts from the
// builder image alone, so its layer is cached on the tool's version and
// neither build.packages nor the lockfile re-install it. The builder links
// the virtualenv in at the same path (its interpreter link then holds).
type tool struct {
	stage       string // the stage's name
	home        string // the virtualenv, in the tool stage and the builder
	requirement string // what pip installs, e.g. pdm[locked]==2.29.3
}

// toolStage creates the tool's virtualenv and installs it with pip, its
// cache on pip's cache mount.
func (r *resolver) toolStage(t tool) plan.Stage {
	return plan.Stage{
		Name:     t.stage,
		From:     r.builderImage(),
		Platform: plan.TargetPlatform,
		Steps: []plan.Step{
			{Name: "python -m venv " + t.home, Run: &plan.Run{Args: plan.Lits("python", "-m", "venv", t.home)}},
			r.pipInto(t.home, "pip install "+t.requirement, []string{t.requirement}),
		},
	}
}

// copyTool links the tool's virtualenv into the builder.
func copyTool(t tool, version string) plan.Step {
	return plan.Step{Name: "copy " + t.stage + " " + version, Copy: &plan.Copy{
		From: plan.Source{Stage: t.stage}, Src: plan.Lit(t.home), Dest: plan.Lit(t.home), Link: true,
	}}
}

// builderImage is python:<version>, the image every build stage starts from.
func (r *resolver) builderImage() plan.From {
	return plan.FromImage("python:"+r.version, "python.version", r.cfg.Version.Pos)
}
