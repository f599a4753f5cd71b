// Package privdrop lets the frontend give up root. BuildKit starts a
// gateway frontend as root whatever its image's USER says; the frontend
// needs no privilege (it speaks gRPC on stdin/stdout and reads nothing
// from its filesystem), so it drops to an unprivileged user first.
package privdrop

// Nonroot is the user and group the frontend runs as: distroless's
// nonroot, the USER of the frontend image.
const Nonroot = 65532
