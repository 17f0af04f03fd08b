import Cluster
import Config
import Console
import Datasets
import Foundation
import Sockets
#if canImport(Glibc)
import Glibc
#endif

/// `herd bench soak`: a tiny cluster on loopback for minutes, workers killed and replaced on a
/// schedule, every process sampled; prints how each figure grows per 1000 steps.
enum BenchSoakCommand {
    static let command = Subcommand(["bench", "soak"], spec: CommandSpec(
        name: "herd bench soak",
        abstract: "Run a tiny cluster for minutes and measure what grows per 1000 steps.",
        discussion: """
            Starts `herd coordinator` (with --log-json and the dashboard) and --workers `herd worker`
            processes on loopback, training a tiny model (32 px, ngf 4, one residual block) with a
            validation image per epoch and a checkpoint every 500 steps (keep 2), for --minutes.
            Every --kill-every seconds one worker (in turn) is SIGKILLed and a new one started.
            Every --sample-every seconds it reads each process's RSS, threads and open descriptors
            (/proc/PID), the size of the newest --log-json step line, the dashboard's latency
            (GET /api/status and GET /, each timed) and the committed step.

            The table gives each figure's first-minute value, its last value and its slope per 1000
            steps after the first minute (least squares over the samples; for workers, the median of
            the slopes over each worker's lifetime, after its first 30 s), and the throughput of the
            second and the last minute. The load average is printed before and after.
            """,
        options: [
            .value("minutes", "N", help: "How long to run.", default: "10"),
            .value("workers", "N", help: "Workers running at any time.", default: "3"),
            .value("kill-every", "S", help: "SIGKILL one worker and start a replacement every S seconds (0: never).", default: "120"),
            .value("sample-every", "S", help: "Seconds between samples.", default: "5"),
            .value("keep", "DIR", help: "Keep the scratch directory (config, logs, run directory) here."),
        ],
        examples: ["herd bench soak --minutes 10 --workers 3 --kill-every 120", "herd bench soak --minutes 2 --workers 2 --kill-every 40"])) { args in
        let minutes = try args.double("minutes") ?? 10
        guard minutes > 0, minutes <= 24 * 60 * 14 else {
            throw UsageError.invalidValue(option: "--minutes", value: "\(minutes)", expected: "a number of minutes > 0")
        }
        let workers = try args.int("workers", default: 3, minimum: 1)
        let killEvery = try args.double("kill-every") ?? 120
        let sampleEvery = max(0.5, try args.double("sample-every") ?? 5)
        try Soak(minutes: minutes, workers: workers, killEvery: killEvery, sampleEvery: sampleEvery, keep: args.string("keep")).run()
    }
}

/// Figures of one process from /proc.
struct ProcessFigures: Sendable {
    var rssMB: Double
    var threads: Int
    var fds: Int

    /// Nil when the process is gone.
    static func read(pid: Int32) -> ProcessFigures? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Double? {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return nil }
            return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap { Double($0) }
        }
        guard let rss = field("VmRSS"), let threads = field("Threads") else { return nil }
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
        return ProcessFigures(rssMB: rss / 1024, threads: Int(threads), fds: fds)
    }
}

/// Least-squares slope of y over x (0 with fewer than 2 distinct x).
func leastSquaresSlope(_ points: [(x: Double, y: Double)]) -> Double {
    guard points.count >= 2 else { return 0 }
    let n = Double(points.count)
    let mx = points.map(\.x).reduce(0, +) / n, my = points.map(\.y).reduce(0, +) / n
    let sxx = points.map { ($0.x - mx) * ($0.x - mx) }.reduce(0, +)
    guard sxx > 0 else { return 0 }
    return points.map { ($0.x - mx) * ($0.y - my) }.reduce(0, +) / sxx
}

private struct Soak {
    var minutes: Double
    var workers: Int
    var killEvery: Double
    var sampleEvery: Double
    var keep: String?

    struct Sample {
        var time: Double
        var step: Int
        var coordinator: ProcessFigures
        /// (worker life, seconds since it started, figures)
        var workers: [(life: Int, age: Double, figures: ProcessFigures)]
        var lineBytes: Int?
        var statusMs: Double?
        var pageMs: Double?
    }

