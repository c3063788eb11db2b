package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/ioutil"
	"strings"
	"sync"
	"sync/atomic"

	"google.golang.org/grpc/grpclog"
)

// logLine is one hclog JSON line the host logger wrote.
type logLine struct {
	Level   string `json:"@level"`
	Message string `json:"@message"`
}

// logCapture is the host logger's output: it passes every line on (to stderr) and remembers
// level and message, so the host can see go-plugin's own warnings and the plugin's re-logged
// lines. hclog writes each line with a single Write call.
type logCapture struct {
	out io.Writer

	mu      sync.Mutex
	lines   []logLine
	changed chan struct{} // closed and replaced whenever a line arrives
}

func newLogCapture(out io.Writer) *logCapture {
	return &logCapture{out: out, changed: make(chan struct{})}
}

func (c *logCapture) Write(p []byte) (int, error) {
	c.out.Write(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, raw := range bytes.Split(bytes.TrimSpace(p), []byte("\n")) {
		var line logLine
		if json.Unmarshal(raw, &line) == nil {
			c.lines = append(c.lines, line)
		}
	}
	close(c.changed)
	c.changed = make(chan struct{})
	return len(p), nil
}

// count is how many lines carried message.
func (c *logCapture) count(message string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, l := range c.lines {
		if l.Message == message {
			n++
		}
	}
	return n
}

// waitFor waits until a line with message arrives and returns its level ("" on timeout).
func (c *logCapture) waitFor(ctx context.Context, message string) string {
	for {
		c.mu.Lock()
		for _, l := range c.lines {
			if l.Message == message {
				c.mu.Unlock()
				return l.Level
			}
		}
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return ""
		}
	}
}

// grpcLogFilter receives all of grpc-go's logging. It passes warnings and errors on and counts
// the "Client received GoAway with http2.ErrCodeEnhanceYourCalm." line, which grpc-go 1.33 only
// logs at info level with verbosity 2 (a server rejecting grpc-go's BDP pings sends exactly
// this). The other info lines are dropped.
type grpcLogFilter struct {
	out   io.Writer
	calms int64 // atomic
}

// installGRPCLogger routes grpc-go's logs through a filter; call it before any RPC.
func installGRPCLogger(out io.Writer) *grpcLogFilter {
	f := &grpcLogFilter{out: out}
	// NewLoggerV2 writes every severity to its first writer, so the others can be discarded.
	grpclog.SetLoggerV2(grpclog.NewLoggerV2WithVerbosity(f, ioutil.Discard, ioutil.Discard, 2))
	return f
}

func (f *grpcLogFilter) Write(p []byte) (int, error) {
	line := string(p)
	calm := strings.Contains(line, "ErrCodeEnhanceYourCalm")
	if calm {
		atomic.AddInt64(&f.calms, 1)
	}
	if calm || !strings.HasPrefix(line, "INFO: ") {
		f.out.Write(p)
	}
	return len(p), nil
}

// goAways is how many GOAWAY ENHANCE_YOUR_CALM frames grpc-go reported.
func (f *grpcLogFilter) goAways() int64 {
	return atomic.LoadInt64(&f.calms)
}
