import Cluster
import Config
import Console
import Foundation

/// `herd bench allreduce` (and later `herd bench cluster`).
enum BenchClusterCommands {
    static let commands: [Subcommand] = [allReduce]

    static let allReduce = Subcommand(["bench", "allreduce"], spec: CommandSpec(
        name: "herd bench allreduce",
        abstract: "Measure ring all-reduce throughput over real TCP.",
        discussion: """
            Without --rank, runs --workers replicas on threads of this process over loopback.
            With --rank R --hosts H0:P,H1:P,..., this process is replica R of a ring of processes
            (start one per machine or network namespace, same --hosts everywhere). The token comes
            from --token-file or HERD_TOKEN (a fixed benchmark token when neither is set).
            With --link-gbit, compares with the bound 2(N-1)/N x size / link rate.
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
}
