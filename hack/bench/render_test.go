package main

import (
	"bytes"
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sample() results {
	c := func(subject, scenario string, runs ...float64) cell {
		ms := make([]measure, len(runs))
		for i, r := range runs {
			ms[i] = measure{Wall: time.Duration(r * float64(time.Second)), StepsRun: 2, StepsCached: 5, SentBytes: 1500}
		}
		return summarise(subject, scenario, ms)
	}
	na := cell{Subject: "ko", Scenario: "arg-run", Note: "ko sets no image environment"}
	noArg := func(subject string) cell { return cell{Subject: subject, Scenario: "arg-build", Note: "no build arg"} }
	own := c("strata", "edit", 0.5, 0.6, 0.4)
	own.PushedBytes = 2_100_000
	own.OwnS, own.OwnAlloc, own.OwnRSS, own.OwnWaitS, own.OwnCalls = 0.04, 1_200_000, 31_000_000, 0.03, "2 solve 20ms, 3 read 10ms"
	return results{
		Generated: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC), Machine: "2 cores, Test CPU", Provisional: true, Runs: 3,
		NotMeasured: []string{"a second platform added"},
		Apps: []appResult{{
			App: "go-service",
			Subjects: []subjectInfo{
				{ID: "naive", Title: "naive Dockerfile", ImageBytes: 2_600_000},
				{ID: "expert", Title: "expert Dockerfile"},
				{ID: "expert-syntax", Title: "expert, syntax image"},
				{ID: "strata", Title: "Strata & co"},
				{ID: "ko", Title: "ko", Note: "host go build"},
			},
			Scenarios: []scenarioInfo{{ID: "cold", Title: "cold"}, {ID: "edit", Title: "edit", Rebuild: true}, {ID: "arg-run", Title: "runtime arg", Rebuild: true}, {ID: "arg-build", Title: "build arg", Rebuild: true}},
			Cells: []cell{
				c("naive", "cold", 30, 32, 31), c("expert", "cold", 20, 21, 22), c("strata", "cold", 25, 24, 26),
				c("naive", "edit", 20, 21, 19), c("expert", "edit", 1, 1.2, 0.8), own,
				c("ko", "edit", 0.9),
				c("expert-syntax", "cold", 20), c("expert-syntax", "edit", 2),
				c("naive", "arg-run", 1), c("expert", "arg-run", 0.2), c("strata", "arg-run", 0.3),
				na, noArg("naive"), noArg("expert"), noArg("expert-syntax"), noArg("strata"), noArg("ko"),
			},
		}},
	}
}

func TestMarkdown(t *testing.T) {
	md := markdown(sample())
	for _, want := range []string{
		"Generated 2026-12-02 06:00 UTC on 2 cores, Test CPU; **provisional**",
		"median of 3 run(s)",
		"### go-service\n\n![go-service: rebuild wall times](bench/rebuilds.svg)\n",
		"| scenario | naive Dockerfile | expert Dockerfile | expert, syntax image | Strata & co | ko | Strata ÷ expert | Strata ÷ expert (`# syntax=`) | naive ÷ Strata |",
		// cold: Strata 25 / expert 21, / syntax expert 20; naive 31 / Strata 25
		"| cold | 31.0 (30.0–32.0) | 21.0 (20.0–22.0) | 20.0 | 25.0 (24.0–26.0) | — | ×1.19 | ×1.25 | ×1.24 |",
		// edit: 0.5/1.0, 0.5/2 and 20/0.5 = 40
		"| edit | 20.0 (19.0–21.0) | 1.0 (0.80–1.2) | 2.0 | 0.50 (0.40–0.60) | 0.90 | ×0.50 | ×0.25 | ×40 |",
		"- cold: Strata 25.0 s, expert 21.0 s (+4.0 s, ×1.19); through a `# syntax=` image 20.0 s (×1.25)",
		"- runtime arg: Strata 0.30 s, expert 0.20 s (+0.10 s, ×1.50)\n",
		"- ko, runtime arg: ko sets no image environment\n- every subject, build arg: no build arg\n",
		"| naive Dockerfile | 2.6 MB |  |",
		"2 / 5 · 1.5 kB · 0.00 s |",
		// the push figure where the run pushed, and no other
		"| edit | 2 / 5 · 1.5 kB · 0.00 s | 2 / 5 · 1.5 kB · 0.00 s | 2 / 5 · 1.5 kB · 0.00 s | 2 / 5 · 1.5 kB · 0.00 s · push 2.1 MB |",
		"Not yet measured:\n\n- a second platform added\n",
		// Strata's own time where it was measured, beside the syntax image's phase
		"|---|---:|---|---:|---:|---:|---:|\n| edit | 0.04 s | 0.03 s: 2 solve 20ms, 3 read 10ms | 1.2 MB | 31.0 MB | 0.00 s | 0.00 s |\n\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "edit: Strata") {
		t.Error("edit is listed as slower though Strata is faster there")
	}
	r := sample()
	r.Provisional = false
	if strings.Contains(markdown(r), "provisional") {
		t.Error("a final run is called provisional")
	}
}

