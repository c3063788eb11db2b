import Foundation

/// A plain text table with left-aligned columns.
struct TextTable {
    var header: [String]
    var rows: [[String]] = []

    var rendered: String {
        let widths = self.header.indices.map { column in
            ([self.header] + self.rows).map { $0[column].count }.max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ")
                .replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(self.header)] + self.rows.map(line)).joined(separator: "\n")
    }
}
