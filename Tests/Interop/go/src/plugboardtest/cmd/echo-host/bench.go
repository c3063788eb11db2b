package main

import (
	"context"
	"fmt"
	"io"
	"io/ioutil"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	testv1 "plugboard/test/v1"
)

// batch is how many messages one Collect or Expand stream carries in the pipelined figures;
// large enough that opening a stream is noise, small enough that Collect's answer stays small.
const batch = 10000

// benchResult holds the bench mode's JSON keys (see main.go).
type benchResult struct {
	UnaryP50Us                    float64 `json:"unary_p50_us"`
	UnaryP99Us                    float64 `json:"unary_p99_us"`
	BrokeredUnaryP50Us            float64 `json:"brokered_unary_p50_us"`
	BrokeredUnaryP99Us            float64 `json:"brokered_unary_p99_us"`
	UnaryCallsPerS                float64 `json:"unary_calls_per_s"`
	UnaryConcurrentCallsPerS      float64 `json:"unary_concurrent_calls_per_s"`
	Concurrency                   int     `json:"concurrency"`
	PingpongMsgsPerS              float64 `json:"pingpong_msgs_per_s"`
	PipelinedHostToPluginMsgsPerS float64 `json:"pipelined_host_to_plugin_msgs_per_s"`
	PipelinedPluginToHostMsgsPerS float64 `json:"pipelined_plugin_to_host_msgs_per_s"`
	StartToReadyMs                float64 `json:"start_to_ready_ms"`
	GracefulStopMs                float64 `json:"graceful_stop_ms"`
	Starts                        int     `json:"starts"`
	SecondsPerFigure              float64 `json:"seconds_per_figure"`
	PayloadBytes                  int     `json:"payload_bytes"`
	GoAways                       int64   `json:"go_aways"`
	Reconnects                    int64   `json:"reconnects"`
	HostPeakRssKb                 int64   `json:"host_peak_rss_kb"`
	PluginPeakRssKb               int64   `json:"plugin_peak_rss_kb"`
}

// bench measures the figures listed in main.go, each for -seconds after a warm-up.
func (h *host) bench() (*benchResult, error) {
	o := h.opts
	r := &benchResult{Concurrency: o.concurrency, SecondsPerFigure: o.seconds, PayloadBytes: o.payload}
	s, err := h.start()
	if err != nil {
		return r, err
	}
	// Also on an early failure, so a GOAWAY that broke a figure shows in the report.
	defer func() { r.GoAways, r.Reconnects = h.grpcLogs.goAways(), atomic.LoadInt64(&s.reconnects) }()
	ctx, cancel := benchContext()
	defer cancel()
	payload := make([]byte, o.payload)
	figure := time.Duration(o.seconds * float64(time.Second))

	warmup := time.Duration(o.warmup * float64(time.Second))
	mainGet := func(req *testv1.EchoRequest) error { return get(ctx, s.echo, req) }

	// Warm-up: every code path once, unary for -warmup seconds.
	if _, err := unarySequential(mainGet, payload, warmup); err != nil {
		return r, err
	}
	if _, err := update(ctx, s.echo, 1000, payload); err != nil {
		return r, err
	}

	began := time.Now()
	latencies, err := unarySequential(mainGet, payload, figure)
	if err != nil {
		return r, err
	}
	r.UnaryCallsPerS = round(float64(len(latencies)) / time.Since(began).Seconds())
	r.UnaryP50Us, r.UnaryP99Us = percentiles(latencies)

	if r.UnaryConcurrentCallsPerS, err = h.unaryConcurrent(ctx, s, payload, figure); err != nil {
		return r, err
	}
	if r.PingpongMsgsPerS, err = pingPong(ctx, s.echo, payload, figure); err != nil {
		return r, err
	}
	if r.PipelinedHostToPluginMsgsPerS, err = pipelined(ctx, figure, func() error {
		return collectBatch(ctx, s.echo, payload)
	}); err != nil {
		return r, err
	}
	if r.PipelinedPluginToHostMsgsPerS, err = pipelined(ctx, figure, func() error {
		return expand(ctx, s.echo, batch, payload)
	}); err != nil {
		return r, err
	}
	if r.BrokeredUnaryP50Us, r.BrokeredUnaryP99Us, err = brokeredUnary(ctx, s, payload, warmup, figure); err != nil {
		return r, fmt.Errorf("brokered unary: %v", err)
	}
	r.GoAways, r.Reconnects = h.grpcLogs.goAways(), atomic.LoadInt64(&s.reconnects)
	if err := h.checkClean(s); err != nil {
		return r, err
	}
	r.PluginPeakRssKb = peakRSS(strconv.Itoa(s.pid))
	if !h.kill(s).graceful {
		return r, fmt.Errorf("Kill(): go-plugin logged %q", gracefulWarning)
	}

	if err := h.startStop(r); err != nil {
		return r, err
	}
	r.HostPeakRssKb = peakRSS("self")
	return r, nil
}

