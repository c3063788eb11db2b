import Foundation
import GRPCCore
import InMemoryLogging
import Logging
import PlugboardCore
import PlugboardHost
import PlugboardTestSupport
import PlugboardTestV1
import Testing

/// Wire compatibility with the real hashicorp/go-plugin (Debian's v1.0.1, grpc-go 1.33), both ways.
@Suite("Interop with go-plugin", .serialized, .timeLimit(.minutes(5)))
struct GoInteropTests {
    /// Runs the Go host (`echo-host`) against `plugin` and returns its JSON report.
    func runGoHost(_ arguments: [String]) async throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try TestEnvironment.goPeer("echo-host"))
        process.arguments = arguments
        let output = try await process.outputs().stdout
        let report = try #require(
            try JSONSerialization.jsonObject(with: output) as? [String: Any],
            "echo-host printed: \(String(decoding: output, as: UTF8.self))")
        #expect(process.terminationStatus == 0, "echo-host failed: \(report["error"] ?? "no error key")")
        return report
    }

    @Test("a go-plugin host loads a Plugboard plugin, calls it, sees its log levels, and Kill() stops it gracefully")
    func goHostLoadsSwiftPlugin() async throws {
        let report = try await self.runGoHost(["-plugin", TestEnvironment.fixturePath, "-mode", "smoke"])
        #expect(report["negotiatedVersion"] as? Int == 1)
        #expect(report["graceful"] as? Bool == true, "no 'plugin failed to exit gracefully', no SIGKILL")
        #expect(report["socketRemoved"] as? Bool == true)
        #expect(report["pidGone"] as? Bool == true)
        #expect(report["goAways"] as? Int == 0)
        #expect(report["reconnects"] as? Int == 0)
        #expect((report["calls"] as? Int ?? 0) >= 9)
    }

    @Test("a go-plugin host makes 20,000 sequential calls and streams 100,000 messages without losing the connection")
    func goHostSustainedLoad() async throws {
        let report = try await self.runGoHost([
            "-plugin", TestEnvironment.fixturePath, "-mode", "load", "-calls", "20000", "-stream", "100000",
        ])
        #expect(report["calls"] as? Int == 20000)
        #expect(report["callErrors"] as? Int == 0)
        #expect(report["streamMessages"] as? Int == 100_000)
        #expect(report["streamErrors"] as? Int == 0)
        #expect(report["goAways"] as? Int == 0, "grpc-go's BDP pings never trip a GOAWAY ENHANCE_YOUR_CALM")
        #expect(report["reconnects"] as? Int == 0)
    }

    @Test("a Plugboard host loads a go-plugin plugin, calls it, re-levels its hclog lines, and stops it gracefully")
    func swiftHostLoadsGoPlugin() async throws {
        let (logger, logs) = TestEnvironment.capturingLogger()
        let spec = PluginSpec(
            path: try TestEnvironment.goPeer("echo-plugin"), name: "go-echo-\(UInt32.random(in: 0...UInt32.max))")
        let pid = try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            #expect(plugin.negotiatedVersion == 1)
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let response = try await echo.get(
                .with {
                    $0.text = "from swift"; $0.payload = [1, 2, 3]; $0.sequence = 9
                })
            #expect(response.text == "from swift" && response.payload == [1, 2, 3] && response.sequence == 9)
            let echoed = try await echo.update(
                request: StreamingClientRequest { w in
                    for i in 0..<1000 { try await w.write(.with { $0.sequence = Int64(i) }) }
                }
            ) {
                try await $0.messages.reduce(into: [Int64]()) { $0.append($1.sequence) }
            }
            #expect(echoed == Array(0..<1000))
            for level in ["trace", "debug", "info", "warn", "error"] {
                _ = try await echo.get(.with { $0.text = "log:\(level):go says \(level)" })
            }
            return plugin.pid
        }
        let expected: [(String, Logger.Level)] = [
            ("trace", .trace), ("debug", .debug), ("info", .info), ("warn", .warning), ("error", .error),
        ]
        for (name, level) in expected {
            let entry = logs.entries.first { $0.message.description == "go says \(name)" }
            #expect(entry?.level == level, "go-plugin's \(name) line")
        }
        #expect(!TestEnvironment.processExists(pid))
        let exit = logs.entries.first { $0.message.description == "plugin exited" }
        #expect(exit?.metadata["plugin.exit"]?.description == "exit status 0", "stopped by Shutdown, not by a signal")
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }
}
