import CoreMetrics
import GRPCCore
import Synchronization

/// One plugin's per-method metrics, made on a method's first call and kept (the set of methods is
/// the plugin's, so it stays bounded).
final class MethodMetrics: Sendable {
    /// The fully qualified method name, the `method` label.
    let method: String
    let inFlight: Meter
    let duration: Timer
    let sent: Counter
    let received: Counter
    /// Finished calls with status OK (the common case, without a lookup).
    let succeeded: Counter
    private let dimensions: [(String, String)]
    private let factory: any MetricsFactory
    private let callsByCode = Mutex<[String: Counter]>([:])

    init(plugin: String, method: String, factory: any MetricsFactory) {
        let dimensions = [("plugin", plugin), ("method", method)]
        self.method = method
        self.dimensions = dimensions
        self.factory = factory
        self.inFlight = Meter(label: MetricName.callsInFlight, dimensions: dimensions, factory: factory)
        self.duration = Timer(label: MetricName.callDuration, dimensions: dimensions, factory: factory)
        self.sent = Counter(
            label: MetricName.streamMessages, dimensions: dimensions + [("direction", "sent")], factory: factory)
        self.succeeded = Counter(label: MetricName.calls, dimensions: dimensions + [("code", "ok")], factory: factory)
        self.received = Counter(
            label: MetricName.streamMessages, dimensions: dimensions + [("direction", "received")], factory: factory)
    }

    /// The finished-calls counter for `code` (a gRPC status code's name).
    func calls(code: String) -> Counter {
        self.callsByCode.value(for: code) {
            Counter(label: MetricName.calls, dimensions: self.dimensions + [("code", code)], factory: self.factory)
        }
    }
}

/// A plugin's ``MethodMetrics`` by method.
final class MethodMetricsTable: Sendable {
    private let plugin: String
    private let factory: any MetricsFactory
    private let table = Mutex<[MethodDescriptor: MethodMetrics]>([:])

    init(plugin: String, factory: any MetricsFactory) {
        self.plugin = plugin
        self.factory = factory
    }

    subscript(method: MethodDescriptor) -> MethodMetrics {
        self.table.value(for: method) {
            MethodMetrics(plugin: self.plugin, method: method.fullyQualifiedMethod, factory: self.factory)
        }
    }
}

extension Mutex {
    /// The value under `key`, made by `make` and kept on first use.
    fileprivate func value<Key: Hashable & Sendable, Element: Sendable>(
        for key: Key, orMake make: () -> Element
    ) -> Element
    where Value == [Key: Element] {
        self.withLock { table in
            if let value = table[key] { return value }
            let value = make()
            table[key] = value
            return value
        }
    }
}
