import GRPCCore
import PlugboardTestSupport
import PlugboardTransport
import ProtobufC
import Testing

/// The lean transport's AutoMTLS: each side accepts exactly one certificate, the other's.
@Suite("The lean transport's mutual TLS")
struct MutualTLSTests {
    let host: TLSIdentity
    let plugin: TLSIdentity

    init() throws {
        self.host = try TLSIdentity.generate()
        self.plugin = try TLSIdentity.generate()
    }

    @Test("the host's identity gets answers; neither plaintext nor a stranger's key gets an answer")
    func onlyTheHostsKey() async throws {
        let path = makeSocketPath()
        let serverTLS = try MutualTLS(
            .server, identity: self.plugin, trusting: PeerCertificate(pem: self.host.certificatePEM))
        try await Self.serving(path, tls: serverTLS) {
            let pluginCertificate = try PeerCertificate(der: self.plugin.certificateDER)

            let echoed = try await Self.call(
                path, tls: MutualTLS(.client, identity: self.host, trusting: pluginCertificate))
            #expect(echoed == .success([9]))

            #expect(try await Self.call(path, tls: nil).failed, "plaintext")
            let stranger = try TLSIdentity.generate()
            let strangerTLS = try MutualTLS(.client, identity: stranger, trusting: pluginCertificate)
            #expect(try await Self.call(path, tls: strangerTLS).failed, "a key the server does not trust")

            let again = try await Self.call(
                path, tls: MutualTLS(.client, identity: self.host, trusting: pluginCertificate))
            #expect(again == .success([9]), "the server still serves its host")
        }
    }

    @Test("a client refuses a server whose certificate is not the one it was told to trust")
    func clientChecksTheServer() async throws {
        let path = makeSocketPath()
        let impostor = try TLSIdentity.generate()
        let serverTLS = try MutualTLS(
            .server, identity: impostor, trusting: PeerCertificate(der: self.host.certificateDER))
        try await Self.serving(path, tls: serverTLS) {
            let clientTLS = try MutualTLS(
                .client, identity: self.host, trusting: PeerCertificate(der: self.plugin.certificateDER))
            let result = try await Self.call(path, tls: clientTLS)
            guard case .failure(let error) = result else {
                Issue.record("the client talked to an impostor")
                return
            }
            #expect(error.cause is TLSHandshakeFailure, "\(error)")
            #expect(error.message.contains("not the one it announced"), "\(error)")
        }
    }

    @Test("certificates that are not one well-formed X.509 certificate are refused with the reason")
    func badCertificates() throws {
        #expect(throws: CertificateProblem.self) { try PeerCertificate(pem: "garbage") }
        #expect(throws: CertificateProblem.self) {
            try PeerCertificate(pem: self.host.certificatePEM + self.plugin.certificatePEM)
        }
        #expect(throws: CertificateProblem.self) { try PeerCertificate(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        let key = "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n"
        let problem = #expect(throws: CertificateProblem.self) { try PeerCertificate(pem: key) }
        #expect(problem?.reason.contains("PRIVATE KEY") == true, "\(problem?.reason ?? "")")
        _ = try PeerCertificate(pem: self.host.certificatePEM)
    }

    private enum Outcome: Equatable {
        case success([UInt8])
        case failure(RPCError)

        var failed: Bool {
            if case .failure = self { return true }
            return false
        }
    }

    /// Runs `body` while an Echo server with `tls` listens on `path`, then stops the server.
    private static func serving(_ path: String, tls: MutualTLS, _ body: () async throws -> Void) async throws {
        let transport = UnixSocketTransport.Server(path: path, config: .defaults, tls: tls)
        let server = GRPCServer(transport: transport, services: [EchoService(probe: Probe())])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            try await transport.waitUntilListening()
            try await body()
            server.beginGracefulShutdown()
            try await group.waitForAll()
        }
    }

    private static func call(_ path: String, tls: MutualTLS?) async throws -> Outcome {
        let transport = UnixSocketTransport.Client(path: path, config: .defaults, peerCheck: nil, tls: tls)
        var options = CallOptions.defaults
        // Refusals come at once; an answer, on two cores busy with the whole suite, may take seconds.
        options.timeout = .seconds(60)
        return try await withGRPCClient(transport: transport) { client in
            do {
                return .success(try await DirectClient(client).call(EchoService.Method.get, [9], options: options))
            } catch let error as RPCError {
                return .failure(error)
            }
        }
    }
}
