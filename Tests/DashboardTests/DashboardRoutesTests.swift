import Foundation
import Gallery
import Testing
@testable import Dashboard

/// The dashboard's routes, called in-process (no sockets).
@Suite struct DashboardRoutesTests {
    private func get(_ dashboard: Dashboard, _ target: String, method: String = "GET") -> HTTPResponse {
        guard var request = HTTPRequest.get(target) else { return .error(400) }
        request.method = method
        return dashboard.handle(request)
    }

    @Test func statusJSONRoundTripsIncludingNonFiniteLosses() throws {
        var status = sampleStatus(steps: 50)
        status.losses.append(step: 51, losses: LossValues(gGanAB: .nan, gGanBA: .infinity, cycleA: -.infinity, cycleB: 1, idtA: 1, idtB: 1, g: .nan, dA: 1, dB: 1))
        let dashboard = Dashboard(status: status)
        let response = get(dashboard, "/api/status")
        #expect(response.status == 200)
        #expect(response.headers.contains(HTTPHeader("Content-Type", "application/json")))
        let decoded = try Dashboard.decoder.decode(DashboardStatus.self, from: Data(response.body))
        #expect(decoded.runName == "horse2zebra")
        #expect(decoded.workers == status.workers)
        #expect(decoded.events == status.events)
        #expect(decoded.losses.latest?.losses.gGanAB.isNaN == true)
        #expect(decoded.losses.latest?.losses.gGanBA == .infinity)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("\"G_gan_AB\""))
        #expect(text.contains("\"NaN\""))
    }

    @Test func updateChangesWhatIsServed() throws {
        let dashboard = Dashboard()
        dashboard.update { $0.runName = "changed"; $0.globalStep = 7 }
        let decoded = try Dashboard.decoder.decode(DashboardStatus.self, from: Data(get(dashboard, "/api/status").body))
        #expect(decoded.runName == "changed")
        #expect(decoded.globalStep == 7)
        #expect(decoded.updatedAt != nil)
    }

    @Test func aProviderIsAskedOnEveryRequest() throws {
        let dashboard = Dashboard(provider: {
            var s = DashboardStatus()
            s.globalStep = 42
            return s
        })
        let decoded = try Dashboard.decoder.decode(DashboardStatus.self, from: Data(get(dashboard, "/api/status").body))
        #expect(decoded.globalStep == 42)
    }

    @Test func healthAndUnknownPathsAndMethods() {
        let dashboard = Dashboard()
        #expect(get(dashboard, "/health").status == 200)
        #expect(String(decoding: get(dashboard, "/health").body, as: UTF8.self) == "ok\n")
        #expect(get(dashboard, "/nope").status == 404)
        #expect(get(dashboard, "/api/status/x").status == 404)
        let post = get(dashboard, "/api/status", method: "POST")
        #expect(post.status == 405)
        #expect(post.headers.contains(HTTPHeader("Allow", "GET, HEAD")))
    }

    @Test func validationImagesAreServedOnlyUnderStrictNames() throws {
        let dir = try TemporaryDirectory("val")
        defer { dir.cleanup() }
        try dir.write("val/epoch_003/A_0001.png", fakePNG("three"))
        try dir.write("val/epoch_003/notes.txt", Array("secret".utf8))
        try dir.write("val/epoch_003/fake.png", Array("not a png".utf8))
        try dir.write("secret.png", fakePNG("outside"))
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/val/epoch_003/link.png", withDestinationPath: dir.path + "/secret.png")
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/val/epoch_009", withDestinationPath: dir.path)
        let dashboard = Dashboard(valDirectory: dir.path + "/val")

        let ok = get(dashboard, "/val/epoch_003/A_0001.png")
        #expect(ok.status == 200)
        #expect(ok.body == fakePNG("three"))
        #expect(ok.headers.contains(HTTPHeader("Content-Type", "image/png")))

        for target in ["/val/epoch_003/notes.txt", "/val/epoch_003/fake.png", "/val/epoch_003/link.png",
                       "/val/epoch_009/secret.png", "/val/../secret.png", "/val/epoch_003/../../secret.png",
                       "/val/%2e%2e/secret.png", "/val/epoch_003/%2e%2e%2f%2e%2e%2fsecret.png", "/val/../../etc/passwd",
                       "/val/epoch_003//A_0001.png", "/val/epoch_003/.hidden.png", "/val/epoch_3x/A_0001.png",
                       "/val/epoch_003/A_0001.png/x", "/val/epoch_004/A_0001.png", "/val/epoch_003/", "/val/"] {
            #expect(get(dashboard, target).status == 404, "\(target)")
        }
        #expect(get(Dashboard(), "/val/epoch_003/A_0001.png").status == 404)
    }

