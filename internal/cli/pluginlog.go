package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	sdk "github.com/demhost/demhost/plugin-sdk"
	"github.com/demhost/demhost/registry"
)

// What the plugins log reaches the user and the action's log:
//
//   - demhost's stderr shows each plugin's warnings, errors and lines
//     without a level (a plain line on stderr is meant to be read), as
//     "plugin NAME: WARN message key=value"; with -v it shows every line,
//     info and debug too, and the stack trace of a crash.
//   - Every line is also appended to the log of the action that is
//     streaming from the plugin (`demhost history ID`), up to
//     maxActionPluginLines per action. Lines logged while no action streams
//     (at start, while describing) go to the action that streamed last, or
//     nowhere before the first.
//   - go-plugin's own messages about the plugin are shown only with -v:
//     without it, a failed plugin is reported in one sentence by the error.

// maxActionPluginLines bounds the plugin lines kept per action, so that
// a chatty plugin cannot bloat the registry.
const maxActionPluginLines = 1000

// pluginOutput routes the lines of every plugin of one command.
type pluginOutput struct {
	stderr  io.Writer
	verbose bool
	show    sync.Mutex // one line at a time on stderr

	mu  sync.Mutex
	log *actionLog // nil until the registry is open
	env string
}

// goPluginLog is where go-plugin's own log lines go.
func (o *pluginOutput) goPluginLog() io.Writer {
	if o.verbose {
		return o.stderr
	}
	return io.Discard
}

// print shows a line on stderr if the user wants it.
func (o *pluginOutput) print(l sdk.LogLine, text string) {
	if !o.verbose && (l.Crash || (l.Level != sdk.LevelNone && l.Level < sdk.LevelWarn)) {
		return
	}
	o.show.Lock()
	defer o.show.Unlock()
	fmt.Fprintln(o.stderr, text)
}

// openLog starts recording plugin lines in reg's action logs.
func (o *pluginOutput) openLog(reg *registry.Registry, env string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.log = newActionLog(reg)
	o.env = env
}

// closeLog writes what is queued (for a bounded time) and stops
// recording; the registry may be closed after it.
func (o *pluginOutput) closeLog() {
	o.mu.Lock()
	l := o.log
	o.log = nil
	o.mu.Unlock()
	if l != nil {
		l.close()
	}
}

func (o *pluginOutput) record(id int64, text string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.log != nil {
		o.log.add(id, text)
	}
}

// runningAction is the id of this process's action in progress on index,
// 0 when none is found. It asks the registry, which the host writes
// before it streams.
func (o *pluginOutput) runningAction(ctx context.Context, index string) int64 {
	o.mu.Lock()
	l, env := o.log, o.env
	o.mu.Unlock()
	if l == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	acts, err := l.reg.History(ctx, registry.ActionFilter{Env: env, Index: index, Limit: 20})
	if err != nil {
		return 0
	}
	hostname, _ := os.Hostname()
	for _, a := range acts {
		if a.Status == registry.ActionInProgress && a.Pid == os.Getpid() && (a.Host == hostname || hostname == "") {
			return a.ID
		}
	}
	return 0
}

// pluginSource is a started plugin as the host sees it. Its Stream files
// the plugin's lines under the action that streams, and a crash's error
// says where its stack trace is. The embedded Plugin gives the host every
// other call (Describe, Watermark …) unchanged.
type pluginSource struct {
	*sdk.Plugin
	name string
	out  *pluginOutput

	mu      sync.Mutex
	streams map[int64]int // action id → its streams open
	last    int64         // the action that streamed last
}

func newPluginSource(name string, out *pluginOutput) *pluginSource {
	return &pluginSource{name: name, out: out, streams: map[int64]int{}}
}

// log is the plugin's log sink.
func (s *pluginSource) log(l sdk.LogLine) {
	text := "plugin " + s.name + ": " + l.String()
	s.out.print(l, text)
	for _, id := range s.actions() {
		s.out.record(id, text)
	}
}

// actions are the actions a line the plugin logs now belongs to.
func (s *pluginSource) actions() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.streams) == 0 {
		if s.last == 0 {
			return nil
		}
		return []int64{s.last}
	}
	ids := make([]int64, 0, len(s.streams))
	for id := range s.streams {
		ids = append(ids, id)
	}
	return ids
}

func (s *pluginSource) Stream(ctx context.Context, req *sdk.StreamRequest, fn func(*sdk.Batch) error) error {
	id := s.out.runningAction(ctx, req.Index)
	if id != 0 {
		s.mu.Lock()
		s.streams[id]++
		s.last = id
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			if s.streams[id]--; s.streams[id] == 0 {
				delete(s.streams, id)
			}
			s.mu.Unlock()
		}()
	}
	err := s.Plugin.Stream(ctx, req, fn)
	if errors.Is(err, sdk.ErrPluginCrashed) && !s.out.verbose {
		if id != 0 {
			return fmt.Errorf("%w; run with -v for its stack trace, or see `demhost history %d`", err, id)
		}
		return fmt.Errorf("%w; run with -v for its stack trace", err)
	}
	return err
}

// actionLog appends plugin lines to action logs from one goroutine, so a
// slow registry holds up neither the plugin nor the host.
type actionLog struct {
	reg  *registry.Registry
	ch   chan actionLine
	done chan struct{}
}

type actionLine struct {
	id   int64
	text string
}

func newActionLog(reg *registry.Registry) *actionLog {
	l := &actionLog{reg: reg, ch: make(chan actionLine, 4096), done: make(chan struct{})}
	go l.run()
	return l
}

func (l *actionLog) run() {
	defer close(l.done)
	kept := map[int64]int{}
	for e := range l.ch {
		n := kept[e.id]
		kept[e.id]++
		switch {
		case n == maxActionPluginLines:
			e.text = fmt.Sprintf("(more plugin lines were not kept: at most %d per action)", maxActionPluginLines)
		case n > maxActionPluginLines:
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = l.reg.AppendLog(ctx, e.id, e.text)
		cancel()
	}
}

// add queues a line; when the queue is full the line is only shown.
func (l *actionLog) add(id int64, text string) {
	select {
	case l.ch <- actionLine{id, text}:
	default:
	}
}

// close writes what is queued, waiting at most 10s.
func (l *actionLog) close() {
	close(l.ch)
	select {
	case <-l.done:
	case <-time.After(10 * time.Second):
	}
}
