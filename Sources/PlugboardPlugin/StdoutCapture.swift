import CPlugboardSystem
import PlugboardSystem
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// After the handshake, the plugin's stdout (fd 1) is a pipe read here, so a stray `print` can never
/// reach the host's handshake reader; what is read goes to the host over `GRPCStdio/StreamStdio`.
///
/// The pipe is always drained, so the plugin never blocks on a full pipe. Until the host streams,
/// the last 64 KiB are kept.
final class StdoutCapture: Sendable {
    private static let keptWhileUnread = 64 * 1024
    private let state = Mutex<State>(State())

    private struct State {
        var pending: [[UInt8]] = []
        var pendingBytes = 0
        var subscribers: [AsyncStream<[UInt8]>.Continuation] = []
        var finished = false
    }

    /// Points fd 1 at a new pipe and starts draining it.
    func redirect() {
        var fds: [Int32] = [0, 0]
        guard CPlugboardSystem_pipeCloexec(&fds) == 0 else { return }
        fflush(nil)
        dup2(fds[1], 1)
        close(fds[1])
        let readEnd = fds[0]
        DetachedThread.start(name: "plugboard-stdout") { [self] in
            // go-plugin sends ≤ 1 KiB chunks too.
            SystemCall.readToEnd(readEnd, chunkSize: 1024) { self.deliver($0) }
            close(readEnd)
        }
    }

    /// The captured output from now on (starting with what was kept), until the plugin stops.
    func chunks() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(1024))
        let (pending, finished) = self.state.withLock { state in
            defer {
                state.pending = []
                state.pendingBytes = 0
                if !state.finished { state.subscribers.append(continuation) }
            }
            return (state.pending, state.finished)
        }
        pending.forEach { continuation.yield($0) }
        if finished { continuation.finish() }
        return stream
    }

    /// Ends every stream, so `StreamStdio` calls return when the plugin stops.
    func finish() {
        let subscribers = self.state.withLock { state in
            state.finished = true
            defer { state.subscribers = [] }
            return state.subscribers
        }
        subscribers.forEach { $0.finish() }
    }

    private func deliver(_ chunk: [UInt8]) {
        let subscribers = self.state.withLock { state in
            if state.subscribers.isEmpty {
                state.pending.append(chunk)
                state.pendingBytes += chunk.count
                while state.pendingBytes > Self.keptWhileUnread, !state.pending.isEmpty {
                    state.pendingBytes -= state.pending.removeFirst().count
                }
            }
            return state.subscribers
        }
        subscribers.forEach { $0.yield(chunk) }
    }
}
