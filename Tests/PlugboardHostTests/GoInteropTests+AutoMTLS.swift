import Foundation
import Testing

/// Issue 12, from the Go side: a Go host on go-plugin, with AutoMTLS, loads Plugboard plugins. It
/// sends its certificate in PLUGIN_CLIENT_CERT, gets the plugin's in handshake field 6, calls over
/// mTLS with ALPN h2, and stops the plugin with Shutdown. `echo-host -mode services` checks every
/// answer itself and fails on a wrong one; the counts it reports are of checked answers, so these
/// tests can ask for exact numbers.
extension GoInteropTests {
    /// The Plugboard plugins with app calls `echo-host -mode services` knows, named by their service set.
    enum ServicePlugin: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case ratelimit
        case stream

        /// The debug build next to the test binary.
        var path: String { "\(TestEnvironment.binDirectory)/\(self.rawValue)-plugin" }
        var testDescription: String { "\(self.rawValue)-plugin" }
    }

    @Test(
        "a go-plugin host with AutoMTLS loads a Plugboard plugin, calls it over mTLS (ALPN h2), and stops it gracefully"
    )
    func goHostLoadsSwiftPluginWithAutoMTLS() async throws {
        let report = try await self.runGoHost(["-plugin", TestEnvironment.fixturePath, "-mode", "smoke", "-automtls"])
        self.expectAutoMTLS(report)
        #expect(report["negotiatedVersion"] as? Int == 1)
        #expect((report["calls"] as? Int ?? 0) >= 9, "Get, 5 log-level Gets, Update, Expand, Collect")
        #expect(report["logLevels"] as? Bool == true, "stderr still reaches the host under AutoMTLS")
        self.expectCleanStop(report)
    }

    @Test(
        "a go-plugin host with AutoMTLS makes real calls to a Plugboard plugin and stops it gracefully",
        arguments: ServicePlugin.allCases)
    func goHostCallsPluginWithAutoMTLS(_ plugin: ServicePlugin) async throws {
        // No -set: echo-host picks the set from the plugin's --describe, which the report names.
        let report = try await self.runGoHost(["-plugin", plugin.path, "-mode", "services", "-automtls"])
        self.expectAutoMTLS(report)
        self.expectServiceCalls(report, plugin)
        self.expectCleanStop(report)
    }

    @Test("a go-plugin host without AutoMTLS makes the same calls in plaintext", arguments: ServicePlugin.allCases)
    func goHostCallsPluginInPlaintext(_ plugin: ServicePlugin) async throws {
        let report = try await self.runGoHost(["-plugin", plugin.path, "-mode", "services", "-set", plugin.rawValue])
        #expect(report["autoMTLS"] == nil && report["serverCertificate"] == nil, "no TLS keys without -automtls")
        #expect(report["alpn"] == nil, "no TLS connection, so no ALPN")
        self.expectServiceCalls(report, plugin)
        self.expectCleanStop(report)
    }

    /// The -automtls keys: the plugin sent its certificate, and the health check went over TLS
    /// with ALPN h2 (which grpc-go 1.67 and later require).
    func expectAutoMTLS(_ report: [String: Any]) {
        #expect(report["autoMTLS"] as? Bool == true)
        #expect(report["serverCertificate"] as? Bool == true, "the plugin sent its certificate in handshake field 6")
        #expect(report["alpn"] as? String == "h2")
        #expect(report["tlsVersion"] as? String == "TLS 1.3", "both sides offer TLS 1.3, so they settle on it")
    }

    /// The calls `echo-host -mode services` made to `plugin`'s service set (see its main.go).
    func expectServiceCalls(_ report: [String: Any], _ plugin: ServicePlugin) {
        #expect(report["set"] as? String == plugin.rawValue)
        #expect(report["negotiatedVersion"] as? Int == 1)
        switch plugin {
        case .ratelimit:
            #expect(report["calls"] as? Int == 12, "ApplyRules ×2 (one refused), Check ×9, Stats")
            #expect(report["allowed"] as? Int == 7)
            #expect(report["denied"] as? Int == 2, "each of the two rules denied once its budget was spent")
            #expect(report["streamMessages"] as? Int == 0)
        case .stream:
            #expect(report["calls"] as? Int == 1, "one Sync stream")
            #expect(report["acks"] as? Int == 7)
            #expect(report["rejections"] as? Int == 2, "a stale version and an empty name")
            let events = report["events"] as? Int ?? 0
            #expect(events >= 2, "at least a route index and the final Status")
            #expect(
                report["streamMessages"] as? Int == 7 + 2 + events,
                "every message on the stream is an answer or an event")
        }
    }

    /// Kill() ended the plugin with Shutdown and it left nothing behind; the connection held throughout.
    func expectCleanStop(_ report: [String: Any]) {
        #expect(report["graceful"] as? Bool == true, "no 'plugin failed to exit gracefully', no SIGKILL")
        #expect(report["socketRemoved"] as? Bool == true)
        #expect(report["pidGone"] as? Bool == true)
        #expect((report["pid"] as? Int ?? 0) > 0)
        #expect(report["goAways"] as? Int == 0)
        #expect(report["reconnects"] as? Int == 0)
    }
}
