import Cluster
import Config
import Console
import CycleGAN
import Datasets
import Foundation
import Tensor

/// `herd bench allreduce` (and later `herd bench cluster`).
enum BenchClusterCommands {
    static let commands: [Subcommand] = [allReduce, cluster]

    static let allReduce = Subcommand(["bench", "allreduce"], spec: CommandSpec(
        name: "herd bench allreduce",
        abstract: "Measure ring all-reduce throughput over real TCP.",
        discussion: """
            Without --rank, runs --workers replicas on threads of this process over loopback.
            With --rank R --hosts H0:P,H1:P,..., this process is replica R of a ring of processes
            (start one per machine or network namespace, same --hosts everywhere). The token comes
            from --token-file or HERD_TOKEN (a fixed benchmark token when neither is set).
            With --link-gbit, compares with the bound: the busiest link's bytes / link rate (the exact,
            slot-ordered all-reduce moves the whole buffer once over each link with 2 replicas, twice
            over the busiest links with 3 or more).
            """,
        options: [
            .value("workers", "N", help: "Replicas on local threads.", default: "2"),
            .value("mb", "MB", help: "Buffer size in megabytes (113 = CycleGAN's G+D gradients).", default: "113"),
            .value("iterations", "N", help: "Timed all-reduces after one warm-up.", default: "5"),
            .value("chunk-kb", "KB", help: "Pipelining chunk size in KiB.", default: "1024"),
            .value("link-gbit", "G", help: "Link rate to compare with, in Gbit/s."),
            .value("rank", "R", help: "Run as replica R of a multi-process ring."),
            .value("hosts", "LIST", help: "Comma-separated HOST:PORT of every replica, in ring order."),
            .value("token-file", "FILE", help: "Cluster token file."),
        ],
        examples: ["herd bench allreduce --workers 3 --mb 113 --link-gbit 1",
                   "herd bench allreduce --rank 0 --hosts 10.77.0.1:7100,10.77.0.2:7100 --mb 113 --link-gbit 1"])) { args in
        let megabytes = try args.double("mb") ?? 113
        let iterations = try args.int("iterations", default: 5, minimum: 1)
        let chunkFloats = try args.int("chunk-kb", default: 1024, minimum: 1) * 256
        let linkGbit = try args.double("link-gbit")
        let token: ClusterToken
        if args.string("token-file") != nil || ProcessInfo.processInfo.environment["HERD_TOKEN"] != nil {
            token = try ClusterToken.load(file: args.string("token-file") ?? "", environment: ProcessInfo.processInfo.environment)
        } else {
            token = try ClusterToken("herd-allreduce-benchmark")
        }
        let result: AllReduceBenchmark.Result
        if let rank = try args.int("rank") {
            let hosts = try args.required("hosts").split(separator: ",").map { (s) throws -> HostPort in try HostPort(parsing: String(s)) }
            print("replica \(rank) of \(hosts.count): listening on \(hosts[min(rank, hosts.count - 1)]), waiting for the ring...")
            result = try AllReduceBenchmark.runMember(rank: rank, hosts: hosts, megabytes: megabytes, iterations: iterations,
                                                      chunkFloats: chunkFloats, token: token)
        } else {
            let workers = try args.int("workers", default: 2, minimum: 2)
            result = try AllReduceBenchmark.runLocal(workers: workers, megabytes: megabytes, iterations: iterations,
                                                     chunkFloats: chunkFloats, token: token)
        }
        print(result.report(linkGbit: linkGbit))
        print("  per step: " + result.seconds.map { String(format: "%.3f s", $0) }.joined(separator: ", "))
    }

