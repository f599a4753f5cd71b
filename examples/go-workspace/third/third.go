// Package third is not a workspace member: svc reaches it through a
// replace directive, which the download step must see.
package third

// Suffix ends the greeting.
func Suffix() string { return " (and a replaced module)" }
