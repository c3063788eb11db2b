// What a host author needs comes with `import PlugboardHost`: GRPCCore (clients, `CallOptions`,
// `RPCError`), swift-log's `Logger`, swift-service-lifecycle (supervisors are `Service`s run in a
// `ServiceGroup`), the handshake, description, error and transport types, and what observability
// needs (`PluginObservability`, `MetricName`, `CallSummary`).
@_exported public import GRPCCore
@_exported public import Logging
@_exported public import ServiceLifecycle
@_exported public import UnixSignals

@_exported public import class PlugboardBroker.PluginBroker
@_exported public import struct PlugboardCore.HandshakeConfig
@_exported public import struct PlugboardCore.PluginDescription
@_exported public import struct PlugboardCore.PluginError
@_exported public import struct PlugboardCore.ReattachRecord
@_exported public import struct PlugboardCore.ServiceSetDescription
@_exported public import struct PlugboardObservability.CallSummary
@_exported public import enum PlugboardObservability.MetricName
@_exported public import struct PlugboardObservability.PluginObservability
@_exported public import enum PlugboardObservability.TracedMethods
@_exported public import enum PlugboardTransport.TransportKind
@_exported public import enum PlugboardTransport.UnixSocketTransport
