// Package greet is shared by both commands; tests edit it, and each
// command's main package, to prove what a change re-runs.
package greet

// Version is stamped by the build: -X example.com/go-multi/internal/greet.Version=...
var Version = "unset"

// Hello is the greeting both commands use.
func Hello(who string) string { return "hello from go-multi " + who + " version=" + Version }
