import GRPCCore
import PlugboardBroker

#if canImport(Glibc)
import Glibc
#endif

extension PluginServer {
    /// A plugin dials only brokered servers of its own user: its host runs as that user (a host
    /// of another user could not have started it), so anything else is someone else's socket.
    static let sameUser: UnixSocketTransport.Client.PeerCheck = { pid, uid in
        guard uid == getuid() else {
            throw RPCError(
                code: .permissionDenied,
                message:
                    "The brokered socket is served by pid \(pid) of user \(uid), not by the host's user \(getuid()); nothing was sent to it."
            )
        }
    }

    /// A broker for describing services or serving them in-process without a host: it is closed,
    /// so serving or dialling through it fails with `brokerClosed`.
    static func describingBroker() -> PluginBroker {
        let broker = PluginBroker(peer: .host, socketDirectory: "/nonexistent", tls: nil, dialCheck: nil)
        broker.close()
        return broker
    }
}