    static let cluster = Subcommand(["bench", "cluster"], spec: CommandSpec(
        name: "herd bench cluster",
        abstract: "Compare a coordinator + N worker processes with one worker on the same total batch.",
        discussion: """
            Writes a synthetic dataset and a config to a scratch directory, runs the `coordinator` and
            `worker` executables (found next to `herd`) over loopback for --steps steps, first with
            --workers workers, then with one, and prints samples/s of each (steady state: the steps after
            the first, which also pays for file transfers, decodes and ring links) and the all-reduce time per step
            (the ring's own: from the barrier every member reaches once it has computed its share, to the
            end) next to its bound, the busiest link's bytes / link rate (the gradient size once with 2
            workers, twice with 3 or more: the running sum goes along the ring in slot order, then the sum
            round to all), and how long members waited at the
            barrier for the slowest one. The all-reduce is the mean over the steps after the first, then
            its minimum, median and maximum and how many steps kept within 10% of the bound. While a run
            goes, a line per step shows its progress (samples/s so far and the step's all-reduce).

            Where the time went, per run and over all runs ("time shares"): seconds a worker computed per
            sample it held, and seconds a step took beyond its slowest worker's compute (the all-reduce
            left after the passes, the exchange and commit round trips, the update). With N workers on
            one machine (loopback or --lan), the computing itself slows when the cores are shared, by the
            other workers and by sealing and the network stack; the first figure shows how much, apart
            from what the cluster adds around the computing.

            With --rounds N the pair of runs is repeated N times. A slow phase of a shared machine lasts
            minutes and hurts the run that keeps every core busy most, so the speed-up then compares
            each configuration's best round (every round's own ratio is printed too), and the all-reduce
            figures cover the steps of all rounds.

            With --lan SCRIPT (`../shared/tools/home-lan.sh`, after `home-lan.sh up N+1`; needs root) every
            process runs on its own simulated host: the coordinator in lan0 (10.77.0.1), worker i in lan(i+1),
            so all traffic crosses the shaped links (--link-mbit says their rate, for the bound).
            """,
        options: [
            .value("workers", "N", help: "Workers of the cluster run.", default: "2"),
            .value("threads", "N", help: "Kernel threads per worker.", default: "1"),
            .value("size", "PX", help: "Image size.", default: "64"),
            .value("ngf", "N", help: "Generator filters.", default: "16"),
            .value("blocks", "N", help: "Residual blocks.", default: "2"),
            .value("batch", "N", help: "Global batch.", default: "4"),
            .value("steps", "N", help: "Steps per run.", default: "6"),
            .value("rounds", "N", help: "Rounds of (N workers, 1 worker) runs; the speed-up compares each configuration's best round.", default: "1"),
            .value("lan", "SCRIPT", help: "Run each process in a home-lan.sh namespace (see above).", default: "loopback"),
            .value("link-mbit", "N", help: "Link rate for the all-reduce bound, Mbit/s.", default: "1000"),
            .value("keep", "DIR", help: "Keep the scratch directory here: config, status logs (status-N.jsonl) and every process's output (coordinator-N.log, worker-N-I.log); rounds after the first add -roundR to the names."),
        ],
        examples: ["herd bench cluster --workers 2 --threads 1 --size 64 --steps 6",
                   "sudo ../shared/tools/home-lan.sh up 3 && herd bench cluster --lan ../shared/tools/home-lan.sh --blocks 6 --ngf 64 --size 128 --steps 6 --rounds 3"])) { args in
        let workers = try args.int("workers", default: 2, minimum: 1)
        let threads = try args.int("threads", default: 1, minimum: 1)
        let size = try args.int("size", default: 64, minimum: 32)
        let batch = try args.int("batch", default: 4, minimum: 1)
        let steps = try args.int("steps", default: 6, minimum: 2)
        let rounds = try args.int("rounds", default: 1, minimum: 1)
        let lan = args.string("lan")
        let linkBytesPerSecond = Double(try args.int("link-mbit", default: 1000, minimum: 1)) * 1e6 / 8
        if let lan, !FileManager.default.isExecutableFile(atPath: lan) {
            throw BenchmarkError("--lan \(lan): not an executable script (expected ../shared/tools/home-lan.sh)")
        }
        let keep = args.string("keep")
        let directory = keep ?? (NSTemporaryDirectory() + "herd-bench-cluster-\(UInt32.random(in: 0...UInt32.max))")
        if let keep, FileManager.default.fileExists(atPath: keep) {
            throw BenchmarkError("--keep \(keep): already exists; name a new directory")
        }
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: directory) } }
        let bench = try ClusterBench(directory: directory, lan: lan, threads: threads, steps: steps, rounds: rounds,
                                     size: size, batch: batch, ngf: try args.int("ngf", default: 16, minimum: 1),
                                     blocks: try args.int("blocks", default: 2, minimum: 1))
        let model = try CycleGANModel(architecture: bench.config.model, seed: 0)
        let gradientBytes = Double(4 * (model.generators.count + model.discriminators.count))
        let bound = RingAllReduce.busiestLinkFraction(size: workers) * gradientBytes / linkBytesPerSecond
        print("cluster bench: \(size)x\(size), ngf \(bench.config.model.ngf), \(bench.config.model.nBlocks) blocks, batch \(batch), \(steps) steps, \(threads) thread(s) per worker, "
              + (lan == nil ? "loopback" : "home LAN \(lan ?? "")") + String(format: ", gradients %.1f MB", gradientBytes / 1e6))
        var manyRuns: [ClusterBench.Result] = [], oneRuns: [ClusterBench.Result] = []
        for round in 1...rounds {
            let many = try bench.measure(workers: workers, round: round)
            manyRuns.append(many)
            print(String(format: "  %d workers: %.3f samples/s, all-reduce %.3f s per step (bound at %.0f Mbit/s: %.3f s, %.0f%%), %.3f s waiting at the barrier for the slowest member",
                         workers, many.rate, ClusterBench.mean(many.reduce), linkBytesPerSecond * 8 / 1e6, bound, 100 * bound / max(1e-9, ClusterBench.mean(many.reduce)), many.wait))
            print("  \(workers) workers: \(many.timeShares)")
            let one = try bench.measure(workers: 1, round: round)
            oneRuns.append(one)
            print(String(format: "  1 worker:  %.3f samples/s; ", one.rate) + one.timeShares)
            if rounds > 1 {
                print(String(format: "  round %d/%d speed-up: %.2fx", round, rounds, many.rate / max(1e-9, one.rate)))
            }
        }
        let manyRates = manyRuns.map(\.rate), oneRates = oneRuns.map(\.rate), reduces = manyRuns.flatMap(\.reduce)
        let reduceMean = ClusterBench.mean(reduces)
        // The mean hides how uneven the steps are: show the spread and how many steps kept to the bound.
        if let low = reduces.min(), let high = reduces.max(), let median = reduces.median, workers > 1 {
            let close = reduces.filter { $0 <= 1.1 * bound }.count
            print(String(format: "  all-reduce per step%@: mean %.3f s (bound %.3f s, %.0f%%), min %.3f s, median %.3f s, max %.3f s; %d of %d reported steps within 10%% of the bound",
                         rounds > 1 ? " over all rounds" : "", reduceMean, bound, 100 * bound / max(1e-9, reduceMean),
                         low, median, high, close, reduces.count))
        }
        // Where a shortfall comes from: computing slower per sample side by side (shared cores and
        // memory, the sealing and network stack on the same cores), or time around the computing.
        let manyCompute = ClusterBench.mean(manyRuns.map(\.computePerSample)), oneCompute = ClusterBench.mean(oneRuns.map(\.computePerSample))
        print(String(format: "  time shares%@: compute per sample %.3f s with %d workers, %.3f s with 1 (%+.1f%%); beyond the slowest worker's compute %.3f s per step with %d workers, %.3f s with 1",
                     rounds > 1 ? " over all rounds" : "", manyCompute, workers, oneCompute, 100 * (manyCompute / max(1e-9, oneCompute) - 1),
                     ClusterBench.mean(manyRuns.map(\.beyondCompute)), workers, ClusterBench.mean(oneRuns.map(\.beyondCompute))))
        if rounds > 1 {
            // A slow phase of a shared machine lasts minutes and hits the run that uses every core
            // hardest: compare each configuration at its best, like `herd bench kernels --rounds`.
            let bestMany = manyRates.max() ?? 0, bestOne = oneRates.max() ?? 0
            let perRound = zip(manyRates, oneRates).map { String(format: "%.2fx", $0 / max(1e-9, $1)) }.joined(separator: ", ")
            print(String(format: "  best of %d rounds: %d workers %.3f samples/s, 1 worker %.3f samples/s", rounds, workers, bestMany, bestOne))
            print(String(format: "  speed-up: %.2fx (best against best; rounds: %@)", bestMany / max(1e-9, bestOne), perRound))
        } else {
            print(String(format: "  speed-up: %.2fx", (manyRates.first ?? 0) / max(1e-9, oneRates.first ?? 0)))
        }
    }
}
