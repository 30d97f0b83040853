"""A small reader of the packed rows (MDS shards, zstd), in dataset order, for the PyTorch peer."""
import json
import os

import numpy as np
import zstandard

ENCODINGS = {"uint8": np.uint8, "uint16": np.uint16, "uint32": np.uint32, "int32": np.int32}


class PackedRows:
    def __init__(self, path):
        if os.path.isdir(os.path.join(path, "packed")):
            path = os.path.join(path, "packed")
        self.path = path
        with open(os.path.join(path, "index.json")) as f:
            self.shards = json.load(f)["shards"]
        with open(os.path.join(path, "moe-data.json")) as f:
            self.info = json.load(f)
        self._cache = (None, None)

    def __len__(self):
        return sum(s["samples"] for s in self.shards)

    def row(self, index):
        """Row `index` in dataset order (shards in index order, rows in shard order)."""
        for number, shard in enumerate(self.shards):
            if index < shard["samples"]:
                return self._decode(number, shard, index)
            index -= shard["samples"]
        raise IndexError("row past the dataset's end")

    def _decode(self, number, shard, index):
        if self._cache[0] != number:
            with open(os.path.join(self.path, shard["zip_data"]["basename"]), "rb") as f:
                raw = zstandard.ZstdDecompressor().decompressobj().decompress(f.read())
            self._cache = (number, raw)
        raw = self._cache[1]
        count = int(np.frombuffer(raw, np.uint32, 1, 0)[0])
        offsets = np.frombuffer(raw, np.uint32, count + 1, 4)
        at, end = int(offsets[index]), int(offsets[index + 1])
        sizes = shard["column_sizes"]
        variable = [i for i, s in enumerate(sizes) if s is None]
        var_sizes = np.frombuffer(raw, np.uint32, len(variable), at)
        at += 4 * len(variable)
        out = {}
        for i, (name, encoding) in enumerate(zip(shard["column_names"], shard["column_encodings"])):
            size = sizes[i] if sizes[i] is not None else int(var_sizes[variable.index(i)])
            data = raw[at:at + size]
            at += size
            if encoding.startswith("ndarray:"):
                out[name] = np.frombuffer(data, ENCODINGS[encoding.split(":")[1]])
            elif encoding == "int":
                out[name] = int(np.frombuffer(data, np.int64)[0])
            else:
                out[name] = data
        assert at == end, "sample size mismatch"
        return out
