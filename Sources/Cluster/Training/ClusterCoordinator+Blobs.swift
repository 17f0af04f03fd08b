import Hashing
/// Serving files to workers: each asks (`blobRequest`) for the content hashes it
/// does not hold; the coordinator reads those files now (it keeps none in memory)
/// and answers with `blobs` frames of at most half the frame limit each.
///
/// A worker may ask only for the files of its current step plan or validation request, each
/// once: the coordinator reads and sends nothing else. Requests beyond that (a file already
/// sent, or one planned for another worker) are ignored, so a peer asking for one file 5,000
/// times costs a set lookup per ask, not 5,000 reads; past ``maxIgnoredAsks`` since its last
/// plan it is dropped.
extension ClusterCoordinator {
    /// Asks for files a worker was not planned (or was already sent) tolerated between two of its
    /// plans: a request sent just before a re-plan legitimately names a few, never this many.
    static let maxIgnoredAsks = 1024

    /// Answers a worker's `blobRequest`.
    /// - Throws: `ClusterError.model` when a file of the run cannot be read, has changed
    ///   since the run started, or is too large for one frame.
    func serveBlobs(_ request: BlobRequest, to id: Int) throws(ClusterError) {
        guard let member = members[id] else { return }
        let name = member.name
        let budget = max(1, options.maxPayload / 2)
        var batch: [Blob] = []
        var batchBytes = 0
        var ignored = 0
        for digest in request.digests {
            guard members[id]?.servable.remove(digest) != nil else {
                ignored += 1
                continue
            }
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
        guard ignored > 0, var m = members[id] else { return }
        m.ignoredAsks += ignored
        members[id] = m
        if m.ignoredAsks > Self.maxIgnoredAsks {
            drop(id, "asked for \(m.ignoredAsks) files since its last plan that were already sent to it or not planned for it "
                 + "(a worker asks once per file of its step): a broken or hostile worker")
        }
    }
}
