import Foundation
import Testing

/// `herd bench cluster` explains a run that never got going instead of only saying it failed.
@Suite struct BenchClusterProcessTests {
    /// With `--lan` and no LAN up, the namespace tool fails at once: the error quotes that
    /// failure and says how to bring the LAN up.
    @Test func aBenchOnASimulatedLANThatIsNotUpSaysHowToBringItUp() throws {
        guard let herd = CycleGANClusterTests.executable("herd") else {
            Issue.record("herd not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let root = NSTemporaryDirectory() + "herd-bench-nolan-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Stands in for home-lan.sh when `home-lan.sh up` was never run: `ip netns exec` fails.
        let lan = root + "/home-lan.sh"
        try "#!/bin/sh\necho \"Cannot open network namespace \\\"lan$2\\\": No such file or directory\" >&2\nexit 1\n"
            .write(toFile: lan, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: lan)
        let bench = Process()
        bench.executableURL = URL(fileURLWithPath: herd)
        bench.arguments = ["bench", "cluster", "--lan", lan, "--workers", "1", "--steps", "2", "--size", "32", "--ngf", "4", "--blocks", "1"]
        let output = Pipe()
        bench.standardOutput = output
        bench.standardError = output
        try bench.run()
        let deadline = Date().addingTimeInterval(60)
        while bench.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if bench.isRunning { bench.terminate() }
        bench.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(bench.terminationStatus != 0)
        #expect(text.contains("reported no step: the coordinator exited with status 1"), "\(text)")
        #expect(text.contains("Cannot open network namespace \"lan0\""), "\(text)")
        #expect(text.contains("run 'sudo \(lan) up 2' first"), "\(text)")
        #expect(!text.contains("Fatal error"), "\(text)")
    }
}
