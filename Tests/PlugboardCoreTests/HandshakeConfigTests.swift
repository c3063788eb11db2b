import PlugboardCore
import Testing

@Suite("Magic cookie")
struct HandshakeConfigTests {
    let config = HandshakeConfig.plugboard(appProtocolVersions: [1])

    @Test("Plugboard's default cookie matches the Go test peers")
    func defaultCookie() {
        #expect(self.config.magicCookieKey == "PLUGBOARD_PLUGIN")
        #expect(self.config.magicCookieValue == "5b7c1d0e-plugboard")
        #expect(HandshakeConfig.coreProtocolVersion == 1)
    }

    @Test("the right cookie passes")
    func acceptsCookie() throws {
        try self.config.checkCookie(in: ["PLUGBOARD_PLUGIN": "5b7c1d0e-plugboard", "HOME": "/root"])
    }

    @Test("a missing or different cookie is a cookie mismatch", arguments: [[:], ["PLUGBOARD_PLUGIN": "other"]])
    func rejectsCookie(_ environment: [String: String]) {
        let error = #expect(throws: PluginError.self) { try self.config.checkCookie(in: environment) }
        #expect(error?.code == .cookieMismatch)
        #expect(error?.message.contains("PLUGBOARD_PLUGIN") == true)
    }

    @Test("the mismatch message shows the value that came")
    func mismatchShowsValue() {
        let error = #expect(throws: PluginError.self) {
            try self.config.checkCookie(in: ["PLUGBOARD_PLUGIN": "other"])
        }
        #expect(error?.message.contains("\"other\"") == true)
    }

    @Test("an empty cookie in the plugin's own configuration is a configuration error")
    func emptyCookie() {
        let config = HandshakeConfig(magicCookieKey: "", magicCookieValue: "x", appProtocolVersions: [1])
        let error = #expect(throws: PluginError.self) { try config.checkCookie(in: ["": "x"]) }
        #expect(error?.code == .cookieNotConfigured)
    }

    @Test("the not-a-plugin text is Go's, ending in a newline")
    func notAPluginText() {
        #expect(HandshakeConfig.notAPluginMessage.hasPrefix("This binary is a plugin."))
        #expect(HandshakeConfig.notAPluginMessage.hasSuffix("load any plugins automatically\n"))
    }
}