    func run() throws {
        guard let herd = LocalProcesses.selfExecutable() else { throw BenchmarkError("cannot find the herd executable (/proc/self/exe)") }
        let directory = keep ?? (NSTemporaryDirectory() + "herd-soak-\(UInt32.random(in: 0...UInt32.max))")
        if let keep, FileManager.default.fileExists(atPath: keep) { throw BenchmarkError("--keep \(keep): already exists; name a new directory") }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        try SyntheticDataset.write(to: directory + "/data", size: 32, count: 16, seed: 3)
        let port = try LocalPorts.free()
        let dashboardPort = try LocalPorts.free()
        var config = RunConfig()
        config.name = "soak"
        config.data.root = directory + "/data"
        config.data.loadSize = 32; config.data.cropSize = 32
        config.model.ngf = 4; config.model.ndf = 4; config.model.nBlocks = 1
        config.training.batchSize = workers; config.training.microBatch = 1
        config.training.nEpochs = 100_000; config.training.nEpochsDecay = 0
        config.training.threads = 1
        config.validation.count = 1
        config.checkpoint.directory = directory + "/checkpoints"; config.checkpoint.everySteps = 500; config.checkpoint.keep = 2
        config.cluster.listen = "127.0.0.1:\(port)"
        config.cluster.tokenFile = directory + "/soak.token"
        config.cluster.minWorkers = workers
        config.dashboard.listen = "127.0.0.1:\(dashboardPort)"
        try "soak-token-0123456789abcdef0123456789\n".write(toFile: config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = directory + "/soak.json"
        try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: configPath))
        let logPath = directory + "/soak.jsonl"

