import ArgumentParser
import PlugboardConfig
import PlugboardCore
import PlugboardHost

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract:
            "Validate the configuration, then run each plugin with --describe (which serves nothing) and check the descriptions together.",
        discussion: """
            No plugin is started to serve, but each executable does run, with `--describe` and only PATH in \
            its environment, for at most 10 s and 1 MiB of output, killed with its process tree past either.
            """
    )

    @OptionGroup var options: PluginOptions

    func run() async throws {
        do {
            let (catalog, _) = try await self.options.catalog()
            let sets = catalog.entries.flatMap { $0.description.serviceSets.map(\.name) }
            print(
                "ok: \(catalog.entries.count) plugins (each run with --describe, none started to serve), service sets: \(sets.joined(separator: ", "))"
            )
        } catch {
            throw Console.fail(error)
        }
    }
}
