package plan

import (
	"slices"
	"strings"
)

// Recover repairs a cache mount damaged behind the tool's back (files
// truncated by a full disk, a killed writer or a hand): when the step fails
// and its output holds one of Match, the step runs Repair and then its
// command once more. A tool that trusts its cache otherwise fails every later build until
// the mount is pruned. A failure without Match is the step's own, unchanged.
type Recover struct {
	// Match are literals the tool prints for a damaged cache (npm's
	// EINTEGRITY, Go's SECURITY ERROR); any one of them is enough.
	Match []string `json:"match"`
	// Repair is the shell that mends the cache (npm cache verify).
	Repair string `json:"repair"`
	// Lock, when set, is a file on the shared cache that the repair and
	// the second run hold (flock, where the image has it): a repair that
	// cleans up files in use would break another build's repair.
	Lock string `json:"lock,omitempty"`
}

// RecoverDir is the tmpfs a recoverable step keeps its output and status
// on: never part of a layer.
const RecoverDir = "/run/strata-recover"

// Recoverable gives a step its repair and the tmpfs its output is kept on.
func Recoverable(r *Run, rc Recover) *Run {
	r.Recover = &rc
	r.Mounts = append(r.Mounts, Mount{Type: TmpfsMount, Target: RecoverDir})
	return r
}

// Wrap is the shell that runs cmd (shell text) as the step and, when it
// failed with Match in its output, the repair and cmd once more. Output is
// streamed as the tool writes it (both streams on one).
func (rc *Recover) Wrap(cmd string) string { return rc.wrap(cmd, RecoverDir) }

func (rc *Recover) wrap(cmd, dir string) string {
	grep := "grep -qF"
	for _, m := range rc.Match {
		grep += " -e " + shellQuote(m)
	}
	return strings.Join([]string{
		`{ ` + cmd + `; echo $? > ` + dir + `/status; } 2>&1 | tee ` + dir + `/log`,
		`s=$(cat ` + dir + `/status)`,
		`if [ "$s" != 0 ] && ` + grep + ` ` + dir + `/log; then`,
		`  echo ` + shellQuote("strata: "+rc.Said()) + ` >&2`,
		`  ` + rc.again(cmd),
		`else exit "$s"; fi`,
	}, "\n")
}

// fits reports whether rc can wrap r: something to match, a repair, an
// exec-form command and the tmpfs Recoverable adds.
func (rc *Recover) fits(r *Run) bool {
	return len(rc.Match) > 0 && !slices.Contains(rc.Match, "") && rc.Repair != "" && len(r.Args) > 0 &&
		slices.ContainsFunc(r.Mounts, func(m Mount) bool { return m.Type == TmpfsMount && m.Target == RecoverDir })
}

// again is the repair and the second run, under the lock when there is one.
func (rc *Recover) again(cmd string) string {
	if rc.Lock == "" {
		return `{ ` + rc.Repair + `; } && ` + cmd
	}
	return `{ if command -v flock >/dev/null; then flock 9; fi; { ` + rc.Repair + `; } && ` + cmd + `; } 9>` + shellQuote(rc.Lock)
}

// Said is the recovery in words, for plans, Dockerfiles and the step's log.
func (rc *Recover) Said() string {
	return "a failure that prints " + strings.Join(rc.Match, " or ") + " is a damaged cache: " + rc.Repair + " mends it, then the command runs once more"
}

// shellQuote is s as one POSIX shell word, quoted only when it must be
// (dockerfile's shWord quotes a literal word the same way).
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
