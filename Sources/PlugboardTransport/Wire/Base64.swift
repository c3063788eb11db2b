/// Base64 decoding for `-bin` metadata values (padded or not, as grpc-go sends them unpadded).
package enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        // Accept the URL-safe alphabet too; it's unambiguous.
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes `string`, or returns `nil` if it isn't base64.
    package static func decode(_ string: String) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(string.utf8.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in string.utf8 {
            if byte == UInt8(ascii: "=") { break }
            let value = Self.table[Int(byte)]
            if value == 0xFF { return nil }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }
}
