/// The best segmentation of normalized text: libsentencepiece's `unigram_model.cc`
/// (`Model::EncodeOptimized`), a Viterbi pass over byte offsets, then the ids of the best path.
extension NativeUnigramEncoder {
    func viterbi(_ text: UnsafeMutablePointer<UInt8>, _ size: Int, _ scratch: ScratchPool.Scratch) {
        scratch.reserveNodes(size + 1)
        let nodes = scratch.nodes
        for i in 0...size { nodes[i] = BestPathNode(score: 0, startsAt: -1, id: -1) }
        let unkScore = self.unkScore
        let unkId = self.unkId
        do {
            do {
                let units = trie.units
                let scores = self.scores
                var startsAt = 0
                while startsAt < size {
                    let tillHere = nodes[startsAt].score
                    let lead = text[startsAt]
                    let oneCharLen = lead < 0xC0 ? 1 : (lead < 0xE0 ? 2 : (lead < 0xF0 ? 3 : 4))
                    let mblen = min(oneCharLen, size - startsAt)
                    var hasSingleNode = false
                    var node = 0
                    var keyPos = startsAt
                    while keyPos < size {
                        let t = Int(units[node].base) + Int(text[keyPos])
                        guard Int(units[t].check) == node else { break }
                        node = t
                        keyPos += 1
                        let id = units[t].value
                        guard id >= 0 else { continue }
                        // NaN marks user-defined pieces, whose score is a double.
                        let unitScore = units[t].score
                        let candidate = (unitScore.isNaN ? scores[Int(id)] : Double(unitScore)) + Double(tillHere)
                        if nodes[keyPos].startsAt == -1 || candidate > Double(nodes[keyPos].score) {
                            nodes[keyPos] = BestPathNode(score: Float(candidate), startsAt: Int32(startsAt), id: id)
                        }
                        if keyPos - startsAt == mblen { hasSingleNode = true }
                    }
                    if !hasSingleNode {
                        let candidate = unkScore + tillHere
                        let end = startsAt + mblen
                        if nodes[end].startsAt == -1 || candidate > nodes[end].score {
                            nodes[end] = BestPathNode(score: candidate, startsAt: Int32(startsAt), id: unkId)
                        }
                    }
                    startsAt += mblen
                }
            }
        }
    }

    /// The ids of the best path. Like libsentencepiece, a run of adjacent unknown pieces is one
    /// unknown (its surface is the whole run), which byte fallback then spells byte by byte.
    func backtrack(_ size: Int, _ scratch: ScratchPool.Scratch) -> [UInt32] {
        let nodes = scratch.nodes
        let unkId = self.unkId
        let byteFallback = byteIds != nil
        var count = 0
        var end = size
        while end > 0 {
            let n = nodes[end]
            let start = Int(n.startsAt)
            if n.id != unkId {
                count += 1
            } else if byteFallback {
                count += end - start
            } else if start == 0 || nodes[start].id != unkId {
                count += 1
            }
            end = start
        }
        let text = scratch.normalized
        return [UInt32](unsafeUninitializedCapacity: count) { out, initialized in
            var k = count
            var end = size
            while end > 0 {
                let n = nodes[end]
                let start = Int(n.startsAt)
                if n.id != unkId {
                    k -= 1
                    out[k] = UInt32(n.id)
                } else if let byteIds {
                    var i = end
                    while i > start { i -= 1; k -= 1; out[k] = byteIds[Int(text[i])] }
                } else if start == 0 || nodes[start].id != unkId {
                    k -= 1
                    out[k] = UInt32(bitPattern: unkId)
                }
                end = start
            }
            initialized = count
        }
    }
}
