import ArgumentParser
import Foundation
import PlugboardConfig
import PlugboardCore
import PlugboardHost

struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "List the plugins, or describe one.",
        subcommands: [List.self, Describe.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every plugin with what it serves (runs each with --describe).")

        @OptionGroup var options: PluginOptions

        func run() async throws {
            do {
                let (catalog, _) = try await self.options.catalog()
                var table = TextTable(header: ["NAME", "VERSION", "SERVICE SETS", "APP VERSIONS", "PATH"])
                for entry in catalog.entries {
                    let sets = entry.description.serviceSets.map { "\($0.name)@\($0.version)" }.joined(separator: ", ")
                    let versions = entry.description.appProtocolVersions.map(String.init).joined(separator: ",")
                    table.rows.append([entry.spec.name, entry.description.version, sets, versions, entry.spec.path])
                }
                print(table.rendered)
            } catch {
                throw Console.fail(error)
            }
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print one plugin's description as JSON.")

        @OptionGroup var options: PluginOptions

        @Argument(help: "The plugin's name (its file name in the assets folder, or its key in the configuration).")
        var name: String

        func run() async throws {
            do {
                let plugins = try self.options.plugins()
                guard let plugin = plugins.first(where: { $0.spec.name == self.name }) else {
                    throw PluginError(
                        code: .executableNotFound,
                        message:
                            "No plugin named \"\(self.name)\"; known: \(plugins.map(\.spec.name).joined(separator: ", ")). Run `plugboard plugins list`."
                    )
                }
                let description = try await PluginDescriber.describe(plugin.spec)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(description), as: UTF8.self))
                print("path: \(plugin.spec.path)")
            } catch {
                throw Console.fail(error)
            }
        }
    }
}
