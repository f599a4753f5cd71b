// Command hello is the smallest app Strata builds from detection alone:
// its Dockerfile is just the syntax line.
package main

import "fmt"

func main() { fmt.Println("hello from a detected Go app") }
