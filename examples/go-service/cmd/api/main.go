// Command api is the sample service Strata builds in its examples and tests.
package main

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"

	"github.com/google/uuid"

	"example.com/go-service/internal/greet"
)

// version is stamped by the build: -X main.version=...
var version = "unset"

func main() {
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: api serve")
		os.Exit(2)
	}
	addr := envOr("ADDR", ":8080")
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s version=%s request=%s\n", greet.Hello(), version, uuid.NewString())
	})
	http.HandleFunc("/migrations", func(w http.ResponseWriter, r *http.Request) {
		entries, err := os.ReadDir("migrations")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		fmt.Fprintln(w, strings.Join(names, "\n"))
	})
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "GIN_MODE=%s uid=%d\n", os.Getenv("GIN_MODE"), os.Getuid())
	})
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
