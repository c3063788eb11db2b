package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	testv1 "plugboard/test/v1"
	"plugboardtest/echoplugin"
)

// callbackReply is what the plugin must answer to "call-back:<id>": the text of the host's
// brokered Echo (tag "go-host") answering the plugin's Get("from the plugin").
const callbackReply = "go-host: from the plugin"

// brokerResult is the broker mode's JSON object (see main.go).
type brokerResult struct {
	NegotiatedVersion int           `json:"negotiatedVersion"`
	Callback          brokerOutcome `json:"callback"`
	Dialled           brokerOutcome `json:"dialled"`
	stopReport
}

// brokerOutcome is one brokered round trip (see main.go for the keys).
type brokerOutcome struct {
	ID                uint32 `json:"id"`
	Reply             string `json:"reply"`
	OK                bool   `json:"ok"`
	Error             string `json:"error,omitempty"`
	TLSVersion        string `json:"tlsVersion,omitempty"`
	ClientCertificate *bool  `json:"clientCertificate,omitempty"`
}

// record notes how the round trip ended and returns err, named after what failed.
func (o *brokerOutcome) record(what string, err error) error {
	o.OK = err == nil
	if err == nil {
		return nil
	}
	o.Error = err.Error()
	return fmt.Errorf("%s: %v", what, err)
}

// broker uses go-plugin's broker both ways with an echo plugin that answers the broker texts
// (Go's echo-plugin, Plugboard's fixture): the plugin calls back a server the host offers, then
// the host dials a server the plugin offers. Both round trips are made even if the first fails,
// then the plugin is stopped with ping's checks.
func (h *host) broker() (*brokerResult, error) {
	r := &brokerResult{}
	s, err := h.start()
	r.Socket, r.Pid = s.socket, s.pid
	if err != nil {
		return r, err
	}
	r.NegotiatedVersion = s.client.NegotiatedVersion()
	ctx, cancel := h.rpcContext()
	defer cancel()
	callbackErr := r.Callback.record("callback", h.callback(ctx, s, &r.Callback))
	dialledErr := r.Dialled.record("dialled", h.dialled(ctx, s, &r.Dialled))
	stopErr := r.stopReport.record(h.kill(s))
	return r, firstError(callbackErr, dialledErr, stopErr)
}

// callback serves a tagging Echo under a new host broker id, asks the plugin to call it
// ("call-back:<id>"), and checks that the host's answer came back through the plugin. As in
// go-plugin's examples, the id goes out while AcceptAndServe is still announcing it; the
// plugin's Dial waits for the announcement.
func (h *host) callback(ctx context.Context, s *session, out *brokerOutcome) error {
	broker := s.echo.Broker
	out.ID = broker.NextId()
	server := &observedEcho{TaggingEcho: echoplugin.TaggingEcho{Tag: "go-host"}}
	go broker.AcceptAndServe(out.ID, func(opts []grpc.ServerOption) *grpc.Server {
		grpcServer := grpc.NewServer(opts...)
		testv1.RegisterEchoServer(grpcServer, server)
		return grpcServer
	})
	resp, err := s.echo.Get(ctx, &testv1.EchoRequest{Text: fmt.Sprintf("call-back:%d", out.ID)})
	server.describe(out)
	if err != nil {
		return fmt.Errorf("Get(\"call-back:%d\"): %v", out.ID, err)
	}
	out.Reply = resp.Text
	if resp.Text != callbackReply {
		return fmt.Errorf("the plugin answered %q, want %q", resp.Text, callbackReply)
	}
	return nil
}

// dialled asks the plugin to serve an Echo under its own broker id ("serve-back"), dials that
// id and makes a Get there, which must come back as an echo, tagged or not.
func (h *host) dialled(ctx context.Context, s *session, out *brokerOutcome) error {
	id, err := askServeBack(ctx, s.echo)
	out.ID = id
	if err != nil {
		return err
	}
	conn, err := s.echo.Broker.Dial(id)
	if err != nil {
		return fmt.Errorf("Dial(%d): %v", id, err)
	}
	defer conn.Close()
	req := &testv1.EchoRequest{Text: "to the plugin's server", Payload: []byte{4, 2}, Sequence: 4}
	var p peer.Peer
	resp, err := testv1.NewEchoClient(conn).Get(ctx, req, grpc.Peer(&p))
	if err != nil {
		return fmt.Errorf("Get on broker id %d: %v", id, err)
	}
	out.Reply = resp.Text
	if info, ok := p.AuthInfo.(credentials.TLSInfo); ok {
		out.TLSVersion = tlsVersionName(info.State.Version)
	}
	return checkTaggedEcho(req, resp)
}

// askServeBack asks the plugin to serve an Echo through its broker; it answers with the id.
func askServeBack(ctx context.Context, echo testv1.EchoClient) (uint32, error) {
	resp, err := echo.Get(ctx, &testv1.EchoRequest{Text: "serve-back"})
	if err != nil {
		return 0, fmt.Errorf("Get(\"serve-back\"): %v", err)
	}
	id, err := strconv.ParseUint(resp.Text, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("the plugin answered serve-back with %q, not a broker id", resp.Text)
	}
	return uint32(id), nil
}

// observedEcho is the host's brokered Echo: a TaggingEcho that notes the connection the plugin's
// call came over, to report under -automtls whether the plugin showed a client certificate
// (go-plugin v1.0.1's host does not ask for one on its brokered servers).
type observedEcho struct {
	echoplugin.TaggingEcho
	mu   sync.Mutex
	peer *peer.Peer
}

// Get notes the caller's connection and answers as TaggingEcho.
func (e *observedEcho) Get(ctx context.Context, req *testv1.EchoRequest) (*testv1.EchoResponse, error) {
	if p, ok := peer.FromContext(ctx); ok {
		e.mu.Lock()
		e.peer = p
		e.mu.Unlock()
	}
	return e.TaggingEcho.Get(ctx, req)
}

// describe adds the TLS details of the last call, if one came over TLS, to out.
func (e *observedEcho) describe(out *brokerOutcome) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.peer == nil {
		return
	}
	if info, ok := e.peer.AuthInfo.(credentials.TLSInfo); ok {
		out.TLSVersion = tlsVersionName(info.State.Version)
		presented := len(info.State.PeerCertificates) > 0
		out.ClientCertificate = &presented
	}
}

// firstError is the first non-nil error, or nil.
func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
