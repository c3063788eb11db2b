// Command echo-plugin serves plugboard.test.v1.Echo through the real go-plugin (Debian's v1.0.1),
// as the Go peer for Plugboard's interop tests and benchmarks.
//
// It logs hclog JSON on stderr at level Trace. A Get whose text is "log:<level>:<message>"
// (level: trace, debug, info, warn or error) first logs <message> at that level, so a host can
// check how plugin log lines are re-levelled. Any other level is answered with InvalidArgument.
//
// Two Get texts use go-plugin's broker (*plugin.GRPCBroker, classic mode), as Plugboard's Swift
// fixture plugin does:
//
//	call-back:<id>  dials the host's broker id, calls the host's Echo Get("from the plugin") there
//	                and answers with that reply's text; a failed dial or call keeps its gRPC code
//	serve-back      serves an Echo under a new broker id (NextId, AcceptAndServe) whose Get answers
//	                "go-plugin: <text>", and answers with the id
//
// A Get whose text is "metadata:<key>" answers with the call's metadata values under <key>,
// joined with ",", so a host can check what reached a Go plugin (a request id, a trace context).
//
// Extra command-line arguments are ignored.
package main

import (
	"bytes"
	"context"
	"io"
	"io/ioutil"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	testv1 "plugboard/test/v1"
	"plugboardtest/echoplugin"
)

