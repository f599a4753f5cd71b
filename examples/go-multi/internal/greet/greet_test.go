package greet

import (
	"strings"
	"testing"
)

func TestHello(t *testing.T) {
	if got := Hello("api"); !strings.HasPrefix(got, "hello from go-multi api") {
		t.Fatalf("Hello() = %q", got)
	}
}
