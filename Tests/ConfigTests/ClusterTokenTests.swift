import Foundation
import Testing
@testable import Config

@Suite struct ClusterTokenTests {
    private func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "herd-token-test-\(getpid())-\(name)"
    }

    @Test func theFileWinsOverTheEnvironment() throws {
        let path = temporaryPath("file")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "  0123456789abcdef-file\n".write(toFile: path, atomically: true, encoding: .utf8)
        let token = try ClusterToken.load(file: path, environment: ["HERD_TOKEN": "0123456789abcdef-env"])
        #expect(token.value == "0123456789abcdef-file")
        #expect(token.source == .file(path))
    }

    @Test func theEnvironmentIsUsedWhenTheFileDoesNotExist() throws {
        let token = try ClusterToken.load(file: temporaryPath("absent"), environment: ["HERD_TOKEN": "0123456789abcdef-env\n"])
        #expect(token.value == "0123456789abcdef-env")
        #expect(token.source == .environment(variable: "HERD_TOKEN"))
    }

    @Test func neitherFileNorVariableIsAClearError() {
        let path = temporaryPath("absent")
        let e = #expect(throws: ClusterTokenError.self) { try ClusterToken.load(file: path, environment: ["HERD_TOKEN": "  "]) }
        #expect(e == .missing(file: path, variable: "HERD_TOKEN"))
        #expect(e?.description.contains(path) == true)
        #expect(e?.description.contains("HERD_TOKEN") == true)
    }

    @Test func shortTokensAreRefusedNamingTheirSource() throws {
        let path = temporaryPath("short")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "short\n".write(toFile: path, atomically: true, encoding: .utf8)
        let e = #expect(throws: ClusterTokenError.self) { try ClusterToken.load(file: path, environment: [:]) }
        #expect(e == .tooShort(source: .file(path), length: 5, minimum: 16))
        let env = #expect(throws: ClusterTokenError.self) { try ClusterToken.load(file: temporaryPath("absent"), environment: ["HERD_TOKEN": "abc"]) }
        #expect(env == .tooShort(source: .environment(variable: "HERD_TOKEN"), length: 3, minimum: 16))
        #expect(throws: ClusterTokenError.self) { try ClusterToken("has a space in the middle") }
    }

    @Test func unreadableTokenFileIsReported() {
        let e = #expect(throws: ClusterTokenError.self) { try ClusterToken.load(file: "/tmp", environment: [:]) }
        #expect(e == .unreadable(file: "/tmp", reason: "not a regular file"))
    }

    @Test func generatedTokensAreRandomHexAndWrittenPrivately() throws {
        let a = try ClusterToken.generate()
        let b = try ClusterToken.generate()
        #expect(a.value.count == 64)
        #expect(a.value.allSatisfy { $0.isHexDigit })
        #expect(a != b)
        #expect(!a.description.contains(a.value))
        #expect(a.description == "cluster token (64 characters, newly generated)")

        let path = temporaryPath("written")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try a.write(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try ClusterToken.load(file: path, environment: [:]).value == a.value)
    }
}

@Suite struct ClusterTokenEntropyTests {
    @Test func regularTokensAreRefusedAndRandomOnesPass() throws {
        #expect(ClusterToken.estimatedBits(String(repeating: "a", count: 16)) == 0)
        #expect(ClusterToken.estimatedBits("abcdefghijklmnopqrstuvwxyz") == 0)
        #expect(ClusterToken.estimatedBits(try ClusterToken.generate().value) > 200)
        let e = #expect(throws: ClusterTokenError.self) { try ClusterToken(String(repeating: "a", count: 16)) }
        #expect(e == .guessable(source: .generated, bits: 0, minimum: 64))
        #expect(e?.description.contains("herd token --output") == true)
        #expect((try? ClusterToken("test-cluster-token-0123456789")) != nil)
    }
}
