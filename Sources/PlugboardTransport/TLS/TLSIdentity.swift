internal import Crypto
internal import NIOSSL
internal import SwiftASN1
internal import X509

#if canImport(FoundationEssentials)
internal import FoundationEssentials
#else
internal import Foundation
#endif

/// A one-time key and self-signed certificate for AutoMTLS (protocol §5), made at each start and
/// never written to disk. Both sides of a connection make one and trust exactly the other's.
///
/// The certificate follows go-plugin's recipe (CA, `CN=localhost`, SAN `localhost`, server and
/// client auth, about 30 years) but with a P-256 key: Go accepts it, and it is made in well under
/// a millisecond where P-521 takes several.
package struct TLSIdentity: Sendable {
    /// The certificate's DER bytes: what a plugin prints, unpadded base64, as handshake field 6.
    package let certificateDER: [UInt8]
    /// The certificate as PEM: what a host passes in `PLUGIN_CLIENT_CERT`.
    package let certificatePEM: String
    let certificate: NIOSSLCertificate
    let privateKey: NIOSSLPrivateKey

    /// Makes a new P-256 key and a certificate for it, valid from 30 s ago.
    package static func generate() throws -> TLSIdentity {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Plugboard")
            CommonName("localhost")
        }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now - 30,
            notValidAfter: now + 262_980 * 3600,
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true, keyAgreement: true, keyCertSign: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        let pem = try certificate.serializeAsPEM()
        return TLSIdentity(
            certificateDER: pem.derBytes,
            certificatePEM: pem.pemString,
            certificate: try NIOSSLCertificate(bytes: pem.derBytes, format: .der),
            privateKey: try NIOSSLPrivateKey(bytes: Array(key.derRepresentation), format: .der)
        )
    }
}
