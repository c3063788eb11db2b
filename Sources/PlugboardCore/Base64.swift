/// Base64 as go-plugin and gRPC use it: the handshake's field 6 is standard-alphabet base64
/// without `=` padding (Go's `base64.RawStdEncoding`); `-bin` metadata values come padded or not.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Each byte's 6-bit value in the standard alphabet, or `nil`.
    private static let standard: [UInt8?] = {
        var values = [UInt8?](repeating: nil, count: 256)
        for (index, byte) in Self.alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
        return values
    }()

    /// The standard alphabet and the URL-safe one (`-`, `_`): unambiguous together.
    private static let either: [UInt8?] = {
        var values = Self.standard
        values[Int(UInt8(ascii: "-"))] = 62
        values[Int(UInt8(ascii: "_"))] = 63
        return values
    }()

    /// Encodes without padding or line breaks.
    package static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group: UInt32 = 0
            for (offset, byte) in chunk.enumerated() { group |= UInt32(byte) << (16 - 8 * offset) }
            for position in 0...chunk.count {
                out.append(Self.alphabet[Int((group >> (18 - 6 * position)) & 0x3F)])
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes unpadded standard base64; `nil` for padding, characters outside the alphabet or an
    /// impossible length. Like Go's non-strict decoder, unused low bits of the last character are
    /// not checked.
    package static func decodeUnpadded(_ text: some StringProtocol) -> [UInt8]? {
        guard text.utf8.count % 4 != 1 else { return nil }
        return Self.decode(text.utf8, values: Self.standard)
    }

    /// Decodes a `-bin` metadata value: padded or not (grpc-go sends it unpadded), in either
    /// alphabet; `nil` if it is not base64.
    package static func decodeMetadata(_ text: String) -> [UInt8]? {
        Self.decode(text.utf8.prefix { $0 != UInt8(ascii: "=") }, values: Self.either)
    }

    private static func decode(_ input: some Collection<UInt8>, values: [UInt8?]) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var group: UInt32 = 0
        var bits = 0
        for byte in input {
            guard let value = values[Int(byte)] else { return nil }
            group = (group << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((group >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
