import ArgumentParser
import Metrics
import NIOCore
import Prometheus

/// `--metrics ADDRESS`: report through swift-metrics to a Prometheus registry served over HTTP.
struct ObservabilityOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Serve Prometheus metrics at http://ADDRESS/metrics (host:port; port 0 picks one, printed on stderr).",
            valueName: "address"))
    var metrics: String?

    /// Bootstraps the metrics backend and starts the endpoint, before any supervisor is made;
    /// returns the endpoint's channel (nil without `--metrics`).
    func start() async throws -> (any Channel)? {
        guard let address = self.metrics else { return nil }
        guard let (host, port) = MetricsEndpoint.parse(address) else {
            throw ValidationError("--metrics \(address): expected host:port, such as 127.0.0.1:9464")
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let channel: any Channel
        do {
            channel = try await MetricsEndpoint.start(host: host, port: port, registry: registry)
        } catch {
            throw ValidationError(
                "--metrics \(address): cannot listen there (\(error)); pick a free port, or 0 for any")
        }
        let bound = channel.localAddress?.port ?? port
        Console.note("metrics: http://\(host.contains(":") ? "[\(host)]" : host):\(bound)/metrics")
        return channel
    }
}
