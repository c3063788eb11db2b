package import GRPCCore
package import NIOCore

/// Splits the bytes of HTTP/2 DATA frames into gRPC length-prefixed messages.
///
/// It also does the stream-level flow-control book-keeping: every inbound byte is credited back
/// to the peer exactly once. Bytes of a message that is still incomplete are credited at once
/// (the message can't be consumed until it's whole, and it's bounded by the size limit); bytes
/// of a complete message are credited when the reader consumes it (`deferredCredit`).
package struct MessageDeframer {
    /// Why a stream of frames can't be turned into messages.
    package enum Failure: Error, Hashable {
        /// A message's compressed flag was set; this transport negotiates no compression.
        case compressed
        /// A message's declared length exceeds the limit.
        case tooLarge(size: Int, limit: Int)
    }

    /// The largest message length this deframer accepts.
    let maxMessageSize: Int

    /// Bytes of the message in progress (prefix included), if any.
    private var partial: ByteBuffer?
    /// How many bytes of `partial` were already credited.
    private var creditedPartial = 0

    package init(maxMessageSize: Int) {
        self.maxMessageSize = maxMessageSize
    }

    /// Whether some bytes of a message are still waiting for the rest of it.
    package var hasPartialMessage: Bool { self.partial.map { $0.readableBytes > 0 } ?? false }

    /// Bytes held for the message in progress (prefix included).
    package var partialBytes: Int { self.partial?.readableBytes ?? 0 }

    /// Consumes `data` and reports each whole message with the credit to return on consumption.
    ///
    /// - Returns: the credit to return to the peer now.
    package mutating func process(
        _ data: ByteBuffer,
        onMessage: (_ message: ByteBuffer, _ deferredCredit: Int) -> Void
    ) throws(Failure) -> Int {
        var input: ByteBuffer
        var alreadyCredited = 0
        if var partial = self.partial, partial.readableBytes > 0 {
            var data = data
            partial.writeBuffer(&data)
            input = partial
            alreadyCredited = self.creditedPartial
            self.partial = nil
        } else {
            input = data
        }

        while let length = try self.nextLength(in: input) {
            guard input.readableBytes >= 5 + length else { break }
            input.moveReaderIndex(forwardBy: 5)
            let message = input.readSlice(length: length)!
            onMessage(message, 5 + length - alreadyCredited)
            alreadyCredited = 0
        }

        let remaining = input.readableBytes
        let creditNow = remaining - alreadyCredited
        if remaining > 0 {
            // Keep only the unread tail; compact so a long stream doesn't pin a big buffer.
            input.discardReadBytes()
            self.partial = input
            self.creditedPartial = remaining
        } else {
            self.partial = nil
            self.creditedPartial = 0
        }
        return creditNow
    }

    private func nextLength(in buffer: ByteBuffer) throws(Failure) -> Int? {
        guard
            let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
            let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self)
        else { return nil }
        if flag & 0x01 != 0 { throw .compressed }
        if Int(length) > self.maxMessageSize {
            throw .tooLarge(size: Int(length), limit: self.maxMessageSize)
        }
        return Int(length)
    }
}

extension MessageDeframer.Failure {
    /// The status a peer gets when its message is refused.
    package var status: Status {
        switch self {
        case .compressed:
            return Status(
                code: .internalError,
                message: "Received a compressed message, but this transport doesn't support compression; "
                    + "disable compression (grpc-encoding) on the sender."
            )
        case .tooLarge(let size, let limit):
            return Status(
                code: .resourceExhausted,
                message: "Received a message of \(size) bytes, larger than the limit of \(limit) bytes; "
                    + "raise maxReceiveMessageSize in the receiver's transport config or send smaller messages."
            )
        }
    }
}
