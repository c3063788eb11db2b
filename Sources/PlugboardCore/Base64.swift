/// Standard-alphabet base64 without `=` padding (Go's `base64.RawStdEncoding`), for handshake field 6.
package enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let values: [UInt8?] = {
        var values = [UInt8?](repeating: nil, count: 256)
        for (index, byte) in Self.alphabet.enumerated() { values[Int(byte)] = UInt8(index) }
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

    /// Decodes unpadded base64; `nil` for padding, characters outside the alphabet or an impossible length.
    ///
    /// Like Go's non-strict decoder, unused low bits of the last character are not checked.
    package static func decodeUnpadded(_ text: some StringProtocol) -> [UInt8]? {
        let input = Array(text.utf8)
        guard input.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var group: UInt32 = 0
        var bits = 0
        for byte in input {
            guard let value = Self.values[Int(byte)] else { return nil }
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