func main() {
	logger := hclog.New(&hclog.LoggerOptions{
		Name:       "echo-plugin",
		Level:      hclog.Trace,
		Output:     os.Stderr, // go-plugin swaps os.Stderr later; this keeps the real fd 2
		JSONFormat: true,
	})
	// go-plugin v1.0.1 makes each brokered listener's socket in $TMPDIR and never closes it (the
	// process exits with it open), so every serve-back would leave a socket file behind. They go
	// to a folder of this process's own instead, removed once Serve returns.
	brokerDir, err := ioutil.TempDir("", "echo-plugin-broker-")
	if err != nil {
		logger.Error("no folder for brokered sockets; they stay in $TMPDIR", "error", err)
	}
	defer os.RemoveAll(brokerDir) // a no-op for ""

	// go-plugin hands the plugin's broker to GRPCServer, which makes the service with it.
	impl := func(broker *plugin.GRPCBroker) testv1.EchoServer {
		return &echoServer{log: logger, broker: broker, brokerDir: brokerDir}
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: echoplugin.Handshake,
		Plugins:         echoplugin.PluginSet(impl),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// echoServer implements the four Echo methods as echo.proto describes them.
type echoServer struct {
	log       hclog.Logger
	broker    *plugin.GRPCBroker
	brokerDir string    // where brokered sockets go ("": $TMPDIR)
	moveTemp  sync.Once // points $TMPDIR at brokerDir before the first AcceptAndServe
}

// logLevels are the levels a "log:<level>:<message>" request may name.
var logLevels = map[string]hclog.Level{
	"trace": hclog.Trace,
	"debug": hclog.Debug,
	"info":  hclog.Info,
	"warn":  hclog.Warn,
	"error": hclog.Error,
}

// Get answers with the request's fields, after logging if the text asks for it; the broker texts
// get their own answers.
func (s *echoServer) Get(ctx context.Context, req *testv1.EchoRequest) (*testv1.EchoResponse, error) {
	if answer, brokered, err := s.brokered(ctx, req.Text); brokered {
		if err != nil {
			return nil, err
		}
		return &testv1.EchoResponse{Text: answer, Sequence: req.Sequence}, nil
	}
	if key := strings.TrimPrefix(req.Text, "metadata:"); key != req.Text {
		incoming, _ := metadata.FromIncomingContext(ctx)
		return &testv1.EchoResponse{Text: strings.Join(incoming.Get(key), ","), Sequence: req.Sequence}, nil
	}
	if strings.HasPrefix(req.Text, "log:") {
		parts := strings.SplitN(req.Text, ":", 3) // "log:" guarantees at least two parts
		level, ok := logLevels[parts[1]]
		if !ok || len(parts) != 3 {
			return nil, status.Errorf(codes.InvalidArgument,
				"expected log:<trace|debug|info|warn|error>:<message>, got %q", req.Text)
		}
		s.log.Log(level, parts[2])
	}
	return echo(req), nil
}

// brokered answers the broker texts (call-back:<id>, serve-back); brokered is false for any
// other text.
func (s *echoServer) brokered(ctx context.Context, text string) (answer string, brokered bool, err error) {
	switch {
	case strings.HasPrefix(text, "call-back:"):
		id, err := strconv.ParseUint(strings.TrimPrefix(text, "call-back:"), 10, 32)
		if err != nil {
			return "", true, status.Errorf(codes.InvalidArgument, "expected call-back:<broker id>, got %q", text)
		}
		answer, err := s.callBack(ctx, uint32(id))
		return answer, true, err
	case text == "serve-back":
		return s.serveBack(), true, nil
	}
	return "", false, nil
}

// callBack dials the host's brokered server id and calls its Echo Get. The call carries the
// caller's deadline. Errors keep the brokered call's gRPC code, so the host sees, for example,
// Unavailable for a TLS handshake this plugin could not complete.
func (s *echoServer) callBack(ctx context.Context, id uint32) (string, error) {
	conn, err := s.broker.Dial(id) // waits up to 5 s for the host to announce id
	if err != nil {
		return "", status.Errorf(codes.Unavailable, "call-back: dialling the host's broker id %d: %v", id, err)
	}
	defer conn.Close()
	resp, err := testv1.NewEchoClient(conn).Get(ctx, &testv1.EchoRequest{Text: "from the plugin"})
	if err != nil {
		st := status.Convert(err)
		return "", status.Errorf(st.Code(), "call-back: the host's Echo Get on broker id %d: %s", id, st.Message())
	}
	return resp.Text, nil
}

// serveBack serves a tagging Echo under a new broker id and returns the id. AcceptAndServe
// announces the id on the broker stream from its own goroutine, possibly after the answer reaches
// the host; the host's Dial waits for the announcement.
func (s *echoServer) serveBack() string {
	// Only now: the main socket, made before any call, stays where the host expects it.
	s.moveTemp.Do(func() {
		if s.brokerDir != "" {
			os.Setenv("TMPDIR", s.brokerDir)
		}
	})
	id := s.broker.NextId()
	go s.broker.AcceptAndServe(id, echoplugin.ServeTagging("go-plugin"))
	return strconv.FormatUint(uint64(id), 10)
}

// Collect reads every request, then answers once: texts concatenated in order (no separator),
// payloads concatenated (so the payload size is the sum of the sizes), sequences summed.
func (s *echoServer) Collect(stream testv1.Echo_CollectServer) error {
	var text strings.Builder
	var payload bytes.Buffer
	var sum int64
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return stream.SendAndClose(&testv1.EchoResponse{
				Text: text.String(), Payload: payload.Bytes(), Sequence: sum,
			})
		}
		if err != nil {
			return err
		}
		text.WriteString(req.Text)
		payload.Write(req.Payload)
		sum += req.Sequence
	}
}

// Expand answers with req.Sequence responses numbered 0 ..< req.Sequence, each carrying the
// request's text and payload.
func (s *echoServer) Expand(req *testv1.EchoRequest, stream testv1.Echo_ExpandServer) error {
	if req.Sequence < 0 {
		return status.Errorf(codes.InvalidArgument, "sequence must not be negative, got %d", req.Sequence)
	}
	for i := int64(0); i < req.Sequence; i++ {
		err := stream.Send(&testv1.EchoResponse{Text: req.Text, Payload: req.Payload, Sequence: i})
		if err != nil {
			return err
		}
	}
	return nil
}

// Update answers every request as it arrives, in order, until the host half-closes.
func (s *echoServer) Update(stream testv1.Echo_UpdateServer) error {
	for {
		req, err := stream.Recv()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := stream.Send(echo(req)); err != nil {
			return err
		}
	}
}

// echo copies a request into a response.
func echo(req *testv1.EchoRequest) *testv1.EchoResponse {
	return &testv1.EchoResponse{Text: req.Text, Payload: req.Payload, Sequence: req.Sequence}
}
