package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	testv1 "plugboard/test/v1"
)

// smokeResult holds the smoke mode's JSON keys (see main.go).
type smokeResult struct {
	NegotiatedVersion int  `json:"negotiatedVersion"`
	Calls             int  `json:"calls"`
	LogLevels         bool `json:"logLevels"`
	cleanStopReport
}

// smoke exercises every RPC kind once, then stops the plugin and checks it left nothing behind.
func (h *host) smoke() (*smokeResult, error) {
	r := &smokeResult{}
	s, err := h.start()
	if err != nil {
		return r, err
	}
	r.Socket, r.Pid = s.socket, s.pid
	if err := h.smokeCalls(s, r); err != nil {
		return r, err
	}
	return r, h.stopClean(s, &r.cleanStopReport)
}

// smokeCalls makes the smoke mode's RPCs, counting the completed ones in r.Calls.
func (h *host) smokeCalls(s *session, r *smokeResult) error {
	ctx, cancel := h.rpcContext()
	defer cancel()

	r.NegotiatedVersion = s.client.NegotiatedVersion()
	if r.NegotiatedVersion != 1 {
		return fmt.Errorf("negotiated app protocol version %d, want 1", r.NegotiatedVersion)
	}
	if err := get(ctx, s.echo, &testv1.EchoRequest{Text: "hello", Payload: []byte{0, 1, 2, 0xff}, Sequence: 42}); err != nil {
		return err
	}
	r.Calls++

	if h.opts.checkLogs {
		for _, level := range []string{"trace", "debug", "info", "warn", "error"} {
			if err := h.checkLogLevel(ctx, s, level); err != nil {
				return err
			}
			r.Calls++
		}
		r.LogLevels = true
	}

	if _, err := update(ctx, s.echo, 100, []byte("u")); err != nil {
		return err
	}
	r.Calls++
	if err := expand(ctx, s.echo, 10, []byte("e")); err != nil {
		return err
	}
	r.Calls++
	var reqs []*testv1.EchoRequest
	for i := 0; i < 10; i++ {
		reqs = append(reqs, &testv1.EchoRequest{Text: strconv.Itoa(i), Payload: []byte{byte(i)}, Sequence: int64(i)})
	}
	if err := collect(ctx, s.echo, reqs); err != nil {
		return err
	}
	r.Calls++
	return nil
}

// checkLogLevel asks the plugin to log at level and waits for go-plugin to re-log the line
// from the plugin's stderr on the host logger at the same level.
func (h *host) checkLogLevel(ctx context.Context, s *session, level string) error {
	message := fmt.Sprintf("smoke log at %s (%d)", level, time.Now().UnixNano())
	if err := get(ctx, s.echo, &testv1.EchoRequest{Text: "log:" + level + ":" + message}); err != nil {
		return err
	}
	wait, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	got := h.logs.waitFor(wait, message)
	switch {
	case got == "":
		return fmt.Errorf("the plugin's %s line %q never reached the host logger within 5 s", level, message)
	case got != level:
		return fmt.Errorf("the plugin logged %q at %s, the host re-logged it at %s", message, level, got)
	}
	return nil
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}
