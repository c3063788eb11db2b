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
	key, value, found := strings.Cut(h.opts.cookie, "=")
	if !found || key == "" {
		return r, fmt.Errorf("-cookie wants KEY=VALUE, got %q", h.opts.cookie)
	}
	config := h.clientConfig(plugin.HandshakeConfig{ProtocolVersion: 1, MagicCookieKey: key, MagicCookieValue: value},
		echoplugin.PluginSet(nil))
	client := plugin.NewClient(config)
	s := &session{client: client}
	h.mu.Lock()
	h.current = s
	h.mu.Unlock()
	_, err := client.Start()
	h.noteStarted(config)
	if err != nil {
		return r, fmt.Errorf("starting %s: %v", h.opts.pluginPath, err)
	}
	if rc := client.ReattachConfig(); rc != nil {
		s.socket, s.pid = rc.Addr.String(), rc.Pid
	}
	r.Socket, r.Pid, r.NegotiatedVersion = s.socket, s.pid, client.NegotiatedVersion()
	protocol, err := client.Client()
	if err != nil {
		return r, fmt.Errorf("connecting to the plugin: %v", err)
	}
	if err := h.healthCheck(protocol); err != nil {
		return r, fmt.Errorf("health check (grpc.health.v1.Health/Check \"plugin\"): %v", err)
	}
	return r, r.stopReport.record(h.kill(s))
}
