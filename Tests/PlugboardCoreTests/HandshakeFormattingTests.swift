import PlugboardCore
import Testing

@Suite("Handshake formatting")
struct HandshakeFormattingTests {
    static let config = HandshakeConfig.plugboard(appProtocolVersions: [5])

    @Test("formats six fields, ending in | when there is no certificate")
    func formatsPlainLine() {
        let handshake = Handshake(appProtocolVersion: 5, socketPath: "/tmp/plugin3418862411")
        #expect(handshake.description == "1|5|unix|/tmp/plugin3418862411|grpc|")
    }

    @Test("adds the 7th field only when multiplexSupported is set")
    func formatsMultiplexField() {
        #expect(
            Handshake(appProtocolVersion: 5, socketPath: "/s", multiplexSupported: false).description
                == "1|5|unix|/s|grpc||false")
        #expect(
            Handshake(appProtocolVersion: 5, socketPath: "/s", multiplexSupported: true).description
                == "1|5|unix|/s|grpc||true")
    }

    @Test("writes the certificate as unpadded standard base64")
    func formatsCertificate() {
        let certificate: [UInt8] = [0x30] + Array(repeating: 0xFF, count: 40)
        let line = Handshake(appProtocolVersion: 5, socketPath: "/s", serverCertificate: certificate).description
        let field = line.split(separator: "|", omittingEmptySubsequences: false)[5]
        #expect(!field.contains("="))
        #expect(field.hasPrefix("MP//"))
        #expect(field.count == 55)
    }

    @Test(
        "round-trips through the parser",
        arguments: [
            Handshake(appProtocolVersion: 5, socketPath: "/tmp/plugin1"),
            Handshake(appProtocolVersion: 5, socketPath: "/run/user/1000/plugboard/kv.sock", multiplexSupported: false),
            Handshake(
                appProtocolVersion: 5,
                socketPath: "/tmp/p",
                serverCertificate: [0x30, 0x82, 0x02, 0x4E] + (0..<590).map { UInt8($0 % 251) }
            ),
            // 39 bytes: 52 base64 characters, just above the 50 below which the field is ignored.
            Handshake(
                appProtocolVersion: 5, socketPath: "/p", serverCertificate: [0x30] + Array(repeating: 1, count: 38)
            ),
        ]
    )
    func roundTrips(_ handshake: Handshake) throws {
        let parsed = try Handshake(parsing: handshake.description + "\n", accepting: Self.config)
        #expect(parsed == handshake)
        #expect(parsed.description == handshake.description)
    }

    @Test(
        "base64 matches RFC 4648 vectors without padding",
        arguments: [
            ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ]
    )
    func base64Vectors(plain: String, encoded: String) {
        #expect(Base64.encodeUnpadded(Array(plain.utf8)) == encoded)
        #expect(Base64.decodeUnpadded(encoded) == Array(plain.utf8))
    }

    @Test(
        "base64 decoding rejects padding, foreign characters and impossible lengths",
        arguments: ["Zg==", "Z", "Zm9v!", "Zm 9"])
    func base64Rejects(_ text: String) {
        #expect(Base64.decodeUnpadded(text) == nil)
    }

    @Test("base64 uses + and / (standard alphabet, not URL-safe)")
    func base64Alphabet() {
        #expect(Base64.encodeUnpadded([0xFB, 0xFF]) == "+/8")
        #expect(Base64.decodeUnpadded("+/8") == [0xFB, 0xFF])
    }

    @Test("binary metadata (-bin) decodes padded and unpadded base64, in either alphabet")
    func base64Metadata() {
        #expect(Base64.decodeMetadata("AP8=") == [0, 255])
        #expect(Base64.decodeMetadata("AP8") == [0, 255])
        #expect(Base64.decodeMetadata("aGVsbG8") == Array("hello".utf8))
        #expect(Base64.decodeMetadata("-_8") == [0xFB, 0xFF])
        #expect(Base64.decodeMetadata("not base64!") == nil)
    }
}
