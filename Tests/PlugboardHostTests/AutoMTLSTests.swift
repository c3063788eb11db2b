import Foundation
import GRPCCore
import InMemoryLogging
import PlugboardCore
import PlugboardHost
import PlugboardTestV1
import PlugboardTransport
import Testing

/// Issue 12: go-plugin's AutoMTLS from a Plugboard host, to Swift and Go plugins, and every way a
/// plugin can get it wrong.
@Suite("AutoMTLS from a Plugboard host", .timeLimit(.minutes(2)))
struct AutoMTLSTests {
    @Test("a Swift plugin serves calls over mTLS, and a process with the socket but not the key gets nothing")
    func swiftPlugin() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("echo")
        spec.autoMTLS = true
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let reply = try await echo.get(
                .with {
                    $0.text = "over tls"; $0.sequence = 3
                })
            #expect(reply.text == "over tls" && reply.sequence == 3)

            let plaintext = try await Self.intrude(plugin.socketPath, tls: nil)
            #expect(plaintext.code == .unavailable, "a plaintext caller is refused: \(plaintext)")
            let stranger = try TLSIdentity.generate()
            let strangerTLS = try MutualTLS(
                .client, identity: stranger, trusting: PeerCertificate(der: stranger.certificateDER))
            let impostor = try await Self.intrude(plugin.socketPath, tls: strangerTLS)
            #expect(
                impostor.cause is TLSHandshakeFailure,
                "a caller with its own certificate fails the TLS handshake: \(impostor)")

            let again = try await echo.get(.with { $0.text = "still here" })
            #expect(again.text == "still here", "the host's own connection is untouched")
        }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test("a Go plugin on go-plugin serves unary and streaming calls over mTLS (P-521 certificate)")
    func goPlugin() async throws {
        let (logger, logs) = TestEnvironment.capturingLogger()
        let spec = PluginSpec(
            path: try TestEnvironment.goPeer("echo-plugin"), name: "go-mtls-\(UInt32.random(in: 0...UInt32.max))",
            autoMTLS: true)
        let pid = try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let reply = try await echo.get(
                .with {
                    $0.text = "to go"; $0.payload = [7, 8]
                })
            #expect(reply.text == "to go" && reply.payload == [7, 8])
            let echoed = try await echo.update(
                request: StreamingClientRequest { w in
                    for i in 0..<100 { try await w.write(.with { $0.sequence = Int64(i) }) }
                }
            ) {
                try await $0.messages.reduce(into: [Int64]()) { $0.append($1.sequence) }
            }
            #expect(echoed == Array(0..<100))
            return plugin.pid
        }
        #expect(!TestEnvironment.processExists(pid))
        let exit = logs.entries.first { $0.message.description == "plugin exited" }
        #expect(exit?.metadata["plugin.exit"]?.description == "exit status 0", "stopped by Shutdown over mTLS")
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }

    @Test(
        "each AutoMTLS mistake is its own clear error, and the host starts the next plugin",
        arguments: [
            ("tls-plaintext", true, PluginError.Code.plaintextServer, "field 6"),
            ("tls-garbled-certificate", true, .invalidServerCertificate, "not a usable certificate"),
            ("tls-other-certificate", true, .tlsHandshakeFailed, "not the one it announced"),
            ("tls-certificate-over-plaintext", true, .tlsHandshakeFailed, "handshake"),
            ("tls-unasked", false, .unexpectedServerCertificate, "did not ask"),
        ]
    )
    func mistakes(mode: String, autoMTLS: Bool, code: PluginError.Code, mentions: String) async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture(mode)
        spec.autoMTLS = autoMTLS
        let started = ContinuousClock.now
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == code, "\(error.map { "\($0)" } ?? "no error")")
        #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "")")
        #expect(error?.pluginName == spec.name && error?.executablePath == spec.path)
        #expect(ContinuousClock.now - started < .seconds(10), "refused at once, not at a deadline")
        if let pid = error?.pid { #expect(!TestEnvironment.processExists(pid), "the plugin is killed and reaped") }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)

        var next = TestEnvironment.fixture("echo")
        next.autoMTLS = true
        try await PluginHost.withPlugin(next, logger: logger) { plugin in
            _ = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(.with { $0.text = "next" })
        }
    }

    @Test("a garbage PLUGIN_CLIENT_CERT makes the plugin exit 1 with a clear error, never serve plaintext")
    func garbageClientCertificate() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("echo")
        spec.environment[PluginEnvironment.clientCertificate] =
            "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
        let error = await #expect(throws: PluginError.self) {
            try await PluginHost.withPlugin(spec, logger: logger) { _ in }
        }
        #expect(error?.code == .exitedBeforeHandshake, "\(error.map { "\($0)" } ?? "no error")")
        #expect(error?.termination == .exited(1))
        #expect(
            error?.stderrTail.contains {
                $0.contains("PLUGIN_CLIENT_CERT") && $0.contains("not fall back to plaintext")
            } == true, "\(error?.stderrTail ?? [])")
    }

    /// Calls the plugin's echo over a connection of its own, as a process that found the socket
    /// would, and returns how the call failed.
    private static func intrude(_ socketPath: String, tls: MutualTLS?) async throws -> RPCError {
        let transport = UnixSocketTransport.Client(path: socketPath, config: .defaults, peerCheck: nil, tls: tls)
        var options = CallOptions.defaults
        options.timeout = .seconds(20)  // the refusal comes at once; a loaded machine may be slow to connect
        return try await withGRPCClient(transport: transport) { client in
            do {
                _ = try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(
                    .with { $0.text = "let me in" }, options: options)
                Issue.record("a call without the host's key was answered")
                return RPCError(code: .unknown, message: "answered")
            } catch let error as RPCError {
                return error
            }
        }
    }
}
