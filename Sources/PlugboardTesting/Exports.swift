// Tests that use PlugboardTesting need the host's types (`PluginSpec`, `RunningPlugin`) and
// GRPCCore's (`RPCError`) too; they come with `import PlugboardTesting`.
@_exported public import PlugboardHost
