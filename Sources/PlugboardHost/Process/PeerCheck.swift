import CPlugboardSystem
import PlugboardCore
import PlugboardSystem
import PlugboardTransport

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// Makes sure the socket a plugin's handshake names is served by that plugin: the host connects
/// and reads the listener's credentials (SO_PEERCRED) without sending a byte. The listener must
/// run as the host's user and be the plugin process, one of its descendants, or a process in the
/// plugin's cgroup; for a plugin the host attached to, exactly the record's pid. Only then does
/// the transport use that connection (and check the peer again on every one it makes later).
enum PeerCheck {
    /// How long a socket that does not accept connections yet is retried.
    static let connectPatience: Duration = .seconds(1)

    /// The connection to `socketPath`, once its listener is judged to be the plugin's.
    static func verify(_ socketPath: String, owner: ProcessHandle) async throws(PluginError) -> OwnedSocket {
        let peer: (pid: Int32, uid: uid_t, socket: OwnedSocket)
        switch owner {
        case .started:
            peer = try await Self.credentials(of: socketPath, patience: Self.connectPatience) { reason in
                PluginError(
                    code: .connectionFailed,
                    message:
                        "The plugin printed a valid handshake, but the host could not connect to \(socketPath): \(reason). Check that the plugin listens on the socket it announces."
                )
            }
        case .attached(let process):
            // A plugin that is already running listens already: no patience, and its own wording.
            peer = try await Self.credentials(of: socketPath, patience: .zero) { reason in
                .reattachSocketUnreachable(
                    socketPath, pid: process.pid, reason: "the host could not connect to it: \(reason)")
            }
        }
        try Self.judge(pid: peer.pid, uid: peer.uid, socketPath: socketPath, owner: owner)
        return peer.socket
    }

    /// Accepts the listener `pid` running as `uid` if it is the plugin's, or throws `socketNotOwned`.
    /// The lean transport calls it again on every connection it makes, reconnections included.
    ///
    /// A plugin the host started may listen through a child (or a process in its cgroup). An
    /// attached plugin must listen itself: its pid is what the host watches and, with
    /// `killOnStop`, signals, so a record naming the plugin's parent (a shell, the host) is refused.
    static func judge(pid: Int32, uid: uid_t, socketPath: String, owner: ProcessHandle) throws(PluginError) {
        let otherUser = "user \(uid), not the host's user \(getuid())"
        let child: ChildProcess
        switch owner {
        case .attached(let process):
            guard uid != getuid() || pid != process.pid else { return }
            let listener = uid != getuid() ? "a process of \(otherUser)" : "pid \(pid) (\(Self.command(of: pid)))"
            throw PluginError.reattachSocketNotOwned(socketPath, pid: process.pid, listener: listener)
        case .started(let started):
            child = started
        }
        guard uid != getuid() || !Self.belongs(pid, to: child) else { return }
        let whose =
            uid != getuid()
            ? otherUser
            : "pid \(pid) (\(Self.command(of: pid))), which is neither the plugin (pid \(child.pid)) nor one of its children"
        throw PluginError(
            code: .socketNotOwned,
            message:
                "The plugin's handshake names the unix socket \(socketPath), but the process listening there is \(whose). The host talks only to the plugin it started and sent nothing to that socket. Fix the plugin's handshake, or find out why it points at another program's socket.",
            pid: child.pid
        )
    }

    /// The listener's pid and uid, read through a connection that sends nothing, and that
    /// connection. `unreachable` makes the error for a socket that cannot be connected to, from
    /// the reason.
    private static func credentials(
        of path: String, patience: Duration, unreachable: (String) -> PluginError
    ) async throws(PluginError) -> (pid: Int32, uid: uid_t, socket: OwnedSocket) {
        guard let address = UnixSocketAddress(path: path) else {
            throw PluginError(
                code: .socketPathInvalid, message: "The socket path \(path) is longer than a unix socket address holds."
            )
        }
        let start = ContinuousClock.now
        while true {
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else {
                throw PluginError(
                    code: .connectionFailed,
                    message: "Could not create a socket to check \(path): \(String(cString: strerror(errno))).")
            }
            let connected = address.withSockaddr { connect(fd, $0, $1) }
            let reason = errno
            if connected == 0 {
                var pid: pid_t = 0
                var uid: uid_t = 0
                guard CPlugboardSystem_peerCredentials(fd, &pid, &uid) == 0 else {
                    let reason = errno
                    close(fd)
                    throw PluginError(
                        code: .connectionFailed,
                        message:
                            "Could not read the credentials of the process listening on \(path): \(String(cString: strerror(reason)))."
                    )
                }
                return (pid, uid, OwnedSocket(descriptor: fd))  // closes it unless the transport takes it
            }
            close(fd)
            // The plugin may announce its socket a moment before it accepts connections.
            guard [ENOENT, ECONNREFUSED, EAGAIN, EINTR].contains(reason), ContinuousClock.now - start < patience else {
                throw unreachable(String(cString: strerror(reason)))
            }
            try? await Task.sleep(for: .milliseconds(20))
            if Task.isCancelled { throw PluginError.stopped(reason: "the host while it was starting") }
        }
    }

    /// Whether `pid` is the plugin, a descendant of it, or in its cgroup. The walk up from `pid`
    /// stops after 64 parents (a read of `/proc` each, on a connection's event loop): a listener
    /// deeper than that belongs only through the cgroup, which every descendant shares.
    private static func belongs(_ pid: Int32, to child: ChildProcess) -> Bool {
        var current = pid
        for _ in 0..<64 {
            if current == child.pid { return true }
            guard current > 1, current != getpid(), let parent = ProcessStat.parent(of: current) else { break }
            current = parent
        }
        if case .success(let cgroup) = child.cgroup, let peerCgroup = Self.cgroup(of: pid), peerCgroup != "/" {
            return cgroup.hasSuffix(peerCgroup)
        }
        return false
    }

    private static func command(of pid: Int32) -> String {
        guard let comm = SystemCall.readFile("/proc/\(pid)/comm") else { return "unknown" }
        return String(comm.prefix { $0 != "\n" })
    }

    private static func cgroup(of pid: Int32) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
    }
}
