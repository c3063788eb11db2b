import Foundation
import GRPCCore
import PlugboardCore
import PlugboardHost
import PlugboardTestSupport
import PlugboardTestV1
import Testing

/// Issue 13 against the real go-plugin (v1.0.1): brokered connections both ways between a Go host
/// and a Plugboard plugin, and between a Plugboard host and a Go plugin, in plaintext and under
/// AutoMTLS. Both plugins answer the same Echo texts: `call-back:<id>` dials the host's broker id
/// and calls its Echo, `serve-back` serves an Echo under a new broker id and answers with the id.
///
/// Under AutoMTLS, go-plugin v1.0.1 lacks part of what brokered connections need (v1.4.4 added it;
/// protocol §5 and §8). Its plugin's TLS configuration has no `RootCAs` and no `ServerName`, so a
/// Go plugin cannot verify any host's brokered server: that cell fails, on Go's side, and the test
/// checks that a Plugboard host gets a typed error and carries on. Its host's configuration has no
/// `ClientAuth`, so a Go host's brokered server does not ask the plugin for a certificate: that
/// cell works, authenticated on the server's side only, and the test records it.
extension GoInteropTests {
    // MARK: Go host ↔ Plugboard plugin

    @Test(
        "a go-plugin host serves an Echo the Plugboard plugin calls back, and dials one the plugin serves",
        arguments: [false, true]
    )
    func goHostBrokersWithSwiftPlugin(autoMTLS: Bool) async throws {
        let report = try await self.runGoHost(
            ["-plugin", TestEnvironment.fixturePath, "-mode", "broker"] + (autoMTLS ? ["-automtls"] : []))
        let callback = try #require(report["callback"] as? [String: Any])
        let dialled = try #require(report["dialled"] as? [String: Any])
        #expect(
            callback["ok"] as? Bool == true && callback["reply"] as? String == "go-host: from the plugin", "\(callback)"
        )
        // The fixture's brokered Echo is a plain echo.
        #expect(dialled["ok"] as? Bool == true && dialled["reply"] as? String == "to the plugin's server", "\(dialled)")
        if autoMTLS {
            self.expectAutoMTLS(report)
            #expect(
                callback["tlsVersion"] as? String == "TLS 1.3", "the plugin dialled the host's brokered server over TLS"
            )
            // v1.0.1's host serves brokered connections with its client TLS configuration, whose
            // ClientAuth is NoClientCert: it never asks for the plugin's certificate. The plugin
            // still checked the host's (exactly the one in PLUGIN_CLIENT_CERT). v1.4.4+ asks.
            #expect(callback["clientCertificate"] as? Bool == false, "go-plugin v1.0.1's host does not ask for one")
            #expect(
                dialled["tlsVersion"] as? String == "TLS 1.3", "the host dialled the plugin's brokered server over mTLS"
            )
        } else {
            #expect(report["autoMTLS"] == nil && callback["tlsVersion"] == nil && dialled["tlsVersion"] == nil)
        }
        self.expectStopped(report)
    }

    // MARK: Plugboard host ↔ Go plugin

    @Test("a Plugboard host dials an Echo the go-plugin plugin serves through its broker", arguments: [false, true])
    func swiftHostDialsGoPlugin(autoMTLS: Bool) async throws {
        let spec = try self.goEchoPlugin(autoMTLS: autoMTLS)
        let (logger, _) = TestEnvironment.capturingLogger()
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let served = try await echo.get(.with { $0.text = "serve-back" })
            let id = try #require(
                UInt32(served.text), "the plugin answers with the id it serves under, not \(served.text)")
            let reply = try await plugin.broker.withClient(id: id) { client in
                try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(
                    .with {
                        $0.text = "to go"; $0.payload = [4, 2]; $0.sequence = 4
                    })
            }
            #expect(reply.text == "go-plugin: to go" && reply.payload == [4, 2] && reply.sequence == 4)
        }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test("a go-plugin plugin calls back an Echo the Plugboard host serves through its broker")
    func goPluginCallsBackSwiftHost() async throws {
        let spec = try self.goEchoPlugin(autoMTLS: false)
        let (logger, _) = TestEnvironment.capturingLogger()
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let id = plugin.broker.nextID()
            try await plugin.broker.serve(id: id, services: [EchoService(tag: "host")])
            let callback = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(
                .with { $0.text = "call-back:\(id)" })
            #expect(callback.text == "host: from the plugin", "the Go plugin reached the host's brokered Echo")
        }
        #expect(
            TestEnvironment.leftoverDirectories(for: spec.name).isEmpty,
            "the host's brokered socket went with its directory")
    }

    @Test(
        "under AutoMTLS a go-plugin v1.0.1 plugin cannot verify the host's brokered server: a typed error at once, and the host carries on"
    )
    func goPluginCallBackFailsUnderAutoMTLS() async throws {
        let spec = try self.goEchoPlugin(autoMTLS: true)
        let (logger, _) = TestEnvironment.capturingLogger()
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let id = plugin.broker.nextID()
            try await plugin.broker.serve(id: id, services: [EchoService(tag: "host")])

            // The plugin's TLS configuration (v1.0.1 server.go) has neither RootCAs nor ServerName:
            // grpc-go checks the host's certificate for the name "unused" (the dial target) against
            // the system roots. The plugin gives up on the handshake and answers Unavailable.
            let started = ContinuousClock.now
            let failure = await #expect(throws: RPCError.self) {
                try await echo.get(.with { $0.text = "call-back:\(id)" })
            }
            #expect(ContinuousClock.now - started < .seconds(10), "refused at once, not at a deadline")
            #expect(failure?.code == .unavailable, "\(failure.map { "\($0)" } ?? "no error")")
            #expect(failure?.message.contains("authentication handshake failed") == true, "\(failure?.message ?? "")")

            // The host and the plugin carry on: the main connection, and a brokered dial the other way.
            #expect(try await echo.get(.with { $0.text = "still here" }).text == "still here")
            let served = try await echo.get(.with { $0.text = "serve-back" })
            let pluginID = try #require(UInt32(served.text))
            let reply = try await plugin.broker.withClient(id: pluginID) { client in
                try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(.with { $0.text = "after the failure" })
            }
            #expect(reply.text == "go-plugin: after the failure")
        }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    // MARK: Helpers

    /// The Go echo-plugin under a unique name. go-plugin v1.0.1 never closes a brokered listener
    /// (the plugin exits with it open); the echo-plugin keeps those sockets in a folder of its own
    /// and removes it when it stops.
    func goEchoPlugin(autoMTLS: Bool) throws -> PluginSpec {
        PluginSpec(
            path: try TestEnvironment.goPeer("echo-plugin"), name: "go-broker-\(UInt32.random(in: 0...UInt32.max))",
            autoMTLS: autoMTLS)
    }

    /// Kill() ended the plugin with Shutdown, and it left neither its socket nor its process.
    func expectStopped(_ report: [String: Any]) {
        #expect(report["negotiatedVersion"] as? Int == 1)
        #expect(report["graceful"] as? Bool == true, "no 'plugin failed to exit gracefully', no SIGKILL")
        #expect(report["socketRemoved"] as? Bool == true)
        #expect(report["pidGone"] as? Bool == true)
    }
}
