import Foundation

/// `herd bench step --compare-torch PYTHON`: Herd's training step against PyTorch's, measured
/// side by side. Alternates `herd bench step` (this executable, a fresh process per run) and the
/// PyTorch reference step (`torch_reference_step.py`: the same architecture, losses and Adam
/// updates) for a number of pairs, first Herd then PyTorch, then the other way round, and prints
/// every pair, the median of the pairs' step-time ratios and the largest peak-memory ratio, with
/// the load average before and after each pair. A shared machine has slow phases lasting minutes,
/// so only a ratio of alternating runs means anything.
///
/// PyTorch is never a dependency of Herd: it lives in a scratch virtual environment
/// (`python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch`), and the reference
/// script comes from the session's shared tools.
struct TorchComparison {
    /// What one run measured.
    struct Run {
        var medianSeconds: Double
        var peakMiB: Int
    }

    enum Failure: Error, CustomStringConvertible {
        case missingScript(String)
        case missingPython(String)
        case unreadable(what: String, output: String)
        case cannotStart(String, reason: String)

        var description: String {
            switch self {
            case let .missingScript(path):
                return "the PyTorch reference step \(path) does not exist. --compare-torch runs torch_reference_step.py from "
                    + "the shared tools (../shared/tools/torch_reference_step.py next to the Herd checkout); pass its path "
                    + "with --torch-script PATH"
            case let .missingPython(path):
                return "\(path) is not an executable Python. Give --compare-torch the Python of a scratch virtual environment "
                    + "with PyTorch (python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install torch)"
            case let .unreadable(what, output):
                return "cannot read the \(what)'s result from its output:\n\(output)"
            case let .cannotStart(what, reason):
                return "cannot start \(what): \(reason)"
            }
        }
    }

    /// Where the session's shared tools keep the script, relative to a checkout's directory.
    static let defaultScript = "../shared/tools/torch_reference_step.py"

    var herd: String
    var python: String
    var script: String
    var blocks: Int
    var size: Int
    var steps: Int
    var threads: Int
    var pairs: Int

    /// Checks the script and the Python before any run.
    func validate() throws(Failure) {
        guard FileManager.default.fileExists(atPath: script) else { throw .missingScript(script) }
        guard FileManager.default.isExecutableFile(atPath: python) else { throw .missingPython(python) }
    }

    /// Runs the pairs, printing as it goes; returns (median time ratio, largest memory ratio).
    @discardableResult
    func run(print say: (String) -> Void) throws(Failure) -> (time: Double, memory: Double) {
        try validate()
        say("compare with PyTorch: res-\(blocks) \(size)x\(size), batch 1, \(threads) threads, \(steps) timed steps per run, "
            + "\(pairs) alternating pairs (load before: \(Self.load()))")
        var ratios: [Double] = [], memories: [Double] = []
        for pair in 1...pairs {
            let herdFirst = pair % 2 == 1
            let first = herdFirst ? try runHerd() : try runTorch()
            let second = herdFirst ? try runTorch() : try runHerd()
            let (h, t) = herdFirst ? (first, second) : (second, first)
            ratios.append(h.medianSeconds / t.medianSeconds)
            memories.append(Double(h.peakMiB) / Double(Swift.max(t.peakMiB, 1)))
            say(String(format: "pair %d (%@ first): herd %.3f s  torch %.3f s  ratio %.2fx  peak memory %d / %d MiB (%.2fx)  load %@",
                       pair, herdFirst ? "herd" : "torch", h.medianSeconds, t.medianSeconds, ratios.last ?? 0,
                       h.peakMiB, t.peakMiB, memories.last ?? 0, Self.load()))
        }
        let median = ratios.sorted()[ratios.count / 2]
        let memory = memories.max() ?? 0
        say(String(format: "res-%d %dx%d: median ratio %.2fx over %d pairs (Herd / PyTorch median step time), peak memory %.2fx",
                   blocks, size, size, median, pairs, memory))
        return (median, memory)
    }

    func runHerd() throws(Failure) -> Run {
        let output = try Self.capture(herd, ["bench", "step", "--blocks", "\(blocks)", "--size", "\(size)", "--batch", "1",
                                             "--threads", "\(threads)", "--steps", "\(steps)"], environment: nil, what: "herd bench step")
        guard let line = output.split(separator: "\n").last(where: { $0.contains("median") && $0.contains("peak RSS") }),
              let median = Self.number(after: "median ", in: String(line)),
              let peak = Self.number(after: "peak RSS ", in: String(line)) else {
            throw .unreadable(what: "herd bench step", output: output)
        }
        return Run(medianSeconds: median, peakMiB: Int(peak))
    }

    func runTorch() throws(Failure) -> Run {
        // The script prints its step times; the wrapper adds the process's peak RSS (KiB on Linux).
        let code = "import resource, runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__'); "
            + "print('rss_kb', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
        var environment = ProcessInfo.processInfo.environment
        environment["THREADS"] = "\(threads)"
        let output = try Self.capture(python, ["-c", code, script, "\(blocks)", "\(size)", "\(steps)"],
                                      environment: environment, what: "the PyTorch reference step")
        guard let median = Self.number(after: "median=", in: output), let rss = Self.number(after: "rss_kb ", in: output) else {
            throw .unreadable(what: "PyTorch reference step", output: output)
        }
        return Run(medianSeconds: median, peakMiB: Int(rss) / 1024)
    }

    /// Runs a program to its end and returns its standard output and error.
    static func capture(_ executable: String, _ arguments: [String], environment: [String: String]?, what: String) throws(Failure) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do {
            try process.run()
        } catch {
            throw .cannotStart(what, reason: "\(error)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// The decimal number right after the first occurrence of `marker`.
    static func number(after marker: String, in text: String) -> Double? {
        guard let range = text.range(of: marker) else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(digits)
    }

    /// The 1-minute load average.
    static func load() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").first.map(String.init) ?? "unknown"
    }
}
