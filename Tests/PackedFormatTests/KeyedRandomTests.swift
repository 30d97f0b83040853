import PackedFormat
import Testing

/// The two keyings give the streams the pipeline and the trainer drew before they shared one
/// generator (values from the former `KeyedRandom` and `SplitMix`), so no output or trained number moves.
struct KeyedRandomTests {
    @Test func pipelineKeyingIsUnchanged() {
        var rng = KeyedRandom(seed: 42, KeyedRandom.key("web"), 3)
        let expected: [UInt64] = [0x74B2_FC1C_6368_BFFB, 0xF628_8879_6733_FF74, 0x19F6_0733_3AF6_ADD9]
        #expect([rng.next(), rng.next(), rng.next()] == expected)
    }

    @Test func trainerKeyingIsUnchanged() {
        var rng = KeyedRandom(seed: 42, name: "epoch 0 shards")
        let expected: [UInt64] = [0x2312_AEDC_BD34_5FC2, 0x29F8_9BE9_480B_FBB2, 0xF7BA_EDB7_9D39_5630]
        #expect([rng.next(), rng.next(), rng.next()] == expected)
    }
}
