/// How a ``PluginSupervisor`` restarts, health-checks and times out its plugin.
public struct SupervisionPolicy: Sendable, Hashable {
    /// The wait before the first restart; each further failure inside `failureWindow` doubles it.
    public var initialBackoff: Duration
    /// The longest wait between restarts.
    public var maximumBackoff: Duration
    /// Each wait is scaled by a random factor in `1 - jitter ... 1 + jitter`, so plugins that
    /// crash together do not restart in lockstep.
    public var jitter: Double
    /// This many failures inside `failureWindow` is a crash loop: the plugin is quarantined.
    public var maximumFailures: Int
    /// The window in which failures count towards `maximumFailures` and the backoff.
    public var failureWindow: Duration
    /// How often the plugin's health service is asked (and its socket file checked).
    public var healthInterval: Duration
    /// How long one health check may take.
    public var healthTimeout: Duration
    /// Failed health checks in a row after which the plugin is killed and restarted.
    public var unhealthyThreshold: Int
    /// The deadline given to every call that does not set its own (`CallOptions.timeout`). It
    /// reaches the plugin as `grpc-timeout`. Long-lived streams should set their own.
    public var defaultDeadline: Duration

    public init(
        initialBackoff: Duration = .milliseconds(100),
        maximumBackoff: Duration = .seconds(10),
        jitter: Double = 0.2,
        maximumFailures: Int = 5,
        failureWindow: Duration = .seconds(60),
        healthInterval: Duration = .seconds(5),
        healthTimeout: Duration = .seconds(2),
        unhealthyThreshold: Int = 2,
        defaultDeadline: Duration = .seconds(30)
    ) {
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.jitter = min(max(jitter, 0), 1)
        self.maximumFailures = max(maximumFailures, 1)
        self.failureWindow = failureWindow
        self.healthInterval = healthInterval
        self.healthTimeout = healthTimeout
        self.unhealthyThreshold = max(unhealthyThreshold, 1)
        self.defaultDeadline = defaultDeadline
    }

    /// The defaults: restarts after 100 ms doubling to 10 s, quarantine after 5 failures in a
    /// minute, a health check every 5 s, a 30 s deadline per call.
    public static let standard = SupervisionPolicy()
}
