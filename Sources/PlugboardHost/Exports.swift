// What a host author needs comes with `import PlugboardHost`: through PlugboardBroker, GRPCCore
// (clients, `CallOptions`, `RPCError`) and the handshake, description and error types; swift-log's
// `Logger`; swift-service-lifecycle (supervisors are `Service`s run in a `ServiceGroup`); the
// transport's settings; and what observability needs (`PluginObservability`, `MetricName`,
// `CallSummary`).
@_exported public import Logging
@_exported public import PlugboardBroker
@_exported public import ServiceLifecycle
@_exported public import UnixSignals

@_exported public import struct PlugboardObservability.CallSummary
@_exported public import enum PlugboardObservability.MetricName
@_exported public import struct PlugboardObservability.PluginObservability
@_exported public import enum PlugboardObservability.TracedMethods
@_exported public import enum PlugboardTransport.UnixSocketTransport
