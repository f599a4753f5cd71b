// Package greet is shared by the backend's services.
package greet

// Hello names the service that answers.
func Hello(service string) string { return "hello from " + service }
