import Logging
import PlugboardCore
import Synchronization
import Testing

/// Collects the lines a handler writes.
final class LineCollector: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { self.storage.withLock { $0 } }
    func append(_ line: String) { self.storage.withLock { $0.append(line) } }
}

@Suite("HCLogHandler")
struct HCLogHandlerTests {
    static let fixedTime = HCLogTimestamp(parsing: "2026-11-21T22:26:07.152518Z")!

    func makeLogger(_ collector: LineCollector, level: Logger.Level = .trace) -> Logger {
        Logger(label: "echoplugin") { label in
            HCLogHandler(label: label, logLevel: level, clock: { Self.fixedTime }, sink: collector.append)
        }
    }

    @Test("writes one hclog JSON line per call, in Go's key order")
    func format() {
        let collector = LineCollector()
        self.makeLogger(collector).debug("plugin address", metadata: ["network": "unix", "address": "/tmp/p1"])
        #expect(
            collector.lines == [
                #"{"@level":"debug","@message":"plugin address","@module":"echoplugin","@timestamp":"2026-11-21T22:26:07.152518Z","address":"/tmp/p1","network":"unix"}"#
                    + "\n"
            ])
    }

    @Test(
        "levels map to hclog names",
        arguments: [
            (Logger.Level.trace, "trace"), (.debug, "debug"), (.info, "info"), (.notice, "info"), (.warning, "warn"),
            (.error, "error"), (.critical, "error"),
        ]
    )
    func levels(level: Logger.Level, name: String) {
        let collector = LineCollector()
        self.makeLogger(collector).log(level: level, "m")
        #expect(collector.lines.first?.hasPrefix(#"{"@level":"\#(name)","#) == true)
    }

    @Test("respects its log level")
    func filters() {
        let collector = LineCollector()
        let logger = self.makeLogger(collector, level: .warning)
        logger.info("dropped")
        logger.error("kept")
        #expect(collector.lines.count == 1)
    }

    @Test("escapes strings and drops reserved keys")
    func escaping() {
        let collector = LineCollector()
        self.makeLogger(collector).info(
            "quote \" backslash \\ newline \n tab \t bell \u{07} é", metadata: ["@message": "x"])
        let line = collector.lines[0]
        #expect(line.contains(#""@message":"quote \" backslash \\ newline \n tab \t bell \u0007 é""#))
        #expect(line.split(separator: "\"@message\"", omittingEmptySubsequences: false).count == 2)
        #expect(line.filter { $0 == "\n" }.count == 1)
    }

    @Test("round trip: the host parser reads back level, message, module, metadata and timestamp")
    func roundTrip() throws {
        let collector = LineCollector()
        var logger = self.makeLogger(collector)
        logger[metadataKey: "plugin.name"] = "kv"
        logger.warning(
            "disk \"full\"\n again",
            metadata: ["path": "/var/x", "list": ["a", "b"], "nested": ["k": "v"], "count": "\(3)"]
        )
        let parsed = LogLine.parse(try #require(collector.lines.first))
        #expect(parsed.isStructured)
        #expect(parsed.level == .warning)
        #expect(parsed.message == "disk \"full\"\n again")
        #expect(parsed.timestamp == Self.fixedTime)
        #expect(
            parsed.metadata == [
                "@module": "echoplugin", "plugin.name": "kv", "path": "/var/x", "list": ["a", "b"],
                "nested": ["k": "v"],
                "count": "3",
            ])
    }

    @Test("call metadata wins over provider metadata, which wins over handler metadata; errors are recorded")
    func metadataMerge() throws {
        let collector = LineCollector()
        let provider = Logger.MetadataProvider { ["k": "provider", "p": "1"] }
        var handler = HCLogHandler(
            label: "m", metadataProvider: provider, clock: { Self.fixedTime }, sink: collector.append)
        handler.metadata = ["k": "handler", "h": "1"]
        struct Failure: Error {}
        handler.log(
            event: LogEvent(
                level: .error, message: "m", error: Failure(), metadata: ["k": "call"], source: nil, file: "",
                function: "",
                line: 0
            )
        )
        let parsed = LogLine.parse(try #require(collector.lines.first))
        #expect(parsed.metadata["k"] == "call")
        #expect(parsed.metadata["p"] == "1")
        #expect(parsed.metadata["h"] == "1")
        #expect(parsed.metadata["error"] == "Failure()")
    }

    @Test("concurrent calls produce whole, parseable lines")
    func concurrency() async {
        let collector = LineCollector()
        let logger = self.makeLogger(collector)
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for index in 0..<50 { logger.info("task \(task) line \(index)") }
                }
            }
        }
        #expect(collector.lines.count == 400)
        #expect(collector.lines.allSatisfy { LogLine.parse($0).isStructured })
    }

    @Test("the real clock writes UTC timestamps with six fractional digits")
    func realClock() throws {
        let collector = LineCollector()
        Logger(label: "m") { HCLogHandler(label: $0, sink: collector.append) }.info("now")
        let parsed = LogLine.parse(try #require(collector.lines.first))
        let timestamp = try #require(parsed.timestamp)
        #expect(timestamp.utcOffsetMinutes == 0)
    }
}
