import PlugboardCore

#if canImport(Glibc)
import Glibc
#endif

extension PluginServer {
    /// The app protocol version to serve: the host's choice as go-plugin makes it, or, in a
    /// debugging session without `PLUGIN_PROTOCOL_VERSIONS`, the highest this plugin speaks.
    func chosenVersion(_ offer: VersionNegotiation.Offer) -> Int {
        if self.debug, offer.versions.isEmpty, let highest = self.handshake.appProtocolVersions.max() { return highest }
        return self.handshake.negotiatedVersion(offered: offer) ?? self.handshake.appProtocolVersions.min() ?? 1
    }

    /// Says where the server listens, once it does. For a host that started the plugin: the
    /// handshake line, then stdout is captured (and streamed over `GRPCStdio`). In a debugging
    /// session: the reattach record as a line to paste before a host command, and a sentence for
    /// the person who started it; stdout stays on their terminal.
    func announce(_ handshake: Handshake, stdout: StdoutCapture) {
        guard self.debug else {
            StandardStreams.writeOutput(handshake.description + "\n")
            stdout.redirect()
            return
        }
        if self.environment[PluginEnvironment.clientCertificate] != nil {
            self.logger.warning(
                "PLUGIN_CLIENT_CERT is ignored in a debugging session: a host that attaches passes no certificate, so the plugin serves plaintext"
            )
        }
        let name = self.logger.label
        let record = ReattachRecord(
            pid: getpid(), socketPath: handshake.socketPath, appProtocolVersion: handshake.appProtocolVersion)
        StandardStreams.writeOutput(record.debugLine(name: name) + "\n")
        StandardStreams.writeOutput(
            "\(name) is serving for debugging (pid \(getpid()), app protocol version \(handshake.appProtocolVersion)): put the line above before a host command, or export it, and the host attaches to this process instead of starting one, and leaves it running; Ctrl-C or SIGTERM stops it.\n"
        )
    }
}
