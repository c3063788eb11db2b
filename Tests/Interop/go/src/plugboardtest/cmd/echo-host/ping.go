package main

import (
	"fmt"
	"strings"

	"github.com/hashicorp/go-plugin"

	"plugboardtest/echoplugin"
)

// pingResult is the ping mode's JSON object.
type pingResult struct {
	NegotiatedVersion int `json:"negotiatedVersion"`
	stopReport
}

// ping loads any go-plugin gRPC plugin whose cookie is -cookie KEY=VALUE: handshake, health
// check (grpc.health.v1.Health "plugin"), then Kill(), checking it left nothing behind. It needs
// no knowledge of the plugin's services, so it proves that a plugin built from any service set
// loads in a Go host on go-plugin.
func (h *host) ping() (*pingResult, error) {
	r := &pingResult{}
	handshake, err := h.cookieHandshake()
	if err != nil {
		return r, err
	}
	// The echo glue is never dispensed; go-plugin only needs a plugin set to send its version.
	s, err := h.launch(handshake, echoplugin.PluginSet(nil))
	r.Socket, r.Pid, r.NegotiatedVersion = s.socket, s.pid, s.client.NegotiatedVersion()
	if err != nil {
		return r, err
	}
	return r, r.stopReport.record(h.kill(s))
}

// cookieHandshake is app protocol version 1 with -cookie KEY=VALUE as the magic cookie, for the
// modes that load plugins other than echo plugins.
func (h *host) cookieHandshake() (plugin.HandshakeConfig, error) {
	key, value, found := strings.Cut(h.opts.cookie, "=")
	if !found || key == "" {
		return plugin.HandshakeConfig{}, fmt.Errorf("-cookie wants KEY=VALUE, got %q", h.opts.cookie)
	}
	return plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: key, MagicCookieValue: value}, nil
}
