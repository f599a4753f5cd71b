// Command worker is the batch side of the go-multi example: it works
// through its queue and exits. It ships in the same image as the api and
// runs with --entrypoint /app/worker.
package main

import (
	"fmt"
	"os"

	"github.com/google/uuid"

	"example.com/go-multi/internal/greet"
)

func main() {
	jobs := []string{"resize", "notify", "archive"}
	for _, j := range jobs {
		fmt.Printf("job %s %s done\n", j, uuid.NewString()[:8])
	}
	fmt.Printf("%s processed %d jobs as uid %d\n", greet.Hello("worker"), len(jobs), os.Getuid())
}
