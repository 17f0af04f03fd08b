import Testing
@testable import Datasets

@Test func moduleLinks() { #expect(Bool(true)) }
