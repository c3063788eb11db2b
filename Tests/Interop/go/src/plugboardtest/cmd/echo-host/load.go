package main

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	testv1 "plugboard/test/v1"
)

// maxCallErrors ends the unary phase early: past this many failures the rest adds nothing.
const maxCallErrors = 100

// loadResult holds the load mode's JSON keys (see main.go).
type loadResult struct {
	Calls                   int     `json:"calls"`
	CallErrors              int     `json:"callErrors"`
	CallSeconds             float64 `json:"callSeconds"`
	CallsPerSecond          float64 `json:"callsPerSecond"`
	StreamMessages          int     `json:"streamMessages"`
	StreamErrors            int     `json:"streamErrors"`
	StreamSeconds           float64 `json:"streamSeconds"`
	StreamMessagesPerSecond float64 `json:"streamMessagesPerSecond"`
	FirstError              string  `json:"firstError,omitempty"`
	GoAways                 int64   `json:"goAways"`
	Reconnects              int64   `json:"reconnects"`
	Graceful                bool    `json:"graceful"`
}

// load makes many sequential unary calls, then streams many messages, all on one connection.
// Peers that mishandle grpc-go's BDP pings fail here (GOAWAY ENHANCE_YOUR_CALM after a few
// hundred calls), so every failure is counted and the first one is reported verbatim.
func (h *host) load() (*loadResult, error) {
	r := &loadResult{}
	s, err := h.start()
	if err != nil {
		return r, err
	}
	ctx, cancel := h.rpcContext()
	defer cancel()
	noteError := func(err error) {
		if r.FirstError == "" {
			r.FirstError = err.Error()
		}
	}

	// Sequential unary calls; text and sequence vary so a stale answer cannot pass.
	began := time.Now()
	for r.Calls < h.opts.calls && r.CallErrors < maxCallErrors {
		req := &testv1.EchoRequest{Text: "load " + strconv.Itoa(r.Calls), Sequence: int64(r.Calls)}
		r.Calls++
		if err := get(ctx, s.echo, req); err != nil {
			r.CallErrors++
			noteError(fmt.Errorf("unary call %d: %v", r.Calls, err))
		}
	}
	elapsed := time.Since(began).Seconds()
	r.CallSeconds, r.CallsPerSecond = roundTo(elapsed, 4), round(float64(r.Calls)/elapsed)

	// One Update stream, sender and receiver running concurrently.
	began = time.Now()
	received, err := update(ctx, s.echo, h.opts.stream, nil)
	elapsed = time.Since(began).Seconds()
	r.StreamMessages = received
	r.StreamSeconds, r.StreamMessagesPerSecond = roundTo(elapsed, 4), round(float64(received)/elapsed)
	if err != nil {
		r.StreamErrors++
		noteError(err)
	}

	r.GoAways, r.Reconnects = h.grpcLogs.goAways(), atomic.LoadInt64(&s.reconnects)
	cleanErr := h.checkClean(s)
	r.Graceful = h.kill(s).graceful

	switch {
	case r.CallErrors > 0 || r.StreamErrors > 0:
		return r, fmt.Errorf("%d unary and %d stream failure(s); first: %s", r.CallErrors, r.StreamErrors, r.FirstError)
	case cleanErr != nil:
		return r, cleanErr
	case !r.Graceful:
		return r, fmt.Errorf("Kill(): go-plugin logged %q", gracefulWarning)
	}
	return r, nil
}
