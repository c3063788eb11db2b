import Foundation
import PlugboardCore
import Testing

@Suite("Reattach records")
struct ReattachRecordTests {
    static let socket = "/tmp/plugboard-x1/plugin-42.sock"

    @Test("the line a --debug plugin prints reads back as the same record, with shell quotes in names escaped")
    func debugLineRoundTrip() throws {
        let record = ReattachRecord(pid: 42, socketPath: Self.socket, appProtocolVersion: 3)
        for name in ["ratelimit-plugin", "it's \"odd\""] {
            let line = record.debugLine(name: name)
            #expect(line.hasPrefix("PLUGBOARD_REATTACH='{"))
            // What a POSIX shell makes of '…'\''…': the quotes close, an escaped ' and reopen.
            let value = String(line.dropFirst("PLUGBOARD_REATTACH='".count).dropLast()).replacingOccurrences(
                of: "'\\''", with: "'")
            #expect(try ReattachRecord.records(json: value) == [name: record])
        }
        #expect(
            record.debugLine(name: "kv")
                == #"PLUGBOARD_REATTACH='{"kv":{"pid":42,"address":"/tmp/plugboard-x1/plugin-42.sock","protocol":"grpc","version":3}}'"#
        )
    }

    @Test("Codable uses the JSON keys; kill_on_stop is written only when true and defaults to false")
    func codable() throws {
        var record = ReattachRecord(pid: 7, socketPath: Self.socket, appProtocolVersion: 1)
        let plain = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(plain.contains(#""address":"\/tmp"#) || plain.contains(#""address":"/tmp"#))
        #expect(
            plain.contains(#""protocol":"grpc""#) && plain.contains(#""version":1"#) && !plain.contains("kill_on_stop"))
        #expect(try JSONDecoder().decode(ReattachRecord.self, from: Data(plain.utf8)) == record)
        record.killOnStop = true
        let killing = try JSONEncoder().encode(record)
        #expect(String(decoding: killing, as: UTF8.self).contains(#""kill_on_stop":true"#))
        #expect(try JSONDecoder().decode(ReattachRecord.self, from: killing) == record)
    }

    @Test("a record may give a go-plugin handshake line instead of address, protocol and version")
    func handshakeForm() throws {
        let records = try ReattachRecord.records(
            json: #"{"go":{"pid":9,"handshake":"1|5|unix|/tmp/plugin123|grpc|\n","kill_on_stop":true}}"#)
        #expect(
            records["go"]
                == ReattachRecord(pid: 9, socketPath: "/tmp/plugin123", appProtocolVersion: 5, killOnStop: true))
        #expect(
            try ReattachRecord(pid: 9, handshakeLine: "1|5|unix|/tmp/plugin123|grpc|")
                == ReattachRecord(pid: 9, socketPath: "/tmp/plugin123", appProtocolVersion: 5))
    }

    @Test(
        "handshake lines a host cannot attach with are refused with the handshake's codes",
        arguments: [
            ("1|1|unix|/tmp/p|netrpc|", PluginError.Code.netRPCRefused),
            ("1|1|unix|/tmp/p", .netRPCRefused),  // no protocol field means netrpc
            ("1|1|tcp|127.0.0.1:1234|grpc|", .unsupportedNetwork),
            ("2|1|unix|/tmp/p|grpc|", .coreVersionMismatch),
            ("1|x|unix|/tmp/p|grpc|", .invalidHandshake),
            ("1|1|unix|p.sock|grpc|", .socketPathInvalid),
            ("hello", .invalidHandshake),
            ("1|1|unix|/tmp/p|grpc|" + String(repeating: "A", count: 60), .invalidReattach),  // serves AutoMTLS
        ])
    func badHandshakeLines(line: String, code: PluginError.Code) {
        let error = #expect(throws: PluginError.self) { try ReattachRecord(pid: 1, handshakeLine: line) }
        #expect(error?.code == code, "\(line): \(error.map { "\($0)" } ?? "no error")")
    }

    @Test(
        "malformed records name the source, the plugin and the key",
        arguments: [
            ("not json", PluginError.Code.invalidReattach, "expected a JSON object"),
            (#"{"kv":3}"#, .invalidReattach, "is not a JSON object"),
            (#"{"kv":{"address":"/tmp/s","protocol":"grpc","version":1}}"#, .invalidReattach, "has no `pid`"),
            (
                #"{"kv":{"pid":"42","address":"/tmp/s","protocol":"grpc","version":1}}"#, .invalidReattach,
                "`pid` that is not a whole number"
            ),
            (#"{"kv":{"pid":0,"address":"/tmp/s","protocol":"grpc","version":1}}"#, .invalidReattach, "the pid 0"),
            (#"{"kv":{"pid":42,"protocol":"grpc","version":1}}"#, .invalidReattach, "has no `address`"),
            (
                #"{"kv":{"pid":42,"adress":"/tmp/s","protocol":"grpc","version":1}}"#, .invalidReattach,
                "unknown key `adress`"
            ),
            (
                #"{"kv":{"pid":42,"address":"s.sock","protocol":"grpc","version":1}}"#, .invalidReattach,
                "not an absolute"
            ),
            (#"{"kv":{"pid":42,"address":"/tmp/s","protocol":"netrpc","version":1}}"#, .netRPCRefused, "speaks netrpc"),
            (#"{"kv":{"pid":42,"address":"/tmp/s","protocol":"http","version":1}}"#, .unsupportedProtocol, "\"http\""),
            (#"{"kv":{"pid":42,"address":"/tmp/s","protocol":"grpc","version":0}}"#, .invalidReattach, "the version 0"),
            (
                #"{"kv":{"pid":42,"address":"/tmp/s","protocol":"grpc","version":1,"kill_on_stop":"yes"}}"#,
                .invalidReattach, "`kill_on_stop`"
            ),
            (
                #"{"kv":{"pid":42,"address":"/tmp/s","handshake":"1|1|unix|/tmp/s|grpc|"}}"#, .invalidReattach,
                "both `handshake`"
            ),
        ])
    func malformed(json: String, code: PluginError.Code, phrase: String) {
        do {
            _ = try ReattachRecord.records(json: json, source: "--reattach")
            Issue.record("accepted \(json)")
        } catch {
            #expect(error.code == code, "\(json): \(error)")
            #expect(error.message.hasPrefix("--reattach: "), "\(error.message)")
            #expect(error.message.contains(phrase), "\(phrase.debugDescription) in \(error.message)")
            if json.hasPrefix("{\"kv\":") { #expect(error.pluginName == "kv") }
        }
    }
}

@Suite("Reattach errors")
struct ReattachErrorTests {
    @Test("an attached plugin's failure quarantines it, naming the plugin and keeping the failure as its cause")
    func notRestarted() {
        let ended = PluginError.attachedProcessEnded(during: "/plugboard.test.v1.Echo/Get").withContext(
            pluginName: "kv", executablePath: "/bin/kv", pid: 42)
        #expect(ended.code == .exitedUnexpectedly && ended.termination == nil)
        #expect(
            ended.message.contains("during /plugboard.test.v1.Echo/Get")
                && ended.message.contains("cannot tell its exit status"))
        let quarantine = PluginError.attachedNotRestarted(last: ended)
        #expect(quarantine.code == .quarantined)
        #expect(
            quarantine.pluginName == "kv" && quarantine.pid == 42
                && (quarantine.cause as? PluginError)?.code == .exitedUnexpectedly)
        #expect(quarantine.message.contains("does not restart it") && quarantine.message.contains("exitedUnexpectedly"))
    }

    @Test("a foreign listener is named next to the record's pid")
    func notOwned() {
        let error = PluginError.reattachSocketNotOwned("/tmp/s.sock", pid: 10, listener: "pid 11 (sshd)")
        #expect(error.code == .socketNotOwned && error.pid == 10)
        #expect(
            error.message.contains("pid 10") && error.message.contains("pid 11 (sshd)")
                && error.message.contains("signalled no process"))
    }
}
