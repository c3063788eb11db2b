public import GRPCCore
import PlugboardCore
import PlugboardPlugin
public import PlugboardTransport
import ProtobufC

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Serves `services` as a plugin serves them, next to go-plugin's core services (health,
/// controller, broker, stdio), and runs `body` with a client connected to them, in this process,
/// over the real transport on a temporary unix socket. No executable is built or started, so a
/// plugin's services are unit-tested with the same framing, deadlines, metadata and errors a host
/// sees (go-plugin's `TestPluginGRPCConn` does the same for Go plugins).
///
/// ```swift
/// @Test func countsApples() async throws {
///     try await withInProcessPlugin(serving: [InventoryService()]) { client in
///         let inventory = Inventory_V1_Inventory.Client(wrapping: client)
///         #expect(try await inventory.count(.with { $0.sku = "apple" }).left == 3)
///     }
/// }
/// ```
///
/// When `body` returns or throws, the server stops gracefully and the socket is removed.
///
/// - Parameters:
///   - services: the service sets under test.
///   - transportConfig: the transport's settings, as a plugin would pass them to `PluginServer`.
///   - isolation: the actor `body` runs on; the caller's by default.
///   - body: the test, given a client; wrap it in a service set's generated client.
public func withInProcessPlugin<Result: Sendable>(
    serving services: [any RegistrableRPCService],
    transportConfig: UnixSocketTransport.Config = .defaults,
    isolation: isolated (any Actor)? = #isolation,
    _ body: (GRPCClient<UnixSocketTransport.Client>) async throws -> Result
) async throws -> Result {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let socketPath = directory.path + "/plugin.sock"
    let serverTransport = UnixSocketTransport.Server(path: socketPath, config: transportConfig)
    let server = GRPCServer(transport: serverTransport, services: services + PluginServer.coreServicesForTesting())
    return try await withThrowingTaskGroup(of: Void.self, returning: Result.self, isolation: isolation) { group in
        group.addTask { try await server.serve() }
        defer {
            server.beginGracefulShutdown()
        }
        try await serverTransport.waitUntilListening()
        let clientTransport = UnixSocketTransport.Client(path: socketPath, config: transportConfig)
        let result = try await DirectRoute.withClient(transport: clientTransport, isolation: isolation, body)
        server.beginGracefulShutdown()
        try await group.waitForAll()
        return result
    }
}

/// A private directory under `$TMPDIR`, short enough for a unix socket path.
struct TemporaryDirectory {
    let path: String

    init() throws(PluginError) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/plugboard-test-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw PluginError(
                code: .launchFailed,
                message:
                    "Could not create a temporary socket directory in \(base): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory."
            )
        }
        self.path = String(cString: made)
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}
