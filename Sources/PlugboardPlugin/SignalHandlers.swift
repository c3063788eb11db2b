import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT is ignored for the plugin's whole life (a terminal's Ctrl-C is for the host, which
/// decides when plugins stop, as in go-plugin); SIGTERM stops the plugin gracefully.
enum SignalHandlers {
    /// Keeps the dispatch source alive for the life of the process; set once, before serving.
    nonisolated(unsafe) private static var terminate: (any DispatchSourceSignal)?

    static func install(stop: StopSignal) {
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { stop.trigger(.terminated) }
        source.resume()
        Self.terminate = source
    }
}
