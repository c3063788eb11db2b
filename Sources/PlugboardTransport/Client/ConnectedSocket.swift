internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// A unix socket already connected to a client transport's path, whose peer its creator has
/// judged: the transport makes its first connection on it instead of connecting again, so the
/// server sees one connection where it would have seen two. Closed here unless a transport takes it.
package final class ConnectedSocket: Sendable {
    private let descriptor: Mutex<CInt?>

    /// Takes ownership of `descriptor`, a connected stream socket.
    package init(descriptor: CInt) {
        self.descriptor = Mutex(descriptor)
    }

    /// The descriptor, once: whoever takes it owns it.
    func take() -> CInt? {
        self.descriptor.withLock { descriptor in
            defer { descriptor = nil }
            return descriptor
        }
    }

    deinit {
        if let descriptor = self.take() { close(descriptor) }
    }
}
