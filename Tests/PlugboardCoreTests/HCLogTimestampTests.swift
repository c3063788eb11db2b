import PlugboardCore
import Testing

@Suite("hclog timestamps")
struct HCLogTimestampTests {
    @Test(
        "parses and re-formats hclog's layout",
        arguments: [
            ("2026-11-21T22:26:07.152518Z", Int64(1_795_299_967_152_518)),
            ("1970-01-01T00:00:00.000000Z", 0),
            ("1969-12-31T23:59:59.999999Z", -1),
            ("2024-02-29T12:00:00.000001Z", 1_709_208_000_000_001),
            ("2026-11-21T23:26:07.152518+01:00", 1_795_299_967_152_518),
            ("2026-11-21T17:56:07.152518-04:30", 1_795_299_967_152_518),
        ]
    )
    func parses(text: String, microseconds: Int64) throws {
        let timestamp = try #require(HCLogTimestamp(parsing: text))
        #expect(timestamp.microsecondsSince1970 == microseconds)
        #expect(timestamp.description == text)
    }

    @Test(
        "rejects anything that is not exactly the layout",
        arguments: [
            "2026-11-21T22:26:07.152Z", "2026-11-21T22:26:07.1525180Z", "2026-11-21T22:26:07Z",
            "2026-11-21 22:26:07.152518Z", "2026-11-21T22:26:07.152518z", "2026-11-21T22:26:07.152518",
            "2026-11-21T22:26:07.152518+0100", "2026-11-21T22:26:07.152518+01", "26-11-21T22:26:07.152518Z",
            "2026-13-21T22:26:07.152518Z", "2025-02-29T22:26:07.152518Z", "2026-11-21T24:00:00.000000Z",
            "2026-11-21T22:60:07.152518Z", "2026-11-21T22:26:60.152518Z", "2026-11-21T22:26:07.152518+24:00",
            "2026-11-21T22:26:07.15251xZ", " 2026-11-21T22:26:07.152518Z", "",
        ]
    )
    func rejects(_ text: String) {
        #expect(HCLogTimestamp(parsing: text) == nil)
    }

    @Test("formats UTC with Z and six fractional digits")
    func formatsUTC() {
        #expect(
            HCLogTimestamp(microsecondsSince1970: 1_000_000_000_000_007).description == "2001-09-09T01:46:40.000007Z")
    }

    @Test("now() is close to a parseable UTC timestamp")
    func now() throws {
        let text = HCLogTimestamp.now().description
        #expect(text.hasSuffix("Z"))
        #expect(text.count == 27)
        #expect(HCLogTimestamp(parsing: text) != nil)
    }
}
