import Foundation
import GRPCCore
import PlugboardCore
import PlugboardHost
import PlugboardTestSupport
import PlugboardTestV1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 13: go-plugin's broker between a Plugboard host and a Plugboard plugin, both ways, in
/// plaintext and under AutoMTLS.
@Suite("Brokered connections, host ↔ Swift plugin", .timeLimit(.minutes(2)))
struct BrokerTests {
    @Test("the host serves, the plugin calls back; the plugin serves, the host dials", arguments: [false, true])
    func bothWays(autoMTLS: Bool) async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        var spec = TestEnvironment.fixture("echo")
        spec.autoMTLS = autoMTLS
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            let hostID = plugin.broker.nextID()
            try await plugin.broker.serve(id: hostID, services: [EchoService(tag: "host")])
            let callback = try await echo.get(.with { $0.text = "call-back:\(hostID)" })
            #expect(callback.text == "host: from the plugin", "the plugin reached the host's brokered Echo")

            let served = try await echo.get(.with { $0.text = "serve-back" })
            let pluginID = try #require(UInt32(served.text), "the plugin answers with the id it serves under")
            let reply = try await plugin.broker.withClient(id: pluginID) { client in
                try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(
                    .with {
                        $0.text = "to the plugin's server"; $0.sequence = 4
                    })
            }
            #expect(reply.text == "to the plugin's server" && reply.sequence == 4)
        }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty, "brokered sockets went with the directory")
    }

    @Test(
        "a dial before the plugin serves waits within its timeout; an unknown id is a clear error and the host goes on")
    func waitingAndUnknown() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("echo")
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let echo = Plugboard_Test_V1_Echo.Client(wrapping: plugin.client)
            // A fresh plugin's first nextID() is 1: dial it before the plugin serves it.
            async let early = plugin.broker.withClient(id: 1, timeout: .seconds(10)) { client in
                try await Plugboard_Test_V1_Echo.Client(wrapping: client).get(.with { $0.text = "early" }).text
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await echo.get(.with { $0.text = "serve-back" }).text == "1")
            #expect(try await early == "early")

            let started = ContinuousClock.now
            let unknown = await #expect(throws: PluginError.self) {
                try await plugin.broker.withClient(id: 999, timeout: .milliseconds(300)) { _ in }
            }
            #expect(unknown?.code == .brokerTimeout)
            #expect(
                unknown?.pluginName == spec.name && unknown?.message.contains("999") == true,
                "\(unknown.map { "\($0)" } ?? "")")
            #expect(ContinuousClock.now - started < .seconds(10), "the 300 ms timeout fired; id 999 never comes")
            #expect(try await echo.get(.with { $0.text = "still fine" }).text == "still fine")
        }
    }

    @Test("a plugin killed while a brokered stream is open: the stream fails typed, and no socket is left")
    func crashDuringBrokeredStream() async throws {
        let (logger, _) = TestEnvironment.capturingLogger()
        let spec = TestEnvironment.fixture("echo")
        try await PluginHost.withPlugin(spec, logger: logger) { plugin in
            let served = try await Plugboard_Test_V1_Echo.Client(wrapping: plugin.client).get(
                .with { $0.text = "serve-back" })
            let id = try #require(UInt32(served.text))
            let failure = await #expect(throws: RPCError.self) {
                try await plugin.broker.withClient(id: id) { client in
                    let echo = Plugboard_Test_V1_Echo.Client(wrapping: client)
                    try await echo.update(
                        request: StreamingClientRequest { writer in
                            try await writer.write(.with { $0.sequence = 1 })
                            try await Task.sleep(for: .milliseconds(200))
                            kill(plugin.pid, SIGKILL)
                            while true {
                                try await writer.write(.with { $0.sequence = 2 })
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                    ) { response in
                        for try await _ in response.messages {}
                    }
                }
            }
            let cause = failure?.cause as? PluginError
            #expect(cause?.code == .exitedUnexpectedly, "\(failure.map { "\($0)" } ?? "no error")")
            #expect(cause?.termination == .signaled(SIGKILL) && cause?.pluginName == spec.name)
        }
        #expect(TestEnvironment.leftoverDirectories(for: spec.name).isEmpty)
    }
}
