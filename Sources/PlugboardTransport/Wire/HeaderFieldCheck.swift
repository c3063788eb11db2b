internal import NIOHPACK

/// A header field HTTP/2 forbids (RFC 9113 §8.2): a name that is not a lowercase token, a value
/// holding NUL, CR or LF, or a connection-specific field. The connection checks fields itself,
/// in one pass over their bytes (swift-nio-http2's header block validation took about 7 µs of a
/// 100 µs call across the two processes).
package struct MalformedField: Error, CustomStringConvertible {
    enum Problem {
        case name, value, connectionSpecific
    }

    var name: String
    var problem: Problem

    /// Says what is wrong, with the name quoted and escaped (it may hold any byte).
    package var description: String {
        let name = self.name.debugDescription
        return switch self.problem {
        case .name:
            "the header name \(name) is not a lowercase HTTP token (letters a-z, digits and !#$%&'*+-.^_`|~)"
        case .value:
            "the value of header \(name) holds a NUL, CR or LF byte, which HTTP/2 forbids"
        case .connectionSpecific:
            "\(name) is a connection-specific header, which HTTP/2 forbids"
        }
    }

    /// The connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2); user metadata never sends
    /// them.
    static let connectionSpecificNames = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade",
    ]

    /// Checks one field; `pseudo` allows the `:` prefix of pseudo-headers.
    static func check(name: String, value: String, pseudo: Bool) -> MalformedField? {
        let nameProblem = name.utf8.withContiguousStorageIfAvailable { Self.problem(name: $0, pseudo: pseudo) }
        if let problem = nameProblem ?? Self.problem(name: Array(name.utf8), pseudo: pseudo) {
            return MalformedField(name: name, problem: problem)
        }
        let forbidden = value.utf8.withContiguousStorageIfAvailable { Self.holdsForbiddenByte($0) }
        if forbidden ?? Self.holdsForbiddenByte(Array(value.utf8)) {
            return MalformedField(name: name, problem: .value)
        }
        return nil
    }

    private static func problem(name: some Collection<UInt8>, pseudo: Bool) -> Problem? {
        var bytes = name[...]
        if pseudo, bytes.first == UInt8(ascii: ":") { bytes = bytes.dropFirst() }
        guard !bytes.isEmpty, bytes.allSatisfy(Self.isTokenByte) else { return .name }
        // Named only when the length and first letter match one of them.
        switch (name.count, name.first) {
        case (10, UInt8(ascii: "c")), (10, UInt8(ascii: "k")), (16, UInt8(ascii: "p")), (17, UInt8(ascii: "t")),
            (7, UInt8(ascii: "u")):
            return Self.connectionSpecificNames.contains { $0.utf8.elementsEqual(name) } ? .connectionSpecific : nil
        default:
            return nil
        }
    }

    /// RFC 9110's `tchar` without the uppercase letters HTTP/2 forbids in names, as bit masks of
    /// the bytes 0–63 and 64–127: `!#$%&'*+-.0-9^_`a-z|~`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0..<64: (0x03ff_6cfa_0000_0000 as UInt64) >> byte & 1 == 1
        case 64..<128: (0x57ff_ffff_c000_0000 as UInt64) >> (byte - 64) & 1 == 1
        default: false
        }
    }

    /// Whether a value holds NUL, LF or CR (RFC 9113 §8.2.1).
    private static func holdsForbiddenByte(_ value: some Collection<UInt8>) -> Bool {
        value.contains { $0 < 14 && (0x2401 as UInt16) >> $0 & 1 == 1 }
    }
}

extension HPACKHeaders {
    /// The first field of a received header block that HTTP/2 forbids, if any.
    var malformedField: MalformedField? {
        for (name, value, _) in self {
            if let malformed = MalformedField.check(name: name, value: value, pseudo: true) { return malformed }
        }
        return nil
    }
}
