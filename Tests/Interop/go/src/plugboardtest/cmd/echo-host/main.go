// Command echo-host loads an echo plugin (Go or Swift) through the real go-plugin (Debian's
// v1.0.1, grpc-go 1.33) and drives plugboard.test.v1.Echo, also through go-plugin's broker; the
// ping and services modes load other plugins by their cookie. It prints exactly one JSON object on
// stdout, logs hclog JSON on stderr, and exits 0 only if every check passed. On a failure the
// object still appears (with whatever was measured) plus "error"; the reason also goes to stderr.
//
// Usage:
//
//	echo-host -plugin PATH -mode smoke|load|bench|ping|services|broker [-automtls] [mode flags] [-- plugin args...]
//
// Keys of the JSON object, by mode:
//
// smoke (start, Ping, NegotiatedVersion, Get, 5 "log:<level>:" Gets, Update×100, Expand×10,
// Collect×10, Kill):
//
//	negotiatedVersion  int     app protocol version the plugin chose (must be 1)
//	calls              int     Echo RPCs completed (a stream counts once)
//	logLevels          bool    every "log:<level>:" line came back re-logged at <level> (-check-logs)
//	socket             string  the plugin's unix socket (ReattachConfig().Addr)
//	pid                int     the plugin's pid
//	stopMs             float   how long Kill() took
//	graceful           bool    false if go-plugin logged "plugin failed to exit gracefully"
//	socketRemoved      bool    the socket file is gone after Kill()
//	pidGone            bool    kill(pid, 0) fails with ESRCH after Kill()
//	goAways            int     GOAWAY ENHANCE_YOUR_CALM frames grpc-go received (must be 0)
//	reconnects         int     times the connection left READY before Kill() (must be 0)
//
// ping (any gRPC plugin whose cookie is -cookie KEY=VALUE: start, health check, Kill):
//
//	negotiatedVersion, socket, pid, stopMs, graceful, socketRemoved, pidGone   as in smoke
//
// services (a Plugboard plugin by -cookie, as ping; real calls to its service set, -set or the one
// its --describe names, every answer checked; Kill):
//
//	set                string  "ratelimit" (ratelimit.v1.RateLimiter) or "stream" (stream.v1.ControlStream)
//	calls              int     RPCs whose answers all checked out (a stream counts once); ratelimit:
//	                           ApplyRules×2 (one refused), Check×9 (allowed until each rule's budget
//	                           is spent, then denied), Stats×1 = 12; stream: Sync×1
//	streamMessages     int     messages the plugin sent on the Sync stream, each checked (0 for ratelimit)
//	allowed, denied    int     ratelimit: Checks answered allowed (7) and denied (2), as expected
//	acks, rejections   int     stream: answers to the 9 updates sent (7 acks, 2 rejections, as expected)
//	events             int     stream: the plugin's own events (Status, route index), at least 2
//	negotiatedVersion, socket, pid, stopMs, graceful, socketRemoved, pidGone, goAways, reconnects
//	                           as in smoke
//
// broker (an echo plugin that answers the broker texts "call-back:<id>" and "serve-back", as Go's
// echo-plugin and Plugboard's fixture do; both round trips through go-plugin's *plugin.GRPCBroker,
// then Kill):
//
//	callback           object  the host serves an Echo answering "go-host: <text>" under NextId()
//	                           (AcceptAndServe), sends "call-back:<id>"; the plugin must answer
//	                           "go-host: from the plugin"
//	dialled            object  the host sends "serve-back", Dial()s the id the plugin answers and
//	                           makes a Get there; the answer must echo it, its text possibly
//	                           tagged "<who>: " (the Go echo-plugin's brokered Echo says "go-plugin: ")
//	  id               int     the broker id used
//	  reply            string  the text that came back
//	  ok               bool    the round trip worked and the reply checked out
//	  error            string  what went wrong (omitted when ok)
//	  tlsVersion       string  under -automtls, the brokered connection's TLS version (callback: as
//	                           the host's brokered server saw it; omitted if no call arrived)
//	  clientCertificate bool   callback under -automtls: the plugin presented a certificate to the
//	                           host's brokered server (go-plugin v1.0.1's host never asks for one)
//	negotiatedVersion, socket, pid, stopMs, graceful, socketRemoved, pidGone   as in smoke
//
// load (-calls sequential Gets, then -stream messages over one Update stream; one connection):
//
//	calls, callErrors, callSeconds, callsPerSecond
//	streamMessages, streamErrors, streamSeconds, streamMessagesPerSecond
//	firstError         string  the first failure, with its gRPC status (omitted if none)
//	goAways, reconnects, graceful   as in smoke
//
// bench (each figure measured for -seconds after a warm-up, messages carry -payload bytes):
//
//	unary_p50_us                          sequential Get latency, median, µs
//	unary_p99_us                          sequential Get latency, 99th percentile, µs
//	brokered_unary_p50_us                 the same over a brokered connection: the plugin serves
//	brokered_unary_p99_us                 an Echo ("serve-back"), the host Dial()s it
//	unary_calls_per_s                     sequential Gets per second
//	unary_concurrent_calls_per_s          Gets per second from -concurrency goroutines, one connection
//	concurrency                           that goroutine count
//	pingpong_msgs_per_s                   Update, one message in flight: round trips per second
//	pipelined_host_to_plugin_msgs_per_s   Collect, host streams without waiting
//	pipelined_plugin_to_host_msgs_per_s   Expand, plugin streams without waiting
//	start_to_ready_ms                     NewClient+Start to first successful Get, median of -starts
//	graceful_stop_ms                      Kill() duration, median of -starts
//	starts                                how many start/stop cycles were timed
//	seconds_per_figure, payload_bytes     the parameters used
//	go_aways, reconnects                  as in smoke (must be 0)
//	host_peak_rss_kb                      this host's peak RSS, KiB (VmHWM in /proc/self/status, at the end)
//	plugin_peak_rss_kb                    the plugin's peak RSS, KiB (VmHWM in /proc/PID/status, read
//	                                      after the figures above, just before it is stopped)
//
// every mode, with -automtls (go-plugin's ClientConfig.AutoMTLS: the host sends PLUGIN_CLIENT_CERT
// and dials TLS, trusting the certificate the plugin sent in handshake field 6); about the latest
// plugin started, and also on a failure:
//
//	autoMTLS           bool    true
//	serverCertificate  bool    the plugin sent its certificate in handshake field 6
//	alpn               string  the protocol the plugin's TLS server negotiated (ALPN), from the
//	                           health check's grpc.Peer; anything but "h2" fails the run
//	tlsVersion         string  the TLS version of that connection, e.g. "TLS 1.3"
//
// bench makes its calls without a deadline (the watchdog below still ends a hung run); smoke,
// load, services and broker bound every call by -timeout. Plugboard's Swift host, plugin-bench
// (Tests/Benchmarks), measures the same figures under the same keys.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	pluginPath  string
	pluginArgs  []string
	mode        string
	calls       int
	stream      int
	seconds     float64
	warmup      float64
	concurrency int
	starts      int
	payload     int
	checkLogs   bool
	cookie      string
	set         string
	autoMTLS    bool
	timeout     time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.pluginPath, "plugin", "", "path of the plugin executable (required)")
	flag.StringVar(&o.mode, "mode", "smoke", "smoke, load, bench, ping, services or broker")
	flag.IntVar(&o.calls, "calls", 20000, "load: sequential unary Gets")
	flag.IntVar(&o.stream, "stream", 100000, "load: messages over one Update stream")
	flag.Float64Var(&o.seconds, "seconds", 2, "bench: seconds per figure")
	flag.Float64Var(&o.warmup, "warmup", 0.5, "bench: warm-up seconds")
	flag.IntVar(&o.concurrency, "concurrency", 16, "bench: goroutines for the concurrent unary figure")
	flag.IntVar(&o.starts, "starts", 10, "bench: start/stop cycles for start_to_ready_ms and graceful_stop_ms")
	flag.IntVar(&o.payload, "payload", 0, "bench: payload bytes per message")
	flag.BoolVar(&o.checkLogs, "check-logs", true, "smoke: check log:<level>: re-levelling")
	flag.StringVar(&o.cookie, "cookie", "PLUGBOARD_PLUGIN=5b7c1d0e-plugboard", "ping, services: the plugin's magic cookie, KEY=VALUE")
	flag.StringVar(&o.set, "set", "", "services: the service set to call, ratelimit or stream (default: the one the plugin's --describe names)")
	flag.BoolVar(&o.autoMTLS, "automtls", false, "every mode: go-plugin's AutoMTLS (TLS with certificates made for this run)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "smoke, load, services, broker: deadline for all RPCs; every mode gives up 10 s later")
	flag.Parse()
	o.pluginArgs = flag.Args()
	if o.pluginPath == "" {
		fail("-plugin PATH is required")
	}

	logs := newLogCapture(os.Stderr)
	grpcLogs := installGRPCLogger(os.Stderr)
	h := &host{opts: o, logs: logs, grpcLogs: grpcLogs}
	if o.autoMTLS {
		h.tls = &tlsReport{AutoMTLS: true}
	}

	// A hung peer must not hang the test run: after the deadline, kill the plugin and give up.
	time.AfterFunc(o.timeout+10*time.Second, func() {
		fmt.Fprintf(os.Stderr, "echo-host: %s mode did not finish within %s; killing the plugin\n", o.mode, o.timeout)
		if pid := h.currentPid(); pid > 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		os.Exit(3)
	})

	var result interface{}
	var err error
	switch o.mode {
	case "smoke":
		result, err = h.smoke()
	case "load":
		result, err = h.load()
	case "bench":
		result, err = h.bench()
	case "ping":
		result, err = h.ping()
	case "services":
		result, err = h.services()
	case "broker":
		result, err = h.broker()
	default:
		fail(fmt.Sprintf("unknown -mode %q (want smoke, load, bench, ping, services or broker)", o.mode))
	}
	h.stop() // no-op unless a mode bailed out early

	report(result, h.tlsFields(), err)
	if err != nil {
		fmt.Fprintf(os.Stderr, "echo-host: %s failed: %v\n", o.mode, err)
		os.Exit(1)
	}
}

// report writes the result as one JSON object on stdout, with the extra fields (if any) and
// "error" when err is set.
func report(result interface{}, extra map[string]interface{}, err error) {
	fields := jsonFields(result)
	for key, value := range extra {
		fields[key] = value
	}
	if err != nil {
		fields["error"] = err.Error()
	}
	out, _ := json.Marshal(fields)
	fmt.Println(string(out))
}

// jsonFields is value's JSON object as a map (empty if it is not an object).
func jsonFields(value interface{}) map[string]interface{} {
	var fields map[string]interface{}
	raw, _ := json.Marshal(value)
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		fields = map[string]interface{}{}
	}
	return fields
}

// fail reports a usage error and exits.
func fail(msg string) {
	fmt.Fprintf(os.Stderr, "echo-host: %s\n", msg)
	os.Exit(2)
}
