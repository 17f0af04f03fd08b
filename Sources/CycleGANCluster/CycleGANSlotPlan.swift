import Cluster
import CycleGAN

/// What a CycleGAN worker needs, besides the two files, to make a sample exactly as
/// `SampleSource.sample(epoch:index:)` does on the coordinator: each image's crop and
/// flip from the sample's `SamplePlan`, and the files' names for error messages.
/// Travels as `SlotTicket.plan` (binary, little-endian).
struct CycleGANSlotPlan: Sendable, Equatable {
    var cropA: SampleCrop
    var cropB: SampleCrop
    /// `trainA/<file>`, `trainB/<file>`.
    var nameA: String
    var nameB: String

    /// Longest file name carried (longer ones are cut; they only label errors).
    static let maxNameBytes = 1024

    var encoded: [UInt8] {
        var w = WireWriter()
        for crop in [cropA, cropB] { w.write(crop.x); w.write(crop.y); w.write(crop.flip) }
        for name in [nameA, nameB] { w.writeBytes(Array(name.utf8.prefix(Self.maxNameBytes))) }
        return w.bytes
    }

    /// - Throws: `WireError` naming the field and offset of anything malformed.
    init(decoding bytes: [UInt8]) throws(WireError) {
        var r = WireReader(bytes)
        func crop(_ field: String) throws(WireError) -> SampleCrop {
            SampleCrop(x: try r.int(field + ".x", in: 0...(1 << 20)), y: try r.int(field + ".y", in: 0...(1 << 20)),
                       flip: try r.bool(field + ".flip"))
        }
        cropA = try crop("plan.cropA")
        cropB = try crop("plan.cropB")
        nameA = String(decoding: try r.bytes("plan.nameA").prefix(Self.maxNameBytes), as: UTF8.self)
        nameB = String(decoding: try r.bytes("plan.nameB").prefix(Self.maxNameBytes), as: UTF8.self)
        try r.finish("plan")
    }

    init(cropA: SampleCrop, cropB: SampleCrop, nameA: String, nameB: String) {
        self.cropA = cropA; self.cropB = cropB; self.nameA = nameA; self.nameB = nameB
    }
}