func TestSpliceGenerated(t *testing.T) {
	doc := "# Benchmarks\n\nintro\n\n" + beginMark + "\nold table\n" + endMark + "\n\nafter\n"
	got, err := spliceGenerated(doc, "new table\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# Benchmarks\n\nintro\n\n" + beginMark + "\nnew table\n" + endMark + "\n\nafter\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if again, _ := spliceGenerated(got, "new table\n"); again != got {
		t.Error("splicing the same table twice changed the document")
	}
	if got, _ := spliceGenerated("# B\nintro", "t\n"); got != "# B\nintro\n\n"+beginMark+"\nt\n"+endMark+"\n" {
		t.Errorf("appended section: %q", got)
	}
	if _, err := spliceGenerated(endMark+"\n"+beginMark+"\n", "t\n"); err == nil {
		t.Error("marks out of order gave no error")
	}
}

func TestFormats(t *testing.T) {
	for n, want := range map[int64]string{-1: "—", 999: "999 B", 1500: "1.5 kB", 2_600_000: "2.6 MB", 1_200_000_000: "1.20 GB"} {
		if got := fmtBytes(n); got != want {
			t.Errorf("fmtBytes(%d) = %q, want %q", n, got, want)
		}
	}
	for s, want := range map[float64]string{0.123: "0.12", 1.25: "1.2", 31.04: "31.0", 123.4: "123"} {
		if got := fmtSeconds(s); got != want {
			t.Errorf("fmtSeconds(%v) = %q, want %q", s, got, want)
		}
	}
}

// The plot is well-formed SVG with one bar per measured rebuild cell (cold
// is not a rebuild), on a log scale: a bar ten times longer in seconds is a
// fixed step taller, and names are escaped.
func TestSVGPlot(t *testing.T) {
	a := sample().Apps[0]
	svg := svgPlot(a)
	dec := xml.NewDecoder(bytes.NewReader(svg))
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, svg)
		}
	}
	bars := regexp.MustCompile(`<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" fill="[^"]+"><title>([^<]+)</title>`).FindAllStringSubmatch(string(svg), -1)
	if len(bars) != 8 { // edit: 5 subjects, runtime arg: 3 (ko's and the syntax image's cells have no figure)
		t.Fatalf("%d bars, want 8:\n%s", len(bars), svg)
	}
	height := map[string]float64{}
	for _, b := range bars {
		h, _ := strconv.ParseFloat(b[2], 64)
		height[b[3]] = h
		if strings.Contains(b[3], "cold") {
			t.Errorf("cold is plotted: %s", b[3])
		}
	}
	// naive edit 20 s, expert 1 s, Strata 0.5 s; expert runtime arg 0.2 s
	naive, expert, strata, small := height["naive Dockerfile, edit: 20.0 s"], height["expert Dockerfile, edit: 1.0 s"], height["Strata &amp; co, edit: 0.50 s"], height["expert Dockerfile, runtime arg: 0.20 s"]
	if !(naive > expert && expert > strata && strata > small && small > 0) {
		t.Fatalf("bar heights out of order: %v", height)
	}
	// log scale: 20 s over 1 s is log10(20) decades, 1 s over 0.2 s log10(5)
	perDecade := (naive - expert) / 1.30103
	if got := (expert - small) / 0.69897; got < perDecade*0.98 || got > perDecade*1.02 {
		t.Errorf("not a log scale: %.1f px per decade above 1 s, %.1f below", perDecade, got)
	}
	if !strings.Contains(string(svg), "Strata &amp; co</text>") {
		t.Error("the legend does not escape subject names")
	}
}

// A budget that left runs out says so in the header and lists them.
func TestMarkdownLeftOut(t *testing.T) {
	r := sample()
	r.Budget, r.LeftOut = "30m0s", []string{"go-service naive run 2", "go-service ko run 3"}
	md := markdown(r)
	for _, want := range []string{
		"median of 3 runs, or fewer where the 30m0s budget left a run out (listed below)",
		"budget left out (each would have ended past it, judged by the subject's first run), so their cells have fewer runs:\n\n- go-service naive run 2\n- go-service ko run 3\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(markdown(sample()), "budget") {
		t.Error("a run with nothing left out mentions the budget")
	}
}
