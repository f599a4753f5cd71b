package lint

import (
	"context"
	"slices"

	"github.com/distribution/reference"

	"github.com/strata-build/strata/frontend/plan"
	"github.com/strata-build/strata/frontend/provider"
)

// BaseImageUnpinned: an image without a tag (or with :latest) changes
// under the build without a word in the description.
var BaseImageUnpinned = Rule{
	Name:        "BaseImageUnpinned",
	Description: "Base images should be pinned by a tag other than latest, or by a digest",
}

// unpinnedImages checks the images the description names: run.base and
// any stage image a description line chose. Images Strata picks (the
// defaults and the run.base aliases) are its own pins, made per release.
func unpinnedImages(_ context.Context, in *Input) ([]plan.Finding, error) {
	var images []plan.From
	if base := in.Spec.Run.Base; base.Set && !slices.Contains(provider.Aliases(), base.V) {
		images = append(images, plan.FromImage(base.V, "run.base", base.Pos))
	}
	if in.Plan != nil {
		for _, st := range in.Plan.WalkAll().Stages {
			from := st.From
			if from.Image == "" || from.Pos.IsZero() || from.Key == "run.base" {
				continue // another stage, Strata's choice, or seen above
			}
			images = append(images, from)
		}
	}
	var out []plan.Finding
	for _, img := range images {
		if msg, ok := unpinned(img.Image); ok {
			out = append(out, plan.Finding{Rule: BaseImageUnpinned.Name, Pos: img.Pos,
				Message: img.Key + ": image " + img.Image + " " + msg + ", so two builds may start from different images " +
					"(name a tag such as " + suggestTag(img.Image) + ", or a digest)"})
		}
	}
	return out, nil
}

// unpinned says how ref is unpinned: "has no tag" or "is tagged latest".
func unpinned(ref string) (string, bool) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", false // not a reference: resolving it fails with its own error
	}
	if _, ok := named.(reference.Digested); ok {
		return "", false
	}
	tagged, ok := named.(reference.Tagged)
	switch {
	case !ok:
		return "has no tag", true
	case tagged.Tag() == "latest":
		return "is tagged latest", true
	}
	return "", false
}

func suggestTag(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.FamiliarName(named) + ":<version>"
}
