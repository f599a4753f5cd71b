// Command cgo-hello calls into C, so it needs a glibc builder and runtime.
package main

/*
#include <string.h>
static int answer(void) { return 42; }
*/
import "C"

import "fmt"

func main() {
	msg := C.CString("glibc")
	fmt.Printf("cgo answer=%d strlen=%d\n", int(C.answer()), int(C.strlen(msg)))
}
