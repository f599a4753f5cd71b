package privdrop

import (
	"fmt"
	"os"
	"syscall"
)

// ToNonroot makes every thread of the process run as Nonroot, with no
// supplementary groups and, as the kernel clears them on leaving uid 0, no
// capabilities. A process that is not root is left as it is.
func ToNonroot() error {
	if os.Getuid() != 0 && os.Geteuid() != 0 {
		return nil
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("dropping supplementary groups: %w", err)
	}
	if err := syscall.Setresgid(Nonroot, Nonroot, Nonroot); err != nil {
		return fmt.Errorf("switching to group %d: %w", Nonroot, err)
	}
	if err := syscall.Setresuid(Nonroot, Nonroot, Nonroot); err != nil {
		return fmt.Errorf("switching to user %d: %w", Nonroot, err)
	}
	return nil
}
