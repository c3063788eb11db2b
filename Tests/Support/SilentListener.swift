import PlugboardSystem

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A unix socket listener that answers nothing: it counts the connections made to it and the
/// bytes they send, for tests that prove a peer was never spoken to.
public final class SilentListener {
    let fd: Int32
    let path: String

    /// Listens on `path` (non-blocking; nothing is accepted until ``drain()``).
    public init(path: String) throws {
        self.path = path
        self.fd = socket(
            AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        let bound = UnixSocketAddress(path: path)!.withSockaddr { bind(self.fd, $0, $1) }
        guard self.fd >= 0, bound == 0, listen(self.fd, 64) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
    }

    /// Accepts every pending connection and reads each until it closes (or 200 ms pass).
    public func drain() -> (connections: Int, bytes: Int) {
        var connections = 0
        var bytes = 0
        while true {
            let connection = accept(self.fd, nil, nil)
            guard connection >= 0 else { break }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            connections += 1
            var buffer = [UInt8](repeating: 0, count: 4096)
            var events = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
            while poll(&events, 1, 200) > 0 {
                let count = read(connection, &buffer, buffer.count)
                if count <= 0 { break }
                bytes += count
            }
            close(connection)
        }
        return (connections, bytes)
    }

    deinit {
        close(self.fd)
        unlink(self.path)
    }
}
