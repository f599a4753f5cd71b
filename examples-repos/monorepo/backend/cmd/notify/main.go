// Command notify is the monorepo's second Go service.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"example.com/monorepo/backend/internal/greet"
)

func main() {
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8081"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, greet.Hello("notify"))
	})
	log.Printf("notify listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}
