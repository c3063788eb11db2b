extension Duration {
    /// Whole milliseconds (rounded down), for messages and tables.
    package var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, for metrics timers and event-loop timers; `Int64.max` (or `.min`) for a
    /// duration beyond about 292 years, which a peer's `grpc-timeout` (up to 9,999,999 hours) can be.
    package var nanoseconds: Int64 {
        let (whole, overflow) = self.components.seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return self.components.seconds < 0 ? .min : .max }
        let (total, overflowAgain) = whole.addingReportingOverflow(self.components.attoseconds / 1_000_000_000)
        if overflowAgain { return whole < 0 ? .min : .max }
        return total
    }

    /// Milliseconds with their fraction, for log lines.
    package var milliseconds: Double { Double(self.nanoseconds) / 1_000_000 }

    /// Microseconds with their fraction, for latency figures.
    package var microseconds: Double { Double(self.nanoseconds) / 1_000 }

    /// Seconds with their fraction, for rates.
    package var seconds: Double { Double(self.nanoseconds) / 1_000_000_000 }
}