    @Test func theGalleryIsReadFromTheValDirectory() throws {
        let dir = try TemporaryDirectory("gallery")
        defer { dir.cleanup() }
        try dir.write("epoch_010/B_1.png", fakePNG("b"))
        try dir.write("epoch_010/A_1.png", fakePNG("a"))
        try dir.write("epoch_002/A_1.png", fakePNG("a"))
        try dir.write("epoch_002/readme.txt", Array("x".utf8))
        try dir.write("epoch_005/readme.txt", Array("x".utf8))
        try dir.write("other/A_1.png", fakePNG("a"))
        try dir.write("epoch_010/grid.png", fakePNG("g"))
        let gallery = Dashboard(valDirectory: dir.path).status.gallery
        #expect(gallery == ValidationGallery(epochs: [
            .init(epoch: 2, images: ["epoch_002/A_1.png"]),
            .init(epoch: 10, images: ["epoch_010/A_1.png", "epoch_010/B_1.png"], grid: "epoch_010/grid.png"),
        ]))
        #expect(ValidationGallery.scan(directory: dir.path + "/missing").epochs.isEmpty)
        #expect(GalleryLayout.directoryName(epoch: 7) == "epoch_007")
        #expect(GalleryLayout.directoryName(epoch: 1234) == "epoch_1234")
    }

    @Test func requestsListNoDirectoryAndANewEpochListsOnlyItsOwn() throws {
        let dir = try TemporaryDirectory("gallery-listings")
        defer { dir.cleanup() }
        for epoch in 1...40 { try dir.write(GalleryLayout.directoryName(epoch: epoch) + "/A_1.png", fakePNG("a")) }
        let files = CountingFiles()
        let dashboard = Dashboard(status: sampleStatus(steps: 10), valDirectory: dir.path, files: files)
        _ = get(dashboard, "/api/status")
        let afterFirst = files.listings
        // The first request reads the val directory once: its listing and the newest epochs kept.
        #expect(afterFirst == 1 + ValidationGallery.defaultCapacity)
        for _ in 0..<20 {
            #expect(get(dashboard, "/").status == 200)
            #expect(get(dashboard, "/api/status").status == 200)
        }
        #expect(files.listings == afterFirst, "requests must not list the val directory")
        try dir.write("epoch_041/A_1.png", fakePNG("a"))
        dashboard.recordValidationEpoch(41)
        #expect(files.listings == afterFirst + 1, "a new epoch lists its own directory only")
        let gallery = dashboard.status.gallery
        #expect(gallery.epochs.last?.epoch == 41)
        #expect(gallery.epochs.count == ValidationGallery.defaultCapacity)
        #expect(gallery.epochCount == 41)
        #expect(files.listings == afterFirst + 1)
        let page = String(decoding: get(dashboard, "/").body, as: UTF8.self)
        #expect(page.contains("16 older epochs are in the val directory"), "\(page)")
    }

    @Test func startRefusesNonLoopbackUnlessAllowed() throws {
        let dashboard = Dashboard()
        #expect(throws: DashboardError.nonLoopbackRefused("0.0.0.0:0")) { try dashboard.start(listen: "0.0.0.0:0") }
        #expect(throws: DashboardError.self) { try dashboard.start(listen: "nonsense") }
        #expect(try dashboard.start(listen: "") == nil)
        let server = try #require(try dashboard.start(listen: "0.0.0.0:0", allowNonLoopback: true))
        defer { server.stop() }
        #expect(server.port > 0)
        let local = try #require(try dashboard.start(listen: "localhost:0"))
        defer { local.stop() }
        #expect(local.port > 0)
    }
}