// benchContext is the bench mode's context: no deadline, because a deadline puts a timer on every
// call on both sides and Plugboard's plugin-bench makes its calls without one. The watchdog in
// main.go still ends a run that hangs.
func benchContext() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// peakRSS is the VmHWM line of /proc/PID/status ("self" for this process): the peak resident set
// size since the process started, in KiB, or 0 if it cannot be read. getrusage's RUSAGE_CHILDREN
// is no substitute: a child spawned with CLONE_VM (Go's exec, glibc's posix_spawn) inherits its
// parent's peak. Plugboard's plugin-bench reads the same figures the same way.
func peakRSS(pid string) int64 {
	status, err := ioutil.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "VmHWM:" {
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb
		}
	}
	return 0
}

// unarySequential makes Gets with get (which checks the answer) one after another for d and
// returns each call's latency.
func unarySequential(get func(*testv1.EchoRequest) error, payload []byte, d time.Duration) ([]time.Duration, error) {
	req := &testv1.EchoRequest{Text: "bench", Payload: payload}
	latencies := make([]time.Duration, 0, 1<<16)
	for end := time.Now().Add(d); ; {
		began := time.Now()
		if began.After(end) && len(latencies) > 0 {
			return latencies, nil
		}
		req.Sequence = int64(len(latencies))
		if err := get(req); err != nil {
			return latencies, err
		}
		latencies = append(latencies, time.Since(began))
	}
}

// percentiles sorts latencies and returns their median and 99th percentile in µs.
func percentiles(latencies []time.Duration) (p50, p99 float64) {
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	return round(micros(latencies[len(latencies)/2])), round(micros(latencies[len(latencies)*99/100]))
}

// brokeredUnary measures sequential Get latency as the main-connection figure does, over a
// brokered connection: the plugin serves an Echo under its broker ("serve-back"), the host
// Dial()s it, warms it up, then times Gets for d. The brokered Echo may tag its answers.
func brokeredUnary(ctx context.Context, s *session, payload []byte, warmup, d time.Duration) (p50, p99 float64, err error) {
	id, err := askServeBack(ctx, s.echo)
	if err != nil {
		return 0, 0, err
	}
	conn, err := s.echo.Broker.Dial(id)
	if err != nil {
		return 0, 0, fmt.Errorf("Dial(%d): %v", id, err)
	}
	defer conn.Close()
	brokered := testv1.NewEchoClient(conn)
	brokeredGet := func(req *testv1.EchoRequest) error {
		resp, err := brokered.Get(ctx, req)
		if err != nil {
			return fmt.Errorf("Get on broker id %d: %v", id, err)
		}
		return checkTaggedEcho(req, resp)
	}
	if _, err := unarySequential(brokeredGet, payload, warmup); err != nil {
		return 0, 0, err
	}
	latencies, err := unarySequential(brokeredGet, payload, d)
	if err != nil {
		return 0, 0, err
	}
	p50, p99 = percentiles(latencies)
	return p50, p99, nil
}

// unaryConcurrent makes Gets from -concurrency goroutines on the one connection for d.
func (h *host) unaryConcurrent(ctx context.Context, s *session, payload []byte, d time.Duration) (float64, error) {
	var calls int64
	var wg sync.WaitGroup
	errs := make(chan error, h.opts.concurrency)
	began := time.Now()
	end := began.Add(d)
	for g := 0; g < h.opts.concurrency; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			req := &testv1.EchoRequest{Text: "bench", Payload: payload, Sequence: int64(g)}
			for time.Now().Before(end) {
				if err := get(ctx, s.echo, req); err != nil {
					errs <- err
					return
				}
				atomic.AddInt64(&calls, 1)
			}
		}(g)
	}
	wg.Wait()
	elapsed := time.Since(began)
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return round(float64(calls) / elapsed.Seconds()), nil
}

