#if canImport(Glibc)
package import Glibc
#endif

/// A unix socket's address (`sockaddr_un`), for the sockets Plugboard binds and connects with
/// plain system calls.
package struct UnixSocketAddress {
    private let address: sockaddr_un

    /// The address of `path`; `nil` when the path, with its terminating NUL, does not fit.
    package init?(path: String) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes + [0]) }
        self.address = address
    }

    /// Calls `body` with the address as a `sockaddr` and its size, as `bind` and `connect` take them.
    package func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        var address = self.address
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
