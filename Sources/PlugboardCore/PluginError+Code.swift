extension PluginError {
    /// What kind of failure a ``PluginError`` is. New codes may be added; switch with a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Wrapped: String, Hashable, Sendable {
            // The handshake line (protocol §4).
            case invalidHandshake, outputBeforeHandshake, handshakeTooLong
            case coreVersionMismatch, appVersionUnsupported
            case netRPCRefused, unsupportedProtocol
            case unsupportedNetwork, unknownNetwork, socketPathMissing, socketPathInvalid
            case invalidServerCertificate, invalidMultiplexField
            // Starting the process (protocol §1, §3, §12).
            case executableNotFound, notExecutable, wrongArchitecture, launchFailed, checksumMismatch
            case cookieMismatch, cookieNotConfigured
            case exitedBeforeHandshake, startTimeout
            // Running and stopping (protocol §6, §9).
            case connectionFailed, socketNotOwned, protocolViolation, exitedUnexpectedly, shutdownTimeout, stopped
            // AutoMTLS (protocol §5).
            case invalidClientCertificate, plaintextServer, unexpectedServerCertificate, tlsHandshakeFailed
            // Brokered connections (protocol §8).
            case brokerTimeout, invalidBrokerAnnouncement, brokerClosed
            // Reattaching to a running plugin (protocol §11).
            case invalidReattach, processNotFound
            // Supervision (restarts, health, quarantine).
            case unhealthy, socketRemoved, quarantined, notReady
            // Discovery and configuration (`--describe`, the host's config file).
            case invalidDescription, serviceSetConflict, noServiceSets, invalidConfiguration
        }

        private let wrapped: Wrapped

        private init(_ wrapped: Wrapped) { self.wrapped = wrapped }

        public var description: String { self.wrapped.rawValue }

        /// `PLUGIN --describe` failed or printed something that is not a description.
        public static let invalidDescription = Code(.invalidDescription)
        /// Two plugins claim the same service set.
        public static let serviceSetConflict = Code(.serviceSetConflict)
        /// A plugin describes no service set, so there is nothing to call.
        public static let noServiceSets = Code(.noServiceSets)
        /// The host's configuration file is wrong: an unknown key, a wrong type, a missing binary.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The first stdout line has pipes but is not a handshake: fewer than 4 or more than 7 fields, or a field that is not a number.
        public static let invalidHandshake = Code(.invalidHandshake)
        /// The first stdout line is plain text (no `|`): the plugin printed something before its handshake.
        public static let outputBeforeHandshake = Code(.outputBeforeHandshake)
        /// The first stdout line is longer than the host reads (Go: 64 KiB) without a newline.
        public static let handshakeTooLong = Code(.handshakeTooLong)
        /// Field 1 is a number other than the core protocol version `1`.
        public static let coreVersionMismatch = Code(.coreVersionMismatch)
        /// Field 2 is an app protocol version the host does not accept.
        public static let appVersionUnsupported = Code(.appVersionUnsupported)
        /// The plugin speaks `netrpc` (field 5 says so, or is absent); Plugboard speaks gRPC only.
        public static let netRPCRefused = Code(.netRPCRefused)
        /// Field 5 is neither `grpc` nor `netrpc`.
        public static let unsupportedProtocol = Code(.unsupportedProtocol)
        /// Field 3 is `tcp`, valid go-plugin (Windows) but not supported: Plugboard uses unix sockets only.
        public static let unsupportedNetwork = Code(.unsupportedNetwork)
        /// Field 3 is neither `unix` nor `tcp`.
        public static let unknownNetwork = Code(.unknownNetwork)
        /// Field 4, the socket path, is empty.
        public static let socketPathMissing = Code(.socketPathMissing)
        /// Field 4 is not an absolute path, contains NUL, or is too long for a unix socket address.
        public static let socketPathInvalid = Code(.socketPathInvalid)
        /// Field 6 is longer than 50 characters but is not unpadded standard base64 of a DER certificate.
        public static let invalidServerCertificate = Code(.invalidServerCertificate)
        /// Plugin side: `PLUGIN_CLIENT_CERT` is set but is not exactly one PEM certificate.
        public static let invalidClientCertificate = Code(.invalidClientCertificate)
        /// The host asked for AutoMTLS, but the plugin's handshake has no certificate (field 6 is empty):
        /// the plugin serves plaintext.
        public static let plaintextServer = Code(.plaintextServer)
        /// The plugin's handshake carries a certificate, but the host did not ask for AutoMTLS.
        public static let unexpectedServerCertificate = Code(.unexpectedServerCertificate)
        /// The TLS handshake with the plugin failed: its certificate is not the one in its handshake
        /// line, it refused the host's, or it does not speak TLS.
        public static let tlsHandshakeFailed = Code(.tlsHandshakeFailed)
        /// A brokered dial waited for an id the peer never announced (an unknown id, or a dial before
        /// the peer serves it).
        public static let brokerTimeout = Code(.brokerTimeout)
        /// The peer announced a brokered connection Plugboard cannot dial (not an absolute unix socket).
        public static let invalidBrokerAnnouncement = Code(.invalidBrokerAnnouncement)
        /// The broker's plugin has stopped: nothing more can be served or dialled through it.
        public static let brokerClosed = Code(.brokerClosed)
        /// Field 7 (broker multiplexing) is not a boolean.
        public static let invalidMultiplexField = Code(.invalidMultiplexField)
        /// The plugin executable does not exist.
        public static let executableNotFound = Code(.executableNotFound)
        /// The plugin file exists but is not executable (mode or file type).
        public static let notExecutable = Code(.notExecutable)
        /// The plugin executable is built for another CPU architecture or OS.
        public static let wrongArchitecture = Code(.wrongArchitecture)
        /// Spawning the process failed for another reason; see ``PluginError/cause``.
        public static let launchFailed = Code(.launchFailed)
        /// The executable's checksum differs from the configured one.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// Plugin side: the magic cookie in the environment is missing or has the wrong value.
        public static let cookieMismatch = Code(.cookieMismatch)
        /// Plugin side: the plugin's own configuration has an empty cookie key or value.
        public static let cookieNotConfigured = Code(.cookieNotConfigured)
        /// The process ended before it printed a handshake line.
        public static let exitedBeforeHandshake = Code(.exitedBeforeHandshake)
        /// No handshake line arrived within the start timeout.
        public static let startTimeout = Code(.startTimeout)
        /// The host could not connect to, or get an answer over, the announced socket.
        public static let connectionFailed = Code(.connectionFailed)
        /// The process listening on the announced socket is neither the plugin nor one of its
        /// children (or runs as another user): the host sent it nothing.
        public static let socketNotOwned = Code(.socketNotOwned)
        /// The plugin broke the HTTP/2 protocol on its connection (bytes that are not HTTP/2, DATA
        /// beyond its flow-control window, a flood of frames): the host closed the connection at once.
        public static let protocolViolation = Code(.protocolViolation)
        /// The process ended while the host was still using it.
        public static let exitedUnexpectedly = Code(.exitedUnexpectedly)
        /// The plugin did not exit within the grace period after `Shutdown` and was killed.
        public static let shutdownTimeout = Code(.shutdownTimeout)
        /// The plugin was stopped (by the host or cancellation), so the call cannot go on.
        public static let stopped = Code(.stopped)
        /// The plugin stopped answering its health checks and was killed to be restarted.
        public static let unhealthy = Code(.unhealthy)
        /// The plugin's socket file disappeared while it ran; it was killed to be restarted.
        public static let socketRemoved = Code(.socketRemoved)
        /// The plugin failed too often in a short time, or failed once after the host attached to it
        /// (a host does not restart what it did not start), and is no longer restarted.
        public static let quarantined = Code(.quarantined)
        /// A call waited for a restarting plugin and its deadline passed first.
        public static let notReady = Code(.notReady)
        /// A reattach record (`PLUGBOARD_REATTACH`, `reattach:` in the config, `PluginSpec.reattach`)
        /// is malformed: not JSON, a key missing or of the wrong type, a pid below 1, a relative
        /// address, or combined with AutoMTLS.
        public static let invalidReattach = Code(.invalidReattach)
        /// A reattach record names a pid that no process has: the plugin is gone.
        public static let processNotFound = Code(.processNotFound)
    }
}
