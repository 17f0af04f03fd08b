import Config
@testable import Cluster
import Foundation
import Testing

/// Row 2 of the audit, as it happened: a coordinator process with few file descriptors
/// (`ulimit -n`) and a crowd of idle unauthenticated connections used to exit 1 ("cannot
/// serve a file … permission denied or I/O error": no descriptor left to open an image).
/// Now it turns the crowd away, says why in its log, and trains the run to its end.
@Suite(.serialized) struct DescriptorLimitProcessTests {
    static let descriptorLimit = 40

    @Test(.timeLimit(.minutes(5))) func aCoordinatorWithFewDescriptorsAndManyIdleStrangersTrainsToTheEnd() throws {
        guard let coordinator = CycleGANClusterTests.executable("coordinator"), let worker = CycleGANClusterTests.executable("worker") else {
            Issue.record("coordinator/worker executables not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let tiny = try TinyCycleGAN()
        let port = HostPort.randomFixedPort()
        tiny.config.cluster.listen = "127.0.0.1:\(port)"
        tiny.config.cluster.tokenFile = tiny.root + "/herd.token"
        tiny.config.dashboard.listen = ""
        tiny.config.checkpoint.everySteps = 1
        try "descriptor-test-token-0123456789\n".write(toFile: tiny.config.cluster.tokenFile, atomically: true, encoding: .utf8)
        let configPath = tiny.root + "/cluster.json"
        try Data(tiny.json).write(to: URL(fileURLWithPath: configPath))

        // The limit is set in the child only (this test process keeps its own).
        let coord = try LoggedProcess("/bin/sh", ["-c", "ulimit -n \(Self.descriptorLimit) && exec \"$0\" \"$@\"", coordinator, "--config", configPath],
                                      log: tiny.root + "/coordinator.log")
        defer { if coord.process.isRunning { kill(coord.pid, SIGKILL) } }
        try #require(coord.waitFor(30) { $0.contains("listening on") }, "\(coord.text)")

        // Strangers: connect and say nothing, keeping up to 200 open, replacing those the
        // coordinator closes, for as long as the run lasts (bounded in count and time).
        let stop = LockedBox(false)
        let opened = LockedBox(0)
        let crowd = Thread {
            var held: [Int32] = []
            let deadline = Date().addingTimeInterval(150)
            var attempts = 0
            while !stop.get() && Date() < deadline && attempts < 20_000 {
                attempts += 1
                if held.count >= 200 { close(held.removeFirst()) }
                if let fd = Self.connectIdle(port: port) { held.append(fd); opened.update { $0 += 1 } }
                if attempts % 50 == 0 { Thread.sleep(forTimeInterval: 0.05) }
            }
            for fd in held { close(fd) }
        }
        crowd.start()
        defer { stop.set(true) }
        Thread.sleep(forTimeInterval: 2)

        let w = try LoggedProcess(worker, ["--coordinator", "127.0.0.1:\(port)", "--token-file", tiny.config.cluster.tokenFile,
                                           "--threads", "1", "--name", "w"] + LoggedProcess.orphanedWorkerExits, log: tiny.root + "/worker.log")
        defer { if w.process.isRunning { kill(w.pid, SIGKILL) } }
        let end = Date().addingTimeInterval(180)
        while coord.process.isRunning && Date() < end { Thread.sleep(forTimeInterval: 0.2) }
        stop.set(true)
        let log = coord.text
        #expect(!coord.process.isRunning, "the coordinator did not finish within 180 s\n\(log.suffix(4000))")
        guard !coord.process.isRunning else { return }
        #expect(coord.process.terminationStatus == 0, "\(log.suffix(4000))\n--- worker:\n\(w.text.suffix(2000))")
        #expect(log.contains("run finished at step 6"), "\(log.suffix(4000))")
        #expect(opened.get() > 200, "the crowd opened only \(opened.get()) connections")
        // Why strangers were refused is in the log.
        #expect(log.contains("file descriptors") || log.contains("still in their handshake"), "\(log.suffix(4000))")
        #expect(!log.contains("cannot serve a file"), "\(log.suffix(4000))")
    }

    /// A loopback connection to `port` that never says anything; nil when refused.
    static func connectIdle(port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)   // bounds connect too (Linux)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { close(fd); return nil }
        return fd
    }
}