        print("soak: \(workers) worker(s), \(minutes) min, " + (killEvery > 0 ? "a worker killed and replaced every \(Int(killEvery)) s" : "no kills")
              + ", sampled every \(sampleEvery) s; load average \(Self.loadAverage())")
        let coordinator = try LocalProcesses.launch(herd, ["coordinator", "--config", configPath, "--log-json", logPath], log: directory + "/logs/coordinator.log")
        var lives = 0
        func startWorker() throws -> (process: Process, life: Int, started: Date) {
            lives += 1
            let p = try LocalProcesses.launch(herd, ["worker", "--coordinator", config.cluster.listen, "--token-file", config.cluster.tokenFile,
                                                     "--threads", "1", "--name", "soak\(lives)", "--give-up-after", "30"],
                                              log: directory + "/logs/worker-\(lives).log")
            return (p, lives, Date())
        }
        var running = try (0..<workers).map { _ in try startWorker() }
        defer {
            if coordinator.isRunning { coordinator.interrupt() }
            for w in running where w.process.isRunning { w.process.terminate() }
        }
        let log = LogTail(path: logPath)
        let start = Date()
        let end = start.addingTimeInterval(minutes * 60)
        var nextKill = killEvery > 0 ? start.addingTimeInterval(killEvery) : .distantFuture
        var nextVictim = 0
        var samples: [Sample] = []
        let progress = Progress("  soaking", total: Int(minutes * 60), lineInterval: 10)
        while Date() < end {
            Thread.sleep(forTimeInterval: sampleEvery)
            guard coordinator.isRunning else { throw BenchmarkError("the coordinator stopped (see \(directory)/logs/coordinator.log; --keep DIR keeps it)") }
            if Date() >= nextKill {
                let victim = running[nextVictim % running.count]
                kill(victim.process.processIdentifier, SIGKILL)
                victim.process.waitUntilExit()
                running[nextVictim % running.count] = try startWorker()
                nextVictim += 1
                nextKill = nextKill.addingTimeInterval(killEvery)
            }
            let read = log.read()
            guard let coordinatorFigures = ProcessFigures.read(pid: coordinator.processIdentifier) else { continue }
            var statusMs: Double?, pageMs: Double?
            var t0 = Date()
            if HTTPClient.get(host: "127.0.0.1", port: dashboardPort, path: "/api/status") != nil { statusMs = Date().timeIntervalSince(t0) * 1000 }
            t0 = Date()
            if HTTPClient.get(host: "127.0.0.1", port: dashboardPort, path: "/") != nil { pageMs = Date().timeIntervalSince(t0) * 1000 }
            let now = Date()
            let workerFigures = running.compactMap { w in
                ProcessFigures.read(pid: w.process.processIdentifier).map { (life: w.life, age: now.timeIntervalSince(w.started), figures: $0) }
            }
            samples.append(Sample(time: now.timeIntervalSince(start), step: read.step, coordinator: coordinatorFigures, workers: workerFigures,
                                  lineBytes: read.lineBytes, statusMs: statusMs, pageMs: pageMs))
            progress.update(Int(now.timeIntervalSince(start)), detail: String(format: "step %d, coordinator %.1f MB", read.step, coordinatorFigures.rssMB))
        }
        progress.finish()
        coordinator.interrupt()
        print(Self.report(samples, kills: nextVictim))
        print("load average after: \(Self.loadAverage())")
        if let keep { print("kept: \(keep)") }
    }

    static func loadAverage() -> String {
        ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// The table: figure, first-minute mean, last value, slope per 1000 steps after the first minute.
    static func report(_ samples: [Sample], kills: Int) -> String {
        guard let last = samples.last else { return "no samples" }
        let firstMinute = samples.filter { $0.time <= 60 }
        let later = samples.filter { $0.time > 60 }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }
        func slope(_ value: (Sample) -> Double?) -> Double {
            leastSquaresSlope(later.compactMap { s in value(s).map { (x: Double(s.step) / 1000, y: $0) } })
        }
        func text(_ v: Double?, _ format: String) -> String { v.map { String(format: format, $0) } ?? "–" }
        func cells(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
            func pad(_ s: String, _ width: Int, left: Bool = false) -> String {
                let fill = String(repeating: " ", count: max(0, width - s.count))
                return left ? s + fill : fill + s
            }
            return pad(a, 40, left: true) + pad(b, 14) + pad(c, 12) + pad(d, 18)
        }
        var lines = [cells("figure", "first minute", "last minute", "per 1000 steps")]
        func row(_ name: String, _ value: (Sample) -> Double?, _ format: String) {
            let first = mean(firstMinute.compactMap(value))
            let lastMinute = samples.filter { $0.time > last.time - 60 }.compactMap(value)
            let shown = mean(lastMinute) ?? value(last)
            lines.append(cells(name, text(first, format), text(shown, format), String(format: "%+.3f", slope(value))))
        }
        row("coordinator RSS (MB)", { $0.coordinator.rssMB }, "%.1f")
        row("coordinator threads", { Double($0.coordinator.threads) }, "%.0f")
        row("coordinator fds", { Double($0.coordinator.fds) }, "%.0f")
        // Workers: per lifetime (a replacement starts afresh), after its first 30 s.
        var lifeSlopes: (rss: [Double], threads: [Double], fds: [Double]) = ([], [], [])
        let lifeIDs = Set(samples.flatMap { $0.workers.map(\.life) })
        for life in lifeIDs.sorted() {
            let points = samples.compactMap { s in s.workers.first { $0.life == life && $0.age > 30 }.map { (step: Double(s.step) / 1000, f: $0.figures) } }
            guard points.count >= 4, let first = points.first, let end = points.last, end.step - first.step > 0.05 else { continue }
            lifeSlopes.rss.append(leastSquaresSlope(points.map { (x: $0.step, y: $0.f.rssMB) }))
            lifeSlopes.threads.append(leastSquaresSlope(points.map { (x: $0.step, y: Double($0.f.threads)) }))
            lifeSlopes.fds.append(leastSquaresSlope(points.map { (x: $0.step, y: Double($0.f.fds)) }))
        }
        func workerRow(_ name: String, _ value: (ProcessFigures) -> Double, _ slopes: [Double], _ format: String) {
            let first = mean(firstMinute.flatMap { $0.workers.map { value($0.figures) } })
            let shown = mean(last.workers.map { value($0.figures) })
            let median = slopes.sorted().dropFirst(slopes.count / 2).first
            lines.append(cells(name, text(first, format), text(shown, format), median.map { String(format: "%+.3f", $0) } ?? "–"))
        }
        workerRow("worker RSS (MB, median of \(lifeSlopes.rss.count) lives)", { $0.rssMB }, lifeSlopes.rss, "%.1f")
        workerRow("worker threads", { Double($0.threads) }, lifeSlopes.threads, "%.0f")
        workerRow("worker fds", { Double($0.fds) }, lifeSlopes.fds, "%.0f")
        row("log-json step line (bytes)", { $0.lineBytes.map(Double.init) }, "%.0f")
        row("GET /api/status (ms)", { $0.statusMs }, "%.1f")
        row("GET / (ms)", { $0.pageMs }, "%.1f")
        // Throughput: steps per minute in the second and the last minute.
        func stepsPerMinute(from t0: Double, to t1: Double) -> Double? {
            guard let a = samples.last(where: { $0.time <= t0 }) ?? samples.first, let b = samples.last(where: { $0.time <= t1 }),
                  b.time > a.time else { return nil }
            return Double(b.step - a.step) / (b.time - a.time) * 60
        }
        let second = stepsPerMinute(from: 60, to: 120)
        let lastMinute = stepsPerMinute(from: last.time - 60, to: last.time)
        lines.append(cells("throughput (steps/min)", text(second, "%.0f") + " (2nd)", text(lastMinute, "%.0f"),
                           second.flatMap { s in lastMinute.map { String(format: "last/2nd %.2f", $0 / max(1e-9, s)) } } ?? "–"))
        lines.append("\(last.step) steps in \(Int(last.time)) s, \(kills) worker(s) killed and replaced, \(samples.count) samples")
        return lines.joined(separator: "\n")
    }
}

/// Follows a `--log-json` file: the newest step and the size of the newest step line.
final class LogTail {
    let path: String
    private var offset: UInt64 = 0
    private var partial: [UInt8] = []
    private(set) var step = 0

    init(path: String) { self.path = path }

    /// Reads what was appended; returns the newest step and its line's size (nil when no new step line).
    func read() -> (step: Int, lineBytes: Int?) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return (step, nil) }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEnd()) ?? Data()
        offset += UInt64(data.count)
        partial += data
        var lineBytes: Int?
        while let newline = partial.firstIndex(of: 10) {
            let line = partial[..<newline]
            if let parsed = StepLogLine.parse(String(decoding: line, as: UTF8.self)), parsed.type == "step" {
                step = parsed.step
                lineBytes = line.count
            }
            partial.removeSubrange(...newline)
        }
        return (step, lineBytes)
    }
}
