extension RunConfig {
    /// The smallest crop the 70x70 PatchGAN discriminator can judge: three
    /// stride-2 4x4 convolutions and two stride-1 4x4 ones leave 24 -> 1 pixel.
    public static let minimumCropSize = 24

    /// Most steps a run may count (about 4 x 10^9; a 14-day run at 100 steps/s takes 1.2 x 10^8).
    public static let maximumSteps = 1 << 32
    /// Most epochs (`n_epochs` + `n_epochs_decay`, each).
    public static let maximumEpochs = 1_000_000
    /// Most images of one domain in a batch or a micro-batch.
    public static let maximumBatch = 65_536
    /// Most images an image pool may hold (the paper's is 50).
    public static let maximumPool = 10_000
    /// Heartbeat intervals allowed: a peer is dead after at most `4` s of silence, so beats must
    /// come well within that; faster than 20 a second is only overhead.
    public static let heartbeatRange = 0.05...2.0

    /// Checks that every setting has a usable value, including that the networks fit this
    /// machine's memory when trained (parameters, gradients and Adam state).
    /// - Throws: the first problem as `ConfigError.invalidValue`, naming its key.
    public func validate() throws(ConfigError) {
        try validate(locations: [:])
    }

    /// ``validate()`` for a configuration that only runs the networks (`herd translate`):
    /// the parameters alone must fit the memory.
    public func validateForInference() throws(ConfigError) {
        if let first = problems(locations: [:], memory: model.parameterBytes, memoryWhat: "of parameters").first { throw first }
    }

    /// Every problem with the settings' values, in file order (empty when valid).
    public var validationErrors: [ConfigError] { problems(locations: [:]) }

    func validate(locations: [String: SourceLocation]) throws(ConfigError) {
        if let first = problems(locations: locations).first { throw first }
    }

    /// Bytes training holds besides activations: parameters, gradients, Adam moments and the two image pools.
    public var trainingMemoryBytes: Double {
        let side = Double(data.cropSize)
        let pool = Double(min(max(0, training.poolSize), Self.maximumPool))  // larger pools fail their range check
        return model.trainingStateBytes + 2 * pool * 3 * side * side * 4
    }

    /// Checks in file order; `locations` (from parsing) let each error name its line.
    private func problems(locations: [String: SourceLocation]) -> [ConfigError] {
        problems(locations: locations, memory: trainingMemoryBytes,
                 memoryWhat: "to train (parameters, gradients, Adam state and image pools)")
    }

