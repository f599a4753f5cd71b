package golang

// Section is what the `go:` section decodes into, for the description's
// JSON Schema and for reporting its problems with the rest of the file.
func (Provider) Section() any { return &settings{} }
