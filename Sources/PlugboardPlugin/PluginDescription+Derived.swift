public import GRPCCore
public import Logging
public import PlugboardCore
import PlugboardTransport

extension PluginDescription {
    /// Describes what `services` serve for each of the handshake's app protocol versions: one
    /// service set per proto package, named after the package without its version suffix, with
    /// the suffix as its major version (`inventory.v1.Inventory` is set `inventory`, version
    /// `1.0.0`). This is what `serve` prints for `--describe` when given no description; the
    /// plugin's own version is then `0.0.0`.
    ///
    /// `services` is called once per version to learn what it registers; nothing is served.
    public init(
        name: String,
        handshake: HandshakeConfig,
        logger: Logger,
        services: (_ version: Int, _ logger: Logger) -> [any RegistrableRPCService]
    ) {
        var packages: [String: Set<String>] = [:]
        for version in handshake.appProtocolVersions {
            var router = RPCRouter<UnixSocketTransport.Server>()
            for service in services(version, logger) { service.registerMethods(with: &router) }
            for method in router.methods where !CoreServices.serviceNames.contains(method.service.fullyQualifiedService)
            {
                packages[method.service.package, default: []].insert(method.service.fullyQualifiedService)
            }
        }
        let sets = packages.keys.sorted().map { package in
            let pieces = package.split(separator: ".").map(String.init)
            let major = pieces.last.flatMap { $0.first == "v" ? Int($0.dropFirst()) : nil }
            let setName = (major == nil ? pieces : pieces.dropLast()).joined(separator: ".")
            return ServiceSetDescription(
                name: setName.isEmpty ? package : setName,
                version: "\(major ?? 0).0.0",
                services: packages[package, default: []].sorted()
            )
        }
        self.init(name: name, version: "0.0.0", serviceSets: sets, appProtocolVersions: handshake.appProtocolVersions)
    }
}
