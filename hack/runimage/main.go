// Command runimage runs the image in an OCI layout tarball under runc and,
// with -get, prints what the service answers there before stopping it.
// hack/demo.sh uses it; it needs root and runc.
package main

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/strata-build/strata/internal/imagerun"
)

func main() {
	tarPath := flag.String("tar", "", "OCI layout tarball")
	env := flag.String("env", "", "extra environment, comma-separated KEY=value")
	get := flag.String("get", "", "URL to fetch once the service answers")
	flag.Parse()
	if err := run(*tarPath, *env, *get); err != nil {
		fmt.Fprintln(os.Stderr, "runimage:", err)
		os.Exit(1)
	}
}

func run(tarPath, env, url string) error {
	imgs, err := imagerun.Read(tarPath)
	if err != nil {
		return err
	}
	bundle, err := os.MkdirTemp("", "runimage-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(bundle)
	var extra []string
	if env != "" {
		extra = strings.Split(env, ",")
	}
	if err := imagerun.Bundle(imgs[0], bundle, extra...); err != nil {
		return err
	}
	if url == "" {
		out, err := imagerun.Run(bundle)
		fmt.Print(out)
		return err
	}
	c, err := imagerun.Start(bundle)
	if err != nil {
		return err
	}
	defer c.Stop()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			fmt.Printf("GET %s: %s\n%s", url, resp.Status, body)
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer: %v\n%s", url, err, c.Output())
		}
		time.Sleep(200 * time.Millisecond)
	}
}
