package main

import (
	"time"
)

// results is one run of the benchmark, as docs/bench/results.json holds it
// and the Markdown table and SVG plot show it.
type results struct {
	Generated   time.Time `json:"generated"`
	Machine     string    `json:"machine"`
	Provisional bool      `json:"provisional"`
	Quick       bool      `json:"quick"`
	Runs        int       `json:"runs"` // runs per cell, at most
	// Budget is the time the runs after the first had to fit in ("0s":
	// none); LeftOut names the runs it left out ("go-service naive run 2").
	Budget      string      `json:"budget,omitempty"`
	LeftOut     []string    `json:"left_out,omitempty"`
	Apps        []appResult `json:"apps"`
	NotMeasured []string    `json:"not_measured"`
}

type appResult struct {
	App       string         `json:"app"`
	Subjects  []subjectInfo  `json:"subjects"`
	Scenarios []scenarioInfo `json:"scenarios"`
	Cells     []cell         `json:"cells"`
}

type subjectInfo struct {
	ID         string `json:"id"`
	Title      string `json:"title"`
	ImageBytes int64  `json:"image_bytes,omitempty"` // compressed layers of the runtime image
	Note       string `json:"note,omitempty"`
}

type scenarioInfo struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Rebuild bool   `json:"rebuild"` // plotted in rebuilds.svg
}

// cell is one subject in one scenario. Steps and bytes are those of the
// median run; -1 means the cell has no such figure (ko, the host, a cell
// not measured).
type cell struct {
	Subject     string    `json:"subject"`
	Scenario    string    `json:"scenario"`
	RunsS       []float64 `json:"runs_s,omitempty"`
	MedianS     float64   `json:"median_s,omitempty"`
	MinS        float64   `json:"min_s,omitempty"`
	MaxS        float64   `json:"max_s,omitempty"`
	StepsRun    int       `json:"steps_run"`
	StepsCached int       `json:"steps_cached"`
	SentBytes   int64     `json:"sent_bytes"`
	FrontendS   float64   `json:"frontend_s,omitempty"` // solve start to the first build step
	// the compressed bytes of the layers a push of the cell's image
	// uploads to a registry holding the image of the scenario before (the
	// cold image: every layer); first run only, -1 for none
	PushedBytes int64 `json:"pushed_layer_bytes"`
	// Strata's frontend run in a child process of the benchmark on the same
	// request: its own time (median over the runs) and bytes allocated
	OwnS     float64 `json:"frontend_own_s,omitempty"`
	OwnAlloc int64   `json:"frontend_alloc_bytes,omitempty"`
	// the peak resident set of the process that ran it (median run)
	OwnRSS int64 `json:"frontend_peak_rss_bytes,omitempty"`
	// of the median run: the time it waited on calls to the daemon, and
	// those calls by kind
	OwnWaitS float64 `json:"frontend_wait_s,omitempty"`
	OwnCalls string  `json:"frontend_calls,omitempty"`
	Note     string  `json:"note,omitempty"` // why the cell was not measured
}

// measure is what one build said about itself.
type measure struct {
	Wall        time.Duration
	StepsRun    int
	StepsCached int
	SentBytes   int64
	Frontend    time.Duration
	Own         time.Duration // Strata's frontend in process (zero: not measured)
	OwnAlloc    int64
	OwnRSS      int64         // peak resident set of the process it ran in
	OwnWait     time.Duration // of Own, waiting on calls to the daemon
	OwnCalls    string
}

// noFigures is a measure from a tool without a solve status stream.
func noFigures(wall time.Duration) measure {
	return measure{Wall: wall, StepsRun: -1, StepsCached: -1, SentBytes: -1}
}

// summarise turns the runs of one cell into its figures: the spread of the
// wall times, and the other figures of the median run.
func summarise(subject, scenario string, runs []measure) cell {
	c := cell{Subject: subject, Scenario: scenario, PushedBytes: -1}
	if len(runs) == 0 {
		c.StepsRun, c.StepsCached, c.SentBytes = -1, -1, -1
		return c
	}
	walls := make([]time.Duration, len(runs))
	for i, m := range runs {
		walls[i] = m.Wall
		c.RunsS = append(c.RunsS, seconds(m.Wall))
	}
	s := spreadOf(walls)
	c.MedianS, c.MinS, c.MaxS = seconds(s.Median), seconds(s.Min), seconds(s.Max)
	mid := runs[0]
	for _, m := range runs {
		if absDur(m.Wall-s.Median) < absDur(mid.Wall-s.Median) {
			mid = m
		}
	}
	c.StepsRun, c.StepsCached, c.SentBytes = mid.StepsRun, mid.StepsCached, mid.SentBytes
	c.FrontendS = seconds(mid.Frontend)
	var own []time.Duration
	for _, m := range runs {
		if m.Own > 0 {
			own = append(own, m.Own)
		}
	}
	if len(own) > 0 {
		c.OwnS = seconds(spreadOf(own).Median)
		c.OwnAlloc, c.OwnRSS, c.OwnWaitS, c.OwnCalls = mid.OwnAlloc, mid.OwnRSS, seconds(mid.OwnWait), mid.OwnCalls
	}
	return c
}

func seconds(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// cell finds one subject's cell in a scenario, or nil.
func (a appResult) cell(subject, scenario string) *cell {
	for i := range a.Cells {
		if a.Cells[i].Subject == subject && a.Cells[i].Scenario == scenario {
			return &a.Cells[i]
		}
	}
	return nil
}

// median is a cell's median wall time, zero when it was not measured.
func (a appResult) median(subject, scenario string) time.Duration {
	if c := a.cell(subject, scenario); c != nil {
		return time.Duration(c.MedianS * float64(time.Second))
	}
	return 0
}
