// Package greet says hello; tests edit it to prove that a source change
// leaves the module download cached.
package greet

// Hello is the greeting the service answers with.
func Hello() string { return "hello from go-service" }
