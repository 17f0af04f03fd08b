import Console
import Datasets
import Foundation

/// `herd data download` and `herd data pubfig`: fetch the data sets over HTTP(S).
enum DataDownloadCommands {
    static let download = Subcommand(["data", "download"], spec: CommandSpec(
        name: "herd data download",
        abstract: "Download an official CycleGAN data set (or the UCF Selfie set), unpack it and check it.",
        discussion: """
            NAME is one of: \(DatasetSource.all.map(\.name).joined(separator: ", ")).
            The CycleGAN sets come from the authors' server (\(DatasetSource.cycleGANBase)NAME.zip), the
            selfies from \(DatasetSource.named("selfie")?.url ?? ""). The archive is saved as TO/FILE.part
            while it downloads: an interrupted download (Ctrl-C, a dropped connection) resumes where it
            stopped when you run the same command again, and a broken connection is retried (--attempts).
            The archive is then checked (CRC-32 of every file) and unpacked with Herd's own inflate into
            TO/NAME (trainA, trainB, testA, testB; selfie: images/ and selfie_dataset.txt), the archive is
            deleted, and a CycleGAN set is checked as by 'herd data check'.
            A damaged or truncated archive is deleted with a message: run the command again to fetch it anew.
            """,
        options: [
            .value("to", "DIR", help: "Folder that receives the data set folder.", default: "datasets"),
            .value("url", "URL", help: "Download from this URL instead (a mirror); same archive format.",
                   default: "the official URL"),
            .value("timeout", "S", help: "Seconds without a byte before a connection is given up.", default: "30"),
            .value("attempts", "N", help: "Tries when the connection breaks or stalls.", default: "5"),
        ],
        arguments: [ArgumentSpec("NAME", help: "Data set to download.")],
        examples: ["herd data download horse2zebra", "herd data download selfie --to ~/data",
                   "herd data download facades --url http://mirror.example/facades.zip"])) { args in
        let name = try args.positional(0, name: "NAME")
        guard var source = DatasetSource.named(name) else {
            throw UsageError.invalidValue(option: "NAME", value: name,
                                          expected: "a known data set (\(DatasetSource.all.map(\.name).joined(separator: ", ")))")
        }
        let archiveName = source.fileName  // the official name, also with --url
        if let url = args.string("url") { source.url = url }
        var options = FileDownload.Options()
        options.timeout = try args.double("timeout") ?? 30
        options.attempts = try args.int("attempts", default: 5, minimum: 1)
        guard options.timeout > 0 else {
            throw UsageError.invalidValue(option: "--timeout", value: args.string("timeout") ?? "", expected: "a positive number")
        }
        let root = args.string("to", default: "datasets")
        let destination = path(root, source.name)
        if FileManager.default.fileExists(atPath: destination) {
            print("\(destination) already exists (delete it to download again)")
            try finish(source, destination)
            return
        }
        let archive = path(root, archiveName)
        if FileManager.default.fileExists(atPath: archive) {
            print("using the archive already downloaded: \(archive)")
        } else {
            let size = args.string("url") == nil ? " (\(source.approximateSize))" : ""
            print("downloading \(source.name)\(size) from \(source.url)")
            print("to \(archive); if interrupted, run the same command again to resume")
            var bar: Console.Progress?
            defer { bar?.finish() }
            try FileDownload.fetch(source.url, to: archive, options: options) { bytes, total in
                guard bytes > 0 else { return }
                if bar == nil || (bar?.total == 0 && total != nil) {
                    bar = Console.Progress(archiveName, total: Int(total ?? 0), unit: .bytes)
                }
                bar?.update(Int(bytes))
            }
        }
        let unpacking = Console.Progress("unpacking \(archiveName)", total: 0)
        var unpackBar: Console.Progress?
        let folder: String
        do throws(DownloadError) {
            folder = try ArchiveUnpacker.unpack(archive, kind: source.archive, root: root, name: source.name, progress: { files, total in
                if total > 0 {
                    if unpackBar == nil { unpackBar = Console.Progress("unpacking \(archiveName)", total: total) }
                    unpackBar?.update(files)
                } else {
                    unpacking.update(files, detail: "files")
                }
            })
        } catch {
            (unpackBar ?? unpacking).finish()
            guard case .badArchive(let file, let reason) = error else { throw error }
            try? FileManager.default.removeItem(atPath: archive)
            throw CommandFailure("\(file): \(reason)\nDeleted \(archive); run 'herd data download \(name)\(args.string("url").map { " --url \($0)" } ?? "")' again to download it anew.")
        }
        (unpackBar ?? unpacking).finish()
        try? FileManager.default.removeItem(atPath: archive)
        print("unpacked into \(folder); deleted \(archive)")
        try finish(source, folder)
    }

