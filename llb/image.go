package llb

import (
	"iter"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/platforms"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// emptyImage is the config of an image built on scratch.
func emptyImage(p ocispecs.Platform) *dockerspec.DockerOCIImage {
	img := &dockerspec.DockerOCIImage{}
	setPlatform(img, p)
	img.RootFS.Type = "layers"
	img.Config.WorkingDir = "/"
	img.Config.Env = []string{"PATH=" + defaultPath}
	img.Config.Labels = map[string]string{}
	return img
}

func setPlatform(img *dockerspec.DockerOCIImage, p ocispecs.Platform) {
	p = platforms.Normalize(p)
	img.Architecture, img.OS, img.Variant = p.Architecture, p.OS, p.Variant
	img.OSVersion, img.OSFeatures = p.OSVersion, slices.Clone(p.OSFeatures)
}

// cloneImage deep-copies a config so a base image's stays as resolved.
func cloneImage(src *dockerspec.DockerOCIImage) *dockerspec.DockerOCIImage {
	img := *src
	img.OSFeatures = slices.Clone(src.OSFeatures)
	img.RootFS.DiffIDs = slices.Clone(src.RootFS.DiffIDs)
	img.History = slices.Clone(src.History)
	img.Config.Env = slices.Clone(src.Config.Env)
	img.Config.Entrypoint = slices.Clone(src.Config.Entrypoint)
	img.Config.Cmd = slices.Clone(src.Config.Cmd)
	img.Config.ExposedPorts = maps.Clone(src.Config.ExposedPorts)
	img.Config.Volumes = maps.Clone(src.Config.Volumes)
	img.Config.Labels = maps.Clone(src.Config.Labels)
	if img.Config.Labels == nil {
		img.Config.Labels = map[string]string{}
	}
	if img.RootFS.Type == "" {
		img.RootFS.Type = "layers"
	}
	return &img
}

// setEnv sets or replaces NAME in a KEY=value list, keeping its order.
func setEnv(env []string, name, value string) []string {
	for i, kv := range env {
		if k, _, _ := cut(kv); k == name {
			env[i] = name + "=" + value
			return env
		}
	}
	return append(env, name+"="+value)
}

func cut(kv string) (string, string, bool) { return strings.Cut(kv, "=") }

// sortedMap iterates a map in key order, for deterministic output.
func sortedMap(m map[string]string) iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}
