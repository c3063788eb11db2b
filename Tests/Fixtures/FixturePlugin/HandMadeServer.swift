import GRPCCore
import PlugboardCore
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

/// For fixture modes that bypass the SDK's `PluginServer`: serves `services` on `transport`, prints
/// `handshake` once it listens, and serves until the process is killed.
enum HandMadeServer {
    static func serve(
        _ transport: UnixSocketTransport.Server, services: [any RegistrableRPCService], handshake: Handshake
    ) async {
        let server = GRPCServer(transport: transport, services: services)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await server.serve() }
            try? await transport.waitUntilListening()
            print(handshake.description)
            fflush(nil)
            await group.waitForAll()
        }
    }
}
