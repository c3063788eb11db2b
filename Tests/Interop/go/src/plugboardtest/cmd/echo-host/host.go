package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"plugboardtest/echoplugin"
)

// gracefulWarning is what go-plugin 1.0.1 logs (Warn) when Kill() had to SIGKILL the plugin.
const gracefulWarning = "plugin failed to exit gracefully"

// host owns the options, the captured logs and the plugin session currently running.
type host struct {
	opts     options
	logs     *logCapture
	grpcLogs *grpcLogFilter
	tls      *tlsReport // nil without -automtls

	mu      sync.Mutex
	current *session
}

// clientConfig is go-plugin's configuration for one plugin start, with AutoMTLS under -automtls.
// go-plugin keeps this pointer: after Start(), its TLSConfig shows whether the plugin sent a
// certificate.
func (h *host) clientConfig(handshake plugin.HandshakeConfig, plugins plugin.PluginSet) *plugin.ClientConfig {
	return &plugin.ClientConfig{
		HandshakeConfig:  handshake,
		Plugins:          plugins,
		Cmd:              exec.Command(h.opts.pluginPath, h.opts.pluginArgs...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         h.opts.autoMTLS,
		Logger:           h.logger(),
	}
}

// logger is go-plugin's logger: hclog JSON into the log capture, every level.
func (h *host) logger() hclog.Logger {
	return hclog.New(&hclog.LoggerOptions{
		Name:       "echo-host",
		Level:      hclog.Trace,
		Output:     h.logs,
		JSONFormat: true,
	})
}

// session is one started plugin and, in the echo modes, its dispensed echo client.
type session struct {
	client     *plugin.Client
	echo       *echoplugin.Client
	protocol   plugin.ClientProtocol
	socket     string
	pid        int
	reconnects int64 // atomic: times the connection left READY
	stopping   int32 // atomic: set before Kill so the watcher stops counting
}

// start launches the echo plugin, connects, health-checks it and dispenses the echo client.
func (h *host) start() (*session, error) {
	s, err := h.launch(echoplugin.Handshake, echoplugin.PluginSet(nil))
	if err != nil {
		return s, err
	}
	raw, err := s.protocol.Dispense(echoplugin.Name)
	if err != nil {
		return s, fmt.Errorf("dispensing %q: %v", echoplugin.Name, err)
	}
	s.echo = raw.(*echoplugin.Client)
	go s.watchConnection(s.echo.Conn)
	return s, nil
}

// launch starts the plugin with handshake, connects and health-checks it; what to dispense from
// plugins is the caller's business. The session comes back even on a failure, so the caller can
// report the socket and pid it got to, and main's stop() can still kill it.
func (h *host) launch(handshake plugin.HandshakeConfig, plugins plugin.PluginSet) (*session, error) {
	config := h.clientConfig(handshake, plugins)
	client := plugin.NewClient(config)
	s := &session{client: client}
	h.mu.Lock()
	h.current = s
	h.mu.Unlock()

	_, err := client.Start()
	h.noteStarted(config)
	if err != nil {
		return s, fmt.Errorf("starting %s: %v", h.opts.pluginPath, err)
	}
	if rc := client.ReattachConfig(); rc != nil {
		s.socket, s.pid = rc.Addr.String(), rc.Pid
	}
	protocol, err := client.Client()
	if err != nil {
		return s, fmt.Errorf("connecting to the plugin: %v", err)
	}
	s.protocol = protocol
	if err := h.healthCheck(protocol); err != nil {
		return s, fmt.Errorf("health check (grpc.health.v1.Health/Check \"plugin\"): %v", err)
	}
	return s, nil
}

// watchConnection counts how often the connection leaves READY (after first reaching it) until
// the session is stopped. A GOAWAY or a dropped connection shows up here even when grpc-go
// reconnects transparently and later calls succeed.
func (s *session) watchConnection(conn *grpc.ClientConn) {
	ready := false
	state := conn.GetState()
	for atomic.LoadInt32(&s.stopping) == 0 {
		if state == connectivity.Ready {
			ready = true
		} else if ready {
			ready = false
			if atomic.LoadInt32(&s.stopping) == 0 {
				atomic.AddInt64(&s.reconnects, 1)
				fmt.Fprintf(os.Stderr, "echo-host: connection to the plugin left READY (now %s)\n", state)
			}
		}
		if state == connectivity.Shutdown || !conn.WaitForStateChange(context.Background(), state) {
			return
		}
		state = conn.GetState()
	}
}

// stopResult is what Kill() left behind.
type stopResult struct {
	duration      time.Duration
	graceful      bool
	socketRemoved bool
	pidGone       bool
}

// stopReport is what the smoke, ping and services modes report about a plugin and its stop (JSON keys).
type stopReport struct {
	Socket        string  `json:"socket"`
	Pid           int     `json:"pid"`
	StopMs        float64 `json:"stopMs"`
	Graceful      bool    `json:"graceful"`
	SocketRemoved bool    `json:"socketRemoved"`
	PidGone       bool    `json:"pidGone"`
}

// record copies a stop's result into the report, and says what the plugin left behind, if anything.
func (r *stopReport) record(stop stopResult) error {
	r.StopMs = ms(stop.duration)
	r.Graceful, r.SocketRemoved, r.PidGone = stop.graceful, stop.socketRemoved, stop.pidGone
	switch {
	case !r.Graceful:
		return fmt.Errorf("Kill(): go-plugin logged %q (Shutdown did not end the plugin within 2 s)", gracefulWarning)
	case !r.SocketRemoved:
		return fmt.Errorf("the plugin left its socket %s behind", r.Socket)
	case !r.PidGone:
		return fmt.Errorf("the plugin process %d still exists after Kill()", r.Pid)
	}
	return nil
}

// cleanStopReport is a stopReport with what grpc-go saw of the connection (JSON keys).
type cleanStopReport struct {
	stopReport
	GoAways    int64 `json:"goAways"`
	Reconnects int64 `json:"reconnects"`
}

// stopClean records the connection's GOAWAYs and reconnections, checks the plugin left nothing
// behind, and stops it with go-plugin's Kill(): the first of those to fail is the error.
func (h *host) stopClean(s *session, r *cleanStopReport) error {
	r.GoAways, r.Reconnects = h.grpcLogs.goAways(), atomic.LoadInt64(&s.reconnects)
	cleanErr := h.checkClean(s)
	stopErr := r.stopReport.record(h.kill(s))
	if cleanErr != nil {
		return cleanErr
	}
	return stopErr
}

// kill stops the session with go-plugin's Kill() and checks what is left.
func (h *host) kill(s *session) stopResult {
	atomic.StoreInt32(&s.stopping, 1)
	warningsBefore := h.logs.count(gracefulWarning)
	began := time.Now()
	s.client.Kill()
	r := stopResult{
		duration: time.Since(began),
		graceful: h.logs.count(gracefulWarning) == warningsBefore,
	}
	if s.socket != "" {
		_, err := os.Stat(s.socket)
		r.socketRemoved = os.IsNotExist(err)
	}
	if s.pid > 0 {
		r.pidGone = processGone(s.pid)
	}
	h.mu.Lock()
	if h.current == s {
		h.current = nil
	}
	h.mu.Unlock()
	return r
}

// stop kills whatever session is still running (after an early failure).
func (h *host) stop() {
	h.mu.Lock()
	s := h.current
	h.mu.Unlock()
	if s != nil {
		h.kill(s)
	}
}

// currentPid is the running plugin's pid, or 0.
func (h *host) currentPid() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.current == nil || h.current.client.Exited() {
		return 0
	}
	if rc := h.current.client.ReattachConfig(); rc != nil {
		return rc.Pid
	}
	return 0
}

// processGone reports whether pid no longer exists (go-plugin reaps the child inside Kill).
func processGone(pid int) bool {
	return syscall.Kill(pid, 0) == syscall.ESRCH
}

// rpcContext bounds every RPC of a run by -timeout, so a hung peer becomes an error.
func (h *host) rpcContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), h.opts.timeout)
}

// checkClean turns lost connections and GOAWAYs into an error.
func (h *host) checkClean(s *session) error {
	if n := h.grpcLogs.goAways(); n > 0 {
		return fmt.Errorf("grpc-go received %d GOAWAY ENHANCE_YOUR_CALM frame(s) from the plugin: it treats "+
			"grpc-go's pings as abuse. grpc-go retried and reconnected transparently, so the calls "+
			"themselves may all have succeeded", n)
	}
	if n := atomic.LoadInt64(&s.reconnects); n > 0 {
		return fmt.Errorf("the connection to the plugin dropped %d time(s) (grpc-go reconnected)", n)
	}
	return nil
}
