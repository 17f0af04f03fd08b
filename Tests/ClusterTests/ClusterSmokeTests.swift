import Testing
@testable import Cluster

@Test func moduleLinks() { #expect(Bool(true)) }
