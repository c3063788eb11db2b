import PlugboardBroker
import PlugboardCore
import PlugboardTransport

extension PluginServer {
    /// AutoMTLS as go-plugin plugins do it (protocol §5): when the host passes its certificate in
    /// `PLUGIN_CLIENT_CERT`, make a one-time identity, require exactly the host's certificate, and
    /// return what to print as handshake field 6. `nil` when the host did not ask.
    ///
    /// - Throws: `PluginError` with code `invalidClientCertificate` for a variable that is not one
    ///   PEM certificate; never a silent plaintext fallback.
    func autoMTLS() throws -> (tls: BrokerTLS, certificate: [UInt8])? {
        guard let pem = self.environment[PluginEnvironment.clientCertificate], !pem.isEmpty else { return nil }
        let hostCertificate: PeerCertificate
        do {
            hostCertificate = try PeerCertificate(pem: pem)
        } catch {
            throw PluginError.invalidClientCertificate(reason: error.reason)
        }
        do {
            let identity = try TLSIdentity.generate()
            // The main server and brokered ones present the plugin's certificate and accept only the
            // host's; dials to the host's brokered servers present it too, as go-plugin v1.4.4+ does.
            let tls = BrokerTLS(
                server: try MutualTLS(.server, identity: identity, trusting: hostCertificate),
                client: try MutualTLS(.client, identity: identity, trusting: hostCertificate)
            )
            return (tls, identity.certificateDER)
        } catch {
            throw PluginError(
                code: .launchFailed, message: "The plugin could not make its AutoMTLS certificate: \(error).",
                cause: error)
        }
    }
}