// pingPong keeps one message in flight on an Update stream for d.
func pingPong(ctx context.Context, echo testv1.EchoClient, payload []byte, d time.Duration) (float64, error) {
	stream, err := echo.Update(ctx)
	if err != nil {
		return 0, fmt.Errorf("Update: %v", err)
	}
	req := &testv1.EchoRequest{Text: "pingpong", Payload: payload}
	began := time.Now()
	end := began.Add(d)
	n := int64(0)
	for ; n == 0 || time.Now().Before(end); n++ {
		req.Sequence = n
		if err := stream.Send(req); err != nil {
			return 0, fmt.Errorf("Update: sending message %d: %v", n, err)
		}
		resp, err := stream.Recv()
		if err != nil {
			return 0, fmt.Errorf("Update: receiving answer %d: %v", n, err)
		}
		if err := checkEcho(req, resp); err != nil {
			return 0, fmt.Errorf("Update: answer %d: %v", n, err)
		}
	}
	elapsed := time.Since(began)
	if err := stream.CloseSend(); err != nil {
		return 0, fmt.Errorf("Update: half-closing: %v", err)
	}
	if _, err := stream.Recv(); err != io.EOF {
		return 0, fmt.Errorf("Update: expected the end of the stream, got %v", err)
	}
	return round(float64(n) / elapsed.Seconds()), nil
}

// pipelined runs streams of batch messages back to back for d and returns messages per second.
func pipelined(ctx context.Context, d time.Duration, stream func() error) (float64, error) {
	began := time.Now()
	n := 0
	for end := began.Add(d); n == 0 || time.Now().Before(end); n += batch {
		if err := stream(); err != nil {
			return 0, err
		}
	}
	return round(float64(n) / time.Since(began).Seconds()), nil
}

// collectBatch streams batch messages to Collect without waiting and checks the answer. Texts
// are empty so the answer (texts and payloads concatenated) stays small.
func collectBatch(ctx context.Context, echo testv1.EchoClient, payload []byte) error {
	stream, err := echo.Collect(ctx)
	if err != nil {
		return fmt.Errorf("Collect: %v", err)
	}
	req := &testv1.EchoRequest{Payload: payload}
	for i := 0; i < batch; i++ {
		req.Sequence = int64(i)
		if err := stream.Send(req); err != nil {
			return fmt.Errorf("Collect: sending message %d: %v", i, err)
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return fmt.Errorf("Collect: %v", err)
	}
	if want := int64(batch * (batch - 1) / 2); resp.Sequence != want || len(resp.Payload) != batch*len(payload) {
		return fmt.Errorf("Collect: want sequence sum %d and %d payload bytes, got %d and %d",
			want, batch*len(payload), resp.Sequence, len(resp.Payload))
	}
	return nil
}

// startStop times -starts cycles of start-to-first-Get and Kill(), reporting the medians.
func (h *host) startStop(r *benchResult) error {
	ctx, cancel := benchContext()
	defer cancel()
	var ready, stop []time.Duration
	for i := 0; i < h.opts.starts; i++ {
		began := time.Now()
		s, err := h.start()
		if err == nil {
			err = get(ctx, s.echo, &testv1.EchoRequest{Text: "ready"})
		}
		if err != nil {
			return fmt.Errorf("start %d: %v", i+1, err)
		}
		ready = append(ready, time.Since(began))
		result := h.kill(s)
		if !result.graceful {
			return fmt.Errorf("start %d: Kill(): go-plugin logged %q", i+1, gracefulWarning)
		}
		stop = append(stop, result.duration)
	}
	r.Starts = len(ready)
	if r.Starts > 0 {
		// Two places: a stop takes about a millisecond, and alternating pairs compare tenths of it.
		r.StartToReadyMs = roundTo(ms(median(ready)), 2)
		r.GracefulStopMs = roundTo(ms(median(stop)), 2)
	}
	return nil
}

func median(ds []time.Duration) time.Duration {
	sorted := append([]time.Duration(nil), ds...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }

// round keeps one decimal place.
func round(x float64) float64 { return roundTo(x, 1) }

// roundTo keeps the given number of decimal places.
func roundTo(x float64, places int) float64 {
	scale := math.Pow(10, float64(places))
	return math.Round(x*scale) / scale
}
