import ArgumentParser
import PlugboardConfig
import PlugboardCore
import PlugboardHost

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate the configuration and every plugin's description without starting anything."
    )

    @OptionGroup var options: PluginOptions

    func run() async throws {
        do {
            let (catalog, _) = try await self.options.catalog()
            let sets = catalog.entries.flatMap { $0.description.serviceSets.map(\.name) }
            print("ok: \(catalog.entries.count) plugins, service sets: \(sets.joined(separator: ", "))")
        } catch {
            throw Console.fail(error)
        }
    }
}
