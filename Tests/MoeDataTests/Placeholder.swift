import Testing
@Test func placeholderMoeData() { #expect(1 + 1 == 2) }
