// Package version holds the release stamped in at build time.
package version

// Version is set with -ldflags "-X github.com/strata-build/strata/internal/version.Version=…".
var Version = "dev"
