// Command svc prints a greeting from its sibling modules.
package main

import (
	"fmt"

	"example.com/lib"
	"example.com/third"
)

func main() { fmt.Println(lib.Greeting() + third.Suffix()) }
