import Config
import Foundation
import Testing
@testable import Cluster

/// Audit rough edge: one authenticated peer could ask for the same file 5,000 times and the
/// coordinator read and sent it 5,000 times. Now a worker gets only the files of its own plan,
/// each once; the rest of its asks are ignored, and a peer that keeps asking is dropped.
@Suite struct FileServingLimitTests {
    @Test(.timeLimit(.minutes(2))) func onePeerAskingForTheSameFile5000TimesGetsItAtMostOnceAndIsDropped() throws {
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 1)
        cluster.startWorker("a", port: port)
        let digest = Blob(bytes: Toy.image(0)).digest
        let greedy = try Connection.connect(to: HostPort(host: "127.0.0.1", port: port), timeout: 5)
        defer { greedy.close() }
        _ = try Handshake.client(greedy, token: cluster.token, hello: Hello(role: .worker, name: "greedy", nonce: [], dataPort: 9, threads: 1))
        // 5,000 asks for one file of the run: 50 requests of 100 each.
        var sent = 0
        for _ in 0..<50 {
            do { try greedy.send(.blobRequest(BlobRequest(digests: Array(repeating: digest, count: 100)))) } catch { break }
            sent += 100
        }
        #expect(sent > ClusterCoordinator.maxIgnoredAsks)
        // What comes back: never a file (it was planned nothing), and the connection ends.
        var filesReceived = 0
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard let message = try? greedy.receive(timeout: 1) else { break }
            if case .blobs(let blobs) = message { filesReceived += blobs.count }
        }
        #expect(filesReceived == 0)
        try #require(cluster.waitForEnd(timeout: 90), "\(cluster.transcript.suffix(3000))")
        #expect(cluster.coordinatorError.get() == nil)
        #expect(cluster.workers[0].handle.committedStep.get() == 6)
        // The worker of the run fetched the file once; the 5,000 asks read it never.
        #expect((cluster.run.served[digest] ?? 0) <= 1, "served \(cluster.run.served[digest] ?? 0) times")
        let transcript = cluster.transcript
        #expect(transcript.contains("greedy") && transcript.contains("already sent to it or not planned for it"), "\(transcript.suffix(3000))")
    }
}
