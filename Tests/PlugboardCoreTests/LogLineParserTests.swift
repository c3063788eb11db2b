import Logging
import PlugboardCore
import Testing

@Suite("Plugin stderr log lines")
struct LogLineParserTests {
    @Test(
        "hclog JSON keeps its level, any case",
        arguments: [
            ("trace", Logger.Level.trace), ("debug", .debug), ("info", .info), ("warn", .warning), ("error", .error),
            ("INFO", .info), ("Warn", .warning), (" error ", .error),
        ]
    )
    func jsonLevels(name: String, level: Logger.Level) {
        let parsed = LogLine.parse(#"{"@level":"\#(name)","@message":"hi"}"#)
        #expect(parsed.level == level)
        #expect(parsed.message == "hi")
        #expect(parsed.isStructured)
    }

    @Test("Go's example line: metadata, @module and timestamp")
    func goExample() throws {
        let line = #"""
            {"@level":"debug","@message":"plugin address","@module":"echoplugin","@timestamp":"2026-11-21T22:26:07.152518Z","address":"/tmp/plugin1","network":"unix"}
            """#
        let parsed = LogLine.parse(line + "\n")
        #expect(parsed.level == .debug)
        #expect(parsed.message == "plugin address")
        #expect(parsed.metadata == ["@module": "echoplugin", "address": "/tmp/plugin1", "network": "unix"])
        #expect(parsed.timestamp == HCLogTimestamp(parsing: "2026-11-21T22:26:07.152518Z"))
    }

    @Test("extra keys of every JSON type become metadata")
    func extraKeys() {
        let parsed = LogLine.parse(
            #"{"@level":"info","@message":"m","n":42,"f":1.5,"b":true,"z":null,"a":[1,"x"],"o":{"k":"v"}}"#)
        #expect(parsed.metadata["n"] == "42")
        #expect(parsed.metadata["f"] == "1.5")
        #expect(parsed.metadata["b"] == "true")
        #expect(parsed.metadata["z"] == "null")
        #expect(parsed.metadata["a"] == ["1", "x"])
        #expect(parsed.metadata["o"] == ["k": "v"])
        #expect(parsed.timestamp == nil)
    }

    @Test(
        "unknown or missing levels give the raw line at debug",
        arguments: [
            #"{"@level":"off","@message":"m"}"#, #"{"@message":"m"}"#, #"{"@level":"warning","@message":"m"}"#, "{}",
        ]
    )
    func unknownLevel(_ line: String) {
        let parsed = LogLine.parse(line)
        #expect(parsed == ParsedLogLine(level: .debug, message: line))
    }

    @Test(
        "bad timestamps or non-string fields make the line raw text",
        arguments: [
            #"[ERROR] {"@level":"info"}"#,
            #"{"@level":"error","@message":"m","@timestamp":"2026-11-21T22:26:07Z"}"#,
            #"{"@level":"error","@message":"m","@timestamp":12}"#,
            #"{"@level":"error","@message":42}"#,
            #"{"@level":7,"@message":"m"}"#,
            #"{"@level":"error","@message":"m""#,
        ]
    )
    func badJSONIsRaw(_ line: String) {
        let parsed = LogLine.parse(line)
        #expect(!parsed.isStructured)
        #expect(parsed.message == line)
        #expect(parsed.level == (line.hasPrefix("[ERROR]") ? .error : .debug))
    }

    @Test(
        "prefixes pick the level of plain lines",
        arguments: [
            ("[TRACE] t", Logger.Level.trace), ("[DEBUG] d", .debug), ("[INFO]  i", .info), ("[WARN] w", .warning),
            ("[ERROR] e", .error), ("[info] lower case is not a prefix", .debug), ("plain", .debug), ("", .debug),
            (" [ERROR] indented", .debug),
        ]
    )
    func prefixes(line: String, level: Logger.Level) {
        let parsed = LogLine.parse(line + "\r\n")
        #expect(parsed == ParsedLogLine(level: level, message: line))
    }

    @Test(
        "panic: and fatal error: switch the rest of the raw stream to error",
        arguments: ["panic: oh no", "fatal error: all goroutines are asleep"])
    func panicSwitch(_ first: String) {
        var parser = LogLineParser()
        #expect(parser.parse("[INFO] before").level == .info)
        #expect(!parser.isPanicking)
        #expect(parser.parse(first).level == .error)
        #expect(parser.isPanicking)
        #expect(parser.parse("goroutine 1 [running]:").level == .error)
        #expect(parser.parse("[TRACE] still error").level == .error)
        #expect(parser.parse(#"{"@level":"info","@message":"json keeps its level"}"#).level == .info)
    }

    @Test("a fresh parser has not seen a panic")
    func independentParsers() {
        _ = LogLine.parse("panic: x")
        #expect(LogLine.parse("goroutine 1").level == .debug)
    }
}
