// Command svc prints a greeting from its sibling module.
package main

import (
	"fmt"

	"example.com/lib"
)

func main() { fmt.Println(lib.Greeting()) }
