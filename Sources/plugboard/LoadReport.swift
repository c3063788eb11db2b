import Foundation
import PlugboardCore

/// The result of `plugboard load`, for people or as JSON.
struct LoadReport {
    let options: LoadCommand
    let run: LoadRun
    let counts: LoadTally.Counts

    init(options: LoadCommand, run: LoadRun, counts: LoadTally.Counts) {
        self.options = options
        self.run = run
        self.counts = counts
    }

    var text: String {
        func breakdown(_ codes: [String: Int]) -> String {
            codes.isEmpty
                ? ""
                : "  (" + codes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        func micros(_ value: Double) -> String {
            value >= 1000 ? String(format: "%.1f ms", value / 1000) : String(format: "%.0f µs", value)
        }
        let seconds = Double(self.run.duration.wholeMilliseconds) / 1000
        var table = TextTable(header: ["", ""])
        table.rows = [
            ["calls made", "\(self.counts.made) (\(Int(Double(self.counts.made) / max(seconds, 0.001))) calls/s)"],
            ["succeeded", "\(self.counts.succeeded)"],
            ["failed, typed error", "\(self.counts.failedTyped)\(breakdown(self.counts.typed))"],
            ["lost", "\(self.counts.lostCount)\(breakdown(self.counts.lost))"],
            ["answered without rules", "\(self.counts.unprepared)"],
            ["tier lookups served (callbacks)", "\(self.run.tierLookups)"],
            ["answered without their tier", "\(self.counts.untiered)"],
            ["latency p50 / p99", "\(micros(self.counts.percentile(0.5))) / \(micros(self.counts.percentile(0.99)))"],
            ["kills / restarts", "\(self.run.kills) / \(self.run.restarts)"],
            ["host fds", "\(self.run.start.fileDescriptors) → \(self.run.end.fileDescriptors)"],
            ["host threads", "\(self.run.start.threads) → \(self.run.end.threads)"],
            [
                "host RSS",
                "\(self.run.start.residentKilobytes / 1024) MB → \(self.run.end.residentKilobytes / 1024) MB",
            ],
        ]
        let killing = self.options.killEvery > 0 ? ", SIGKILL every \(self.options.killEvery) s after it is ready" : ""
        let examples = self.counts.lostExamples.map { "\nlost: \($0)" }.joined()
        return
            "\(self.options.callers) callers for \(String(format: "%.1f", seconds)) s against \(self.options.plugin)\(killing)\n"
            + table.rendered + examples
    }

    var json: String {
        let object: [String: Any] = [
            "calls": self.counts.made,
            "succeeded": self.counts.succeeded,
            "failed_typed": self.counts.failedTyped,
            "failed_typed_by_code": self.counts.typed,
            "lost": self.counts.lostCount,
            "lost_by_code": self.counts.lost,
            "lost_examples": self.counts.lostExamples,
            "unprepared": self.counts.unprepared,
            "tier_lookups": self.run.tierLookups,
            "untiered": self.counts.untiered,
            "p50_us": self.counts.percentile(0.5),
            "p99_us": self.counts.percentile(0.99),
            "kills": self.run.kills,
            "restarts": self.run.restarts,
            "seconds": Double(self.run.duration.wholeMilliseconds) / 1000,
            "fds_start": self.run.start.fileDescriptors,
            "fds_end": self.run.end.fileDescriptors,
            "fds_added": self.run.end.descriptorsAdded(since: self.run.start),
            "threads_start": self.run.start.threads,
            "threads_end": self.run.end.threads,
            "rss_kb_start": self.run.start.residentKilobytes,
            "rss_kb_end": self.run.end.residentKilobytes,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
