package main

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"
)

// tlsReport is what every mode adds to its JSON object under -automtls (see main.go). It
// describes the latest plugin started.
type tlsReport struct {
	AutoMTLS          bool   `json:"autoMTLS"`
	ServerCertificate bool   `json:"serverCertificate"`
	ALPN              string `json:"alpn"`
	TLSVersion        string `json:"tlsVersion"`
}

// tlsFields are the -automtls keys for the JSON object, or nil without -automtls.
func (h *host) tlsFields() map[string]interface{} {
	if h.tls == nil {
		return nil
	}
	return jsonFields(h.tls)
}

// noteStarted records, under -automtls, whether the plugin sent its certificate in handshake
// field 6. go-plugin v1.0.1 sets TLSConfig.RootCAs only from that field; without it the TLS
// handshake would check the plugin against the system's roots, and fail.
func (h *host) noteStarted(config *plugin.ClientConfig) {
	if h.tls == nil {
		return
	}
	*h.tls = tlsReport{AutoMTLS: true}
	h.tls.ServerCertificate = config.TLSConfig != nil && config.TLSConfig.RootCAs != nil
}

// healthCheck is go-plugin's Ping (grpc.health.v1.Health/Check "plugin"). Under -automtls it
// makes the same call itself, to learn the TLS connection it went over (grpc.Peer), and checks
// that the plugin's TLS server negotiated ALPN "h2", as grpc-go 1.67 and later insist.
func (h *host) healthCheck(protocol plugin.ClientProtocol) error {
	if h.tls == nil {
		return protocol.Ping()
	}
	grpcClient, ok := protocol.(*plugin.GRPCClient)
	if !ok {
		return fmt.Errorf("go-plugin returned a %T, not a *plugin.GRPCClient", protocol)
	}
	var p peer.Peer
	_, err := grpc_health_v1.NewHealthClient(grpcClient.Conn).Check(context.Background(),
		&grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName}, grpc.Peer(&p))
	if err != nil {
		if !h.tls.ServerCertificate {
			return fmt.Errorf("%v (under -automtls; the plugin sent no certificate in handshake field 6)", err)
		}
		return err
	}
	info, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return fmt.Errorf("under -automtls the call went over a %T connection, not TLS", p.AuthInfo)
	}
	h.tls.ALPN = info.State.NegotiatedProtocol
	h.tls.TLSVersion = tlsVersionName(info.State.Version)
	if h.tls.ALPN != "h2" {
		return fmt.Errorf("the plugin's TLS server negotiated ALPN %q, not \"h2\" (grpc-go 1.67 and later refuse such a connection)", h.tls.ALPN)
	}
	return nil
}

// tlsVersionName names a TLS version as Go 1.21's tls.VersionName does (Go 1.19 lacks it).
func tlsVersionName(version uint16) string {
	switch version {
	case tls.VersionTLS10:
		return "TLS 1.0"
	case tls.VersionTLS11:
		return "TLS 1.1"
	case tls.VersionTLS12:
		return "TLS 1.2"
	case tls.VersionTLS13:
		return "TLS 1.3"
	}
	return fmt.Sprintf("0x%04X", version)
}
