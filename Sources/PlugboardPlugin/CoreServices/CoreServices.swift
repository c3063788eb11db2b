package import GRPCCore
import GoPluginProtos
import PlugboardBroker

/// go-plugin's core services, which every plugin serves next to its service sets.
enum CoreServices {
    /// Health ("plugin" is SERVING), controller (`Shutdown` fires `stop`), broker (the stream
    /// `broker` announces on) and stdio (what the plugin writes to fd 1 after the handshake).
    static func all(stop: StopSignal, stdout: StdoutCapture, broker: PluginBroker) -> [any RegistrableRPCService] {
        [
            HealthService(), ControllerService(stop: stop), BrokerService(stop: stop, broker: broker),
            StdioService(stdout: stdout),
        ]
    }

    /// The streams that last as long as the connection (stdio and broker): a stop doesn't wait
    /// for them, they end when the connection closes.
    static let backgroundPaths: Set<String> = [
        "/" + Plugin_GRPCStdio.Method.StreamStdio.descriptor.fullyQualifiedMethod,
        "/" + Plugin_GRPCBroker.Method.StartStream.descriptor.fullyQualifiedMethod,
    ]

    /// The fully qualified names of the core services, which a plugin's description leaves out.
    static let serviceNames: Set<String> = [
        "grpc.health.v1.Health", "plugin.GRPCController", "plugin.GRPCBroker", "plugin.GRPCStdio",
    ]
}

extension PluginServer {
    /// go-plugin's core services for an in-process test server (PlugboardTesting): `Shutdown`
    /// stops nothing, the process's stdout is not captured, and the broker is closed (there is no
    /// host to call back).
    package static func coreServicesForTesting() -> [any RegistrableRPCService] {
        CoreServices.all(stop: StopSignal(), stdout: StdoutCapture(), broker: Self.describingBroker())
    }
}
