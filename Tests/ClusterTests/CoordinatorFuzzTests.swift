import Config
import Datasets
import Foundation
import Testing
@testable import Cluster

/// Throws random and mutated frames at a live coordinator while two workers train.
enum Fuzzer {
    /// Sends at least `frames` frames over many short connections; returns how many were sent.
    static func run(port: Int, frames: Int, seed: UInt64, token: ClusterToken) -> Int {
        var rng = SplitMix64(seed: seed)
        let valid = sampleMessages().map { $0.frame() }
        var sent = 0
        let address = HostPort(host: "127.0.0.1", port: port)
        while sent < frames {
            guard let c = try? Connection.connect(to: address, timeout: 2) else { continue }
            defer { c.close() }
            switch rng.next() % 3 {
            case 0:
                // Raw noise, sometimes with the right magic.
                var bytes = (0..<Int(rng.next() % 200)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if rng.next() % 2 == 0 { bytes = Preamble.bytes(version: UInt32(rng.next() % 3)) + bytes }
                try? c.sendRaw(bytes)
                sent += 1
            case 1:
                // The right preamble, then mutated frames instead of a proper hello.
                var bytes = Preamble.bytes()
                let n = Int(rng.next() % 5) + 1
                for _ in 0..<n { bytes += mutate(valid[Int(rng.next() % UInt64(valid.count))], &rng) }
                try? c.sendRaw(bytes)
                sent += n
            default:
                // An authenticated peer that then talks nonsense: sealed frames with mutated
                // payloads (they reach the message decoder), and sealed frames flipped, replayed,
                // reordered or cut on the way, or sent unsealed.
                guard (try? Handshake.client(c, token: token, hello: Hello(role: .worker, name: "fuzz", nonce: [], dataPort: 9, threads: 1))) != nil else { continue }
                let n = Int(rng.next() % 30) + 10
                var bytes: [UInt8] = []
                var previous: [UInt8] = []
                for _ in 0..<n {
                    let frame = valid[Int(rng.next() % UInt64(valid.count))]
                    var sealed = c.wireBytes(of: Frame(kind: frame.kind, payload: mutatePayload(frame.payload, &rng)))
                    switch rng.next() % 8 {
                    case 0: sealed[Int(rng.next() % UInt64(sealed.count))] ^= UInt8(1 << (rng.next() % 8))   // flipped bit
                    case 1: sealed = previous.isEmpty ? sealed : previous                                      // replay
                    case 2: sealed = Array(sealed.prefix(Int(rng.next() % UInt64(sealed.count))))              // truncation
                    case 3: let next = c.wireBytes(of: frame); sealed = next + sealed                         // reordered
                    case 4: sealed = mutate(frame, &rng)                                                       // unsealed
                    default: break
                    }
                    previous = sealed
                    bytes += sealed
                }
                try? c.sendRaw(bytes)
                sent += n
            }
        }
        return sent
    }

    /// A frame with a few random byte changes, re-sealed half of the time so it passes
    /// the CRC and reaches the message decoder; sometimes an oversize or truncated one.
    static func mutate(_ frame: Frame, _ rng: inout SplitMix64) -> [UInt8] {
        switch rng.next() % 10 {
        case 0:
            var header: [UInt8] = []
            Frame.appendHeader(to: &header, kind: frame.kind, payloadCount: Frame.defaultMaxPayload + 1 + Int(rng.next() % 1000), crc: 0)
            return header
        case 1:
            return Array(frame.encoded().prefix(Int(rng.next() % 20)))
        default:
            let payload = mutatePayload(frame.payload, &rng)
            var bytes = Frame(kind: rng.next() % 8 == 0 ? UInt8(rng.next() % 64) : frame.kind, payload: payload).encoded()
            if rng.next() % 2 == 0 && bytes.count > Frame.headerSize { bytes[Int(rng.next() % UInt64(bytes.count))] ^= 0x5a }
            return bytes
        }
    }
}

/// A payload with one to four random bytes changed.
func mutatePayload(_ payload: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
    var payload = payload
    for _ in 0..<(Int(rng.next() % 4) + 1) where !payload.isEmpty {
        payload[Int(rng.next() % UInt64(payload.count))] = UInt8.random(in: 0...255, using: &rng)
    }
    return payload
}

@Suite(.serialized) struct CoordinatorFuzzTests {
    @Test func tenThousandRandomAndMutatedFramesNeitherCrashNorHangTheCoordinatorAndTrainingContinues() throws {
        let reference = try toyReference()
        let cluster = ToyCluster()
        let port = try cluster.startCoordinator(minWorkers: 2)
        let start = Date()
        // Half before the workers arrive, half while they train.
        let before = Fuzzer.run(port: port, frames: 5000, seed: 1, token: cluster.token)
        cluster.startWorker("a", port: port) { _, _ in Thread.sleep(forTimeInterval: 0.05) }
        cluster.startWorker("b", port: port) { _, _ in Thread.sleep(forTimeInterval: 0.05) }
        let during = LockedBox(0)
        let fuzzDone = DispatchSemaphore(value: 0)
        let token = cluster.token
        Thread.detachNewThread {
            during.set(Fuzzer.run(port: port, frames: 5000, seed: 2, token: token))
            fuzzDone.signal()
        }
        #expect(fuzzDone.wait(timeout: .now() + 60) == .success)
        try #require(cluster.waitForEnd(timeout: 60), "\(cluster.transcript.suffix(4000))")
        #expect(before + during.get() >= 10_000)
        #expect(Date().timeIntervalSince(start) < 90)
        #expect(cluster.coordinatorError.get() == nil)
        for w in cluster.workers {
            #expect(w.handle.committedStep.get() == 6)
            #expect(maxDifference(w.replica.params, reference) < 2e-5)
        }
        #expect(cluster.transcript.contains("refused a connection"))
        print("FUZZ frames \(before + during.get()), refused \(cluster.transcript.components(separatedBy: "refused a connection").count - 1), dropped members \(cluster.transcript.components(separatedBy: "fuzz left").count - 1), steps dropped \(cluster.transcript.components(separatedBy: "dropped everywhere").count - 1)")
    }
}
