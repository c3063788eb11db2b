import PlugboardBroker
import PlugboardCore
import PlugboardTransport

/// The host's half of AutoMTLS for one start of one plugin (protocol §5): a one-time identity whose
/// certificate goes to the plugin in `PLUGIN_CLIENT_CERT`, and the check of what comes back in the
/// handshake line's field 6.
struct HostAutoMTLS {
    let identity: TLSIdentity

    /// A new identity when the spec asks for AutoMTLS, `nil` otherwise.
    static func make(for spec: PluginSpec) throws(PluginError) -> HostAutoMTLS? {
        guard spec.autoMTLS else { return nil }
        do {
            return HostAutoMTLS(identity: try TLSIdentity.generate())
        } catch {
            throw PluginError(
                code: .launchFailed,
                message: "The host could not make its AutoMTLS certificate: \(error).",
                pluginName: spec.name,
                executablePath: spec.path,
                cause: error
            )
        }
    }

    /// The variable that turns AutoMTLS on in the plugin.
    var environment: [String: String] { [PluginEnvironment.clientCertificate: self.identity.certificatePEM] }

    /// What the client transport speaks to a plugin that printed `handshake` (TLS trusting exactly
    /// field 6's certificate, or plaintext), and what the broker's servers and dials speak. A
    /// mismatch either way is an error, never a downgrade.
    static func clientTLS(_ autoMTLS: HostAutoMTLS?, for handshake: Handshake) throws(PluginError) -> BrokerTLS? {
        switch (autoMTLS, handshake.serverCertificate) {
        case (nil, nil):
            return nil
        case (nil, .some):
            throw PluginError.unexpectedServerCertificate()
        case (.some, nil):
            throw PluginError.plaintextServer()
        case (.some(let autoMTLS), .some(let der)):
            let certificate: PeerCertificate
            do {
                certificate = try PeerCertificate(der: der)
            } catch {
                throw PluginError.unusableServerCertificate(reason: error.reason)
            }
            do {
                // The broker's servers present the host's certificate and accept only the plugin's,
                // as go-plugin hosts do from v1.4.4 on.
                return BrokerTLS(
                    server: try MutualTLS(.server, identity: autoMTLS.identity, trusting: certificate),
                    client: try MutualTLS(.client, identity: autoMTLS.identity, trusting: certificate)
                )
            } catch {
                throw PluginError.unusableServerCertificate(reason: "TLS cannot be set up with it (\(error))")
            }
        }
    }
}
