import Foundation
import GRPCCore
import PlugboardCore
import PlugboardPlugin
import PlugboardTestSupport
import PlugboardTransport

#if canImport(Glibc)
import Glibc
#endif

/// Plugins that get AutoMTLS wrong in each way a host must catch (protocol §5).
enum TLSMisbehaviour {
    static func run(_ mode: String, socketDirectory: String) async {
        switch mode {
        case "tls-plaintext":
            // An SDK without AutoMTLS: it never looks at PLUGIN_CLIENT_CERT and serves plaintext.
            unsetenv(PluginEnvironment.clientCertificate)
            await PluginServer.serve(logLevel: .info) { _, _ in [LoggingEcho(logger: nil)] }
        case "tls-garbled-certificate":
            // Field 6 starts like DER (a SEQUENCE) but is not a certificate.
            let bytes: [UInt8] = [0x30, 0x82, 0x01, 0x00] + Array(repeating: 0x41, count: 60)
            Self.announce(socketPath: "\(socketDirectory)/never.sock", certificate: bytes)
            sleep(30)
        case "tls-unasked":
            // A certificate although the host sent none.
            Self.announce(
                socketPath: "\(socketDirectory)/never.sock", certificate: try! TLSIdentity.generate().certificateDER)
            sleep(30)
        case "tls-certificate-over-plaintext":
            await Self.serve(socketDirectory: socketDirectory, tls: nil, announcing: try! TLSIdentity.generate())
        default:  // "tls-other-certificate": serves TLS with one certificate and announces another
            let host = try! PeerCertificate(
                pem: ProcessInfo.processInfo.environment[PluginEnvironment.clientCertificate] ?? "")
            let tls = try! MutualTLS(.server, identity: try! TLSIdentity.generate(), trusting: host)
            await Self.serve(socketDirectory: socketDirectory, tls: tls, announcing: try! TLSIdentity.generate())
        }
    }

    /// Prints a handshake with `certificate` for a socket nobody serves.
    private static func announce(socketPath: String, certificate: [UInt8]) {
        print(Handshake(appProtocolVersion: 1, socketPath: socketPath, serverCertificate: certificate).description)
        fflush(nil)
    }

    /// Serves Echo with `tls` (plaintext when `nil`) and announces `announced`'s certificate.
    private static func serve(socketDirectory: String, tls: MutualTLS?, announcing announced: TLSIdentity) async {
        let path = "\(socketDirectory)/misbehaving-tls.sock"
        let transport = UnixSocketTransport.Server(path: path, config: .defaults, tls: tls)
        await HandMadeServer.serve(
            transport, services: [LoggingEcho(logger: nil)],
            handshake: Handshake(appProtocolVersion: 1, socketPath: path, serverCertificate: announced.certificateDER)
        )
    }
}