    private func problems(locations: [String: SourceLocation], memory: Double, memoryWhat: String) -> [ConfigError] {
        var found: [ConfigError] = []
        /// Records a problem with `key`; the line is the key's, or `near`'s when the
        /// key itself was not written (e.g. crop_size left at its default).
        func check(_ ok: Bool, _ key: String, _ reason: @autoclosure () -> String, near: String? = nil) {
            guard !ok else { return }
            let at = locations[key] ?? near.flatMap { locations[$0] }
            found.append(.invalidValue(at, key: key, reason: reason()))
        }
        func atLeast(_ value: Int, _ minimum: Int, _ key: String) {
            check(value >= minimum, key, "must be at least \(minimum), found \(value)")
        }
        func within(_ value: Int, _ range: ClosedRange<Int>, _ key: String, _ unit: String = "") {
            check(range.contains(value), key, "must be from \(range.lowerBound) to \(range.upperBound)\(unit), found \(value)")
        }
        func upTo(_ value: Double, _ maximum: Double, _ key: String) {
            check(value.isFinite && value >= 0 && value <= maximum, key,
                  "must be from 0 to \(YAMLScalar.render(float: maximum)), found \(YAMLScalar.render(float: value))")
        }
        func beta(_ value: Double, _ key: String) {
            check(value.isFinite && value >= 0 && value < 1, key,
                  "must be at least 0 and less than 1, found \(YAMLScalar.render(float: value))")
        }
        func fileName(_ names: [String], _ key: String) {
            for (k, name) in names.enumerated() {
                check(!name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\0"),
                      key, "item \(k) (\(YAMLScalar.doubleQuoted(name))) must be a file name inside the test directory, without \"/\"")
            }
        }
        func address(_ text: String, _ key: String) {
            do throws(HostPortError) {
                _ = try HostPort(parsing: text)
            } catch {
                check(false, key, "\(YAMLScalar.doubleQuoted(text)) is not HOST:PORT: \(error.reason)")
            }
        }

        check(!name.isEmpty && name != "." && name != ".." && name.count <= 100
                && name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) },
              "name", "must be 1 to 100 letters, digits, \".\", \"_\" or \"-\" (it names the run's directory), found \(YAMLScalar.doubleQuoted(name))")

        check(!data.root.isEmpty, "data.root", "must name the dataset directory")
        check(data.loadSize >= 1 && data.loadSize <= 4096, "data.load_size", "must be from 1 to 4096 pixels, found \(data.loadSize)")
        check(data.cropSize >= Self.minimumCropSize, "data.crop_size",
              "must be at least \(Self.minimumCropSize) pixels (the 70x70 PatchGAN discriminator's smallest input), found \(data.cropSize)")
        check(data.cropSize % 4 == 0, "data.crop_size",
              "must be a multiple of 4 (the generators downsample twice by 2), found \(data.cropSize)")
        check(data.cropSize <= data.loadSize, "data.crop_size",
              "must not exceed data.load_size (\(data.loadSize)), found \(data.cropSize)", near: "data.load_size")

        within(model.nBlocks, 1...64, "model.n_blocks")
        atLeast(model.ngf, 1, "model.ngf")
        atLeast(model.ndf, 1, "model.ndf")
        if model.nBlocks >= 1, model.ngf >= 1, model.ndf >= 1, memory > MachineMemory.physicalBytes {
            let (key, value) = memory > 2 * model.trainingStateBytes
                ? ("training.pool_size", training.poolSize) : model.largestContributor
            check(false, key, "\(value) needs ~\(ByteCount.format(memory)) \(memoryWhat), of which "
                  + "\(ByteCount.format(model.parameterBytes)) are the networks' parameters; this machine has "
                  + "\(ByteCount.format(MachineMemory.physicalBytes)) of memory")
        }

        within(training.batchSize, 1...Self.maximumBatch, "training.batch_size")
        within(training.microBatch, 1...Self.maximumBatch, "training.micro_batch")
        within(training.nEpochs, 0...Self.maximumEpochs, "training.n_epochs")
        within(training.nEpochsDecay, 0...Self.maximumEpochs, "training.n_epochs_decay")
        check(training.nEpochs < 0 || training.nEpochsDecay < 0 || training.nEpochs + training.nEpochsDecay >= 1,
              "training.n_epochs", "training.n_epochs + training.n_epochs_decay must be at least 1", near: "training.n_epochs_decay")
        check(training.lr.isFinite && training.lr > 0 && training.lr <= 1, "training.lr",
              "must be more than 0 and at most 1, found \(YAMLScalar.render(float: training.lr))")
        beta(training.beta1, "training.beta1")
        beta(training.beta2, "training.beta2")
        upTo(training.lambdaCycle, 1000, "training.lambda_cycle")
        upTo(training.lambdaIdentity, 1000, "training.lambda_identity")
        within(training.poolSize, 0...Self.maximumPool, "training.pool_size", " images")
        check(training.threads >= 0 && training.threads <= 1024, "training.threads",
              "must be from 0 (all cores) to 1024, found \(training.threads)")

        within(validation.count, 0...1000, "validation.count", " images per domain")
        fileName(validation.imagesA, "validation.images_a")
        fileName(validation.imagesB, "validation.images_b")
        within(validation.everyEpochs, 1...Self.maximumEpochs, "validation.every_epochs")

        check(!checkpoint.directory.isEmpty, "checkpoint.directory", "must name a directory")
        within(checkpoint.everySteps, 0...Self.maximumSteps, "checkpoint.every_steps")
        within(checkpoint.keep, 1...1000, "checkpoint.keep")

        address(cluster.listen, "cluster.listen")
        check(!cluster.tokenFile.isEmpty, "cluster.token_file", "must name a file (the HERD_TOKEN variable is used when it does not exist)")
        within(cluster.minWorkers, 1...1024, "cluster.min_workers")
        check(Self.heartbeatRange.contains(cluster.heartbeatSeconds), "cluster.heartbeat_seconds",
              "must be from \(YAMLScalar.render(float: Self.heartbeatRange.lowerBound)) to "
              + "\(YAMLScalar.render(float: Self.heartbeatRange.upperBound)) seconds (a peer silent for 4 s is dead), "
              + "found \(YAMLScalar.render(float: cluster.heartbeatSeconds))")
        within(cluster.checksumEverySteps, 1...Self.maximumSteps, "cluster.checksum_every_steps")

        if !dashboard.listen.isEmpty { address(dashboard.listen, "dashboard.listen") }
        return found
    }
}
