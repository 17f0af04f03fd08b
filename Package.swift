// swift-tools-version:6.0
//
// Herd: a distributed data-parallel CycleGAN trainer. See README.md.
import Foundation
import PackageDescription

/// Release builds compile for the building machine's CPU: without it
/// `SIMD16<Float>.addingProduct` lowers to scalar `fmaf` calls and the GEMM
/// kernels run ~100x slower. Override with `HERD_TARGET_CPU`:
/// - unset or `native`: the host CPU (AVX-512 / AVX2 / NEON, whatever it has)
/// - `generic`: the toolchain's baseline target (portable binaries, slow)
/// - any other value: passed to `-target-cpu` (e.g. `znver3`, `skylake`, `apple-m1`)
let targetCPU = ProcessInfo.processInfo.environment["HERD_TARGET_CPU"] ?? "native"
let cpuFlags: [String] = targetCPU == "generic" ? [] : ["-target-cpu", targetCPU]
let settings: [SwiftSetting] = cpuFlags.isEmpty ? [] : [.unsafeFlags(cpuFlags)]

let package = Package(
    name: "Herd",
    products: [
        .executable(name: "herd", targets: ["herd"]),
        .executable(name: "coordinator", targets: ["Coordinator"]),
        .executable(name: "worker", targets: ["Worker"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "CycleGAN", targets: ["CycleGAN"]),
    ],
    targets: [
        // The one lock type (a POSIX mutex ThreadSanitizer can see), for every module.
        .target(name: "Locking", swiftSettings: settings),
        // Numeric core: tensors, autograd, kernels, thread pool, Adam. No I/O.
        .target(name: "Tensor", dependencies: ["Locking"], swiftSettings: settings),
        // Image codecs (JPEG, PNG, deflate), bicubic resize, hashes.
        .target(name: "Imaging", swiftSettings: settings),
        // Dataset layout, checks, preparation tools, synthetic data.
        .target(name: "Datasets", dependencies: ["Imaging"], swiftSettings: settings),
        // Sockets: resolve, listen, connect, options, a tiny HTTP/1.1 GET client. The one place for socket set-up.
        .target(name: "Sockets", swiftSettings: settings),
        // SHA-256: content hashes of training images, checkpoint checksums, HMAC.
        .target(name: "Hashing", swiftSettings: settings),
        // The YAML subset and the run configuration (`cluster.yaml`).
        .target(name: "Config", swiftSettings: settings),
        // Networks, losses, image pool, data pipeline, training step, checkpoints.
        .target(name: "CycleGAN", dependencies: ["Locking", "Tensor", "Imaging", "Datasets", "Config", "Gallery", "Hashing"], swiftSettings: settings),
        // The one layout of validation images (val/epoch_NNN/, index.html), kept in memory.
        .target(name: "Gallery", swiftSettings: settings),
        // The cluster engine, model-neutral: wire protocol, transport, authentication, ring
        // all-reduce, coordinator and worker state machines. Models plug in as `ReplicaModel`/`RunModel`.
        .target(name: "Cluster", dependencies: ["Locking", "Config", "Hashing", "Sockets"], swiftSettings: settings),
        // CycleGAN as a cluster model: the replica a worker runs and the run the coordinator owns.
        .target(name: "CycleGANCluster", dependencies: ["Cluster", "CycleGAN", "Tensor", "Imaging", "Config", "Hashing"], swiftSettings: settings),
        // The coordinator and worker commands and the cluster dashboard (used by herd, coordinator, worker).
        .target(name: "ClusterCLI", dependencies: ["Cluster", "CycleGAN", "CycleGANCluster", "Config", "Console", "Dashboard", "Tensor"], swiftSettings: settings),
        // Minimal HTTP/1.1 server and the live dashboard page.
        .target(name: "Dashboard", dependencies: ["Locking", "Imaging", "Sockets", "Gallery"], swiftSettings: settings),
        // Command-line plumbing shared by the executables: options, help, progress.
        .target(name: "Console", dependencies: ["Locking"], swiftSettings: settings),
        .executableTarget(name: "Coordinator", dependencies: ["ClusterCLI", "Console"], swiftSettings: settings),
        .executableTarget(name: "Worker", dependencies: ["ClusterCLI", "Console"], swiftSettings: settings),
        .executableTarget(
            name: "herd",
            dependencies: ["Tensor", "Imaging", "Datasets", "Config", "CycleGAN", "Cluster", "CycleGANCluster", "ClusterCLI", "Dashboard", "Console", "Sockets"],
            swiftSettings: settings),
        // Test-only: locates the shared fixtures (`../shared`) for every test target.
        .target(name: "SharedFixtures", path: "Tests/SharedFixtures", swiftSettings: settings),
        .testTarget(name: "LockingTests", dependencies: ["Locking"], swiftSettings: settings),
        .testTarget(name: "TensorTests", dependencies: ["Locking", "Tensor"], swiftSettings: settings),
        .testTarget(name: "ImagingTests", dependencies: ["SharedFixtures", "Imaging"], swiftSettings: settings),
        .testTarget(name: "DatasetsTests", dependencies: ["SharedFixtures", "Datasets", "Imaging"], swiftSettings: settings),
        .testTarget(name: "ConfigTests", dependencies: ["Config"], swiftSettings: settings),
        .testTarget(name: "CycleGANTests", dependencies: ["SharedFixtures", "Locking", "Hashing", "CycleGAN", "Datasets", "Tensor", "Gallery"], swiftSettings: settings),
        .testTarget(name: "ClusterTests", dependencies: ["SharedFixtures", "Hashing", "Cluster", "CycleGANCluster", "ClusterCLI", "CycleGAN", "Datasets", "Dashboard", "Sockets"], swiftSettings: settings),
        .testTarget(name: "DashboardTests", dependencies: ["Locking", "Dashboard", "Sockets", "Gallery"], swiftSettings: settings),
        .testTarget(name: "ConsoleTests", dependencies: ["Console"], swiftSettings: settings),
    ]
)
