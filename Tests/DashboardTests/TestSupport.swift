import Foundation
import Gallery
import Locking
import Glibc
@testable import Dashboard

/// A realistic status: 3 workers, 1,200 steps of losses, events.
func sampleStatus(steps: Int = 1200) -> DashboardStatus {
    var status = DashboardStatus()
    status.runName = "horse2zebra"
    status.phase = .training
    status.settings = [DashboardSetting(key: "training.batch_size", value: "4"),
                       DashboardSetting(key: "data.root", value: "datasets/horse2zebra")]
    status.epoch = 2
    status.totalEpochs = 200
    status.stepsPerEpoch = 1067
    status.stepInEpoch = steps - 1067
    status.globalStep = steps
    status.batchSize = 4
    status.samplesPerSecond = 5.25
    status.etaSeconds = 3 * 3600 + 12 * 60
    status.learningRate = 2e-4
    for step in 1...steps {
        let t = Double(step)
        let decay = exp(-t / 400)
        status.losses.append(step: step, losses: LossValues(
            gGanAB: 0.3 + 0.5 * decay + 0.05 * sin(t / 7), gGanBA: 0.35 + 0.4 * decay + 0.05 * cos(t / 9),
            cycleA: 1.2 + 3 * decay, cycleB: 1.4 + 3.2 * decay, idtA: 0.6 + 1.5 * decay, idtB: 0.7 + 1.6 * decay,
            g: 4.5 + 9 * decay, dA: 0.22 + 0.1 * sin(t / 13), dB: 0.24 + 0.1 * cos(t / 11)))
    }
    let joined = Date(timeIntervalSince1970: 1_714_564_800)
    status.workers = [
        WorkerRow(name: "node-a", address: "10.0.0.2:51512", batchShare: 2, stepSeconds: 0.41, sendMBps: 88.5, recvMBps: 90.1, joinedAt: joined, state: .active),
        WorkerRow(name: "node-b", address: "10.0.0.3:40022", batchShare: 2, stepSeconds: 0.43, sendMBps: 87.9, recvMBps: 89.0, joinedAt: joined, state: .active),
        WorkerRow(name: "<script>alert(1)</script>", address: "10.0.0.4:1", batchShare: 0, stepSeconds: nil, joinedAt: joined, state: .lost),
    ]
    status.record(DashboardEvent(time: joined, kind: .join, message: "node-a joined"))
    status.record(DashboardEvent(time: joined.addingTimeInterval(5), kind: .join, message: "node-b joined"))
    status.record(DashboardEvent(time: joined.addingTimeInterval(600), kind: .failure, message: "node-c stopped answering; batch re-split 2+2"))
    status.record(DashboardEvent(time: joined.addingTimeInterval(700), kind: .epoch, message: "epoch 1 done"))
    status.record(DashboardEvent(time: joined.addingTimeInterval(701), kind: .checkpoint, message: "checkpoint step 1067"))
    status.updatedAt = joined.addingTimeInterval(800)
    return status
}

/// A temporary directory removed by `cleanup()`.
struct TemporaryDirectory {
    let path: String

    init(_ label: String) throws {
        path = NSTemporaryDirectory() + "herd-dashboard-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ relative: String, _ bytes: [UInt8]) throws {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: full))
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The 8-byte PNG signature followed by `payload` (enough for the server's check).
func fakePNG(_ payload: String) -> [UInt8] { [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(payload.utf8) }

/// A parsed HTTP response as a test client sees it.
struct ClientResponse {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A raw TCP client for tests: sends bytes, reads responses.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.failed("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else {
            close(fd)
            throw ClientError.failed("connect: \(String(cString: strerror(errno)))")
        }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    enum ClientError: Error { case failed(String) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Reads more bytes; false at end of stream, error or timeout.
    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) }
        guard n > 0 else { return false }
        buffer += chunk[0..<n]
        return true
    }

    /// Whether the server closed the connection (reads until end of stream or timeout).
    func isClosedByServer() -> Bool {
        while fill() {}
        var probe: UInt8 = 0
        return recv(fd, &probe, 1, Int32(MSG_DONTWAIT)) == 0
    }

    /// Reads one response (using Content-Length); nil when the connection ended first.
    func readResponse(head: Bool = false) -> ClientResponse? {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findHeadEnd() { headEnd = range; break }
            guard fill() else { return nil }
        }
        guard let end = headEnd else { return nil }
        let headText = String(decoding: buffer[0..<end], as: UTF8.self)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = head ? 0 : Int(headers["content-length"] ?? "0") ?? 0
        let bodyStart = end + 4
        while buffer.count < bodyStart + length {
            guard fill() else { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return ClientResponse(status: status, headers: headers, body: body)
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for k in 0...(buffer.count - 4) where buffer[k] == 13 && buffer[k + 1] == 10 && buffer[k + 2] == 13 && buffer[k + 3] == 10 {
            return k
        }
        return nil
    }

    /// One request on a fresh connection, `Connection: close`.
    static func get(_ target: String, port: Int, method: String = "GET") throws -> ClientResponse? {
        let client = try TestClient(port: port)
        client.send("\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return client.readResponse(head: method == "HEAD")
    }

    /// Sends raw bytes on a fresh connection and reads the answer.
    static func raw(_ bytes: String, port: Int) throws -> ClientResponse? {
        let client = try TestClient(port: port)
        client.send(bytes)
        return client.readResponse()
    }
}

/// The real file system, counting directory listings.
final class CountingFiles: GalleryFiles {
    private let count = Locked(0)
    private let real = LocalGalleryFiles()
    var listings: Int { count.withLock { $0 } }
    func list(_ directory: String) -> [String]? {
        count.withLock { $0 += 1 }
        return real.list(directory)
    }
    func isDirectory(_ path: String) -> Bool { real.isDirectory(path) }
    func isRegularFile(_ path: String) -> Bool { real.isRegularFile(path) }
}
