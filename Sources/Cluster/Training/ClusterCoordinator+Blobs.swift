import Hashing
/// Serving files to workers: each asks (`blobRequest`) for the content hashes it
/// does not hold; the coordinator reads those files now (it keeps none in memory)
/// and answers with `blobs` frames of at most half the frame limit each.
extension ClusterCoordinator {
    /// Answers a worker's `blobRequest`. A digest that is no file of this run drops
    /// the worker (a legitimate worker only asks for what a plan named).
    /// - Throws: `ClusterError.model` when a file of the run cannot be read, has changed
    ///   since the run started, or is too large for one frame.
    func serveBlobs(_ request: BlobRequest, to id: Int) throws(ClusterError) {
        guard let name = members[id]?.name else { return }
        let budget = max(1, options.maxPayload / 2)
        var batch: [Blob] = []
        var batchBytes = 0
        for digest in request.digests {
            let found: Blob?
            do { found = try model.blob(digest: digest) } catch { throw .model("cannot serve a file to \(name): \(error)") }
            guard let blob = found else {
                return drop(id, "asked for file sha256 \(digest.hexString.prefix(16))…, which is not part of this run")
            }
            let size = blob.bytes.count + Message.nonceSize + 8
            guard size + 16 <= options.maxPayload else {
                throw .model("a file of \(blob.bytes.count) bytes (sha256 \(digest.hexString.prefix(16))…) does not fit in one frame (limit \(options.maxPayload) bytes)")
            }
            if !batch.isEmpty && batchBytes + size > budget {
                send(.blobs(batch), to: id)
                batch = []; batchBytes = 0
            }
            batch.append(blob)
            batchBytes += size
        }
        if !batch.isEmpty { send(.blobs(batch), to: id) }
    }
}
