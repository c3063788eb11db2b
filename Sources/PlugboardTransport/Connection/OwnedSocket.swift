internal import Synchronization

#if canImport(Glibc)
internal import Glibc
#endif

/// A socket descriptor handed to a transport: a client's first connection, already connected
/// (and its peer judged) by whoever made it, or a server's socket, already listening. The
/// transport takes it instead of making its own; it is closed here if no transport does.
package final class OwnedSocket: Sendable {
    private let descriptor: Mutex<CInt?>

    /// Takes ownership of `descriptor`.
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
