extension Duration {
    /// Whole milliseconds (rounded down), for messages and tables.
    package var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }

    /// Whole nanoseconds, for metrics timers.
    package var nanoseconds: Int64 {
        self.components.seconds * 1_000_000_000 + self.components.attoseconds / 1_000_000_000
    }

    /// Milliseconds with their fraction, for log lines.
    package var milliseconds: Double { Double(self.nanoseconds) / 1_000_000 }

    /// Microseconds with their fraction, for latency figures.
    package var microseconds: Double { Double(self.nanoseconds) / 1_000 }

    /// Seconds with their fraction, for rates.
    package var seconds: Double { Double(self.nanoseconds) / 1_000_000_000 }
}
