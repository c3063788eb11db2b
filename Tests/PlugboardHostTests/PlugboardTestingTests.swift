import Foundation
import InMemoryLogging
import PlugboardCore
import PlugboardTestSupport
import PlugboardTestV1
import PlugboardTesting
import RateLimitServiceSet
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The test kit users get (`PlugboardTesting`), the plugin server as a `Service`, and descriptions
/// derived from what a plugin serves.
@Suite("PlugboardTesting and the plugin server as a Service", .timeLimit(.minutes(1)))
struct PlugboardTestingTests {
    @Test("withInProcessPlugin: unary and streaming calls over the real transport, in one process")
    func inProcess() async throws {
        try await withInProcessPlugin(serving: [EchoService()]) { client in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
            #expect(
                try await echo.get(
                    .with {
                        $0.text = "hi"; $0.sequence = 3
                    }
                ).sequence == 3)
            let echoed = try await echo.update(
                request: StreamingClientRequest { writer in
                    for i in 0..<100 { try await writer.write(.with { $0.sequence = Int64(i) }) }
                }
            ) { try await $0.messages.reduce(into: [Int64]()) { $0.append($1.sequence) } }
            #expect(echoed == Array(0..<100))
            let unserved = await #expect(throws: RPCError.self) {
                try await Ratelimit_V1_RateLimiter.Client(wrapping: client).check(.init())
            }
            #expect(unserved?.code == .unimplemented, "a service the plugin does not serve")
        }
    }

    @Test("withTestHost: a real plugin executable, with what the host logged about it")
    func testHost() async throws {
        let spec = TestEnvironment.fixture("echo")
        let pid = try await withTestHost(plugin: spec) { plugin, logs in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            _ = try await echo.get(.with { $0.text = "log:warn:running low" })
            // The line travels on the plugin's stderr, which the host reads on its own thread: it
            // may arrive a moment after the reply.
            var relayed = logs.entries.first { $0.message == "running low" }
            for _ in 0..<100 where relayed == nil {
                try await Task.sleep(for: .milliseconds(50))
                relayed = logs.entries.first { $0.message == "running low" }
            }
            let entry = try #require(relayed, "the plugin's stderr line was relayed within 5 s")
            #expect(entry.level == .warning)
            #expect(entry.metadata["plugin.name"] == spec.name)
            return plugin.pid
        }
        #expect(!TestEnvironment.processExists(pid))
    }

    @Test("a PluginServer run as a Service in a ServiceGroup serves, and stops on Shutdown with status 0")
    func serviceGroup() async throws {
        let (logger, logs) = TestEnvironment.capturingLogger()
        let pid = try await PluginHost.withPlugin(TestEnvironment.fixture("service-group"), logger: logger) { plugin in
            let answer = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(.with { $0.text = "x" })
            #expect(answer.text == "x")
            return plugin.pid
        }
        #expect(!TestEnvironment.processExists(pid))
        let exits = logs.entries.filter { $0.message.description == "plugin exited" }
        #expect(exits.first?.metadata["plugin.exit"]?.description == "exit status 0")
    }

    @Test("a plugin served without a description describes what it serves")
    func derivedDescription() async throws {
        let description = try await PluginDescriber.describe(
            PluginSpec(path: "\(TestEnvironment.binDirectory)/bench-echo-plugin"))
        #expect(description.name == "bench-echo-plugin")
        #expect(description.version == "0.0.0")
        #expect(description.appProtocolVersions == [1])
        #expect(
            description.serviceSets == [
                ServiceSetDescription(name: "plugboard.test", version: "1.0.0", services: ["plugboard.test.v1.Echo"])
            ])
        let catalog = try await PluginCatalog.load([
            PluginSpec(path: "\(TestEnvironment.binDirectory)/bench-echo-plugin")
        ])
        #expect(catalog.entries.count == 1, "plugboard run would load it")
    }
}
