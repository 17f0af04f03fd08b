import Testing
@testable import Tensor

@Test func moduleLinks() { #expect(Bool(true)) }
