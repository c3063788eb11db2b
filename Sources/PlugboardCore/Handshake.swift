/// The handshake line a plugin prints as its first stdout line (protocol §4).
///
/// The line is `CORE|APP|NETWORK|ADDRESS|PROTOCOL|SERVERCERT[|MUX]`, for example
/// `1|5|unix|/tmp/plugin3418862411|grpc|`. Plugboard only speaks gRPC over unix sockets, so network and
/// protocol are the constants ``network`` and ``transportProtocol``; the value holds the rest.
///
/// The plugin side formats it with ``description`` and writes it plus `"\n"`, then flushes. The host side
/// validates it with ``init(parsing:accepting:)``.
///
/// ```swift
/// let line = Handshake(appProtocolVersion: 5, socketPath: "/tmp/plugin42").description
/// // "1|5|unix|/tmp/plugin42|grpc|"
/// ```
package struct Handshake: Hashable, Sendable, CustomStringConvertible {
    /// Field 3: the only network Plugboard uses.
    package static let network = "unix"

    /// Field 5: the only protocol Plugboard speaks.
    package static let transportProtocol = "grpc"

    /// Field 1, always ``HandshakeConfig/coreProtocolVersion``.
    package var coreProtocolVersion: Int { HandshakeConfig.coreProtocolVersion }

    /// Field 2: the negotiated app protocol version.
    package var appProtocolVersion: Int

    /// Field 4: the absolute path of the plugin's listening unix socket.
    ///
    /// It must not contain `|`, a newline or NUL, or the line cannot be parsed back.
    package var socketPath: String

    /// Field 6: the DER bytes of the plugin's AutoMTLS certificate, or `nil` for plaintext (an empty field).
    ///
    /// When parsing, fields of 50 characters or fewer are ignored, as go-plugin does; real certificates are
    /// several hundred bytes.
    package var serverCertificate: [UInt8]?

    /// Field 7: whether the plugin supports yamux broker multiplexing; `nil` leaves the field out.
    ///
    /// A plugin adds the field only when `PLUGIN_MULTIPLEX_GRPC` is set in its environment (to anything);
    /// Plugboard plugins then send `false`.
    package var multiplexSupported: Bool?

    /// Creates a handshake for a gRPC plugin listening on a unix socket.
    package init(
        appProtocolVersion: Int,
        socketPath: String,
        serverCertificate: [UInt8]? = nil,
        multiplexSupported: Bool? = nil
    ) {
        self.appProtocolVersion = appProtocolVersion
        self.socketPath = socketPath
        self.serverCertificate = serverCertificate
        self.multiplexSupported = multiplexSupported
    }

    /// The line without its trailing newline: 6 fields, a 7th only when ``multiplexSupported`` is set.
    package var description: String {
        let certificate = self.serverCertificate.map(Base64.encodeUnpadded) ?? ""
        var line = "\(self.coreProtocolVersion)|\(self.appProtocolVersion)|\(Self.network)|\(self.socketPath)"
        line += "|\(Self.transportProtocol)|\(certificate)"
        if let multiplexSupported = self.multiplexSupported {
            line += "|\(multiplexSupported)"
        }
        return line
    }
}
