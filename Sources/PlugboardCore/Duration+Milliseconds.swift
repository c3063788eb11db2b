extension Duration {
    /// Whole milliseconds (rounded down), for messages and tables.
    package var wholeMilliseconds: Int64 {
        self.components.seconds * 1000 + self.components.attoseconds / 1_000_000_000_000_000
    }
}
