package golang

// Section is what the `go:` section decodes into, for the description's
// JSON Schema and for reporting its problems with the rest of the file.
func (Provider) Section() any { return &settings{} }

// Docs describes the `go:` keys in the JSON Schema, from the README. A key
// missing here fails the schema's tests, so a new setting gets its line.
func (Provider) Docs() map[string]string {
	return map[string]string{
		"":                  "Go settings; every key is optional.",
		"version":           "Go release of the builder image, e.g. \"1.26\" (default: go.mod's toolchain line, else its go line).",
		"main":              "The main package to build, e.g. ./cmd/api (default: the only main package, at the root or in cmd/*).",
		"binary":            "File name of the binary (default: go build's name for the package: its directory's, the module's at the root).",
		"binaries":          "Several main packages built into one image by one go build, e.g. [{main: ./cmd/api}, {main: ./cmd/worker}]; the first is the entrypoint, the others run with --entrypoint /app/<binary>. Replaces main and binary.",
		"binaries[].main":   "The main package, e.g. ./cmd/worker.",
		"binaries[].binary": "File name of the binary under /app (default: go build's name for the package: its directory's, the module's at the root).",
		"ldflags":           "Linker flags, e.g. -s -w -X main.version=${VERSION} (default: -s -w, no symbol or DWARF tables; \"\" links with them).",
		"tags":              "Build tags, e.g. [netgo].",
		"cgo":               "Build with cgo on a glibc builder and base (default false; true when go.mod needs a cgo module).",
	}
}
