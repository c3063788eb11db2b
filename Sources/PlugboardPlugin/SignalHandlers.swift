import CPlugboardSystem
import Dispatch
import PlugboardSystem

#if canImport(Glibc)
import Glibc
#endif

/// SIGINT is ignored for the plugin's whole life (a terminal's Ctrl-C is for the host, which
/// decides when plugins stop, as in go-plugin); SIGTERM stops the plugin gracefully.
enum SignalHandlers {
    /// Installs both before the handshake line is printed. SIGTERM goes through a handler that is
    /// in place at once (a dispatch source registers later, and a SIGTERM sent right after the
    /// handshake was lost in about 1 start in 30 under load); a thread turns it into a stop.
    static func install(stop: StopSignal) {
        signal(SIGINT, SIG_IGN)
        let terminations = CPlugboardSystem_signalPipe(SIGTERM)
        guard terminations >= 0 else {
            // No pipe: SIGTERM keeps its default action and ends the plugin at once.
            return
        }
        DetachedThread.start(name: "plugboard-sigterm") {
            var byte: UInt8 = 0
            _ = SystemCall.retrying { read(terminations, &byte, 1) }
            stop.trigger(.terminated)
        }
    }

    /// In a debugging session (`--debug`) the plugin runs in its user's terminal, not under a
    /// host: Ctrl-C (SIGINT) stops it gracefully too. Call after ``install(stop:)``.
    static func stopOnInterrupt(_ stop: StopSignal) {
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { stop.trigger(.interrupted) }
        source.resume()
        Self.interrupts = source
    }

    /// Keeps the SIGINT source alive for the life of the process; set once, before serving.
    nonisolated(unsafe) private static var interrupts: (any DispatchSourceSignal)?
}
