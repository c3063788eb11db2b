// What a plugin author needs comes with `import PlugboardPlugin`: GRPCCore (service protocols,
// `ServerContext`, `RPCError`), swift-log's `Logger`, the handshake and description types, and the
// transport's settings, and swift-service-lifecycle (`PluginServer` is a `Service`).
@_exported public import GRPCCore
@_exported public import Logging
@_exported public import ServiceLifecycle
@_exported public import UnixSignals

@_exported public import class PlugboardBroker.PluginBroker
@_exported public import struct PlugboardCore.HandshakeConfig
@_exported public import struct PlugboardCore.PluginDescription
@_exported public import struct PlugboardCore.PluginError
@_exported public import struct PlugboardCore.ServiceSetDescription
@_exported public import enum PlugboardObservability.PluginCall
@_exported public import enum PlugboardTransport.TransportKind
@_exported public import enum PlugboardTransport.UnixSocketTransport
