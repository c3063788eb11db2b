// Command echo-plugin serves plugboard.test.v1.Echo through the real go-plugin (Debian's v1.0.1),
// as the Go peer for Plugboard's interop tests and benchmarks.
//
// It logs hclog JSON on stderr at level Trace. A Get whose text is "log:<level>:<message>"
// (level: trace, debug, info, warn or error) first logs <message> at that level, so a host can
// check how plugin log lines are re-levelled. Any other level is answered with InvalidArgument.
//
// Extra command-line arguments are ignored.
package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
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
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: echoplugin.Handshake,
		Plugins:         echoplugin.PluginSet(&echoServer{log: logger}),
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          logger,
	})
}

// echoServer implements the four Echo methods as echo.proto describes them.
type echoServer struct {
	log hclog.Logger
}

// logLevels are the levels a "log:<level>:<message>" request may name.
var logLevels = map[string]hclog.Level{
	"trace": hclog.Trace,
	"debug": hclog.Debug,
	"info":  hclog.Info,
	"warn":  hclog.Warn,
	"error": hclog.Error,
}

// Get answers with the request's fields, after logging if the text asks for it.
func (s *echoServer) Get(_ context.Context, req *testv1.EchoRequest) (*testv1.EchoResponse, error) {
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
