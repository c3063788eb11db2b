/// Reads the protobuf wire format field by field, without a schema; never reads out of bounds.
struct WireReader {
    /// Why the bytes are not well-formed protobuf, with the offset where that shows.
    struct Malformed: Error {
        var offset: Int
        var reason: String
    }

    private let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var isAtEnd: Bool { self.offset >= self.buffer.count }

    /// Reads a field key: its number and wire type.
    mutating func readKey() throws(Malformed) -> (number: UInt32, wireType: UInt8) {
        let start = self.offset
        let key = try self.readVarint()
        let number = key >> 3
        guard number > 0, number <= 536_870_911 else {
            throw Malformed(offset: start, reason: "field number \(number) is out of range")
        }
        return (UInt32(number), UInt8(key & 7))
    }

    /// Reads a length-delimited payload.
    mutating func readLengthDelimited() throws(Malformed) -> UnsafeRawBufferPointer {
        let start = self.offset
        let length = try self.readVarint()
        let remaining = self.buffer.count - self.offset
        guard length <= UInt64(remaining) else {
            throw Malformed(offset: start, reason: "a length of \(length) bytes runs past the end (\(remaining) left)")
        }
        let payload = UnsafeRawBufferPointer(rebasing: self.buffer[self.offset..<self.offset + Int(length)])
        self.offset += Int(length)
        return payload
    }

    /// Skips a field value of the given wire type.
    mutating func skip(wireType: UInt8) throws(Malformed) {
        switch wireType {
        case 0: _ = try self.readVarint()
        case 1: try self.advance(8)
        case 2: _ = try self.readLengthDelimited()
        case 5: try self.advance(4)
        case 3, 4:
            throw Malformed(
                offset: self.offset, reason: "it uses groups (wire type \(wireType)), which are not supported")
        default:
            throw Malformed(offset: self.offset, reason: "wire type \(wireType) does not exist")
        }
    }

    private mutating func advance(_ count: Int) throws(Malformed) {
        guard self.buffer.count - self.offset >= count else {
            throw Malformed(offset: self.offset, reason: "a \(count)-byte value is cut off at the end")
        }
        self.offset += count
    }

    private mutating func readVarint() throws(Malformed) -> UInt64 {
        let start = self.offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while self.offset < self.buffer.count, shift < 70 {
            let byte = self.buffer[self.offset]
            self.offset += 1
            value |= UInt64(byte & 0x7f) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
        throw Malformed(offset: start, reason: "a varint never ends")
    }
}

/// Explains, in words, why libprotobuf-c refused some bytes.
enum WireDiagnosis {
    static func explain(_ buffer: UnsafeRawBufferPointer) -> String {
        var reader = WireReader(buffer)
        do {
            while !reader.isAtEnd {
                let key = try reader.readKey()
                try reader.skip(wireType: key.wireType)
            }
        } catch {
            return "at byte \(error.offset), \(error.reason)"
        }
        return "the bytes are well-formed protobuf but do not fit this message type "
            + "(a field has the wrong wire type, a nested message is invalid, or a required field is missing)"
    }
}
