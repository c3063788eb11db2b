internal import PlugboardCore

extension PluginBroker {
    /// Who is on the other end of a broker, for error messages: the host's broker talks to a
    /// plugin, a plugin's broker to its host.
    package enum Peer: Sendable {
        case plugin(name: String, path: String)
        case host

        var description: String {
            switch self {
            case .plugin(let name, _): return "the plugin \"\(name)\""
            case .host: return "the host"
            }
        }

        func closed() -> PluginError {
            self.context(
                PluginError(
                    code: .brokerClosed,
                    message:
                        "The broker to \(self.description) is closed: the plugin stopped, so nothing more can be served or dialled through it."
                )
            )
        }

        func timeout(id: UInt32, after timeout: Duration) -> PluginError {
            self.context(
                PluginError(
                    code: .brokerTimeout,
                    message: """
                        Expected \(self.description) to announce broker id \(id) within \(timeout), but it did not. The id \
                        must come from the peer's nextID(), and the peer must serve it (AcceptAndServe in go-plugin) \
                        before or soon after it sends the id; an id is announced for one dial only.
                        """
                )
            )
        }

        func invalidAnnouncement(id: UInt32, network: String, address: String) -> PluginError {
            self.context(
                PluginError(
                    code: .invalidBrokerAnnouncement,
                    message: """
                        \(self.description.prefix(1).uppercased() + self.description.dropFirst()) announced broker id \(id) at \
                        network "\(network)", address "\(address)", which Plugboard cannot dial: it needs an absolute unix \
                        socket path shorter than 108 bytes. Nothing was dialled.
                        """
                )
            )
        }

        private func context(_ error: PluginError) -> PluginError {
            guard case .plugin(let name, let path) = self else { return error }
            return error.withContext(pluginName: name, executablePath: path)
        }
    }
}
