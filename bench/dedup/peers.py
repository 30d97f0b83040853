"""The peers of bench/dedup: datatrove's MinHash pipeline and datasketch, with FineWeb's settings
(word 5-grams, 14 bands of 8 = 112 permutations), on JSONL(.zst) files read in sorted order.

datatrove <folder> <glob> <work> <pairs-out>: MinhashDedupSignature, Buckets, Cluster (with cluster
  ids) and Filter on one task; writes `removed_doc kept_doc` (the kept member of its cluster) per
  removed document. datatrove shingles with its own simplify_text and word tokenizer (spaCy's),
  hashes them with sha1 (64 bits).
datasketch <pairs-out> <files...>: MinHash(num_perm=112) of the same shingles moe-data hashes (the
  fineweb normalization's word 5-grams), MinHashLSH(params=(14, 8)); each document queried against
  the ones kept before it, removed (paired with the first candidate) when it has a candidate.
Doc ids are `<file name>:<line>` as moe-data names them.
"""
import io, json, os, sys


def read_jsonl(path):
    if path.endswith('.zst'):
        import zstandard
        stream = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, 'rb')), encoding='utf-8')
    else:
        stream = open(path, encoding='utf-8')
    for i, line in enumerate(stream, 1):
        if line.strip():
            yield f'{os.path.basename(path)}:{i}', json.loads(line)['text']


def run_datatrove(folder, glob, work, out):
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter
    from datatrove.utils.hashing import HashConfig
    # sha1: datatrove 0.10.1's xxhash path hands str to xxhash 3.x, which refuses it.
    config = MinhashConfig(n_grams=5, num_buckets=14, hashes_per_bucket=8,
                           hash_config=HashConfig(precision=64, hash_fc='sha1'))

    def reader():
        return JsonlReader(folder, glob_pattern=glob, id_key='__none__')

    def run(pipeline, name, tasks=1):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f'{work}/logs/{name}').run()

    run([reader(), MinhashDedupSignature(output_folder=f'{work}/sigs', config=config)], 'sigs')
    run([MinhashDedupBuckets(input_folder=f'{work}/sigs', output_folder=f'{work}/buckets', config=config)],
        'buckets', tasks=config.num_buckets)
    run([MinhashDedupCluster(input_folder=f'{work}/buckets', output_folder=f'{work}/remove', config=config,
                             save_cluster_id=True)], 'clusters')
    run([reader(), MinhashDedupFilter(input_folder=f'{work}/remove', load_cluster_ids=True,
                                      exclusion_writer=JsonlWriter(f'{work}/removed', compression=None)),
         JsonlWriter(f'{work}/kept', compression=None)], 'filter')

    def docs(sub):
        for name in sorted(os.listdir(f'{work}/{sub}')):
            for line in open(f'{work}/{sub}/{name}'):
                d = json.loads(line)
                source, index = d['id'].rsplit('/', 1)
                yield f'{os.path.basename(source)}:{int(index) + 1}', d['metadata'].get('minhash_cluster_id')
    kept = {cluster: doc for doc, cluster in docs('kept') if cluster is not None}
    with open(out, 'w') as f:
        for doc, cluster in docs('removed'):
            f.write(f'{doc} {kept.get(cluster, "?")}\n')


def shingles(text):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from planted import words
    w = words(text)
    n = min(5, len(w))
    return [' '.join(w[i:i + n]).encode() for i in range(len(w) - n + 1)]


def run_datasketch(out, files):
    from datasketch import MinHash, MinHashLSH
    lsh = MinHashLSH(num_perm=112, params=(14, 8))
    with open(out, 'w') as f:
        for path in sorted(files):
            for doc, text in read_jsonl(path):
                grams = shingles(text)
                if not grams:
                    continue
                m = MinHash(num_perm=112, seed=1)
                m.update_batch(grams)
                found = lsh.query(m)
                if found:
                    f.write(f'{doc} {min(found)}\n')
                else:
                    lsh.insert(doc, m)


if __name__ == '__main__':
    if sys.argv[1] == 'datatrove':
        run_datatrove(*sys.argv[2:6])
    else:
        run_datasketch(sys.argv[2], sys.argv[3:])
