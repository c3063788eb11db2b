// What a host author needs comes with `import PlugboardHost`: GRPCCore (clients, `CallOptions`,
// `RPCError`), swift-log's `Logger`, swift-service-lifecycle (supervisors are `Service`s run in a
// `ServiceGroup`), and the handshake, description, error and transport types.
@_exported public import GRPCCore
@_exported public import Logging
@_exported public import ServiceLifecycle
@_exported public import UnixSignals
@_exported public import struct PlugboardCore.HandshakeConfig
@_exported public import struct PlugboardCore.PluginDescription
@_exported public import struct PlugboardCore.ServiceSetDescription
@_exported public import struct PlugboardCore.PluginError
@_exported public import struct PlugboardCore.ReattachRecord
@_exported public import class PlugboardBroker.PluginBroker
@_exported public import enum PlugboardTransport.TransportKind
@_exported public import enum PlugboardTransport.UnixSocketTransport
