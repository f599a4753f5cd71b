package greet

import (
	"strings"
	"testing"
)

func TestHello(t *testing.T) {
	if !strings.HasPrefix(Hello(), "hello") {
		t.Fatalf("Hello() = %q", Hello())
	}
}
