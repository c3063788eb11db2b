import PlugboardCore
import Testing

@Suite("Handshake parsing")
struct HandshakeParsingTests {
    static let config = HandshakeConfig.plugboard(appProtocolVersions: [5, 6])
    /// 60 bytes starting with a DER SEQUENCE tag; encodes to 80 base64 characters.
    static let certificate: [UInt8] = [0x30, 0x3A] + (0..<58).map { UInt8($0 * 7 % 256) }
    static let certificateText = Base64.encodeUnpadded(Self.certificate)

    struct Valid: Sendable, CustomTestStringConvertible {
        var line: String
        var expected: Handshake
        var testDescription: String { self.line.debugDescription }
    }

    static let valid: [Valid] = [
        Valid(
            line: "1|5|unix|/tmp/plugin3418862411|grpc|\n",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/plugin3418862411")),
        Valid(line: "1|6|unix|/tmp/p|grpc|", expected: Handshake(appProtocolVersion: 6, socketPath: "/tmp/p")),
        Valid(line: "  1|6|unix|/tmp/p|grpc|  \r\n", expected: Handshake(appProtocolVersion: 6, socketPath: "/tmp/p")),
        Valid(line: "1|5|unix|/tmp/p|grpc", expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p")),
        Valid(
            line: "1|5|unix|/tmp/p|grpc|short-junk-is-ignored",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p")),
        Valid(
            line: "1|5|unix|/tmp/p|grpc|\(String(repeating: "A", count: 50))",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p")),
        Valid(
            line: "1|5|unix|/tmp/p|grpc|\(certificateText)",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p", serverCertificate: certificate)
        ),
        Valid(
            line: "1|5|unix|/tmp/p|grpc||true",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p", multiplexSupported: true)),
        Valid(
            line: "1|5|unix|/tmp/p|grpc||false",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p", multiplexSupported: false)),
        Valid(
            line: "1|5|unix|/tmp/p|grpc||F",
            expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p", multiplexSupported: false)),
        Valid(line: "01|+5|unix|/tmp/p|grpc|", expected: Handshake(appProtocolVersion: 5, socketPath: "/tmp/p")),
    ]

    @Test("accepts valid lines", arguments: Self.valid)
    func acceptsValid(_ entry: Valid) throws {
        let handshake = try Handshake(parsing: entry.line, accepting: Self.config)
        #expect(handshake == entry.expected)
        #expect(handshake.coreProtocolVersion == 1)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var line: String
        var code: PluginError.Code
        /// Text the message must contain (besides the quoted line), to show it names what came.
        var mentions: String
        var testDescription: String { "\(self.code): \(self.line.debugDescription)" }
    }

    static let malformed: [Malformed] = [
        Malformed(line: "hello from main()\n", code: .outputBeforeHandshake, mentions: "\"hello from main()\""),
        Malformed(line: "", code: .outputBeforeHandshake, mentions: "\"\""),
        Malformed(line: "{\"@level\":\"info\"}", code: .outputBeforeHandshake, mentions: "stderr"),
        Malformed(line: "1|5|unix", code: .invalidHandshake, mentions: "found 3"),
        Malformed(line: "one|5|unix|/tmp/p|grpc|", code: .invalidHandshake, mentions: "\"one\""),
        Malformed(line: "1|five|unix|/tmp/p|grpc|", code: .invalidHandshake, mentions: "\"five\""),
        Malformed(line: "2|5|unix|/tmp/p|grpc|", code: .coreVersionMismatch, mentions: "announced 2"),
        Malformed(line: "1|4|unix|/tmp/p|grpc|", code: .appVersionUnsupported, mentions: "[5, 6]"),
        Malformed(line: "1|5|tcp|127.0.0.1:1234|grpc|", code: .unsupportedNetwork, mentions: "TCP"),
        Malformed(line: "1|5|udp|/tmp/p|grpc|", code: .unknownNetwork, mentions: "\"udp\""),
        Malformed(line: "1|5|unix||grpc|", code: .socketPathMissing, mentions: "empty"),
        Malformed(line: "1|5|unix|tmp/p|grpc|", code: .socketPathInvalid, mentions: "not an absolute path"),
        Malformed(
            line: "1|5|unix|/\(String(repeating: "x", count: 200))|grpc|", code: .socketPathInvalid,
            mentions: "201 bytes"),
        Malformed(line: "1|5|unix|/tmp/\u{0}p|grpc|", code: .socketPathInvalid, mentions: "NUL"),
        Malformed(line: "1|5|unix|/tmp/p", code: .netRPCRefused, mentions: "absent"),
        Malformed(line: "1|5|unix|/tmp/p|netrpc|", code: .netRPCRefused, mentions: "netrpc"),
        Malformed(line: "1|5|unix|/tmp/p|http|", code: .unsupportedProtocol, mentions: "\"http\""),
        Malformed(line: "1|5|unix|/tmp/p||", code: .unsupportedProtocol, mentions: "\"\""),
        Malformed(
            line: "1|5|unix|/tmp/p|grpc|\(certificateText)==", code: .invalidServerCertificate, mentions: "padding"),
        Malformed(
            line: "1|5|unix|/tmp/p|grpc|\(String(repeating: "!", count: 60))", code: .invalidServerCertificate,
            mentions: "not standard base64"),
        Malformed(
            line: "1|5|unix|/tmp/p|grpc|\(String(repeating: "A", count: 60))", code: .invalidServerCertificate,
            mentions: "not a DER"),
        Malformed(line: "1|5|unix|/tmp/p|grpc||maybe", code: .invalidMultiplexField, mentions: "\"maybe\""),
        Malformed(line: "1|5|unix|/tmp/p|grpc||true|x", code: .invalidHandshake, mentions: "found 8"),
    ]

    @Test("rejects malformed lines with a distinct code", arguments: Self.malformed)
    func rejectsMalformed(_ entry: Malformed) {
        let error = #expect(throws: PluginError.self) {
            try Handshake(parsing: entry.line, accepting: Self.config)
        }
        #expect(error?.code == entry.code)
        #expect(error?.message.hasPrefix("Expected ") == true)
        #expect(error?.message.contains(entry.mentions) == true, "\(error?.message ?? "")")
        let quotedLine = String(String(Handshake.trimmedForTests(entry.line).prefix(120)).debugDescription.dropLast())
        #expect(error?.message.contains(quotedLine) == true, "message should quote the line")
    }

    @Test("checks fields in go-plugin's order: core version before app version before network")
    func checksInOrder() {
        let error = #expect(throws: PluginError.self) {
            try Handshake(parsing: "2|4|tcp|x|netrpc|", accepting: Self.config)
        }
        #expect(error?.code == .coreVersionMismatch)
    }

    @Test("cuts long lines in messages and says how much was left out")
    func truncatesLongLines() {
        let line = "1|4|unix|/tmp/p|grpc|\(Self.certificateText)\(Self.certificateText)"
        let error = #expect(throws: PluginError.self) {
            try Handshake(parsing: line, accepting: Self.config)
        }
        #expect(error?.code == .appVersionUnsupported)
        #expect(error?.message.contains("\(line.count - 120) more characters") == true)
        #expect(error?.message.contains(line) == false)
    }
}

extension Handshake {
    /// The same trimming the parser applies, restated for the tests.
    static func trimmedForTests(_ line: String) -> Substring {
        let start = line.firstIndex { !$0.isWhitespace } ?? line.endIndex
        let end = line.lastIndex { !$0.isWhitespace }.map(line.index(after:)) ?? start
        return line[start..<end]
    }
}
