import PlugboardCore
import Testing

@Suite("App protocol version negotiation")
struct VersionNegotiationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var environment: String
        var supported: [Int]
        var chosen: Int?
        var testDescription: String { "\(self.environment.debugDescription) vs \(self.supported)" }
    }

    @Test(
        "the plugin picks the highest common version, else its lowest",
        arguments: [
            Case(environment: "5,6", supported: [5, 6], chosen: 6),
            Case(environment: "6,5", supported: [5, 6], chosen: 6),
            Case(environment: "6,5", supported: [6, 5], chosen: 6),
            Case(environment: "5", supported: [5, 6], chosen: 5),
            Case(environment: "3,4", supported: [6, 5], chosen: 5),
            Case(environment: "", supported: [7, 5, 6], chosen: 5),
            Case(environment: "x,6,,5", supported: [5, 6], chosen: 6),
            Case(environment: "5, 6", supported: [5, 6], chosen: 5),
            Case(environment: "1,2", supported: [], chosen: nil),
        ]
    )
    func chooses(_ entry: Case) {
        let offer = VersionNegotiation.Offer(parsing: entry.environment)
        #expect(VersionNegotiation.choose(offered: offer.versions, supported: entry.supported) == entry.chosen)
        let config = HandshakeConfig.plugboard(appProtocolVersions: entry.supported)
        #expect(config.negotiatedVersion(offered: offer) == entry.chosen)
    }

    @Test("bad entries are skipped and reported the way Go words them")
    func reportsBadEntries() {
        let offer = VersionNegotiation.Offer(parsing: "x,6,,5, 7,+8")
        #expect(offer.versions == [6, 5, 8])
        #expect(offer.invalidEntries == ["x", "", " 7"])
        #expect(offer.diagnostics.first == "server sent invalid plugin version \"x\"\n")
        #expect(offer.diagnostics.count == 3)
    }

    @Test("an empty value is an empty offer, not an invalid entry")
    func emptyValue() {
        let offer = VersionNegotiation.Offer(parsing: "")
        #expect(offer.versions.isEmpty)
        #expect(offer.invalidEntries.isEmpty)
    }

    @Test("the host sends its versions comma-separated, without duplicates")
    func hostValue() {
        #expect(VersionNegotiation.environmentValue(offering: [6, 5, 6]) == "6,5")
        #expect(VersionNegotiation.environmentValue(offering: []) == "")
    }

    @Test("the host environment carries the cookie, the versions and Go's port defaults")
    func hostEnvironment() {
        let environment = HandshakeConfig.plugboard(appProtocolVersions: [5, 6]).hostEnvironment
        #expect(environment["PLUGBOARD_PLUGIN"] == "5b7c1d0e-plugboard")
        #expect(environment[PluginEnvironment.protocolVersions] == "5,6")
        #expect(environment["PLUGIN_MIN_PORT"] == "10000")
        #expect(environment["PLUGIN_MAX_PORT"] == "25000")
    }
}
