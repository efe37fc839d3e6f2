package cli

import (
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// progress shows a live bar on a terminal's stderr for runs that take over
// about two seconds; elsewhere (a pipe, a CI log) it stays silent.
type progress struct {
	p    *mpb.Progress
	bar  *mpb.Bar
	name atomic.Value // string: the configuration under way
}

const progressSteps = 1000 // per run

func newProgress(stderr io.Writer, runs int, each time.Duration) *progress {
	f, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) || time.Duration(runs)*each < 2*time.Second {
		return nil
	}
	pr := &progress{p: mpb.New(mpb.WithOutput(stderr), mpb.WithWidth(30))}
	pr.name.Store("")
	pr.bar = pr.p.AddBar(int64(runs*progressSteps),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return pr.name.Load().(string) }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" "), decor.EwmaETA(decor.ET_STYLE_GO, 30)),
	)
	return pr
}

func (pr *progress) update(run, runs int, name string, done float64) {
	if pr == nil {
		return
	}
	pr.name.Store(name)
	pr.bar.EwmaSetCurrent(int64(float64(run*progressSteps)+done*progressSteps), 100*time.Millisecond)
}

func (pr *progress) finish() {
	if pr == nil {
		return
	}
	pr.bar.Abort(true)
	pr.p.Wait()
}
