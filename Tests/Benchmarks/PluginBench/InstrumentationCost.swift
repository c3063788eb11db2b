import GRPCCore
import Logging
import NIOCore
import NIOHPACK
import PlugboardCore
import PlugboardObservability
import PlugboardTestSupport
import PlugboardTransport

/// The host's call instrumentation by itself, with no transport around it, from `callers` tasks
/// at once (as the concurrent unary figure makes its calls): what `CallObserver` does for one
/// unary call (the start, the request id into the metadata, the end's metric updates), and what
/// the request id adds to the call's headers, encoded by the host and decoded by the plugin.
enum InstrumentationCost {
    /// Host CPU µs per call for `CallObserver`'s work, over `calls` calls.
    static func observerMicroseconds(
        _ observability: PluginObservability, callers: Int, calls: Int = 400_000
    ) async -> Double {
        let observer = CallObserver(plugin: "bench", observability: observability, logger: Logger(label: "bench"))
        let method = MethodDescriptor(fullyQualifiedService: "plugboard.test.v1.Echo", method: "Get")
        return await Self.cpuMicroseconds(callers: callers, calls: calls) {
            {
                guard let call = observer.callStarting(method) else { return }
                var metadata: Metadata = [:]
                call.sending(&metadata)
                call.carried(sent: 1, received: 1, status: Status(code: .ok, message: ""))
                call.ended(nil)
            }
        }
    }

    /// CPU µs per call that the request id adds to a call's request headers: built, HPACK-encoded
    /// and decoded back to metadata as the lean transports do it (both sides' work, in this
    /// process), with the id against without it. Zero when `observability` sends none.
    static func requestIDHeaderMicroseconds(
        _ observability: PluginObservability, callers: Int, calls: Int = 400_000
    ) async -> Double {
        guard observability.observesCalls else { return 0 }
        let with = await Self.cpuMicroseconds(callers: callers, calls: calls) {
            let connection = HeaderRoundTrip()
            var metadata = Metadata()
            metadata.addString(CallMetadata.newRequestID(), forKey: CallMetadata.requestIDKey)  // made by the observer
            return { connection.send(metadata) }
        }
        let without = await Self.cpuMicroseconds(callers: callers, calls: calls) {
            let connection = HeaderRoundTrip()
            return { connection.send([:]) }
        }
        return ((with - without) * 1000).rounded() / 1000
    }

    /// Runs `calls` calls from `callers` tasks, each with the call `makeCaller` makes for it.
    private static func cpuMicroseconds(
        callers: Int, calls: Int, _ makeCaller: @escaping @Sendable () -> (() -> Void)
    ) async -> Double {
        let perCaller = calls / callers
        let before = ProcessUsage.current.cpu
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    let call = makeCaller()
                    for _ in 0..<perCaller { call() }
                }
            }
        }
        return ((ProcessUsage.current.cpu - before).microseconds / Double(perCaller * callers) * 1000).rounded() / 1000
    }
}

/// One connection's HPACK state, both ends: request headers go through the host's encoder and the
/// plugin's decoder, so the headers every call repeats come from the dynamic tables, as they do.
private final class HeaderRoundTrip {
    private var encoder = HPACKEncoder(allocator: ByteBufferAllocator())
    private var decoder = HPACKDecoder(allocator: ByteBufferAllocator())
    private var buffer = ByteBuffer()

    func send(_ metadata: Metadata) {
        let headers = try! HPACKHeaders.grpcRequest(
            path: "/plugboard.test.v1.Echo/Get", authority: "localhost", metadata: metadata)
        self.buffer.clear()
        try! self.encoder.encode(headers: headers, to: &self.buffer)
        let decoded = try! self.decoder.decodeHeaders(from: &self.buffer)
        let ids = decoded.grpcMetadata[stringValues: CallMetadata.requestIDKey].reduce(0) { count, _ in count + 1 }
        precondition(ids == (metadata.isEmpty ? 0 : 1), "the request id comes back")
    }
}
