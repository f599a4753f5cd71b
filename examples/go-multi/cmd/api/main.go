// Command api is the HTTP side of the go-multi example: the image's
// entrypoint.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/google/uuid"

	"example.com/go-multi/internal/greet"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s request=%s\n", greet.Hello("api"), uuid.NewString())
	})
	log.Printf("api listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
