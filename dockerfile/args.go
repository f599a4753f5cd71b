package dockerfile

import (
	"slices"
	"strings"

	"github.com/strata-build/strata/frontend/plan"
)

// declare writes one ARG for the args strs name that the stage has not
// declared yet, right before the instruction that reads them: a Dockerfile
// puts a declared arg in the environment of every later RUN of the stage,
// so declaring late keeps earlier steps' cache keys free of it, as the
// plan's LLB does. Platform args (TARGETARCH …) are declared the same way.
//
// An arg without a default is declared bare: then it is in RUN's
// environment only when --build-arg sets it, which is the plan's "only
// when set" for pass-through args (GOPROXY …), and an empty default reads
// the same as an unset arg everywhere else.
func (w *writer) declare(strs ...plan.Str) {
	var decl []string
	for _, s := range strs {
		for _, name := range s.Refs() {
			if w.declared[name] || slices.Contains(decl, name) {
				continue
			}
			decl = append(decl, name)
		}
	}
	if len(decl) == 0 {
		return
	}
	var passed []string
	for i, name := range decl {
		w.declared[name] = true
		a := w.args[name]
		if a.Default != "" {
			decl[i] = name + "=" + w.dfWord(plan.Lit(a.Default))
		}
		if a.PassThrough && a.Default == "" {
			passed = append(passed, name)
		}
	}
	if len(passed) > 0 {
		w.comment(strings.Join(passed, " ") + ": no default, so each reaches RUN only when --build-arg sets it.")
	}
	w.line("ARG %s", strings.Join(decl, " "))
}

// switchUser runs the next step as user ("" is the base image's user). A
// Dockerfile's USER lasts until the next one, so the stage switches back
// before a step that has no user of its own and at its end.
func (w *writer) switchUser(user string) {
	if user == w.user {
		return
	}
	if user == "" {
		w.restoreUser()
		return
	}
	w.line("USER %s", w.dfWord(plan.Lit(user)))
	w.user = user
}

// restoreUser goes back to the base image's user after steps the plan runs
// as another one. A Dockerfile cannot name "the base image's user";
// USER "" is the default user (root), which is what every base image
// Strata picks runs as.
func (w *writer) restoreUser() {
	w.comment("The plan ran only the steps above as that user: back to the default, root, which\nthe base images Strata picks run as.")
	w.line(`USER ""`)
	w.user = ""
}
