import Cluster
import Console
import Foundation

/// `herd bench seal`: what sealing every frame costs, on one core.
enum BenchSealCommand {
    static let commands: [Subcommand] = [
        Subcommand(["bench", "seal"], spec: CommandSpec(
            name: "herd bench seal",
            abstract: "Measure sealing and opening (ChaCha20-Poly1305) of ring-chunk frames on one core.",
            discussion: """
                Every frame after the handshake is sealed: the sender enciphers and authenticates it,
                the receiver checks and deciphers it (RFC 8439 ChaCha20-Poly1305, see docs/PROTOCOL.md).
                This seals --mb megabytes as frames of --chunk-kb KiB (the ring's chunk size) into a
                second buffer, opens them back, checks every tag and the round trip, and reports the
                best of --rounds rounds in bytes of payload per second of the calling thread's CPU
                time (one core; other processes on the machine do not count against it).

                The ring all-reduce of a res-6 128 CycleGAN step moves about 85 MB per worker in
                each direction; a worker seals what it sends (on its sending thread) and opens what
                it receives (on its receiving thread). The last line estimates that cost per step.
                To compare a whole cluster step with and without sealing, run `herd bench cluster`
                once normally and once with HERD_UNSEALED_WIRE=1 in its environment (the frames are
                then readable by anyone on the path; every process says so loudly).
                """,
            options: [
                .value("mb", "MB", help: "Payload sealed and opened per round, in megabytes.", default: "85"),
                .value("chunk-kb", "KB", help: "Frame payload size in KiB.", default: "1024"),
                .value("rounds", "N", help: "Timed rounds after one warm-up; the best counts.", default: "5"),
            ],
            examples: ["herd bench seal", "herd bench seal --mb 85 --chunk-kb 1024 --rounds 9"])) { args in
            let megabytes = try args.double("mb") ?? 85
            let chunk = try args.int("chunk-kb", default: 1024, minimum: 1) << 10
            let rounds = try args.int("rounds", default: 5, minimum: 1)
            let total = max(chunk, Int(megabytes * 1e6) / chunk * chunk)
            let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
            let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
            let opened = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 64)
            defer { plain.deallocate(); sealed.deallocate(); opened.deallocate() }
            var rng = SystemRandomNumberGenerator()
            for i in stride(from: 0, to: total, by: 8) { plain.storeBytes(of: rng.next() as UInt64, toByteOffset: i, as: UInt64.self) }
            let key = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let header = [UInt8](repeating: 0, count: Frame.headerSize)
            func nonce(_ n: Int) -> [UInt8] { [0, 0, 0, 0] + withUnsafeBytes(of: UInt64(n).littleEndian) { Array($0) } }
            var bestSeal = Double.infinity, bestOpen = Double.infinity
            print("sealing and opening \(total / 1_000_000) MB as \(total / chunk) frames of \(chunk >> 10) KiB, \(rounds) rounds after a warm-up...")
            for round in 0...rounds {
                var tags: [[UInt8]] = []
                let t0 = threadNanoseconds()
                for f in 0..<(total / chunk) {
                    var s = ChaCha20Poly1305.Stream(key: key, nonce: nonce(f), aad: header)
                    s.seal(from: plain.baseAddress! + f * chunk, to: sealed.baseAddress! + f * chunk, count: chunk)
                    tags.append(s.tag())
                }
                let t1 = threadNanoseconds()
                var intact = true
                for f in 0..<(total / chunk) {
                    var s = ChaCha20Poly1305.Stream(key: key, nonce: nonce(f), aad: header)
                    s.open(from: sealed.baseAddress! + f * chunk, to: opened.baseAddress! + f * chunk, count: chunk)
                    intact = intact && s.tag() == tags[f]
                }
                let t2 = threadNanoseconds()
                guard intact, memcmp(plain.baseAddress!, opened.baseAddress!, total) == 0 else {
                    throw BenchSealFailure()
                }
                guard round > 0 else { continue }
                let sealSeconds = Double(t1 - t0) / 1e9, openSeconds = Double(t2 - t1) / 1e9
                bestSeal = min(bestSeal, sealSeconds); bestOpen = min(bestOpen, openSeconds)
                print(String(format: "  round %d: seal %.2f GB/s, open %.2f GB/s", round,
                             Double(total) / sealSeconds / 1e9, Double(total) / openSeconds / 1e9))
            }
            let sealRate = Double(total) / bestSeal, openRate = Double(total) / bestOpen
            print(String(format: "best: seal %.2f GB/s, open %.2f GB/s, seal+open %.2f GB/s (bytes through both, one core)",
                         sealRate / 1e9, openRate / 1e9, 1 / (1 / sealRate + 1 / openRate) / 1e9))
            print(String(format: "a res-6 128 step's ~85 MB each way per worker: %.0f ms sealing (sending thread) + %.0f ms opening (receiving thread)",
                         85e6 / sealRate * 1e3, 85e6 / openRate * 1e3))
        },
    ]
}

/// The bench's round trip did not give the plaintext back.
struct BenchSealFailure: Error, CustomStringConvertible {
    var description: String { "sealed frames did not open to the same bytes: the cipher is broken on this machine" }
}

/// CPU time used by the calling thread, in nanoseconds.
func threadNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}
