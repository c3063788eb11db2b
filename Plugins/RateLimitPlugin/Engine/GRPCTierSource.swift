public import GRPCCore
internal import RateLimitServiceSet

/// A ``TierSource`` that calls `ratelimit.v1.TierDirectory/Lookup` on a client: in the plugin, a
/// connection to the host's directory dialled through go-plugin's broker.
public struct GRPCTierSource<Transport: ClientTransport>: TierSource {
    private let client: GRPCClient<Transport>
    private let onClose: @Sendable () -> Void

    /// - Parameters:
    ///   - client: a client whose connections run for as long as the source is used.
    ///   - close: closes the connection (the broker's `Connection.close`).
    public init(client: GRPCClient<Transport>, close: @escaping @Sendable () -> Void) {
        self.client = client
        self.onClose = close
    }

    /// Calls `Lookup` with `deadline` as the call's timeout, so the host sees it too.
    public func tier(of key: String, deadline: Duration) async throws -> Tier {
        var options = CallOptions.defaults
        options.timeout = deadline
        let directory = Ratelimit_V1_TierDirectory.Client(wrapping: self.client)
        let response = try await directory.lookup(.with { $0.key = key }, options: options)
        return Tier(name: response.tier, multiplier: response.multiplier)
    }

    public func close() {
        self.onClose()
    }
}
