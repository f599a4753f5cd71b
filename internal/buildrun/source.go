package buildrun

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
)

// localFiles reads the file a located error or warning is about from this
// machine: the description by its name, any other (go.mod) in the context.
// nil when there is no such file, and the daemon's copy is shown instead.
func (c Config) localFiles() func(name string) []byte {
	return func(name string) []byte {
		path := ""
		switch {
		case name == filepath.Base(c.File):
			path = c.File
		case filepath.IsLocal(name):
			path = filepath.Join(c.Dir, name)
		default:
			return nil
		}
		dt, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		return dt
	}
}

// printErrorSources prints each place a located error points at as
// `Dockerfile:LINE: message` and the lines around it, the line itself
// marked `>>>`, as buildx prints a Dockerfile's errors.
func printErrorSources(w io.Writer, err error, read func(string) []byte) {
	msgs := strings.Split(err.Error(), "\n")
	for _, src := range errdefs.Sources(err) {
		if src.Info == nil {
			continue
		}
		name := src.Info.Filename
		lines := sourceLines(src.Info, read)
		for _, r := range src.Ranges {
			line := int(r.Start.Line)
			fmt.Fprintf(w, "%s\n", errorAt(msgs, name, line))
			printLines(w, lines, r)
		}
	}
}

// errorAt is the message line about name:line (a description error reads
// "Dockerfile:4:3: go.mian: unknown key"), else the error's first line
// after the solver's prefixes, under that place.
func errorAt(msgs []string, name string, line int) string {
	at := name + ":" + strconv.Itoa(line) + ":"
	for _, m := range msgs {
		if i := strings.Index(m, at); i >= 0 {
			return m[i:]
		}
	}
	first := msgs[0]
	for _, p := range []string{"failed to solve: ", "failed to run Build function: "} {
		first = strings.TrimPrefix(first, p)
	}
	return fmt.Sprintf("%s:%d: %s", name, line, first)
}

// printWarnings prints the build's warnings (lint findings, unused build
// args) with their rule, detail, URL and the lines they point at.
func printWarnings(w io.Writer, warnings []client.VertexWarning, read func(string) []byte) {
	if len(warnings) == 0 {
		return
	}
	n := strconv.Itoa(len(warnings)) + " warnings"
	if len(warnings) == 1 {
		n = "1 warning"
	}
	fmt.Fprintf(w, "\n%s found:\n", n)
	for _, wr := range warnings {
		fmt.Fprintf(w, "\nWARNING: %s\n", bytes.TrimSpace(wr.Short))
		for _, d := range wr.Detail {
			if d := bytes.TrimSpace(d); len(d) > 0 {
				fmt.Fprintf(w, "%s\n", d)
			}
		}
		if wr.URL != "" {
			fmt.Fprintf(w, "%s\n", wr.URL)
		}
		if wr.SourceInfo == nil || len(wr.Range) == 0 {
			continue
		}
		lines := sourceLines(wr.SourceInfo, read)
		for _, r := range wr.Range {
			fmt.Fprintf(w, "%s:%d\n", wr.SourceInfo.Filename, r.Start.Line)
			printLines(w, lines, r)
		}
	}
}

// sourceLines are the file's lines from this machine, else as the daemon
// sent them.
func sourceLines(info *pb.SourceInfo, read func(string) []byte) []string {
	data := info.Data
	if local := read(info.Filename); local != nil {
		data = local
	}
	return strings.Split(string(data), "\n")
}

// printLines prints the range's lines with two lines of context each side.
func printLines(w io.Writer, lines []string, r *pb.Range) {
	start, end := int(r.Start.Line), int(max(r.End.Line, r.Start.Line))
	if start < 1 || start > len(lines) {
		return
	}
	end = min(end, len(lines))
	from, to := max(1, start-2), min(len(lines), end+2)
	for to > end && strings.TrimSpace(lines[to-1]) == "" { // the file's final newline
		to--
	}
	fmt.Fprintln(w, "--------------------")
	for i := from; i <= to; i++ {
		mark := "   "
		if i >= start && i <= end {
			mark = ">>>"
		}
		fmt.Fprintf(w, " %3d | %s %s\n", i, mark, lines[i-1])
	}
	fmt.Fprintln(w, "--------------------")
}
