//go:build !linux

package privdrop

import "errors"

// ToNonroot is for Linux only, where BuildKit runs frontends.
func ToNonroot() error { return errors.New("privdrop: only Linux is supported") }
