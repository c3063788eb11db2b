import ArgumentParser

/// The Plugboard host command line.
@main
struct Plugboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugboard",
        abstract: "Load out-of-process plugins and call their service sets over gRPC.",
        subcommands: [RunCommand.self, DemoCommand.self, PluginsCommand.self, CheckCommand.self, LoadCommand.self]
    )
}
