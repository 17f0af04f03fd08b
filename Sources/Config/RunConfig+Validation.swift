extension RunConfig {
    /// The smallest crop the 70x70 PatchGAN discriminator can judge: three
    /// stride-2 4x4 convolutions and two stride-1 4x4 ones leave 24 -> 1 pixel.
    public static let minimumCropSize = 24

    /// Checks that every setting has a usable value.
    /// - Throws: the first problem as `ConfigError.invalidValue`, naming its key.
    public func validate() throws(ConfigError) {
        try validate(locations: [:])
    }

    /// Every problem with the settings' values, in file order (empty when valid).
    public var validationErrors: [ConfigError] { problems(locations: [:]) }

    func validate(locations: [String: SourceLocation]) throws(ConfigError) {
        if let first = problems(locations: locations).first { throw first }
    }

    /// Checks in file order; `locations` (from parsing) let each error name its line.
    private func problems(locations: [String: SourceLocation]) -> [ConfigError] {
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
        func positive(_ value: Double, _ key: String) {
            check(value.isFinite && value > 0, key, "must be a positive number, found \(YAMLScalar.render(float: value))")
        }
        func nonNegative(_ value: Double, _ key: String) {
            check(value.isFinite && value >= 0, key, "must be zero or positive, found \(YAMLScalar.render(float: value))")
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

        atLeast(model.nBlocks, 1, "model.n_blocks")
        atLeast(model.ngf, 1, "model.ngf")
        atLeast(model.ndf, 1, "model.ndf")

        atLeast(training.batchSize, 1, "training.batch_size")
        atLeast(training.microBatch, 1, "training.micro_batch")
        atLeast(training.nEpochs, 0, "training.n_epochs")
        atLeast(training.nEpochsDecay, 0, "training.n_epochs_decay")
        check(training.nEpochs < 0 || training.nEpochsDecay < 0 || training.nEpochs + training.nEpochsDecay >= 1,
              "training.n_epochs", "training.n_epochs + training.n_epochs_decay must be at least 1", near: "training.n_epochs_decay")
        positive(training.lr, "training.lr")
        beta(training.beta1, "training.beta1")
        beta(training.beta2, "training.beta2")
        nonNegative(training.lambdaCycle, "training.lambda_cycle")
        nonNegative(training.lambdaIdentity, "training.lambda_identity")
        atLeast(training.poolSize, 0, "training.pool_size")
        check(training.threads >= 0 && training.threads <= 1024, "training.threads",
              "must be from 0 (all cores) to 1024, found \(training.threads)")

        atLeast(validation.count, 0, "validation.count")
        fileName(validation.imagesA, "validation.images_a")
        fileName(validation.imagesB, "validation.images_b")
        atLeast(validation.everyEpochs, 1, "validation.every_epochs")

        check(!checkpoint.directory.isEmpty, "checkpoint.directory", "must name a directory")
        atLeast(checkpoint.everySteps, 0, "checkpoint.every_steps")
        atLeast(checkpoint.keep, 1, "checkpoint.keep")

        address(cluster.listen, "cluster.listen")
        check(!cluster.tokenFile.isEmpty, "cluster.token_file", "must name a file (the HERD_TOKEN variable is used when it does not exist)")
        atLeast(cluster.minWorkers, 1, "cluster.min_workers")
        positive(cluster.heartbeatSeconds, "cluster.heartbeat_seconds")
        atLeast(cluster.checksumEverySteps, 1, "cluster.checksum_every_steps")

        if !dashboard.listen.isEmpty { address(dashboard.listen, "dashboard.listen") }
        return found
    }
}