    /// Checks the unpacked folder and says what to do next.
    static func finish(_ source: DatasetSource, _ folder: String) throws {
        switch source.layout {
        case .cycleGAN:
            try DataCommands.runCheck(root: folder, sheet: nil, samples: 8, list: 10)
            print("next: set data.root: \(folder) in your config (quick.yaml and paper.yaml read datasets/horse2zebra;")
            print("cluster.yaml explains every key), then")
            print("  herd plan --config quick.yaml      # what a run costs on this machine")
            print("  herd train --config quick.yaml")
        case .selfie:
            let images = path(folder, "images"), annotations = path(folder, "selfie_dataset.txt")
            guard FileManager.default.fileExists(atPath: annotations),
                  let count = try? FileManager.default.contentsOfDirectory(atPath: images).count else {
                throw CommandFailure("\(folder) has no images/ folder and selfie_dataset.txt: this is not the UCF Selfie data set")
            }
            print("\(folder): \(count) selfies in images/, annotations in selfie_dataset.txt")
            print("next: fetch the PubFig faces, then build selfie2cage:")
            print("  herd data pubfig --urls eval_urls.txt --person 'Nicolas Cage'")
            print("  herd data selfie2cage --selfie \(folder) --pubfig-urls eval_urls.txt")
        }
    }

    static let pubfig = Subcommand(["data", "pubfig"], spec: CommandSpec(
        name: "herd data pubfig",
        abstract: "Download the PubFig images of some people listed in dev_urls.txt / eval_urls.txt.",
        discussion: """
            PubFig publishes URLs, not images: many are dead by now and some servers answer with a
            different picture. Each listed image of the --person people is fetched (--jobs at a time, each
            request abandoned after --timeout seconds without data and retried --attempts times) and kept
            only if its MD5 is the listed one, as OUT/<Person_Name>_<imagenum>.<ext>, where
            'herd data selfie2cage --pubfig-images OUT' finds it. Verified files already in OUT are not
            fetched again, so a rerun fetches only what is missing. Images whose face rectangle is under
            --min-face pixels are skipped (selfie2cage rejects them). The summary counts fetched, dead
            (404, unknown host, refused, timed out), wrong content (MD5 differs) and too small.
            Exits with status 1 when a person ends with no usable image.
            """,
        options: [
            .value("urls", "FILE", help: "PubFig dev_urls.txt or eval_urls.txt."),
            OptionSpec("person", .repeated(placeholder: "NAME"), help: "Person to fetch; repeat for several.",
                       default: "Nicolas Cage"),
            .value("out", "DIR", help: "Folder of the images.", default: "datasets/pubfig"),
            .value("jobs", "N", help: "Requests in flight at once.", default: "8"),
            .value("timeout", "S", help: "Seconds without a byte before a request is given up.", default: "15"),
            .value("attempts", "N", help: "Tries per image when the connection fails or stalls.", default: "3"),
            .value("min-face", "PX", help: "Skip faces whose longer side is under this (0: fetch all).", default: "96"),
        ],
        examples: ["herd data pubfig --urls eval_urls.txt --person 'Nicolas Cage' --out datasets/pubfig",
                   "herd data pubfig --urls dev_urls.txt --person 'Abhishek Bachan' --person 'Alec Baldwin'"])) { args in
        let people = args.strings("person").isEmpty ? ["Nicolas Cage"] : args.strings("person")
        var options = PubFigFetch.Options(urls: try args.required("urls"), people: people,
                                          output: args.string("out", default: "datasets/pubfig"))
        options.jobs = try args.int("jobs", default: 8, minimum: 1)
        options.timeout = try args.double("timeout") ?? 15
        options.attempts = try args.int("attempts", default: 3, minimum: 1)
        options.minFace = try args.int("min-face", default: 96, minimum: 0)
        guard options.timeout > 0 else {
            throw UsageError.invalidValue(option: "--timeout", value: args.string("timeout") ?? "", expected: "a positive number")
        }
        var bar: Console.Progress?
        let report = try PubFigFetch.run(options) { done, total in
            if bar == nil { bar = Console.Progress("fetching \(people.joined(separator: ", "))", total: total) }
            bar?.update(done)
        }
        bar?.finish()
        for note in report.notes.prefix(20) { print("  " + note) }
        if report.notes.count > 20 { print("  ... and \(report.notes.count - 20) more") }
        print(report.text)
        for (person, count) in report.usable.sorted(by: { $0.key < $1.key }) {
            print("  \(person): \(count) usable image\(count == 1 ? "" : "s") in \(options.output)")
        }
        let empty = report.usable.filter { $0.value == 0 }.map(\.key).sorted()
        if !empty.isEmpty {
            throw CommandFailure("no usable image of \(empty.joined(separator: ", ")); run again later (servers come and go) "
                + "or pick people with live URLs")
        }
        print("next: herd data selfie2cage --pubfig-urls \(options.urls) --pubfig-images \(options.output)"
            + (people.count == 1 ? " --person '\(people[0])'" : " --person NAME"))
    }

    static func path(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}
