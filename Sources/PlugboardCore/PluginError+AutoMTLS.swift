/// Factories with the standard wording for AutoMTLS failures (protocol §5).
extension PluginError {
    /// Plugin side: `PLUGIN_CLIENT_CERT` is set but unusable; `reason` says how.
    package static func invalidClientCertificate(reason: String) -> Self {
        PluginError(
            code: .invalidClientCertificate,
            message: """
                The host asked for AutoMTLS, but PLUGIN_CLIENT_CERT is not one PEM certificate: \(reason). The \
                plugin will not fall back to plaintext. Check the host: it must pass the PEM of its own \
                certificate, as go-plugin does.
                """
        )
    }

    /// The host asked for AutoMTLS and the plugin's handshake line has no certificate.
    package static func plaintextServer() -> Self {
        PluginError(
            code: .plaintextServer,
            message: """
                The host asked for AutoMTLS (PLUGIN_CLIENT_CERT), but the plugin's handshake line has no \
                certificate in field 6, so it serves plaintext. Build the plugin with a Plugboard or \
                go-plugin SDK that supports AutoMTLS, or turn AutoMTLS off for this plugin.
                """
        )
    }

    /// The plugin's handshake carries a certificate the host did not ask for.
    package static func unexpectedServerCertificate() -> Self {
        PluginError(
            code: .unexpectedServerCertificate,
            message: """
                The plugin's handshake line carries a TLS certificate (field 6), but the host did not ask \
                for AutoMTLS, so the plugin likely serves TLS the host cannot speak. Turn AutoMTLS on for \
                this plugin (`autoMTLS: true`, or `auto_mtls: true` in the config).
                """
        )
    }

    /// Field 6 decoded, but is not a certificate TLS can use; `reason` says why.
    package static func unusableServerCertificate(reason: String) -> Self {
        PluginError(
            code: .invalidServerCertificate,
            message: """
                The plugin's handshake field 6 is not a usable certificate: \(reason). The plugin must print \
                the DER bytes of the certificate it serves TLS with, in unpadded standard base64.
                """
        )
    }

    /// The TLS handshake with the plugin failed; `reason` is what TLS said.
    package static func tlsHandshakeFailed(socketPath: String, reason: String, cause: (any Error)?) -> Self {
        PluginError(
            code: .tlsHandshakeFailed,
            message: """
                The AutoMTLS handshake on \(socketPath) failed: \(reason). The plugin must serve TLS with the \
                certificate it printed in its handshake line and accept the host's; a plugin that answers \
                plaintext or presents another certificate is refused.
                """,
            cause: cause
        )
    }
}
