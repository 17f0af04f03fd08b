/// Whether ops record an autograd graph. Recording is per thread / task: `noGrad` on one thread
/// does not affect another.
public enum GradMode {
    @TaskLocal static var recordingDisabled = false

    /// Runs body with recording off: ops build no graph and keep no saved buffers (inference).
    public static func noGrad<R>(_ body: () throws -> R) rethrows -> R {
        try $recordingDisabled.withValue(true) { try body() }
    }

    /// True when ops record their inputs for `backward()`.
    public static var isEnabled: Bool { !recordingDisabled }
}
