/// The data sets `herd data download` knows: the official CycleGAN sets (the authors' server,
/// as in the reference code's `datasets/download_cyclegan_dataset.sh`) and the UCF Selfie set.
public struct DatasetSource: Sendable, Equatable {
    public enum Archive: Sendable, Equatable { case zip, tarGz }
    /// What the unpacked folder holds: the CycleGAN layout, or the selfie set's images/ and annotations.
    public enum Layout: Sendable, Equatable { case cycleGAN, selfie }

    public var name: String
    public var url: String
    public var archive: Archive
    public var layout: Layout
    /// Approximate archive size, shown before the download starts.
    public var approximateSize: String

    /// The archive's file name (the last URL component).
    public var fileName: String { String(url.split(separator: "/").last ?? Substring(name)) }

    /// Where the official CycleGAN zips live.
    public static let cycleGANBase = "http://efrosgans.eecs.berkeley.edu/cyclegan/datasets/"

    public static let all: [DatasetSource] = [
        ("horse2zebra", "111 MB"), ("apple2orange", "75 MB"), ("summer2winter_yosemite", "126 MB"),
        ("monet2photo", "291 MB"), ("cezanne2photo", "267 MB"), ("ukiyoe2photo", "279 MB"),
        ("vangogh2photo", "292 MB"), ("maps", "1.4 GB"), ("cityscapes", "267 MB"), ("facades", "34 MB"),
        ("iphone2dslr_flower", "324 MB"),
    ].map { DatasetSource(name: $0.0, url: cycleGANBase + $0.0 + ".zip", archive: .zip, layout: .cycleGAN,
                          approximateSize: $0.1) }
        + [DatasetSource(name: "selfie", url: "https://www.crcv.ucf.edu/data/Selfie/Selfie-dataset.tar.gz",
                         archive: .tarGz, layout: .selfie, approximateSize: "about 1 GB")]

    public static func named(_ name: String) -> DatasetSource? { all.first { $0.name == name } }
}
