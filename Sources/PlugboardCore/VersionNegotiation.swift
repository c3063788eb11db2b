/// App protocol version negotiation over `PLUGIN_PROTOCOL_VERSIONS` (protocol §2, §3.2).
///
/// The host offers every version it accepts; the plugin answers with the highest version both speak,
/// or, if there is none, with its lowest version and lets the host reject it.
///
/// ```swift
/// let offer = VersionNegotiation.Offer(parsing: environment[PluginEnvironment.protocolVersions] ?? "")
/// let chosen = VersionNegotiation.choose(offered: offer.versions, supported: [5, 6])  // 6 for "5,6"
/// ```
package enum VersionNegotiation {
    /// The host-side value of `PLUGIN_PROTOCOL_VERSIONS`: the versions, comma-separated, duplicates removed.
    package static func environmentValue(offering versions: [Int]) -> String {
        var seen = Set<Int>()
        return versions.filter { seen.insert($0).inserted }.map(String.init).joined(separator: ",")
    }

    /// The versions a plugin found in `PLUGIN_PROTOCOL_VERSIONS`.
    package struct Offer: Hashable, Sendable {
        /// The valid decimal entries, in the order the host sent them.
        package var versions: [Int]

        /// Entries that are not decimal integers; they are skipped.
        package var invalidEntries: [String]

        /// Parses the variable's value; an empty value is an empty offer.
        ///
        /// Entries are not trimmed (Go's `strconv.Atoi` rejects `" 5"` too), so `"5, 6"` offers only 5.
        package init(parsing value: String) {
            self.versions = []
            self.invalidEntries = []
            guard !value.isEmpty else { return }
            for entry in value.split(separator: ",", omittingEmptySubsequences: false) {
                if let version = Int(entry) {
                    self.versions.append(version)
                } else {
                    self.invalidEntries.append(String(entry))
                }
            }
        }

        /// One stderr line per invalid entry, worded as a Go plugin words it, with a trailing newline.
        package var diagnostics: [String] {
            self.invalidEntries.map { "server sent invalid plugin version \($0.debugDescription)\n" }
        }
    }

    /// The plugin's choice: the highest version in `supported` that the host offered, else the lowest
    /// version in `supported`; `nil` only when `supported` is empty.
    package static func choose(offered: [Int], supported: [Int]) -> Int? {
        let offered = Set(offered)
        return supported.filter(offered.contains).max() ?? supported.min()
    }
}

extension HandshakeConfig {
    /// The plugin side's choice of app version for the host's `PLUGIN_PROTOCOL_VERSIONS` value.
    package func negotiatedVersion(offered: VersionNegotiation.Offer) -> Int? {
        VersionNegotiation.choose(offered: offered.versions, supported: self.appProtocolVersions)
    }
}
