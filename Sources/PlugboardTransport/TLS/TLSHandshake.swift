internal import NIOCore
internal import NIOSSL
internal import NIOTLS

/// Why a TLS connection to or from a peer failed before any gRPC byte moved: the peer is not the
/// one whose certificate was trusted, speaks plaintext, or closed the connection mid-handshake.
package struct TLSHandshakeFailure: Error, CustomStringConvertible {
    /// The socket the connection was made to.
    package let socketPath: String
    /// What TLS reported.
    package let reason: String

    package var description: String {
        "The TLS handshake on unix socket '\(self.socketPath)' failed: \(self.reason)"
    }
}

/// Completes a promise when the connection's TLS handshake finishes, or fails it with a
/// ``TLSHandshakeFailure`` when the handshake errs or the connection closes first; then steps aside.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let promise: EventLoopPromise<Void>
    private let socketPath: String
    private var done = false

    init(promise: EventLoopPromise<Void>, socketPath: String) {
        self.promise = promise
        self.socketPath = socketPath
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent, !self.done {
            self.done = true
            self.promise.succeed()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(with: Self.describe(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(with: "the peer closed the connection during the handshake")
        context.fireChannelInactive()
    }

    private func fail(with reason: String) {
        guard !self.done else { return }
        self.done = true
        self.promise.fail(TLSHandshakeFailure(socketPath: self.socketPath, reason: reason))
    }

    private static func describe(_ error: any Error) -> String {
        guard case .handshakeFailed(let boringSSL) = error as? NIOSSLError else { return "\(error)" }
        let text = "\(boringSSL)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the peer's certificate is not the one it announced (\(text))"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") {
            return "the peer does not speak TLS (\(text))"
        }
        if text.contains("EOF during handshake") {
            return "the peer closed the connection during the handshake; it may not speak TLS (\(text))"
        }
        return text
    }
}
