package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	ratelimitv1 "plugboard/ratelimit/v1"
	streamv1 "plugboard/stream/v1"
)

// servicesResult is the services mode's JSON object (see main.go). The per-set counts are
// omitted for the other set.
type servicesResult struct {
	Set               string `json:"set"`
	NegotiatedVersion int    `json:"negotiatedVersion"`
	Calls             int    `json:"calls"`
	StreamMessages    int    `json:"streamMessages"`
	Allowed           int    `json:"allowed,omitempty"`
	Denied            int    `json:"denied,omitempty"`
	Acks              int    `json:"acks,omitempty"`
	Rejections        int    `json:"rejections,omitempty"`
	Events            int    `json:"events,omitempty"`
	cleanStopReport
}

// serviceSet is what -mode services knows about one of Plugboard's service sets: how to make its
// generated client on go-plugin's connection, and the calls that exercise it. exercise gets the
// client Dispense returned, counts what it checked in r, and fails on the first wrong answer.
type serviceSet struct {
	newClient func(*grpc.ClientConn) interface{}
	exercise  func(ctx context.Context, client interface{}, r *servicesResult) error
}

// serviceSets are keyed by the set names Plugboard plugins print for --describe, which also
// serve as the go-plugin plugin names (in gRPC mode those never go over the wire).
var serviceSets = map[string]serviceSet{
	"ratelimit": {
		newClient: func(c *grpc.ClientConn) interface{} { return ratelimitv1.NewRateLimiterClient(c) },
		exercise: func(ctx context.Context, client interface{}, r *servicesResult) error {
			return exerciseRateLimiter(ctx, client.(ratelimitv1.RateLimiterClient), r)
		},
	},
	"stream": {
		newClient: func(c *grpc.ClientConn) interface{} { return streamv1.NewControlStreamClient(c) },
		exercise: func(ctx context.Context, client interface{}, r *servicesResult) error {
			return exerciseControlStream(ctx, client.(streamv1.ControlStreamClient), r)
		},
	},
}

// services loads a Plugboard plugin by -cookie, as ping does, then makes real calls to its
// service set (-set, or the one its --describe names) and checks every answer, then Kill()s it
// with ping's checks. It is what a Go application on go-plugin does with a Plugboard plugin.
func (h *host) services() (*servicesResult, error) {
	r := &servicesResult{}
	name, err := h.serviceSetName()
	if err != nil {
		return r, err
	}
	r.Set = name
	set := serviceSets[name]
	handshake, err := h.cookieHandshake()
	if err != nil {
		return r, err
	}
	s, err := h.launch(handshake, plugin.PluginSet{name: &serviceGlue{newClient: set.newClient}})
	r.Socket, r.Pid, r.NegotiatedVersion = s.socket, s.pid, s.client.NegotiatedVersion()
	if err != nil {
		return r, err
	}
	client, err := s.protocol.Dispense(name)
	if err != nil {
		return r, fmt.Errorf("dispensing %q: %v", name, err)
	}
	go s.watchConnection(s.protocol.(*plugin.GRPCClient).Conn)

	ctx, cancel := h.rpcContext()
	defer cancel()
	if err := set.exercise(ctx, client, r); err != nil {
		return r, fmt.Errorf("%s: %v", name, err)
	}
	return r, h.stopClean(s, &r.cleanStopReport)
}

// serviceSetName is -set, or else the first set the plugin's --describe output names that this
// host knows. Plugboard plugins print their description as JSON for --describe and exit.
func (h *host) serviceSetName() (string, error) {
	if h.opts.set != "" {
		if _, known := serviceSets[h.opts.set]; !known {
			return "", fmt.Errorf("-set %q is not one this host drives (want %s)", h.opts.set, knownSetNames())
		}
		return h.opts.set, nil
	}
	names, err := describedSetNames(h.opts.pluginPath)
	if err != nil {
		return "", fmt.Errorf("%v; pass -set %s", err, knownSetNames())
	}
	for _, name := range names {
		if _, known := serviceSets[name]; known {
			return name, nil
		}
	}
	return "", fmt.Errorf("%s serves the sets %q, none of which this host drives (it knows %s)",
		h.opts.pluginPath, names, knownSetNames())
}

// describedSetNames runs `path --describe` and returns the names of the service sets it lists.
func describedSetNames(path string) ([]string, error) {
	// A hung plugin must not wait for the run's watchdog; --describe answers at once.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--describe").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --describe: %v (is it a Plugboard plugin?)", path, err)
	}
	var description struct {
		ServiceSets []struct {
			Name string `json:"name"`
		} `json:"serviceSets"`
	}
	if err := json.Unmarshal(out, &description); err != nil {
		return nil, fmt.Errorf("%s --describe printed no plugin description: %v", path, err)
	}
	var names []string
	for _, set := range description.ServiceSets {
		names = append(names, set.Name)
	}
	return names, nil
}

// knownSetNames lists the sets -mode services drives, for messages: "ratelimit|stream".
func knownSetNames() string {
	var names []string
	for name := range serviceSets {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, "|")
}

// serviceGlue is go-plugin's host-side glue for one service set: Dispense hands out the set's
// generated client on go-plugin's connection. echo-host never serves these sets, so it has no
// server side.
type serviceGlue struct {
	plugin.NetRPCUnsupportedPlugin
	newClient func(*grpc.ClientConn) interface{}
}

var _ plugin.GRPCPlugin = (*serviceGlue)(nil)

// GRPCServer refuses: this glue only dials.
func (g *serviceGlue) GRPCServer(_ *plugin.GRPCBroker, _ *grpc.Server) error {
	return errors.New("echo-host has no server for Plugboard's service sets")
}

// GRPCClient wraps the connection go-plugin dialled to the plugin in the set's client.
func (g *serviceGlue) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return g.newClient(c), nil
}
