import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The README's first command: `herd demo` makes its data and token, trains on a coordinator
/// and two worker processes, has a third worker join mid-run, and says where its output is.
@Suite struct DemoProcessTests {
    @Test func herdDemoTrainsOnLocalWorkersWithAHotJoinAndSaysWhereItsOutputIs() throws {
        guard let herd = CycleGANClusterTests.executable("herd") else {
            Issue.record("herd not found next to the test bundle (\(Bundle.main.bundlePath)); build with swift build -c release")
            return
        }
        let root = NSTemporaryDirectory() + "herd-demo-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // 2 epochs of 30 steps: long enough (seconds) for the join at a third of the run.
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: herd)
        demo.arguments = ["demo", "--epochs", "2"]
        demo.currentDirectoryURL = URL(fileURLWithPath: root)
        let log = root + "/demo.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        demo.standardOutput = FileHandle(forWritingAtPath: log)
        demo.standardError = demo.standardOutput
        try demo.run()
        let deadline = Date().addingTimeInterval(240)
        while demo.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if demo.isRunning { kill(demo.processIdentifier, SIGINT); demo.waitUntilExit() }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(demo.terminationStatus == 0, "\(output)")
        for line in ["[1/4] Generating the synthetic dataset", "[2/4] Generating a cluster token",
                     "[3/4] Starting the coordinator", "[demo] hot join: starting worker-3", "worker worker-3 joined",
                     "run finished at step 60", "[4/4] Done.", "validation images: checkpoints/demo/val/",
                     "dashboard snapshot: checkpoints/demo/dashboard.html"] {
            #expect(output.contains(line), "missing '\(line)' in:\n\(output)")
        }
        let run = root + "/checkpoints/demo"
        for epoch in ["epoch_001", "epoch_002"] {
            let images = (try? FileManager.default.contentsOfDirectory(atPath: run + "/val/" + epoch)) ?? []
            #expect(images.contains { $0.hasSuffix(".png") }, "no validation images in \(run)/val/\(epoch)")
        }
        #expect(FileManager.default.fileExists(atPath: run + "/dashboard.html"))
        #expect(FileManager.default.fileExists(atPath: run + "/latest"))
    }
}
