import Config
import Datasets
import Foundation
import SharedFixtures
import Tensor
@testable import CycleGAN

/// Helpers shared by the CycleGAN tests.
enum TestSupport {
    /// `../shared` next to the package root (found from this file's path), or nil when absent.
    static func sharedDirectory() -> String? { SharedFixtures.root }

    /// A fresh temporary directory.
    static func temporaryDirectory(_ label: String) throws -> String {
        let path = NSTemporaryDirectory() + "herd-cyclegan-\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A tiny architecture for fast tests.
    static func tinyModel(ngf: Int = 2, ndf: Int = 2, blocks: Int = 1) -> ModelConfig {
        var model = ModelConfig()
        model.ngf = ngf
        model.ndf = ndf
        model.nBlocks = blocks
        return model
    }

    /// Deterministic pseudo-random values in [-1, 1].
    static func randomImages(count: Int, size: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in (0..<(3 * size * size)).map { _ in Float(random.nextUnitDouble() * 2 - 1) } }
    }

    /// ``randomImages(count:size:seed:)`` as one `[count, 3, size, size]` tensor.
    static func randomImageTensor(count: Int, size: Int, seed: UInt64) throws -> Tensor {
        try Tensor.images(randomImages(count: count, size: size, seed: seed), height: size, width: size)
    }
}
