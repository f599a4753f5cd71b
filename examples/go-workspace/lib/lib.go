// Package lib is the workspace's shared library.
package lib

// Greeting is what the service prints.
func Greeting() string { return "hello from a Go workspace" }
