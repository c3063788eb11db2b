internal import NIOCore
internal import NIOSSL
internal import SwiftASN1
internal import X509

/// AutoMTLS for one side of a connection (protocol §5): present ``TLSIdentity``, require the peer's
/// certificate, and trust exactly one certificate, the peer's. TLS 1.2 or later, ALPN `h2`.
package struct MutualTLS: Sendable {
    /// Whether this side accepts connections (the plugin) or makes them (the host).
    package enum Role: Sendable {
        case server, client
    }

    package let role: Role
    let context: NIOSSLContext

    /// - Parameters:
    ///   - identity: this side's certificate and key.
    ///   - peerCertificate: the only certificate the peer may present.
    package init(_ role: Role, identity: TLSIdentity, trusting peerCertificate: PeerCertificate) throws {
        var configuration: TLSConfiguration
        switch role {
        case .server:
            configuration = .makeServerConfigurationWithMTLS(
                certificateChain: [.certificate(identity.certificate)],
                privateKey: .privateKey(identity.privateKey),
                trustRoots: .certificates([peerCertificate.certificate])
            )
        case .client:
            configuration = .makeClientConfiguration()
            configuration.certificateChain = [.certificate(identity.certificate)]
            configuration.privateKey = .privateKey(identity.privateKey)
            configuration.trustRoots = .certificates([peerCertificate.certificate])
            configuration.certificateVerification = .fullVerification
        }
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = ["h2"]
        // Go peers sign with P-521, which BoringSSL leaves out of its default verify list.
        configuration.verifySignatureAlgorithms = [
            .ecdsaSecp256R1Sha256, .ecdsaSecp384R1Sha384, .ecdsaSecp521R1Sha512,
            .rsaPssRsaeSha256, .rsaPssRsaeSha384, .rsaPssRsaeSha512,
            .rsaPkcs1Sha256, .rsaPkcs1Sha384, .rsaPkcs1Sha512, .ed25519,
        ]
        self.role = role
        self.context = try NIOSSLContext(configuration: configuration)
    }

    /// Adds the TLS handler at the front of a new connection's pipeline.
    func addHandler(to channel: any Channel) throws {
        switch self.role {
        case .server:
            try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: self.context))
        case .client:
            try channel.pipeline.syncOperations.addHandler(
                NIOSSLClientHandler(context: self.context, serverHostname: "localhost")
            )
        }
    }
}

/// The one certificate a side trusts: the host's from `PLUGIN_CLIENT_CERT` (PEM), or the plugin's
/// from handshake field 6 (DER). Parsing checks that it is a single well-formed X.509 certificate.
package struct PeerCertificate: Sendable {
    let certificate: NIOSSLCertificate

    /// Parses exactly one PEM certificate; throws ``CertificateProblem`` otherwise.
    package init(pem: String) throws(CertificateProblem) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: pem)
        } catch {
            throw CertificateProblem(reason: "it is not PEM (\(error))")
        }
        guard documents.count == 1, let document = documents.first else {
            throw CertificateProblem(reason: "it holds \(documents.count) PEM blocks, not one certificate")
        }
        guard document.discriminator == "CERTIFICATE" else {
            throw CertificateProblem(reason: "its PEM block is a \(document.discriminator), not a CERTIFICATE")
        }
        try self.init(der: document.derBytes)
    }

    /// Parses a DER certificate; throws ``CertificateProblem`` if it is not one.
    package init(der: [UInt8]) throws(CertificateProblem) {
        do {
            _ = try Certificate(derEncoded: der)
        } catch {
            throw CertificateProblem(reason: "it is not a valid X.509 certificate (\(error))")
        }
        do {
            self.certificate = try NIOSSLCertificate(bytes: der, format: .der)
        } catch {
            throw CertificateProblem(reason: "BoringSSL cannot load it (\(error))")
        }
    }
}

/// Why a peer certificate was refused, in words for an error message.
package struct CertificateProblem: Error, CustomStringConvertible {
    package let reason: String
    package var description: String { self.reason }
}
